"""The outcome verbs of docs/model.md §3.3.4, applied to the agents a service released today.

A service draws a verb per person it releases (``corredor.engine.services``); the engine does not
know what a verb means for an agent. This module does: where the agent goes, its status, its
phase, and what follows (a hearing date, a removal home, a new attempt). The verb's arguments
(place, target service, days, status, to the origin) come from the scenario's outcome tables
(``Compiled.verb_args``).

Parameters read (roles, ``corredor.scenario.corridor.roles``; default in brackets):

* ``reattempt_share_removed`` (0.3): share of people removed to their origin who try again;
* ``reattempt_share_border`` (0.6): share of people deported or expelled to a border city who
  try again from there.

Deportation has a due-process screening step when the service has one (``screening``: the
share screened, the share of those with a claim, the service they are referred to); a person
deported without it is counted (``EventSink.unscreened``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from corredor.engine.services import Verb
from corredor.rules.corridor.compiled import BORDER_CITY
from corredor.rules.corridor.settlement import settle_after_grant
from corredor.rules.corridor.state import CorridorState, Phase
from corredor.rules.corridor.transitions import (
    at_border,
    join,
    outcome,
    phase_at,
    send_home,
    set_phase,
)

IntArray = npt.NDArray[np.int32]
Ints = npt.NDArray[np.int64]
_ABANDON, _DEPORT = int(Verb.ABANDON), int(Verb.DEPORT)  # plain ints: read once per verb


def reattempt_removed(st: CorridorState) -> float:
    return st.role("reattempt_share_removed")


def reattempt_border(st: CorridorState) -> float:
    return st.role("reattempt_share_border")


def apply_verbs(
    st: CorridorState, ids: IntArray, verb: npt.NDArray[np.int64], svc: IntArray, joined: IntArray
) -> None:
    """Apply the outcome verbs that services drew (one row per agent)."""
    c, a, day = st.c, st.agents, st.day
    g = a["group"][ids].astype(np.int64)
    args = c.verb_args
    # served where the service is (a hearing: people on the calendar come to the court)
    served = verb != _ABANDON
    a["loc"][ids[served]] = c.svc_loc[svc[served]]
    st.events.served(svc, joined, day)
    for v in np.unique(verb):
        m = verb == v
        who, s, gg = ids[m], svc[m], g[m]
        place = args.place[s, gg, v]
        status = args.status[s, gg, v]
        if v != _DEPORT:
            st.events.emit(int(v), s, who, a, day, status=status)
        _APPLY.get(int(v), _die)(st, who, s, gg, place, status)


# One function per verb: (state, agents, their services, their groups, the verb's place and
# status for each); the events are counted by the caller.
def _release(
    st: CorridorState, who: IntArray, s: IntArray, gg: Ints, place: IntArray, status: IntArray
) -> None:
    a = st.agents
    a["loc"][who] = np.where(place >= 0, place, a["loc"][who])
    phase_at(st, who)
    outcome(st, who[a["phase"][who] == Phase.IN_DEST], success=True)


def _grant(
    st: CorridorState, who: IntArray, s: IntArray, gg: Ints, place: IntArray, status: IntArray
) -> None:
    a = st.agents
    a["status"][who] = status
    a["loc"][who] = np.where(place >= 0, place, a["loc"][who])
    phase_at(st, who)
    outcome(st, who, success=True)
    settle_after_grant(st, who, status)


def _deny(
    st: CorridorState, who: IntArray, s: IntArray, gg: Ints, place: IntArray, status: IntArray
) -> None:
    a = st.agents
    a["status"][who] = status
    in_dest = st.c.loc_in_dest[a["loc"][who]]
    phase_at(st, who[~in_dest])
    removed = who[in_dest]  # a removal order in the destination: removed home
    st.events.emit(int(Verb.DEPORT), s[in_dest], removed, a, st.day)
    outcome(st, removed, success=False)
    send_home(st, removed, reattempt_p=reattempt_removed(st))


def _detain(
    st: CorridorState, who: IntArray, s: IntArray, gg: Ints, place: IntArray, status: IntArray
) -> None:
    target = st.c.verb_args.service[s, gg, Verb.DETAIN]
    ok = target >= 0
    join(st, who[ok], target[ok])
    phase_at(st, who[~ok])


def _deport(
    st: CorridorState, who: IntArray, s: IntArray, gg: Ints, place: IntArray, status: IntArray
) -> None:
    deport(st, who, s, gg)


def _expel(
    st: CorridorState, who: IntArray, s: IntArray, gg: Ints, place: IntArray, status: IntArray
) -> None:
    a = st.agents
    outcome(st, who, success=False)
    a["loc"][who] = np.where(place >= 0, place, a["loc"][who])
    at_border(st, who, reattempt_p=reattempt_border(st))


def _return_to_wait(
    st: CorridorState, who: IntArray, s: IntArray, gg: Ints, place: IntArray, status: IntArray
) -> None:
    return_to_wait(st, who, s, gg, place)


def _admit(
    st: CorridorState, who: IntArray, s: IntArray, gg: Ints, place: IntArray, status: IntArray
) -> None:
    a = st.agents
    a["loc"][who] = np.where(place >= 0, place, a["loc"][who])
    set_phase(st, who, Phase.IN_DEST)
    outcome(st, who, success=True)


def _settle(
    st: CorridorState, who: IntArray, s: IntArray, gg: Ints, place: IntArray, status: IntArray
) -> None:
    a = st.agents
    a["loc"][who] = np.where(place >= 0, place, a["loc"][who])
    set_phase(st, who, Phase.SETTLED)


def _abandon(
    st: CorridorState, who: IntArray, s: IntArray, gg: Ints, place: IntArray, status: IntArray
) -> None:
    a = st.agents
    phase_at(st, who)
    # left a full service in the destination (a family released for want of a bed): an entry
    outcome(st, who[a["phase"][who] == Phase.IN_DEST], success=True)


def _die(
    st: CorridorState, who: IntArray, s: IntArray, gg: Ints, place: IntArray, status: IntArray
) -> None:
    set_phase(st, who, Phase.RETURNED)


_APPLY: dict[int, Callable[[CorridorState, IntArray, IntArray, Ints, IntArray, IntArray], None]] = {
    int(Verb.RELEASE): _release,
    int(Verb.GRANT): _grant,
    int(Verb.DENY): _deny,
    int(Verb.DETAIN): _detain,
    int(Verb.DEPORT): _deport,
    int(Verb.EXPEL): _expel,
    int(Verb.RETURN_TO_WAIT): _return_to_wait,
    int(Verb.ADMIT): _admit,
    int(Verb.SETTLE): _settle,
    int(Verb.ABANDON): _abandon,
    int(Verb.DIE): _die,
}


def return_to_wait(
    st: CorridorState,
    who: IntArray,
    s: IntArray,
    gg: npt.NDArray[np.int64],
    place: IntArray,
) -> None:
    """Returned to wait at ``place`` for a hearing at the verb's court after its days (a
    return-to-wait programme); without a court, back to deciding where they are."""
    a, args, day = st.agents, st.c.verb_args, st.day
    outcome(st, who, success=False)
    a["loc"][who] = np.where(place >= 0, place, a["loc"][who])
    court = args.service[s, gg, Verb.RETURN_TO_WAIT]
    wait = np.maximum(np.ceil(args.days[s, gg, Verb.RETURN_TO_WAIT]), 1).astype(np.int64)
    has = court >= 0
    phase_at(st, who[~has])
    w = who[has]
    if w.shape[0]:
        order = np.lexsort((w, court[has]))
        w, ct, wt = w[order], court[has][order], wait[has][order]
        set_phase(st, w, Phase.SERVICE)
        st.services.return_to_wait(a, w, ct, day + wt, day=day)


def deport(st: CorridorState, who: IntArray, s: IntArray, gg: npt.NDArray[np.int64]) -> None:
    """Deported: screened first where the service screens (a claim is referred), then removed
    to the origin or to the verb's place (a border city: try again from there)."""
    c, a, day = st.c, st.agents, st.day
    # due-process screening (if the service has one)
    sp = c.svc_screen_p[day][s]
    screened = st.u(st.keys.verbs, who, 11) < sp
    claim = screened & (st.u(st.keys.verbs, who, 12) < c.svc_screen_claim[day][s])
    refer = c.svc_screen_refer[s]
    go = claim & (refer >= 0)
    join(st, who[go], refer[go])
    keep = ~go
    who, s, gg, screened = who[keep], s[keep], gg[keep], screened[keep]
    has_step = c.svc_screen_refer[s] >= 0
    st.events.unscreened(who[has_step & ~screened], a, day)
    st.events.emit(int(Verb.DEPORT), s, who, a, day)
    outcome(st, who, success=False)
    args = c.verb_args
    to_origin = args.to_origin[s, gg, Verb.DEPORT]
    place = args.place[s, gg, Verb.DEPORT]
    send_home(st, who[to_origin], reattempt_p=reattempt_removed(st))
    rest = ~to_origin
    w = who[rest]
    a["loc"][w] = np.where(place[rest] >= 0, place[rest], a["loc"][w])
    in_transit = c.loc_kind[a["loc"][w]] == BORDER_CITY
    at_border(st, w[in_transit], reattempt_p=reattempt_border(st))
    send_home(st, w[~in_transit], reattempt_p=reattempt_removed(st))
