"""Trackers of the corridor model: events, observables and the human-cost ledger.

Every transition is an *event* (a kind, a target — service, zone or place — an agent and a day).
The recorder keeps

* ``events[month, kind, target, group]``: every event, monthly;
* ``observables[day, o]``: each scenario observable, daily, matched exactly by its definition
  (event kinds, services, zones, places, groups, status). Observables in *people* count an agent
  once per period of the observable's frequency (month, calendar year or US fiscal year), on the
  day of its first matching event in that period;
* destination-border encounters split into first and repeat encounters (an agent with an earlier
  apprehension in the destination), and distinct people per US fiscal year;
* daily stocks for the ledger: people stranded per border city (waiting to cross, on a port's
  list, or returned to wait for a hearing), in transit, in each service (queued, in service,
  waiting); deportations without screening; waits of people served.

Trackers observe; they never change the model state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt

from corredor.engine.agents import AgentTable
from corredor.engine.plan import Step, tracker
from corredor.rules.corridor.compiled import BORDER_CITY, Compiled
from corredor.rules.corridor.state import (
    EV_APPREHEND,
    EVENT_KINDS,
    N_EVENT_KINDS,
    TARGET_OF,
    CorridorState,
)
from corredor.scenario.corridor.base import selector_targets
from corredor.scenario.corridor.observables import Observable
from corredor.trackers.corridor.seen import PeriodSet, PeriodSets, count_day, count_matching

IntArray = npt.NDArray[np.int32]


def period_index(start: dt.date, days: int, frequency: str) -> npt.NDArray[np.int32]:
    """Per simulated day, the index of its month, calendar year or US fiscal year (Oct-Sep)."""
    dates = np.arange(days).astype("timedelta64[D]") + np.datetime64(start, "D")
    months = dates.astype("datetime64[M]").astype(np.int64)
    if frequency == "month":
        out = months - months[0]
    else:
        m = months + (3 if frequency == "fiscal_year" else 0)  # FY t starts in October t-1
        years = m // 12
        out = years - years[0]
    return np.asarray(out, dtype=np.int32)


def _per_event(x: npt.ArrayLike, n: int, dtype: npt.DTypeLike | None) -> npt.NDArray[np.generic]:
    """``x`` as one value per event (a scalar is repeated; cheaper than ``broadcast_to``)."""
    arr = np.asarray(x, dtype=dtype)
    if arr.shape == (n,):
        return arr
    if arr.ndim == 0:
        return np.full(n, arr, dtype=arr.dtype)
    return np.broadcast_to(arr, (n,))


def _one_each(x: object, n: int) -> bool:
    """``x`` is an array of ``n`` integers (kept by reference until the day's flush)."""
    return type(x) is np.ndarray and x.ndim == 1 and x.shape[0] == n and x.dtype.kind in "iu"


@nb.njit(cache=True)
def count_events(events, target, group, ids):  # type: ignore[no-untyped-def]
    """Add one event per agent ``ids[i]`` to ``events[target[i], group]`` (the last target slot:
    no target, ``target < 0``); returns the agents' groups (int64)."""
    none = events.shape[0] - 1
    g = np.empty(ids.shape[0], dtype=np.int64)
    for i in range(ids.shape[0]):
        t = target[i]
        g[i] = group[ids[i]]
        events[t if t >= 0 else none, g[i]] += 1
    return g


def count_events_np(
    events: npt.NDArray[np.int64],
    target: npt.NDArray[np.int64],
    group: npt.NDArray[np.int16],
    ids: IntArray,
) -> npt.NDArray[np.int64]:
    """The NumPy twin of :func:`count_events`."""
    X, G = events.shape
    g = group[ids].astype(np.int64)
    slot = np.where(target >= 0, target, X - 1)
    events += np.bincount(slot * G + g, minlength=X * G).reshape(X, G)
    return g


@nb.njit(cache=True)
def count_events_day(events, seg_kind, counted, off, target, group, ids):  # type: ignore[no-untyped-def]
    """A day's events, in segments ``off[j]:off[j + 1]`` of kind ``seg_kind[j]``: the events
    of the segments not yet ``counted`` added to ``events[kind, target, group]`` (the last
    target slot: no target) as :func:`count_events` would; returns every event's group."""
    none = events.shape[1] - 1
    g = np.empty(ids.shape[0], dtype=np.int64)
    for j in range(seg_kind.shape[0]):
        k = seg_kind[j]
        for i in range(off[j], off[j + 1]):
            g[i] = group[ids[i]]
            if not counted[j]:
                t = target[i]
                events[k, t if t >= 0 else none, g[i]] += 1
    return g


def count_events_day_np(
    events: npt.NDArray[np.int64],
    seg_kind: npt.NDArray[np.int64],
    counted: npt.NDArray[np.bool_],
    off: npt.NDArray[np.int64],
    target: npt.NDArray[np.int64],
    group: npt.NDArray[np.int16],
    ids: IntArray,
) -> npt.NDArray[np.int64]:
    """The NumPy twin of :func:`count_events_day`: :func:`count_events_np` per segment."""
    for j in np.flatnonzero(~counted):
        lo, hi = off[j], off[j + 1]
        count_events_np(events[seg_kind[j]], target[lo:hi], group, ids[lo:hi])
    return group[ids].astype(np.int64)


@nb.njit(cache=True)
def day_segments(  # type: ignore[no-untyped-def]
    meta, tgt, ids, stat, events, group, kind_ok, any_status, people_ix, set_period, set_size,
    set_off, period,
):  # fmt: skip
    """A day's events before they are counted in the observables, in one call. ``meta[j]``:
    segment ``j``'s kind, whether it is already in the event table, whether it has statuses
    (given one after the other in ``stat``) and its length. Adds the segments not yet counted
    to ``events`` (:func:`count_events_day`) and returns the segments' kinds and offsets, every
    event's group and status (-1: none given), ``use[o, j]`` (observable ``o`` counts segment
    ``j``: its kind, and a status if it wants one), ``need[o]`` (the events it may count) and
    the observables in people (``people_ix``) whose set (``PeriodSets``: ``set_period``,
    ``set_size``, ``set_off``) must be readied first: a new ``period`` starts, or it grows.
    Twin: :func:`day_segments_np`."""
    J = meta.shape[0]
    seg_kind = np.empty(J, dtype=np.int64)
    counted = np.empty(J, dtype=np.bool_)
    off = np.zeros(J + 1, dtype=np.int64)
    for j in range(J):
        seg_kind[j] = meta[j, 0]
        counted[j] = meta[j, 1] != 0
        off[j + 1] = off[j] + meta[j, 3]
    g = count_events_day(events, seg_kind, counted, off, tgt, group, ids)
    st = np.full(ids.shape[0], -1, dtype=np.int64)
    k = 0
    for j in range(J):
        if meta[j, 2] != 0:
            for i in range(off[j], off[j + 1]):
                st[i] = stat[k]
                k += 1
    n_obs = kind_ok.shape[0]
    use = np.zeros((n_obs, J), dtype=np.bool_)
    need = np.zeros(n_obs, dtype=np.int64)
    for o in range(n_obs):
        for j in range(J):
            if kind_ok[o, seg_kind[j]] and (meta[j, 2] != 0 or any_status[o]):
                use[o, j] = True
                need[o] += meta[j, 3]
    todo = np.empty(people_ix.shape[0], dtype=np.int64)
    n = 0
    for i in people_ix:
        if need[i] > 0:
            stale = set_period[i] != period[i]
            size = 0 if stale else set_size[i]
            if stale or 2 * (size + need[i]) > set_off[i + 1] - set_off[i]:
                todo[n] = i
                n += 1
    return seg_kind, off, g, st, use, need, todo[:n].copy()


def day_segments_np(
    meta: npt.NDArray[np.int64],
    tgt: npt.NDArray[np.int64],
    ids: IntArray,
    stat: npt.NDArray[np.int64],
    events: npt.NDArray[np.int64],
    group: npt.NDArray[np.int16],
    kind_ok: npt.NDArray[np.bool_],
    any_status: npt.NDArray[np.bool_],
    people_ix: npt.NDArray[np.int64],
    set_period: npt.NDArray[np.int64],
    set_size: npt.NDArray[np.int64],
    set_off: npt.NDArray[np.int64],
    period: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[Any], ...]:
    """The NumPy twin of :func:`day_segments` (the readable spec)."""
    seg_kind, lens = meta[:, 0].copy(), meta[:, 3]
    counted, with_status = meta[:, 1] != 0, meta[:, 2] != 0
    off = np.zeros(meta.shape[0] + 1, dtype=np.int64)
    np.cumsum(lens, out=off[1:])
    g = count_events_day_np(events, seg_kind, counted, off, tgt, group, ids)
    has = np.repeat(with_status, lens)  # per event: its segment has statuses
    st = np.full(ids.shape[0], -1, dtype=np.int64)
    st[has] = stat
    use = kind_ok[:, seg_kind] & (with_status[None, :] | any_status[:, None])
    need = (use * lens[None, :]).sum(axis=1).astype(np.int64)
    pi = people_ix
    stale = set_period[pi] != period[pi]
    full = 2 * (np.where(stale, 0, set_size[pi]) + need[pi]) > np.diff(set_off)[pi]
    todo = pi[(stale | full) & (need[pi] > 0)].astype(np.int64)
    return seg_kind, off, g, st, use, need, todo


_NO_STATUS = np.zeros(0, dtype=np.int64)
_ONE_TARGET = np.ones(1, dtype=bool)


class _Obs:
    """One observable compiled to lookup masks."""

    def __init__(self, c: Compiled, ob: Observable) -> None:
        d = ob.definition
        self.name = ob.name
        self.kinds = {EVENT_KINDS.index(k) for k in d.events}
        S, Z, L = len(c.svc_names), len(c.zone_names), len(c.loc_names)
        loc_ok = np.ones(L + 1, dtype=bool)
        if d.locations:
            loc_ok[:] = False
            loc_ok[[c.loc_names.index(x) for x in d.locations]] = True
        svc_ok = np.ones(S + 1, dtype=bool)
        if d.services:
            svc_ok[:] = False
            svc_ok[[c.svc_names.index(x) for x in d.services]] = True
        svc_ok[:S] &= loc_ok[c.svc_loc]
        svc_ok[S] = not d.services
        zone_ok = np.ones(Z + 1, dtype=bool)
        if d.zones:
            zone_ok[:] = False
            zone_ok[[c.zone_names.index(x) for x in d.zones]] = True
        zone_ok[Z] = not d.zones
        loc_ok[L] = not d.locations
        self.target_ok = {"service": svc_ok, "zone": zone_ok, "location": loc_ok}
        #: the allowed targets of every event kind, one after the other (``Recorder._kbase``)
        self.ok_all = np.concatenate([self.target_ok[TARGET_OF[k]] for k in range(N_EVENT_KINDS)])
        self.kind_ok = np.zeros(N_EVENT_KINDS, dtype=bool)
        self.kind_ok[list(self.kinds)] = True
        grp_ok = np.zeros(c.n_groups, dtype=bool)
        if not d.groups:
            grp_ok[:] = True
        for sel in d.groups:
            for nat, dem in selector_targets(sel, c.nat_names, c.dem_names) or []:
                grp_ok[c.nat_names.index(nat) * len(c.dem_names) + c.dem_names.index(dem)] = True
        self.grp_ok = grp_ok
        self.status = None if d.status is None else c.status_names.index(d.status)
        self.people = ob.unit == "people"
        self.period = period_index(c.start, c.days, ob.frequency)


def _want(o: _Obs) -> int:
    return -1 if o.status is None else int(o.status)


def _rows(masks: list[npt.NDArray[np.bool_]]) -> npt.NDArray[np.bool_]:
    """Equal-length masks as the rows of one array (no rows: an empty one)."""
    return np.array(masks, dtype=bool) if masks else np.zeros((0, 0), dtype=bool)


class Recorder:
    """The corridor's tracker (module docstring): an
    :class:`~corredor.rules.corridor.events.EventSink` for the processes' events, and the
    ``record`` step (:meth:`step`) for the day's stocks."""

    def __init__(self, c: Compiled) -> None:
        self.c = c
        T = c.days
        self.month = period_index(c.start, T, "month")
        self.fy = period_index(c.start, T, "fiscal_year")
        self.year = period_index(c.start, T, "year")
        M = int(self.month[-1]) + 1
        S, Z, L = len(c.svc_names), len(c.zone_names), len(c.loc_names)
        self.X = max(S, Z, L) + 1  # last slot: no target
        self.events = np.zeros((M, N_EVENT_KINDS, self.X, c.n_groups), dtype=np.int64)
        self.obs = [_Obs(c, ob) for ob in c.scenario.observables]
        self.obs_daily = np.zeros((T, len(self.obs)))
        self.by_kind: dict[int, list[int]] = {}
        for i, o in enumerate(self.obs):
            for k in o.kinds:
                self.by_kind.setdefault(k, []).append(i)
        # the observables' allowed targets of each event kind: where they start in _Obs.ok_all
        lens = [len(o.target_ok[TARGET_OF[k]]) for o in self.obs[:1] for k in range(N_EVENT_KINDS)]
        self._klen = np.asarray(lens, dtype=np.int64)
        self._kbase = np.concatenate([[0], np.cumsum(self._klen)[:-1]]).astype(np.int64)
        # the observables' constants, one row each (count_day)
        self._ok_all = _rows([o.ok_all for o in self.obs])
        self._grp_ok = _rows([o.grp_ok for o in self.obs])
        self._kind_ok = _rows([o.kind_ok for o in self.obs])
        self._want = np.array([_want(o) for o in self.obs], dtype=np.int64)
        self._any_status = self._want < 0  # counts events without a status too
        self._people = np.array([o.people for o in self.obs], dtype=bool)
        #: the observables in people, and per day the period each observable is in
        self._people_ix = np.flatnonzero(self._people)
        self._obs_period = np.array([o.period for o in self.obs], dtype=np.int64).T.reshape(
            T, len(self.obs)
        )
        #: per observable, the agents counted in its current period (in people)
        self.seen = PeriodSets(len(self.obs))
        #: today's events, as emitted: (kind, targets, already in the event table, agents,
        #: statuses or None — only for kinds an observable counts); counted at the day's end
        #: (:meth:`flush`)
        self._day_events: list[tuple[int, Any, bool, Any, Any]] = []
        self._events_day = -1
        self._group = np.zeros(0, dtype=np.int16)  # the agents' group column (latest emit)
        # destination-border encounters
        self.dest_first = np.zeros((M, c.n_groups), dtype=np.int64)
        self.dest_repeat = np.zeros((M, c.n_groups), dtype=np.int64)
        self.dest_people_fy = np.zeros(int(self.fy[-1]) + 1, dtype=np.int64)
        self._dest_fy_seen = PeriodSet()  # people encountered in the current fiscal year
        self._all_groups = np.ones(c.n_groups, dtype=bool)
        # ledger
        Y = int(self.year[-1]) + 1
        self.unscreened_year = np.zeros((Y, c.n_groups), dtype=np.int64)
        self.wait_sum = np.zeros((Y, S))  # days from joining to leaving, people served
        self.wait_n = np.zeros((Y, S))
        self.border_cities = np.flatnonzero(c.loc_kind == BORDER_CITY)
        B = self.border_cities.shape[0]
        self.stranded = np.zeros((T, B), dtype=np.int32)  # waiting, on a list or for a hearing
        self.hearing_waiting = np.zeros((T, B), dtype=np.int32)
        self.phase_stock = np.zeros((T, 4), dtype=np.int32)  # active phases
        self.svc_stock = np.zeros((T, S, 3), dtype=np.int32)
        #: arrivals per month at the end of each directed link (people moving along it)
        self.link_flow = np.zeros((M, len(c.link_to)), dtype=np.int64)

    # ------------------------------------------------------------------ events
    def emit(
        self,
        kind: int,
        target: npt.ArrayLike,
        ids: IntArray,
        agents: AgentTable,
        day: int,
        *,
        status: npt.ArrayLike | None = None,
    ) -> None:
        n = ids.shape[0]
        if n == 0:
            return
        if kind != EV_APPREHEND:  # counted with the day's other events (flush, which
            # makes them int64: an array of one per event is kept as it is); _pend inlined
            self._group = agents.raw("group")
            tgt = target if _one_each(target, n) else _per_event(target, n, np.int64)
            st = None
            if status is not None and kind in self.by_kind:
                st = status if _one_each(status, n) else _per_event(status, n, np.int64)
            if day != self._events_day:
                self.flush()
                self._events_day = day
            self._day_events.append((kind, tgt, False, ids, st))
            return
        tgt = _per_event(target, n, np.int64)
        st = None if status is None or kind not in self.by_kind else _per_event(status, n, np.int64)
        g = count_events(self.events[self.month[day], kind], tgt, agents.raw("group"), ids)
        self._group = agents.raw("group")
        self._pend(kind, tgt, ids, st, day, counted=True)
        # an apprehension in the destination: a first or a repeat encounter, by the agent's
        # encounters so far (counted now: the enforcement step adds this one next)
        in_dest = self.c.zone_in_dest[tgt]
        if in_dest.any():
            who = ids[in_dest]
            rep = agents["dest_encounters"][who] > 0
            m = self.month[day]
            gd = g[in_dest]
            G = self.dest_repeat.shape[1]
            self.dest_repeat[m] += np.bincount(gd[rep], minlength=G)
            self.dest_first[m] += np.bincount(gd[~rep], minlength=G)
            fy = int(self.fy[day])
            seen = self._dest_fy_seen
            seen.ready(fy, who.shape[0])
            every = np.zeros(who.shape[0], dtype=np.int64)  # one target, always allowed
            new = count_matching(
                _ONE_TARGET, self._all_groups, -1, _NO_STATUS, every, g[in_dest], who,
                seen.keys, seen.size, True,
            )  # fmt: skip
            self.dest_people_fy[fy] += new

    def _pend(self, kind: int, tgt: Any, ids: Any, st: Any, day: int, *, counted: bool) -> None:
        """Keep a call's events for :meth:`flush` (an event of a new day flushes the last);
        ``counted``: already in the event table."""
        if day != self._events_day:
            self.flush()
            self._events_day = day
        self._day_events.append((kind, tgt, counted, ids, st))

    def flush(self) -> None:
        """Count the events emitted today in the observables: one kernel call
        (:func:`~corredor.trackers.corridor.seen.count_day`), each event call a segment,
        in the order emitted — the counts of counting each call as it came. The ``record``
        step calls it at the day's end; an event of a later day calls it first."""
        if not self._day_events:
            return
        day, evs = self._events_day, self._day_events
        self._day_events = []
        # per segment: kind, already counted, with statuses, length (one array); the
        # targets, agents and statuses of the segments one after the other
        meta = np.array(
            [(e[0], e[2], e[4] is not None, e[3].shape[0]) for e in evs], dtype=np.int64
        )
        tgt = np.concatenate([e[1] for e in evs], dtype=np.int64)
        ids = np.concatenate([e[3] for e in evs]).astype(np.int32, copy=False)
        stats = [e[4] for e in evs if e[4] is not None]
        stat = np.concatenate(stats, dtype=np.int64) if stats else _NO_STATUS
        # the event table, every event's group and status, which observable counts which
        # segment, and the sets to ready first, in one call (twin: day_segments_np)
        seen = self.seen
        period = self._obs_period[day]
        seg_kind, off, g, st, use, need, todo = day_segments(
            meta, tgt, ids, stat, self.events[self.month[day]], self._group, self._kind_ok,
            self._any_status, self._people_ix, seen.period, seen.size, seen.off, period,
        )  # fmt: skip
        for i in todo.tolist():
            seen.ready(i, int(period[i]), int(need[i]))
        self.obs_daily[day] += count_day(
            self._ok_all, self._kbase, self._klen, self._grp_ok, use, self._want, self._people,
            seg_kind, off, st, tgt, g, ids, seen.keys, seen.off, seen.size,
        )  # fmt: skip

    def emit_segments(
        self,
        kind: int,
        off: npt.NDArray[np.int64],
        target: npt.NDArray[np.int32],
        ids: IntArray,
        agents: AgentTable,
        day: int,
    ) -> None:
        """Events of one kind given in segments ``off[j]:off[j + 1]`` (e.g. the hops of a day's
        movement), each counted as one :meth:`emit` in the observables in people of this kind
        (which count an agent once per call); the event table in one call (the same counts).
        Without such an observable the segments are one call: the counts are the same."""
        if kind == EV_APPREHEND or not any(self.obs[i].people for i in self.by_kind.get(kind, ())):
            self.emit(kind, target, ids, agents, day)
            return
        if ids.shape[0] == 0:
            return
        # the events counted in one call (the same counts), the observables per segment
        tgt = target.astype(np.int64)
        count_events(self.events[self.month[day], kind], tgt, agents.raw("group"), ids)
        self._group = agents.raw("group")
        for j in range(off.shape[0] - 1):
            lo, hi = off[j], off[j + 1]
            if hi > lo:
                self._pend(kind, tgt[lo:hi], ids[lo:hi], None, day, counted=True)

    def travelled(self, links: IntArray, day: int) -> None:
        """Arrivals at the ends of ``links`` today (per month and link)."""
        if links.shape[0]:
            flow = self.link_flow[self.month[day]]
            flow += np.bincount(links, minlength=flow.shape[0])

    def served(self, svc: IntArray, joined: IntArray, day: int) -> None:
        """Days from joining to leaving of the people services released today."""
        # sums of whole days: exact in any order, so one bincount each (not np.add.at)
        y, S = self.year[day], self.wait_sum.shape[1]
        self.wait_sum[y] += np.bincount(svc, weights=(day - joined).astype(float), minlength=S)
        self.wait_n[y] += np.bincount(svc, minlength=S)

    def unscreened(self, ids: IntArray, agents: AgentTable, day: int) -> None:
        if ids.shape[0]:
            row = self.unscreened_year[self.year[day]]
            row += np.bincount(agents["group"][ids], minlength=row.shape[0])

    # ------------------------------------------------------------------ stocks
    def track(self, st: CorridorState, day: int) -> None:
        """Today's stocks, from the state's census of the active agents
        (``process_census``): people per active phase, and per border city stranded (waiting
        to cross, on a port's list or waiting for a dated hearing) and waiting for a dated
        hearing; people queued, in service and waiting per service."""
        self.flush()
        census = st.census
        self.phase_stock[day] = census.phases
        self.svc_stock[day] = st.services.stocks()
        self.stranded[day] = census.stranded[self.border_cities]
        self.hearing_waiting[day] = census.waiting[self.border_cities]

    def step(self) -> Step[CorridorState]:
        """The tracker step of the day plan."""
        return tracker(*RECORD)(self.track)


#: Name and description of the recorder's step in the day plan.
RECORD = ("record", "stocks of people by phase, place and service (for the ledger)")


def describe_record_step() -> Step[CorridorState]:
    """The recorder's step for printing a plan (running it is an error: it has no recorder)."""

    def no_recorder(st: CorridorState, day: int) -> None:
        raise RuntimeError("describe_record_step() only describes the plan; use Recorder.step()")

    return tracker(*RECORD)(no_recorder)
