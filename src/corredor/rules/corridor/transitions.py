"""The moves every process makes: an agent's phase, joining a service, being sent home or to
a border city, becoming active, and the outcome of an attempt (for perceived openness).

Parameters read (roles, ``corredor.scenario.corridor.roles``; default in brackets):

* ``reattempt_delay_days`` (180): mean days at home before a removed agent leaves again
  (geometric on 1, 2, …).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from corredor.rules.corridor.compiled import BORDER_CITY
from corredor.rules.corridor.state import EV_JOIN, CorridorState, Phase

IntArray = npt.NDArray[np.int32]


def set_phase(st: CorridorState, ids: IntArray, phase: Phase) -> None:
    """Agents enter ``phase`` today (a caravan ends at the border or a service)."""
    a = st.agents
    a["phase"][ids] = phase
    a["since"][ids] = st.day
    if phase != Phase.TRAVEL:
        a["caravan"][ids] = 0


def phase_at(st: CorridorState, ids: IntArray) -> None:
    """TRAVEL, BORDER or IN_DEST according to where the agents are; at a border city, it
    becomes the city they head for."""
    c, a = st.c, st.agents
    loc = a["loc"][ids]
    ph = np.where(
        c.loc_in_dest[loc],
        Phase.IN_DEST,
        np.where(c.loc_kind[loc] == BORDER_CITY, Phase.BORDER, Phase.TRAVEL),
    )
    a["phase"][ids] = ph
    a["since"][ids] = st.day
    a["link"][ids] = -1
    a["caravan"][ids[ph != Phase.TRAVEL]] = 0
    city = c.border_of_loc[loc]
    at_city = city >= 0
    a["target"][ids[at_city]] = city[at_city]


def activate(st: CorridorState, ids: IntArray) -> None:
    """Agents become active (processed every day) from today."""
    if ids.shape[0]:
        st.active = np.concatenate([st.active, ids.astype(np.int32)])


def outcome(st: CorridorState, ids: IntArray, *, success: bool) -> None:
    """Count today's outcomes of attempts per group, for the perceived-openness term."""
    if ids.shape[0]:
        o = st.openness
        acc = o.succ_today if success else o.fail_today
        acc += np.bincount(st.agents["group"][ids], minlength=acc.shape[0])


def join(st: CorridorState, ids: IntArray, svc: IntArray) -> None:
    """Agents join services' queues: phase SERVICE, moved to the service's place."""
    if ids.shape[0] == 0:
        return
    order = np.lexsort((ids, svc))
    ids, svc = ids[order], svc[order]
    st.services.withdraw(st.agents, ids)
    st.agents["loc"][ids] = st.c.svc_loc[svc]
    st.agents["link"][ids] = -1
    set_phase(st, ids, Phase.SERVICE)
    st.services.enqueue(st.agents, ids, svc, day=st.day)
    st.events.emit(EV_JOIN, svc, ids, st.agents, st.day)


def send_home(st: CorridorState, ids: IntArray, *, reattempt_p: float) -> None:
    """Removed to the origin: leave again later with probability ``reattempt_p``."""
    if ids.shape[0] == 0:
        return
    a = st.agents
    a["loc"][ids] = st.c.origin_loc[a["origin"][ids]]
    a["link"][ids] = -1
    again = st.u(st.keys.verbs, ids, 7) < reattempt_p
    set_phase(st, ids[~again], Phase.RETURNED)
    back = ids[again]
    set_phase(st, back, Phase.HOME)
    mean = max(st.role("reattempt_delay_days"), 1.0)
    u = st.u(st.keys.verbs, back, 8)
    # geometric on {1, 2, ...} with mean `mean` (a mean of 1: the next day)
    delay = 1 + (np.floor(np.log1p(-u) / np.log1p(-1.0 / mean)) if mean > 1 else np.zeros_like(u))
    when = st.day + delay.astype(np.int64)
    for d in np.unique(when):
        if d < st.c.days:
            st.reattempts[int(d)].append(back[when == d])


def at_border(st: CorridorState, ids: IntArray, *, reattempt_p: float) -> None:
    """Pushed to a border city (deported there or expelled): try again or go home."""
    if ids.shape[0] == 0:
        return
    again = st.u(st.keys.verbs, ids, 9) < reattempt_p
    phase_at(st, ids[again])
    home = ids[~again]
    st.agents["loc"][home] = st.c.origin_loc[st.agents["origin"][home]]
    set_phase(st, home, Phase.RETURNED)
