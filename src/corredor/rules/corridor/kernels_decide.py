"""Numba kernels for the day's small choice tables of processes ``decide``, ``depart`` and
``redepart``, each with its NumPy twin (the test oracle,
``tests/unit/test_corridor_kernels_decide.py``).

The decisions draw against tables of a few dozen services × groups made afresh each day (the
queues change daily). Made with NumPy they were some 25 array calls a day, each a few
microseconds of dispatch for a few hundred numbers; each kernel here makes its table in one
call, with the same operations in the same order (the same bits):

* :func:`apply_tables`  the open offices on the way, their places and the probability of applying
  to each per group (:func:`~corredor.rules.corridor.process_decisions.apply_on_the_way`);
* :func:`border_tables` the first open port at each place, per port and group its attraction and
  per service the deterrence of its queue
  (:func:`~corredor.rules.corridor.process_border.decide_at_border`);
* :func:`target_choice` the border city each departing agent heads for
  (:func:`~corredor.rules.corridor.routes.choose_target`: a table per place and nationality,
  then a draw per agent; ``np.sum``'s pairwise order is kept by :func:`sum_like_numpy`).

NaN and infinity go through as NumPy's ``minimum``, ``maximum`` and ``clip`` pass them (a NaN
stays NaN).
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@nb.njit(cache=True)
def apply_tables(  # type: ignore[no-untyped-def]
    is_transit, open_today, svc_loc, queued, capacity, mean_days, ahead, is_asylum, protected,
    group_nat, network_people, p_asylum, p_visa, w_q, w_w, w_e,
):  # fmt: skip
    """The offices open today on the way (in increasing service order), their places and
    ``p[office, group] = clip(base × exp(min(U, 5)), 0, 1)`` with
    ``U = w_q × queued + w_w × queued / rate − w_e × ahead[group, place]``,
    ``rate = max(capacity / mean_days, 1e-9)`` and ``base`` the visa propensity, or for an
    asylum office the asylum propensity × (1 + protected[nationality] / network_people)."""
    S = is_transit.shape[0]
    G = group_nat.shape[0]
    K = 0
    for s in range(S):
        if is_transit[s] and open_today[s]:
            K += 1
    offices = np.empty(K, dtype=np.int64)
    off_loc = np.empty(K, dtype=np.int64)
    p = np.empty((K, G), dtype=np.float64)
    k = 0
    for s in range(S):
        if not (is_transit[s] and open_today[s]):
            continue
        offices[k] = s
        x = np.int64(svc_loc[s])
        off_loc[k] = x
        q = np.float64(queued[s])
        rate = capacity[s] / mean_days[s]
        rate = 1e-9 if rate < 1e-9 else rate
        for g in range(G):
            u = w_q * q + w_w * q / rate - w_e * ahead[g, x]
            u = 5.0 if u > 5.0 else u
            if is_asylum[s]:
                base = p_asylum * (1.0 + protected[group_nat[g]] / network_people)
            else:
                base = p_visa
            v = base * np.exp(u)
            if v < 0.0:
                v = 0.0
            elif v > 1.0:
                v = 1.0
            p[k, g] = v
        k += 1
    return offices, off_loc, p


def apply_tables_np(
    is_transit: BoolArray,
    open_today: BoolArray,
    svc_loc: npt.NDArray[np.integer],
    queued: Int64Array,
    capacity: FloatArray,
    mean_days: FloatArray,
    ahead: FloatArray,
    is_asylum: BoolArray,
    protected: FloatArray,
    group_nat: npt.NDArray[np.integer],
    network_people: float,
    p_asylum: float,
    p_visa: float,
    w_q: float,
    w_w: float,
    w_e: float,
) -> tuple[Int64Array, Int64Array, FloatArray]:
    """The NumPy twin of :func:`apply_tables` (as the process made the table)."""
    offices = np.flatnonzero(is_transit & open_today)
    off_loc = svc_loc[offices].astype(np.int64)
    q = queued.astype(float)[offices][:, None]  # (K, 1)
    rate = np.maximum(capacity[offices] / mean_days[offices], 1e-9)
    u = w_q * q + w_w * q / rate[:, None] - w_e * ahead[:, off_loc].T  # (K, G)
    known = 1.0 + protected[group_nat] / network_people
    base = np.where(is_asylum[offices][:, None], p_asylum * known[None, :], p_visa)
    p = np.clip(base * np.exp(np.minimum(u, 5.0)), 0.0, 1.0)
    return offices, off_loc, p


@nb.njit(cache=True)
def border_tables(  # type: ignore[no-untyped-def]
    is_port, open_today, svc_loc, n_loc, own_country, group_nat, deny, queued, capacity, w_q, w_w
):
    """Per place the first port open today there (-1: none); per service and group the
    attraction ``1 − deny[service, group]`` (0 for a service in the group's own country); per
    service the deterrence ``exp(min(w_q × queued + w_w × queued / max(capacity, 1e-9), 0))``."""
    S = is_port.shape[0]
    G = group_nat.shape[0]
    port_of_loc = np.full(n_loc, -1, dtype=np.int64)
    for s in range(S):
        if is_port[s] and open_today[s] and port_of_loc[svc_loc[s]] < 0:
            port_of_loc[svc_loc[s]] = s
    attract = np.empty((S, G), dtype=np.float64)
    factor = np.empty(S, dtype=np.float64)
    for s in range(S):
        for g in range(G):
            attract[s, g] = 0.0 if own_country[group_nat[g], s] else 1.0 - deny[s, g]
        q = np.float64(queued[s])
        cap = capacity[s]
        cap = 1e-9 if cap < 1e-9 else cap
        u = w_q * q + w_w * q / cap
        factor[s] = np.exp(0.0 if u > 0.0 else u)
    return port_of_loc, attract, factor


def border_tables_np(
    is_port: BoolArray,
    open_today: BoolArray,
    svc_loc: npt.NDArray[np.integer],
    n_loc: int,
    own_country: BoolArray,
    group_nat: npt.NDArray[np.integer],
    deny: FloatArray,
    queued: Int64Array,
    capacity: FloatArray,
    w_q: float,
    w_w: float,
) -> tuple[Int64Array, FloatArray, FloatArray]:
    """The NumPy twin of :func:`border_tables` (as the process made the tables)."""
    port_of_loc = np.full(n_loc, -1, dtype=np.int64)
    for s in np.flatnonzero(is_port & open_today)[::-1]:
        port_of_loc[svc_loc[s]] = s
    attract = np.where(~own_country[group_nat].T, 1.0 - deny, 0.0)
    q = queued.astype(float)
    cap = np.maximum(capacity, 1e-9)
    factor = np.exp(np.minimum(w_q * q + w_w * q / cap, 0.0))
    return port_of_loc, attract, factor


@nb.njit(cache=True)
def sum_like_numpy(w):  # type: ignore[no-untyped-def]
    """``np.sum`` of a short contiguous row (at most 128 numbers), in NumPy's order: 0 plus
    its pairwise sum (under 8 numbers one by one; else 8 running sums over blocks of 8, added
    pairwise, then the rest one by one)."""
    n = w.shape[0]
    if n < 8:
        res = 0.0
        for i in range(n):
            res += w[i]
        return 0.0 + res
    r = w[:8].copy()
    i = 8
    while i < n - n % 8:
        for j in range(8):
            r[j] += w[i + j]
        i += 8
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        res += w[i]
        i += 1
    return 0.0 + res


#: the most border cities :func:`target_choice` sums as NumPy does (more: its twin)
TARGET_MAX_CITIES = 128


@nb.njit(cache=True)
def target_choice(  # type: ignore[no-untyped-def]
    ids, loc, group, group_nat, n_nat, dist_to_city, border_ix, here, here_nat, w_d, w_q, w_n, u
):
    """The border city each agent heads for (an index into ``border_ix``; -1: none reachable):
    a multinomial logit over the border cities, ``U_b = w_d × km to b + w_q × here[b] + w_n ×
    here_nat[b, nationality] / max(here[b], 1)`` (unreachable: −∞), drawn with ``u``. The
    table is made once per (place, nationality) among the agents, each row with the same
    operations as :func:`target_choice_np`; at most :data:`TARGET_MAX_CITIES` cities."""
    n = ids.shape[0]
    B = border_ix.shape[0]
    L = dist_to_city.shape[1]
    out = np.empty(n, dtype=np.int64)
    row_of = np.full(L * n_nat, -1, dtype=np.int64)
    cum = np.empty((min(n, L * n_nat), B), dtype=np.float64)
    tot_of = np.empty(cum.shape[0], dtype=np.float64)
    util = np.empty(B, dtype=np.float64)
    w = np.empty(B, dtype=np.float64)
    rows = 0
    for i in range(n):
        a = ids[i]
        x = np.int64(loc[a])
        nat = np.int64(group_nat[group[a]])
        key = x * n_nat + nat
        r = row_of[key]
        if r < 0:
            r = rows
            row_of[key] = r
            rows += 1
            top = -np.inf
            has_nan = False
            for j in range(B):
                km = dist_to_city[j, x]
                b = border_ix[j]
                share = here_nat[b, nat] / max(here[b], 1.0)
                if np.isfinite(km):
                    util[j] = w_d * km + w_q * here[b] + w_n * share
                else:
                    util[j] = -np.inf
                if np.isnan(util[j]):
                    has_nan = True
                elif util[j] > top:
                    top = util[j]
            if has_nan:
                top = np.nan
            shift = top if np.isfinite(top) else 0.0
            for j in range(B):
                w[j] = np.exp(util[j] - shift) if np.isfinite(util[j]) else 0.0
            tot = sum_like_numpy(w)
            tot_of[r] = tot
            den = 1e-300 if tot < 1e-300 else tot  # a NaN stays NaN
            acc = 0.0
            for j in range(B):
                acc = w[j] / den if j == 0 else acc + w[j] / den
                cum[r, j] = acc
        pick = 0
        for j in range(B):
            pick += u[i] >= cum[r, j]
        out[i] = min(pick, B - 1) if tot_of[r] > 0 else -1
    return out


def target_choice_np(
    ids: npt.NDArray[np.int32],
    loc: npt.NDArray[np.integer],
    group: npt.NDArray[np.integer],
    group_nat: npt.NDArray[np.integer],
    n_nat: int,
    dist_to_city: FloatArray,
    border_ix: npt.NDArray[np.integer],
    here: FloatArray,
    here_nat: FloatArray,
    w_d: float,
    w_q: float,
    w_n: float,
    u: FloatArray,
) -> Int64Array:
    """The NumPy twin of :func:`target_choice` (as ``routes.choose_target`` made it)."""
    b_loc = border_ix
    N = n_nat
    key = loc[ids].astype(np.int64) * N + group_nat[group[ids]]
    rows, inv = np.unique(key, return_inverse=True)
    x, nat = rows // N, rows % N
    km = dist_to_city[:, x].T  # (rows, B)
    share = here_nat[b_loc] / np.maximum(here[b_loc, None], 1.0)
    util = (
        w_d * np.where(np.isfinite(km), km, 0.0) + w_q * here[b_loc][None] + w_n * share[:, nat].T
    )
    util = np.where(np.isfinite(km), util, -np.inf)
    top = util.max(axis=1, keepdims=True)
    w = np.where(np.isfinite(util), np.exp(util - np.where(np.isfinite(top), top, 0.0)), 0.0)
    tot = w.sum(axis=1, keepdims=True)
    cum = np.cumsum(w / np.maximum(tot, 1e-300), axis=1)
    pick = np.minimum((u[:, None] >= cum[inv]).sum(axis=1), len(b_loc) - 1)
    out: Int64Array = np.where(tot[inv, 0] > 0, pick, -1)
    return out


@nb.njit(cache=True)
def depart_columns(  # type: ignore[no-untyped-def]
    counts, n_orig, caravan_origin, origin_nat, origin_loc, share_cum, dem_cum, u, ids, group,
    origin, loc, born, caravan, day,
):  # fmt: skip
    """The columns of today's new agents ``ids``: ``counts[i]`` of them from origin ``i`` (then
    from caravan ``i − n_orig``, at its origin), in that order; each one's demographic group
    the first whose cumulative share ``dem_cum[nationality]`` (caravan members:
    ``share_cum``) exceeds ``u``; born today; a caravan member's column ``caravan`` is
    1 + its caravan. Returns the number of caravan members."""
    D = share_cum.shape[1]
    j = 0
    n_car = 0
    for i in range(counts.shape[0]):
        in_car = i >= n_orig
        o = caravan_origin[i - n_orig] if in_car else i
        nat = origin_nat[o]
        for _ in range(counts[i]):
            a = ids[j]
            dem = 0
            for d in range(D):
                dem += u[j] >= (share_cum[nat, d] if in_car else dem_cum[nat, d])
            group[a] = nat * D + min(dem, D - 1)
            origin[a] = o
            loc[a] = origin_loc[o]
            born[a] = day
            if in_car:
                caravan[a] = i - n_orig + 1
                n_car += 1
            j += 1
    return n_car


def depart_columns_np(
    counts: Int64Array,
    n_orig: int,
    caravan_origin: npt.NDArray[np.integer],
    origin_nat: npt.NDArray[np.integer],
    origin_loc: npt.NDArray[np.integer],
    share_cum: FloatArray,
    dem_cum: FloatArray,
    u: FloatArray,
    ids: npt.NDArray[np.int32],
    group: npt.NDArray[np.int16],
    origin: npt.NDArray[np.int16],
    loc: npt.NDArray[np.int32],
    born: npt.NDArray[np.int32],
    caravan: npt.NDArray[np.int16],
    day: int,
) -> int:
    """The NumPy twin of :func:`depart_columns` (as ``step_depart`` made the columns)."""
    src = np.repeat(np.arange(counts.shape[0]), counts)
    in_car = src >= n_orig
    car_origin = np.append(caravan_origin, 0)  # padded: never empty
    orig = np.where(in_car, car_origin[np.maximum(src - n_orig, 0)], src).astype(np.int16)
    nat = origin_nat[orig]
    cum = np.where(in_car[:, None], share_cum[nat], dem_cum[nat])
    dem = np.minimum((u[:, None] >= cum).sum(axis=1), share_cum.shape[1] - 1)
    group[ids] = nat * share_cum.shape[1] + dem
    origin[ids] = orig
    loc[ids] = origin_loc[orig]
    born[ids] = day
    caravan[ids[in_car]] = src[in_car] - n_orig + 1
    return int(in_car.sum())
