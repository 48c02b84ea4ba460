"""Numba kernels for the day's small choice tables of processes ``decide`` and
``depart``, each with its NumPy twin (the test oracle,
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
* :func:`depart_rates` today's departures per origin and the demographic shares with the
  perceived-openness multiplier (``process_departures.step_depart``);
* :func:`split_choice` the agents grouped by their choice, in one pass (the same lists as a mask
  and a gather per choice);

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


@nb.njit(cache=True)
def split_choice(ids, choice, port, k):  # type: ignore[no-untyped-def]
    """The agents ``ids`` grouped by ``choice`` (0 … ``k`` - 1), each group in the order given
    (a stable counting sort), with their ``port`` (int32), and the groups' offsets: group ``c``
    is ``[off[c], off[c + 1])``, i.e. ``ids[choice == c]``. Twin: :func:`split_choice_np`."""
    n = ids.shape[0]
    off = np.zeros(k + 1, dtype=np.int64)
    for i in range(n):
        off[choice[i] + 1] += 1
    for c in range(k):
        off[c + 1] += off[c]
    pos = off[:-1].copy()
    ids_s = np.empty(n, dtype=ids.dtype)
    port_s = np.empty(n, dtype=np.int32)
    for i in range(n):
        c = choice[i]
        ids_s[pos[c]] = ids[i]
        port_s[pos[c]] = port[i]
        pos[c] += 1
    return ids_s, port_s, off


def split_choice_np(
    ids: npt.NDArray[np.int32], choice: Int64Array, port: Int64Array, k: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], Int64Array]:
    """The NumPy twin of :func:`split_choice` (the readable spec)."""
    ids_s = np.concatenate([ids[choice == c] for c in range(k)])
    port_s = np.concatenate([port[choice == c] for c in range(k)]).astype(np.int32)
    off = np.concatenate([[0], np.cumsum(np.bincount(choice, minlength=k))]).astype(np.int64)
    return ids_s.astype(ids.dtype), port_s, off


#: :func:`depart_rates` takes rows of fewer demographic groups than this (NumPy sums a row of
#: 8 or more in another order)
DEPART_RATES_MAX_D = 8


@nb.njit(cache=True)
def depart_rates(base, caravan_lam, dem_share, mult, origin_nat):  # type: ignore[no-untyped-def]
    """Today's expected departures with the perceived-openness multiplier ``mult`` (one per
    group, nationality × demographic): per origin ``base × scale[nationality]`` then the
    caravans' ``caravan_lam`` (one array), and per nationality the cumulative demographic
    shares of ``weighted = dem_share × mult`` (the last 1), ``scale`` being a row's sum of
    ``weighted``, added in order as NumPy adds rows of fewer than :data:`DEPART_RATES_MAX_D`
    numbers (wider rows: :func:`depart_rates_np`). Twin: :func:`depart_rates_np`."""
    N, D = dem_share.shape
    n_orig, n_car = base.shape[0], caravan_lam.shape[0]
    lam = np.empty(n_orig + n_car)
    dem_cum = np.empty((N, D))
    scale = np.empty(N)
    for n in range(N):
        s = dem_share[n, 0] * mult[n * D]
        for d in range(1, D):
            s += dem_share[n, d] * mult[n * D + d]
        scale[n] = s
        m = s if (s >= 1e-300 or np.isnan(s)) else 1e-300
        cum = 0.0
        for d in range(D):
            w = dem_share[n, d] * mult[n * D + d] / m
            cum = w if d == 0 else cum + w
            dem_cum[n, d] = cum
        dem_cum[n, D - 1] = 1.0
    for i in range(n_orig):
        lam[i] = base[i] * scale[origin_nat[i]]
    for i in range(n_car):
        lam[n_orig + i] = caravan_lam[i]
    return lam, dem_cum


def depart_rates_np(
    base: FloatArray,
    caravan_lam: FloatArray,
    dem_share: FloatArray,
    mult: FloatArray,
    origin_nat: npt.NDArray[np.integer],
) -> tuple[FloatArray, FloatArray]:
    """The NumPy twin of :func:`depart_rates` (as ``step_depart`` computed them)."""
    D = dem_share.shape[1]
    weighted = dem_share * mult.reshape(-1, D)  # (N, D)
    scale = weighted.sum(axis=1)  # (N,)
    dem_cum = np.cumsum(weighted / np.maximum(scale, 1e-300)[:, None], axis=1)
    dem_cum[:, -1] = 1.0
    return np.concatenate([base * scale[origin_nat], caravan_lam]), dem_cum
