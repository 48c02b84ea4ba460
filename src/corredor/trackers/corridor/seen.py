"""The agents an observable in people has counted in the current period, as a set whose size
follows the people counted, not the agents ever created.

An observable in *people* counts an agent once per period (month, calendar year or US fiscal
year) on the day of its first matching event. The periods of a run only go forward, so "counted
in today's period" is "counted since the period began": :class:`PeriodSet` keeps the ids counted
since then in an open-addressing hash table of agent ids (linear probing, at most half full),
emptied when the period changes. Its memory follows the most people counted in one period,
where one period number per agent and observable grew with every agent the run created (12
observables × 4 bytes × 6.5 million agents in the built-in corridor).

:func:`count_matching` (numba) counts an observable's matching events and adds the people to
the set; :func:`count_segments` does the same for a day's events given in segments (one per
event call of the processes), and :func:`count_day` for every observable, so that the recorder
counts a day in one call;
:func:`count_matching_np` and :func:`count_segments_np` are their NumPy twins on a sorted array
of ids (the test oracles, ``tests/unit/test_corridor_active.py``).
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]

#: an empty slot of the table
EMPTY = -1
#: Fibonacci hashing: consecutive ids land far apart
_MULT = np.int64(0x9E3779B1)


@nb.njit(inline="always", cache=True)
def _slot(keys, a):  # type: ignore[no-untyped-def]
    """The slot of ``a`` in ``keys``: where it is, or the empty slot where it would go."""
    mask = keys.shape[0] - 1
    h = (np.int64(a) * _MULT) & mask
    while keys[h] != EMPTY and keys[h] != a:
        h = (h + 1) & mask
    return h


@nb.njit(cache=True)
def _rehash(old, new):  # type: ignore[no-untyped-def]
    """Insert every id of ``old`` into the empty table ``new``; returns how many."""
    n = 0
    for i in range(old.shape[0]):
        a = old[i]
        if a != EMPTY:
            new[_slot(new, a)] = a
            n += 1
    return n


@nb.njit(cache=True)
def count_matching(  # type: ignore[no-untyped-def]
    target_ok, grp_ok, want, status, tgt, g, ids, keys, size, people
):
    """How many of the events (target ``tgt[i]`` — negative counts from the end of
    ``target_ok``, as NumPy indexes —, group ``g[i]``, agent ``ids[i]``, status ``status[i]``)
    an observable counts: target and group allowed, the status ``want`` (any when negative).
    In ``people``: only agents not yet in the set ``keys`` — looked up before any is added, so
    an agent listed twice counts twice —, and every matching agent is added (``size[0]``: the
    ids in the table; the caller leaves room, :meth:`PeriodSet.ready`)."""
    n, T = ids.shape[0], target_ok.shape[0]
    count = 0
    for i in range(n):
        t = tgt[i]
        if t < 0:
            t += T
        if not (target_ok[t] and grp_ok[g[i]]) or (want >= 0 and status[i] != want):
            continue
        if not people or keys[_slot(keys, ids[i])] == EMPTY:
            count += 1
    if people:
        for i in range(n):
            t = tgt[i]
            if t < 0:
                t += T
            if target_ok[t] and grp_ok[g[i]] and not (want >= 0 and status[i] != want):
                h = _slot(keys, ids[i])
                if keys[h] == EMPTY:
                    keys[h] = ids[i]
                    size[0] += 1
    return count


@nb.njit(cache=True)
def count_segments(  # type: ignore[no-untyped-def]
    ok_all, kbase, klen, grp_ok, use, want, seg_kind, off, status, tgt, g, ids, keys, size, people
):
    """:func:`count_matching` over the segments ``off[j]:off[j + 1]`` of a day's events with
    ``use[j]``, in order, as one call each: segment ``j``'s events are of kind
    ``seg_kind[j]``, whose allowed targets are ``ok_all[kbase[k]:kbase[k] + klen[k]]``. An
    agent listed twice in one segment counts twice; in two segments, once (the set is
    updated after each segment). Returns the count."""
    count = 0
    for j in range(off.shape[0] - 1):
        if not use[j]:
            continue
        k = seg_kind[j]
        lo, hi, base, T = off[j], off[j + 1], kbase[k], klen[k]
        for i in range(lo, hi):
            t = tgt[i]
            if t < 0:
                t += T
            if not (ok_all[base + t] and grp_ok[g[i]]) or (want >= 0 and status[i] != want):
                continue
            if not people or keys[_slot(keys, ids[i])] == EMPTY:
                count += 1
        if people:
            for i in range(lo, hi):
                t = tgt[i]
                if t < 0:
                    t += T
                if ok_all[base + t] and grp_ok[g[i]] and not (want >= 0 and status[i] != want):
                    h = _slot(keys, ids[i])
                    if keys[h] == EMPTY:
                        keys[h] = ids[i]
                        size[0] += 1
    return count


@nb.njit(cache=True)
def count_day(  # type: ignore[no-untyped-def]
    ok_all, kbase, klen, grp_ok, use, want, people, seg_kind, off, status, tgt, g, ids,
    keys, koff, size,
):  # fmt: skip
    """:func:`count_segments` for every observable ``o`` at once (row ``o`` of ``ok_all``,
    ``grp_ok`` and ``use``; ``want[o]``, ``people[o]``; its set ``keys[koff[o]:koff[o + 1]]``
    with ``size[o]`` ids, :class:`PeriodSets`): one call a day instead of one per observable.
    Returns the counts."""
    out = np.zeros(ok_all.shape[0], dtype=np.int64)
    for o in range(ok_all.shape[0]):
        out[o] = count_segments(
            ok_all[o], kbase, klen, grp_ok[o], use[o], want[o], seg_kind, off, status, tgt, g,
            ids, keys[koff[o] : koff[o + 1]], size[o : o + 1], people[o],
        )  # fmt: skip
    return out


def count_segments_np(
    ok_all: npt.NDArray[np.bool_],
    kbase: Int64Array,
    klen: Int64Array,
    grp_ok: npt.NDArray[np.bool_],
    use: npt.NDArray[np.bool_],
    want: int,
    seg_kind: Int64Array,
    off: Int64Array,
    status: Int64Array,
    tgt: Int64Array,
    g: Int64Array,
    ids: IntArray,
    seen: IntArray,
    people: bool,
) -> tuple[int, IntArray]:
    """The NumPy twin of :func:`count_segments`: :func:`count_matching_np` on each segment
    used, in order; the count, and the set after the events."""
    count = 0
    for j in np.flatnonzero(use):
        k, lo, hi = seg_kind[j], off[j], off[j + 1]
        target_ok = ok_all[kbase[k] : kbase[k] + klen[k]]
        n, seen = count_matching_np(
            target_ok, grp_ok, want, status[lo:hi], tgt[lo:hi], g[lo:hi], ids[lo:hi], seen, people
        )
        count += n
    return count, seen


def count_matching_np(
    target_ok: npt.NDArray[np.bool_],
    grp_ok: npt.NDArray[np.bool_],
    want: int,
    status: Int64Array,
    tgt: Int64Array,
    g: Int64Array,
    ids: IntArray,
    seen: IntArray,
    people: bool,
) -> tuple[int, IntArray]:
    """The NumPy twin of :func:`count_matching`, with the set as a sorted array of ids: the
    count, and the set after the events."""
    ok = target_ok[tgt] & grp_ok[g]
    if want >= 0:
        ok &= status == want
    if not people:
        return int(np.count_nonzero(ok)), seen
    who = ids[ok]
    new = ~np.isin(who, seen)
    return int(np.count_nonzero(new)), np.union1d(seen, who).astype(np.int32)


class PeriodSet:
    """The agents counted in the current period (module docstring)."""

    def __init__(self, capacity: int = 1024) -> None:
        cap = 1 << max(int(capacity) - 1, 1).bit_length()
        self.keys: IntArray = np.full(cap, EMPTY, dtype=np.int32)
        #: ids in the table (an array, so that the kernel updates it)
        self.size: Int64Array = np.zeros(1, dtype=np.int64)
        self.period = -1

    def ready(self, period: int, n: int) -> None:
        """Before adding up to ``n`` ids in ``period``: a new period starts empty, and the
        table grows (doubling) to stay at most half full."""
        if period != self.period:
            self.keys.fill(EMPTY)
            self.size[0] = 0
            self.period = period
        need = 2 * (int(self.size[0]) + n)
        if need > self.keys.shape[0]:
            new = np.full(1 << (need - 1).bit_length(), EMPTY, dtype=np.int32)
            _rehash(self.keys, new)
            self.keys = new

    def members(self) -> IntArray:
        """The ids counted in the current period, sorted."""
        return np.sort(self.keys[self.keys != EMPTY])

    def __len__(self) -> int:
        return int(self.size[0])


class PeriodSets:
    """``n`` sets of :class:`PeriodSet` kind in one buffer, so that one kernel call reaches
    them all (:func:`count_day`): set ``i`` is ``keys[off[i]:off[i + 1]]`` (a power of two
    long, at most half full) holding ``size[i]`` ids of its period ``period[i]``."""

    def __init__(self, n: int, capacity: int = 1024) -> None:
        cap = 1 << max(int(capacity) - 1, 1).bit_length()
        self.off: Int64Array = np.arange(n + 1, dtype=np.int64) * cap
        self.keys: IntArray = np.full(n * cap, EMPTY, dtype=np.int32)
        #: ids in each set (an array, so that the kernel updates it)
        self.size: Int64Array = np.zeros(n, dtype=np.int64)
        self.period: Int64Array = np.full(n, -1, dtype=np.int64)

    def ready(self, i: int, period: int, n: int) -> None:
        """:meth:`PeriodSet.ready` for set ``i``: a new period starts empty; the set grows
        (doubling, the whole buffer laid out again) to stay at most half full."""
        lo, hi = int(self.off[i]), int(self.off[i + 1])
        if period != self.period[i]:
            self.keys[lo:hi] = EMPTY
            self.size[i] = 0
            self.period[i] = period
        need = 2 * (int(self.size[i]) + n)
        if need > hi - lo:
            caps = np.diff(self.off)
            caps[i] = 1 << (need - 1).bit_length()
            off = np.zeros_like(self.off)
            np.cumsum(caps, out=off[1:])
            keys = np.full(int(off[-1]), EMPTY, dtype=np.int32)
            for j in range(caps.shape[0]):  # the others keep their slots (same length)
                if j != i:
                    keys[off[j] : off[j + 1]] = self.keys[self.off[j] : self.off[j + 1]]
            _rehash(self.keys[lo:hi], keys[off[i] : off[i + 1]])
            self.keys, self.off = keys, off

    def members(self, i: int) -> IntArray:
        """The ids in set ``i``, sorted."""
        k = self.keys[self.off[i] : self.off[i + 1]]
        return np.sort(k[k != EMPTY])
