"""NumPy twin of the movement kernels: the readable specification and the tests' oracle.

It computes one day with the *pass-snapshot* semantics of :func:`kernels.day_parallel` (every
decision in a pass sees the location counts at the start of the pass) using whole-array
operations instead of a per-agent loop, so it shares no code path with the numba kernels except
the random stream. Tests check that both give identical columns, bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from corredor.engine.rng import uniform_from_key_np
from corredor.rules.flee import kernels as K

Arr = npt.NDArray[Any]


def capacity_factor_np(capacity: Arr, n: Arr, buffer: float) -> npt.NDArray[np.float64]:
    cap = capacity.astype(np.float64)
    n = n.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        mid = 1.0 - (n - buffer * cap) / (cap * (1.0 - buffer))
    out = np.where(n >= cap, 0.0, mid)
    out = np.where(n <= buffer * cap, 1.0, out)
    return np.where(capacity < 1, 1.0, out)


def _choose_routes(
    ids: Arr,
    locs: Arr,
    day: int,
    k: Arr,
    keys: Arr,
    A: tuple,
    R: tuple,
    Lc: tuple,
    count: Arr,
    P: Arr,
) -> npt.NDArray[np.int64]:
    home, age, male = A[9], A[10], A[11]
    path_ptr, pend, pdenom, popen = R[0], R[3], R[4], R[5]
    capacity, score, popw, dist = Lc[3], Lc[4], Lc[5], Lc[6]
    width = max(int(np.diff(path_ptr).max(initial=0)), 1)
    start = path_ptr[locs][:, None]
    pid = start + np.arange(width)[None, :]
    valid = pid < path_ptr[locs + 1][:, None]
    pid = np.where(valid, pid, 0)
    valid &= popen[pid]
    if P[K.UNIFORM_CHOICE] > 0:
        w = valid.astype(np.float64)
    else:
        e = pend[pid]
        s = score[e].copy()
        if P[K.CHILDREN_AVOID_HAZARDS] > 0:
            a = age[ids][:, None]
            s = np.where((a >= 0) & (a < 19), s * s, s)
            if P[K.BOYS_TAKE_RISK] > 0:
                s = np.where((a >= 0) & male[ids][:, None] & (a > 14), 1.0, s)
        if P[K.STAY_CLOSE_TO_HOME] > 0:
            ref = locs if P[K.DISTANCE_FROM_CURRENT] > 0 else home[ids]
            s = s / np.maximum(1.0, dist[e, ref[:, None]]) ** P[K.HOME_DISTANCE_POWER]
        s = s * popw[e]
        cf = capacity_factor_np(capacity[e], count[e], P[K.CAPACITY_BUFFER])
        w = (P[K.WEIGHT_SOFTENING] + s) / pdenom[pid] * cf
        if P[K.WEIGHT_POWER] != 1.0:
            w = w ** P[K.WEIGHT_POWER]
        w = np.where(valid, w, 0.0)
    m = valid.sum(axis=1)
    csum = np.cumsum(w, axis=1)  # sequential sums, like the kernel's loop
    total = csum[:, -1]
    u = uniform_from_key_np(keys[1], day, ids, k)
    # weighted choice: first candidate whose running sum exceeds u × total
    hit = (u * total)[:, None] < csum
    first = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
    # rounding at the top: the last non-zero weight
    last_nz = width - 1 - np.argmax((w > 0)[:, ::-1], axis=1)
    pos = np.where(first >= 0, first, last_nz)
    # all weights zero: uniform among the m candidates (in candidate order)
    rank = np.cumsum(valid, axis=1) - 1
    pick = np.minimum((u * m).astype(np.int64), np.maximum(m - 1, 0))
    uni = np.argmax(valid & (rank == pick[:, None]), axis=1)
    pos = np.where(total > 0, pos, uni)
    chosen = pid[np.arange(ids.shape[0]), pos]
    return np.where(m > 0, chosen, K.NO).astype(np.int64)


def _leave(
    ids: Arr,
    force: Arr,
    day: int,
    k: Arr,
    keys: Arr,
    A: tuple,
    G: tuple,
    R: tuple,
    Lc: tuple,
    count: Arr,
    P: Arr,
) -> None:
    loc_, link_, on_km, route_path, route_pos = A[0], A[1], A[2], A[6], A[7]
    link_from, link_open = G[0], G[3]
    link_ptr, plinks, pend = R[1], R[2], R[3]
    movechance, is_town, is_camp, capacity = Lc[0], Lc[1], Lc[2], Lc[3]
    loc = loc_[ids]
    mc = np.where(force & is_town[loc], 1.0, movechance[loc])
    go = uniform_from_key_np(keys[0], day, ids, k) < mc
    if P[K.FROZEN] > 0:
        return
    ids, loc, k = ids[go], loc[go], k[go]
    need = route_path[ids] == K.NO
    if need.any():
        route_path[ids[need]] = _choose_routes(
            ids[need], loc[need], day, k[need], keys, A, R, Lc, count, P
        )
        route_pos[ids[need]] = 0
    p = route_path[ids].astype(np.int64)
    has = p != K.NO
    ids, loc, p = ids[has], loc[has], p[has]
    lk = plinks[link_ptr[p] + route_pos[ids]]
    bad = (link_from[lk] != loc) | ~link_open[lk]
    dest = pend[p]
    full = is_camp[dest] & (
        capacity_factor_np(capacity[dest], count[dest], P[K.CAPACITY_BUFFER]) < 0.5
    )
    route_path[ids[bad | full]] = K.NO
    ok = ~(bad | full)
    ids, p, lk = ids[ok], p[ok], lk[ok]
    route_pos[ids] += 1
    done = link_ptr[p] + route_pos[ids] == link_ptr[p + 1]
    route_path[ids[done]] = K.NO
    link_[ids] = lk
    on_km[ids] = 0.0


def _travel(
    day: int, n: int, keys: Arr, A: tuple, G: tuple, R: tuple, Lc: tuple, count: Arr, P: Arr
) -> None:
    loc_, link_, on_km, moved, recent, places, alive = A[0], A[1], A[2], A[3], A[4], A[5], A[8]
    link_from, link_to, link_len, link_open, link_speed, link_walk_p = G
    ids = np.flatnonzero(alive[:n] & (link_[:n] != K.NO))
    moved[ids] = 0.0
    day_left = np.ones(ids.shape[0])
    k = np.zeros(ids.shape[0], dtype=np.int64)
    while ids.size:
        lk = link_[ids]
        speed = link_speed[lk].copy()
        speed = np.where((places[ids] == 1) & (P[K.START_ON_FOOT] > 0), P[K.WALK_SPEED], speed)
        walk_p = link_walk_p[lk]
        walks = (walk_p > 0) & (uniform_from_key_np(keys[2], day, ids, k) < walk_p)
        speed = np.where(walks, P[K.WALK_SPEED], speed)
        length = link_len[lk]
        if P[K.FULL_ALLOWANCE] > 0:
            on_km[ids] += speed
            moved[ids] += speed
            arrived = on_km[ids] > length
            moved[ids] += np.where(arrived, length - on_km[ids], 0.0)
            more = moved[ids] < speed
        else:
            avail = day_left * speed
            arrived = on_km[ids] + avail > length
            rest = length - on_km[ids]
            moved[ids] += np.where(arrived, rest, avail)
            on_km[ids] += np.where(arrived, 0.0, avail)
            day_left = np.where(arrived, day_left - rest / speed, 0.0)
            more = day_left > 0
        ids, lk, more, k, day_left = (
            ids[arrived],
            lk[arrived],
            more[arrived],
            k[arrived],
            day_left[arrived],
        )
        places[ids] += 1
        link_[ids] = K.NO
        on_km[ids] = 0.0
        closed = ~link_open[lk]
        loc_[ids] = np.where(closed, link_from[lk], link_to[lk])
        cont = more & ~closed
        ids, k, day_left = ids[cont], k[cont] + 1, day_left[cont]
        if P[K.AVOID_SHORT_STINTS] > 0:
            force = (recent[ids] + moved[ids] / P[K.MAX_SPEED]) / 2.0 < 0.5
        else:
            force = np.zeros(ids.shape[0], dtype=np.bool_)
        keep = k <= 250
        ids, k, day_left, force = ids[keep], k[keep], day_left[keep], force[keep]
        _leave(ids, force, day, k, keys, A, G, R, Lc, count, P)
        on = link_[ids] != K.NO
        ids, k, day_left = ids[on], k[on], day_left[on]


def _recount(n: int, A: tuple, count: Arr) -> None:
    loc_, link_, alive = A[0], A[1], A[8]
    at = alive[:n] & (link_[:n] == K.NO)
    count[:] = np.bincount(loc_[:n][at], minlength=count.shape[0])


def day_twin(
    day: int, n: int, keys: Arr, A: tuple, G: tuple, R: tuple, Lc: tuple, count: Arr, P: Arr
) -> None:
    """One day, pass-snapshot semantics, in whole-array NumPy (mutates ``A`` and ``count``)."""
    link_, alive = A[1], A[8]
    ids = np.flatnonzero(alive[:n] & (link_[:n] == K.NO))
    _leave(
        ids,
        np.zeros(ids.shape[0], dtype=np.bool_),
        day,
        np.zeros(ids.shape[0], np.int64),
        keys,
        A,
        G,
        R,
        Lc,
        count,
        P,
    )
    _recount(n, A, count)
    _travel(day, n, keys, A, G, R, Lc, count, P)
    _recount(n, A, count)
    if P[K.AVOID_SHORT_STINTS] > 0:  # the only rule that reads the recent-travel index
        moved, recent = A[3], A[4]
        recent[:n] = (recent[:n] + moved[:n] * (1.0 / P[K.MAX_SPEED])) / 2.0
        moved[:n] = 0.0
