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
from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt

from corredor.engine.rng import uniform_from_key_np, uniform_k
from corredor.engine.services import Verb
from corredor.rules.corridor.compiled import BORDER_CITY
from corredor.rules.corridor.settlement import settle_after_grant
from corredor.rules.corridor.state import CorridorState, Phase
from corredor.rules.corridor.transitions import (
    join,
    outcome,
    phase_at,
    phase_at_np,
    phase_here,
    schedule_reattempts,
    send_home,
    set_phase,
)

IntArray = npt.NDArray[np.int32]
Ints = npt.NDArray[np.int64]
_ABANDON, _DEPORT = int(Verb.ABANDON), int(Verb.DEPORT)  # plain ints: read once per verb
_DETAIN = int(Verb.DETAIN)
_IN_DEST = int(Phase.IN_DEST)
_HOME, _RETURNED, _SETTLED = int(Phase.HOME), int(Phase.RETURNED), int(Phase.SETTLED)


def reattempt_removed(st: CorridorState) -> float:
    return st.role("reattempt_share_removed")


def reattempt_border(st: CorridorState) -> float:
    return st.role("reattempt_share_border")


def apply_verbs(
    st: CorridorState, ids: IntArray, verb: npt.NDArray[np.int64], svc: IntArray, joined: IntArray
) -> None:
    """Apply the outcome verbs that services drew (one row per agent)."""
    c, a, day = st.c, st.agents, st.day
    args = c.verb_args
    st.events.served(svc, joined, day)
    # served where the service is (a hearing: people on the calendar come to the court); the
    # rows grouped by verb, each verb's rows in the order drawn, with their groups and the
    # verbs' places and statuses, in one call (twin: verb_rows_np)
    ids, svc, g, verb, place_all, status_all, seg = verb_rows(
        ids, verb, svc, a.raw("group"), a.raw("loc"), c.svc_loc, args.place, args.status,
        _ABANDON,
    )  # fmt: skip
    # the verbs that move only the agent (release, expel, admit, settle, abandon, die): one
    # kernel call for all their rows (each agent has one verb, so the order is no matter)
    o = st.openness
    simple_verbs_k(
        ids, verb, place_all, st.keys.verbs, day, reattempt_border(st),
        (a.raw("loc"), a.raw("link"), a.raw("phase"), a.raw("since"), a.raw("caravan")),
        (a.raw("target"), a.raw("origin"), a.raw("group")),
        (c.origin_loc, c.loc_kind, c.loc_in_dest, c.border_of_loc),
        BORDER_CITY, o.succ_today, o.fail_today,
    )  # fmt: skip
    for v, lo, hi in seg.tolist():
        who, s = ids[lo:hi], svc[lo:hi]
        status = status_all[lo:hi]
        if v != _DEPORT:
            st.events.emit(v, s, who, a, day, status=status)
        if v not in _SIMPLE:
            _APPLY[v](st, who, s, g[lo:hi], place_all[lo:hi], status)


@nb.njit(cache=True)
def verb_rows(ids, verb, svc, group, loc, svc_loc, place, status, abandon):  # type: ignore[no-untyped-def]
    """The rows of the agents services released today, for :func:`apply_verbs`: everyone but
    those who abandoned is moved to its service's place (``loc``); the rows are sorted by verb,
    each verb's rows in the order given (a stable counting sort), with each row's group and
    the verb's place and status (``place[svc, group, verb]``, ``status[...]``). Returns the
    sorted ids, services, groups (int64), verbs, places and statuses, and one row
    ``(verb, start, end)`` per verb drawn. Twin: :func:`verb_rows_np`."""
    n, V = ids.shape[0], place.shape[2]
    for j in range(n):
        if verb[j] != abandon:
            loc[ids[j]] = svc_loc[svc[j]]
    start = np.zeros(V + 1, dtype=np.int64)
    for j in range(n):
        start[verb[j] + 1] += 1
    for v in range(V):
        start[v + 1] += start[v]
    pos = start[:-1].copy()
    ids_s = np.empty(n, dtype=ids.dtype)
    svc_s = np.empty(n, dtype=svc.dtype)
    g_s = np.empty(n, dtype=np.int64)
    verb_s = np.empty(n, dtype=verb.dtype)
    place_s = np.empty(n, dtype=place.dtype)
    status_s = np.empty(n, dtype=status.dtype)
    for j in range(n):
        v = verb[j]
        k = pos[v]
        pos[v] += 1
        a, sv = ids[j], svc[j]
        gg = np.int64(group[a])
        ids_s[k], svc_s[k], g_s[k], verb_s[k] = a, sv, gg, v
        place_s[k], status_s[k] = place[sv, gg, v], status[sv, gg, v]
    n_seg = 0
    for v in range(V):
        if start[v + 1] > start[v]:
            n_seg += 1
    seg = np.empty((n_seg, 3), dtype=np.int64)
    k = 0
    for v in range(V):
        if start[v + 1] > start[v]:
            seg[k, 0], seg[k, 1], seg[k, 2] = v, start[v], start[v + 1]
            k += 1
    return ids_s, svc_s, g_s, verb_s, place_s, status_s, seg


def verb_rows_np(
    ids: IntArray,
    verb: Ints,
    svc: IntArray,
    group: npt.NDArray[np.int16],
    loc: IntArray,
    svc_loc: IntArray,
    place: IntArray,
    status: IntArray,
    abandon: int,
) -> tuple[npt.NDArray[Any], ...]:
    """The NumPy twin of :func:`verb_rows` (the readable spec)."""
    served = verb != abandon
    loc[ids[served]] = svc_loc[svc[served]]
    _, G, V = place.shape
    order = np.argsort(verb, kind="stable")
    ids, svc, verb = ids[order], svc[order], verb[order]
    g = group[ids].astype(np.int64)
    cell = (svc.astype(np.int64) * G + g) * V + verb
    # one row (verb, start, end) per verb drawn
    starts = np.flatnonzero(np.diff(verb, prepend=-1) != 0)
    ends = np.append(starts[1:], verb.shape[0])[: starts.shape[0]]
    seg = np.stack([verb[starts], starts, ends], axis=1).astype(np.int64)
    return ids, svc, g, verb, place.ravel()[cell], status.ravel()[cell], seg


#: The verbs :func:`simple_verbs_k` applies.
_SIMPLE = frozenset(
    int(v) for v in (Verb.RELEASE, Verb.EXPEL, Verb.ADMIT, Verb.SETTLE, Verb.ABANDON, Verb.DIE)
)
_RELEASE, _EXPEL, _ADMIT = int(Verb.RELEASE), int(Verb.EXPEL), int(Verb.ADMIT)
_SETTLE, _DIE = int(Verb.SETTLE), int(Verb.DIE)


@nb.njit(cache=True)
def simple_verbs_k(  # type: ignore[no-untyped-def]
    ids, verb, place, key, day, p_border, cols, more, places, bc, succ_today, fail_today
):
    """The verbs that move only the agent, for the rows with one (the others are left):
    release (to the verb's place if it has one, the place's phase; in the destination, a
    success), abandon (the place's phase; in the destination, a success), admit (to the place,
    phase IN_DEST, a success), settle (to the place, phase SETTLED), die (phase RETURNED),
    expel (a failure; to the place, then as :func:`~corredor.rules.corridor.transitions.
    at_border`: draw 9 < ``p_border`` to try again from there, else home, RETURNED). Twin:
    :func:`simple_verbs_np` (the readable spec)."""
    loc, link, phase, since, caravan = cols
    origin, group = more[1], more[2]
    origin_loc = places[0]
    for j in range(ids.shape[0]):
        v = verb[j]
        a = ids[j]
        if v in (_RELEASE, _ABANDON):
            if v == _RELEASE and place[j] >= 0:
                loc[a] = place[j]
            _phase_here(a, loc, phase, since, link, caravan, more[0], places, bc, day)
            if phase[a] == _IN_DEST:
                succ_today[group[a]] += 1.0
        elif v in (_ADMIT, _SETTLE, _DIE):
            if v != _DIE and place[j] >= 0:
                loc[a] = place[j]
            phase[a] = _IN_DEST if v == _ADMIT else (_SETTLED if v == _SETTLE else _RETURNED)
            since[a] = day
            caravan[a] = 0
            if v == _ADMIT:
                succ_today[group[a]] += 1.0
        elif v == _EXPEL:
            fail_today[group[a]] += 1.0
            if place[j] >= 0:
                loc[a] = place[j]
            if uniform_k(key, day, a, 9) < p_border:
                _phase_here(a, loc, phase, since, link, caravan, more[0], places, bc, day)
            else:
                loc[a] = origin_loc[origin[a]]
                phase[a] = _RETURNED
                since[a] = day
                caravan[a] = 0


def simple_verbs_np(
    ids: IntArray,
    verb: Ints,
    place: IntArray,
    key: np.uint64,
    day: int,
    p_border: float,
    cols: tuple[npt.NDArray[Any], ...],
    more: tuple[npt.NDArray[Any], ...],
    places: tuple[npt.NDArray[Any], ...],
    bc: int,
    succ_today: npt.NDArray[np.float64],
    fail_today: npt.NDArray[np.float64],
) -> None:
    """The NumPy twin of :func:`simple_verbs_k`: each verb's rows as array operations."""
    loc, link, phase, since, caravan = cols
    target, origin, group = more
    origin_loc, loc_kind, loc_in_dest, border_of_loc = places

    def here(who: IntArray) -> None:
        phase_at_np(who, loc, phase, since, link, caravan, target, loc_in_dest, loc_kind,
                    border_of_loc, bc, day)  # fmt: skip

    def count(acc: npt.NDArray[np.float64], who: IntArray) -> None:
        acc += np.bincount(group[who], minlength=acc.shape[0])

    def to_place(m: npt.NDArray[np.bool_]) -> IntArray:
        who = ids[m]
        loc[who] = np.where(place[m] >= 0, place[m], loc[who])
        return who

    for v in (_RELEASE, _ABANDON):
        who = to_place(verb == v) if v == _RELEASE else ids[verb == v]
        here(who)
        count(succ_today, who[phase[who] == _IN_DEST])
    for v, ph in ((_ADMIT, _IN_DEST), (_SETTLE, _SETTLED), (_DIE, _RETURNED)):
        who = ids[verb == v] if v == _DIE else to_place(verb == v)
        phase[who], since[who], caravan[who] = ph, day, 0
        if v == _ADMIT:
            count(succ_today, who)
    m = verb == _EXPEL
    count(fail_today, ids[m])
    who = to_place(m)
    again = uniform_from_key_np(key, day, who.astype(np.int64), 9) < p_border
    here(who[again])
    home = who[~again]
    loc[home] = origin_loc[origin[home]]
    phase[home], since[home], caravan[home] = _RETURNED, day, 0


# One function per verb that does more than move the agent (the others: simple_verbs_k):
# (state, agents, their services, their groups, the verb's place and status for each); the
# events are counted by the caller.


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
    target = st.c.verb_args.service[s, gg, _DETAIN]
    ok = target >= 0
    if ok.all():
        join(st, who, target)
        return
    join(st, who[ok], target[ok])
    phase_at(st, who[~ok])


def _deport(
    st: CorridorState, who: IntArray, s: IntArray, gg: Ints, place: IntArray, status: IntArray
) -> None:
    deport(st, who, s, gg)


def _return_to_wait(
    st: CorridorState, who: IntArray, s: IntArray, gg: Ints, place: IntArray, status: IntArray
) -> None:
    return_to_wait(st, who, s, gg, place)


_APPLY: dict[int, Callable[[CorridorState, IntArray, IntArray, Ints, IntArray, IntArray], None]] = {
    int(Verb.GRANT): _grant,
    int(Verb.DENY): _deny,
    int(Verb.DETAIN): _detain,
    int(Verb.DEPORT): _deport,
    int(Verb.RETURN_TO_WAIT): _return_to_wait,
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
    to the origin or to the verb's place (a border city: try again from there). The agents'
    moves are one kernel (:func:`deport_k`, twin :func:`deport_np`); the referrals join their
    service and the events are counted here."""
    c, a, day = st.c, st.agents, st.day
    n = who.shape[0]
    referred = np.empty(n, dtype=np.bool_)
    unscreened = np.empty(n, dtype=np.bool_)
    back = np.empty(n, dtype=np.int32)
    args = c.verb_args
    n_back = deport_k(
        who,
        s,
        gg,
        st.keys.verbs,
        day,
        c.svc_screen_p[day],
        c.svc_screen_claim[day],
        c.svc_screen_refer,
        args.to_origin[:, :, _DEPORT],
        args.place[:, :, _DEPORT],
        reattempt_removed(st),
        reattempt_border(st),
        (a.raw("loc"), a.raw("link"), a.raw("phase"), a.raw("since"), a.raw("caravan")),
        (a.raw("target"), a.raw("origin"), a.raw("group")),
        (c.origin_loc, c.loc_kind, c.loc_in_dest, c.border_of_loc),
        BORDER_CITY,
        st.openness.fail_today,
        referred,
        unscreened,
        back,
    )
    gone = who[unscreened]  # deported without the screening their service has
    if referred.any():
        join(st, who[referred], c.svc_screen_refer[s[referred]])
        keep = ~referred
        who, s = who[keep], s[keep]
    st.events.unscreened(gone, a, day)
    st.events.emit(_DEPORT, s, who, a, day)
    schedule_reattempts(st, back[:n_back])


@nb.njit(cache=True)
def deport_k(  # type: ignore[no-untyped-def]
    who,
    s,
    gg,
    key,
    day,
    screen_p,
    screen_claim,
    screen_refer,
    to_origin,
    place,
    p_removed,
    p_border,
    cols,
    more,
    places,
    bc,
    fail_today,
    referred,
    unscreened,
    back,
):
    """The moves of :func:`deport` for the agents ``who`` (services ``s``, groups ``gg``):
    ``referred[j]`` (a claim found by the screening, to be referred), ``unscreened[j]``
    (deported without the screening its service has); every other agent counts a failed
    attempt (``fail_today``) and is removed — to its origin (``to_origin``) or to the verb's
    place, then from a border city to try again (draw 9 < ``p_border``, as
    :func:`~corredor.rules.corridor.transitions.at_border`) or, elsewhere, home (as
    :func:`~corredor.rules.corridor.transitions.send_home`: draw 7 < ``p_removed`` to leave
    again, the agent is put in ``back``). Returns the number of agents in ``back``.
    Draws: ``uniform_k(key, day, agent, k)``, k = 11 screened, 12 a claim, 7 and 9."""
    loc, link, phase, since, caravan = cols
    target, origin, group = more
    origin_loc, loc_kind = places[0], places[1]
    n_back = 0
    for j in range(who.shape[0]):
        a = who[j]
        sv = s[j]
        screened = uniform_k(key, day, a, 11) < screen_p[sv]
        claim = screened and uniform_k(key, day, a, 12) < screen_claim[sv]
        referred[j] = claim and screen_refer[sv] >= 0
        unscreened[j] = False
        if referred[j]:
            continue
        unscreened[j] = screen_refer[sv] >= 0 and not screened
        fail_today[group[a]] += 1.0
        g = gg[j]
        home = True
        p_again = p_removed
        if not to_origin[sv, g]:
            if place[sv, g] >= 0:
                loc[a] = place[sv, g]
            if loc_kind[loc[a]] == bc:  # a border city: try again from there, or go home
                home = False
                if uniform_k(key, day, a, 9) < p_border:
                    _phase_here(a, loc, phase, since, link, caravan, target, places, bc, day)
                else:
                    loc[a] = origin_loc[origin[a]]
                    phase[a] = _RETURNED
                    since[a] = day
                    caravan[a] = 0
        if home:
            loc[a] = origin_loc[origin[a]]
            link[a] = -1
            if uniform_k(key, day, a, 7) < p_again:
                phase[a] = _HOME
                back[n_back] = a
                n_back += 1
            else:
                phase[a] = _RETURNED
            since[a] = day
            caravan[a] = 0
    return n_back


@nb.njit(inline="always", cache=True)
def _phase_here(a, loc, phase, since, link, caravan, target, places, bc, day):  # type: ignore[no-untyped-def]
    """:func:`~corredor.rules.corridor.transitions.phase_here` with the place tables packed."""
    _origin_loc, loc_kind, loc_in_dest, border_of_loc = places
    phase_here(a, loc, phase, since, link, caravan, target, loc_in_dest, loc_kind, border_of_loc,
               bc, day)  # fmt: skip


def deport_np(
    who: IntArray,
    s: IntArray,
    gg: Ints,
    key: np.uint64,
    day: int,
    screen_p: npt.NDArray[np.float64],
    screen_claim: npt.NDArray[np.float64],
    screen_refer: IntArray,
    to_origin: npt.NDArray[np.bool_],
    place: IntArray,
    p_removed: float,
    p_border: float,
    cols: tuple[npt.NDArray[Any], ...],
    more: tuple[npt.NDArray[Any], ...],
    places: tuple[npt.NDArray[Any], ...],
    bc: int,
    fail_today: npt.NDArray[np.float64],
    referred: npt.NDArray[np.bool_],
    unscreened: npt.NDArray[np.bool_],
    back: IntArray,
) -> int:
    """The NumPy twin of :func:`deport_k` (the readable spec: the steps of the verb as
    array operations, in the order the model states them)."""
    loc, link, phase, since, caravan = cols
    target, origin, group = more
    origin_loc, loc_kind, loc_in_dest, border_of_loc = places
    ids = who.astype(np.int64)

    def u(x: npt.NDArray[np.int64], k: int) -> npt.NDArray[np.float64]:
        return uniform_from_key_np(key, day, x, k)

    screened = u(ids, 11) < screen_p[s]
    claim = screened & (u(ids, 12) < screen_claim[s])
    referred[:] = claim & (screen_refer[s] >= 0)
    keep = ~referred
    unscreened[:] = keep & (screen_refer[s] >= 0) & ~screened
    w, sv, g = ids[keep], s[keep], gg[keep]
    fail_today += np.bincount(group[w], minlength=fail_today.shape[0])
    direct = to_origin[sv, g]
    pl = place[sv, g]
    rest = ~direct
    loc[w[rest]] = np.where(pl[rest] >= 0, pl[rest], loc[w[rest]])
    at_city = np.zeros(w.shape[0], dtype=bool)
    at_city[rest] = loc_kind[loc[w[rest]]] == bc
    # pushed to a border city: try again from there (the place's phase), or go home
    city_ids = w[at_city]
    again = u(city_ids, 9) < p_border
    phase_at_np(city_ids[again].astype(np.int32), loc, phase, since, link, caravan, target,
                loc_in_dest, loc_kind, border_of_loc, bc, day)  # fmt: skip
    h = city_ids[~again]
    loc[h] = origin_loc[origin[h]]
    phase[h], since[h], caravan[h] = _RETURNED, day, 0
    # removed home: leave again later (draw 7), or not
    home = w[~at_city]
    loc[home] = origin_loc[origin[home]]
    link[home] = -1
    leave = u(home, 7) < p_removed
    phase[home] = np.where(leave, _HOME, _RETURNED)
    since[home], caravan[home] = day, 0
    n = int(leave.sum())
    back[:n] = home[leave]
    return n
