"""The moves every process makes: an agent's phase, joining a service, being sent home or to
a border city, becoming active, and the outcome of an attempt (for perceived openness).

Parameters read (roles, ``corredor.scenario.corridor.roles``; default in brackets):

* ``reattempt_delay_days`` (180): mean days at home before a removed agent leaves again
  (geometric on 1, 2, …).
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt

from corredor.rules.corridor.compiled import BORDER_CITY
from corredor.rules.corridor.state import EV_JOIN, CorridorState, Phase

IntArray = npt.NDArray[np.int32]
_TRAVEL, _BORDER, _IN_DEST = int(Phase.TRAVEL), int(Phase.BORDER), int(Phase.IN_DEST)
_SERVICE = int(Phase.SERVICE)


def set_phase(st: CorridorState, ids: IntArray, phase: Phase) -> None:
    """Agents enter ``phase`` today (a caravan ends at the border or a service; kernel
    :func:`set_phase_k`, twin :func:`set_phase_np`)."""
    if ids.shape[0] == 0:
        return
    a = st.agents
    set_phase_k(ids, a.raw("phase"), a.raw("since"), a.raw("caravan"), int(phase), st.day)


@nb.njit(cache=True)
def set_phase_k(ids, phase, since, caravan, ph, day):  # type: ignore[no-untyped-def]
    """:func:`set_phase` on the agent columns."""
    for j in range(ids.shape[0]):
        a = ids[j]
        phase[a] = ph
        since[a] = day
        if ph != _TRAVEL:
            caravan[a] = 0


def set_phase_np(
    ids: IntArray,
    phase: npt.NDArray[np.int8],
    since: IntArray,
    caravan: npt.NDArray[np.int16],
    ph: int,
    day: int,
) -> None:
    """The NumPy twin of :func:`set_phase_k` (the readable spec)."""
    phase[ids] = ph
    since[ids] = day
    if ph != Phase.TRAVEL:
        caravan[ids] = 0


def phase_at(st: CorridorState, ids: IntArray) -> None:
    """TRAVEL, BORDER or IN_DEST according to where the agents are; at a border city, it
    becomes the city they head for (kernel :func:`phase_at_k`, twin :func:`phase_at_np`)."""
    if ids.shape[0] == 0:
        return
    c, a = st.c, st.agents
    phase_at_k(
        ids,
        a.raw("loc"),
        a.raw("phase"),
        a.raw("since"),
        a.raw("link"),
        a.raw("caravan"),
        a.raw("target"),
        c.loc_in_dest,
        c.loc_kind,
        c.border_of_loc,
        BORDER_CITY,
        st.day,
    )


@nb.njit(inline="always", cache=True)
def phase_here(  # type: ignore[no-untyped-def]
    a, loc, phase, since, link, caravan, target, loc_in_dest, loc_kind, border_of_loc, bc, day
):
    """Agent ``a`` takes the phase of the place it is at (:func:`phase_at` for one agent): in the
    destination, in a border city or travelling; its link cleared, its caravan left outside
    travel, its target the border city it is in."""
    here = loc[a]
    if loc_in_dest[here]:
        ph = _IN_DEST
    elif loc_kind[here] == bc:
        ph = _BORDER
    else:
        ph = _TRAVEL
    phase[a] = ph
    since[a] = day
    link[a] = -1
    if ph != _TRAVEL:
        caravan[a] = 0
    city = border_of_loc[here]
    if city >= 0:
        target[a] = city


@nb.njit(cache=True)
def phase_at_k(  # type: ignore[no-untyped-def]
    ids, loc, phase, since, link, caravan, target, loc_in_dest, loc_kind, border_of_loc, bc, day
):
    """:func:`phase_at` on the agent columns, one agent at a time (a place's phase and city
    depend only on the place, so an agent listed twice gets the same values twice)."""
    for i in range(ids.shape[0]):
        phase_here(ids[i], loc, phase, since, link, caravan, target, loc_in_dest, loc_kind,
                   border_of_loc, bc, day)  # fmt: skip


def phase_at_np(
    ids: IntArray,
    loc: IntArray,
    phase: npt.NDArray[np.int8],
    since: IntArray,
    link: IntArray,
    caravan: npt.NDArray[np.int16],
    target: npt.NDArray[np.int16],
    loc_in_dest: npt.NDArray[np.bool_],
    loc_kind: npt.NDArray[np.int8],
    border_of_loc: IntArray,
    bc: int,
    day: int,
) -> None:
    """The NumPy twin of :func:`phase_at_k` (the readable spec)."""
    here = loc[ids]
    ph = np.where(
        loc_in_dest[here], Phase.IN_DEST, np.where(loc_kind[here] == bc, Phase.BORDER, Phase.TRAVEL)
    )
    phase[ids] = ph
    since[ids] = day
    link[ids] = -1
    caravan[ids[ph != Phase.TRAVEL]] = 0
    city = border_of_loc[here]
    at_city = city >= 0
    target[ids[at_city]] = city[at_city]


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
    """Agents join services' queues (in the order of service, then agent id): taken out of
    any queue they were in, phase SERVICE, moved to the service's place (kernel
    :func:`enter_service_k`, twin :func:`enter_service_np`)."""
    if ids.shape[0] == 0:
        return
    ids, svc = join_order(ids, svc)  # (kernel twin: join_order_np)
    a = st.agents
    st.services.join(a, ids, svc, day=st.day)
    enter_service_k(
        ids,
        svc,
        st.c.svc_loc,
        a.raw("loc"),
        a.raw("link"),
        a.raw("phase"),
        a.raw("since"),
        a.raw("caravan"),
        st.day,
    )
    st.events.emit(EV_JOIN, svc, ids, a, st.day)


@nb.njit(cache=True)
def join_order(ids, svc):  # type: ignore[no-untyped-def]
    """``ids`` and their services ``svc`` (both non-negative, ids below 2**32) sorted by service,
    then agent id: one sort of the keys ``svc << 32 | id``. Twin: :func:`join_order_np`."""
    n = ids.shape[0]
    key = np.empty(n, dtype=np.int64)
    for j in range(n):
        key[j] = (np.int64(svc[j]) << 32) | np.int64(ids[j])
    key.sort()
    ids_s = np.empty(n, dtype=ids.dtype)
    svc_s = np.empty(n, dtype=svc.dtype)
    for j in range(n):
        ids_s[j] = key[j] & 0xFFFFFFFF
        svc_s[j] = key[j] >> 32
    return ids_s, svc_s


def join_order_np(ids: IntArray, svc: npt.NDArray[np.integer]) -> tuple[IntArray, npt.NDArray[Any]]:
    """The NumPy twin of :func:`join_order`: a lexicographic sort."""
    order = np.lexsort((ids, svc))
    return ids[order], svc[order]


@nb.njit(cache=True)
def enter_service_k(ids, svc, svc_loc, loc, link, phase, since, caravan, day):  # type: ignore[no-untyped-def]
    """The columns of agents who joined services today: at the service's place, on no link,
    phase SERVICE since today, in no caravan."""
    for j in range(ids.shape[0]):
        a = ids[j]
        loc[a] = svc_loc[svc[j]]
        link[a] = -1
        phase[a] = _SERVICE
        since[a] = day
        caravan[a] = 0


def enter_service_np(
    ids: IntArray,
    svc: IntArray,
    svc_loc: IntArray,
    loc: IntArray,
    link: IntArray,
    phase: npt.NDArray[np.int8],
    since: IntArray,
    caravan: npt.NDArray[np.int16],
    day: int,
) -> None:
    """The NumPy twin of :func:`enter_service_k` (the readable spec)."""
    loc[ids] = svc_loc[svc]
    link[ids] = -1
    phase[ids] = Phase.SERVICE
    since[ids] = day
    caravan[ids] = 0


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
    schedule_reattempts(st, back)


def schedule_reattempts(st: CorridorState, back: IntArray) -> None:
    """Agents at home leave again after a delay (draw 8: geometric on 1, 2, … with mean
    ``reattempt_delay_days``), on a day within the run."""
    if back.shape[0] == 0:
        return
    mean = max(st.role("reattempt_delay_days"), 1.0)
    u = st.u(st.keys.verbs, back, 8)
    # geometric on {1, 2, ...} with mean `mean` (a mean of 1: the next day)
    delay = 1 + (np.floor(np.log1p(-u) / np.log1p(-1.0 / mean)) if mean > 1 else np.zeros_like(u))
    when = st.day + delay.astype(np.int64)
    # one entry per agent, its id (the day's departures sort them: the order of entries is no
    # matter)
    days, cal = st.c.days, st.reattempts
    for d, i in zip(when.tolist(), back.tolist(), strict=True):
        if d < days:
            cal[d].append(i)


def at_border(st: CorridorState, ids: IntArray, *, reattempt_p: float) -> None:
    """Pushed to a border city (deported there or expelled): try again or go home."""
    if ids.shape[0] == 0:
        return
    again = st.u(st.keys.verbs, ids, 9) < reattempt_p
    phase_at(st, ids[again])
    home = ids[~again]
    st.agents["loc"][home] = st.c.origin_loc[st.agents["origin"][home]]
    set_phase(st, home, Phase.RETURNED)
