"""Numba kernels of the daily route utilities (step ``policy``, ``routes.update_tables``) and of
the travel choice tables of the rows in use (step ``move``, ``routes.travel_tables``), with their
NumPy twins (the test oracles, ``tests/unit/test_route_kernels.py``).

``route_utils`` is the utility of each link per group, today (``docs/model.md`` §3.3.7):

    w_risk × risk × days + w_enforcement × (hazard on the link × days + hazard at its end)
    + w_queue_length × people at its end + w_network_ties × co-national share at its end

where a hazard is the zone's hazard for the group × the zone's effort (0 outside any zone) and
the stocks are the census of the previous evening. One pass over (group, link), the same
operations in the same order as the twin (a dozen NumPy calls on (G, E) tables, which were most
of the step ``policy``): the same bits.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

from corredor.rules.corridor.kernels import _cumulative_within, _put_candidates, within_table_np

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


@nb.njit(cache=True)
def route_utils(  # type: ignore[no-untyped-def]
    w_r, w_e, w_q, w_n, link_risk, link_days, link_zone, link_to, zone_of_loc, hazard, effort,
    stock_loc, stock_loc_nat, group_nat,
):  # fmt: skip
    """The (G, E) utilities (module docstring); ``hazard`` (Z, G), ``effort`` (Z,),
    ``stock_loc`` (L,), ``stock_loc_nat`` (L, N), ``group_nat`` (G,)."""
    G, E = group_nat.shape[0], link_to.shape[0]
    util = np.empty((G, E))
    for g in range(G):
        nat = group_nat[g]
        for e in range(E):
            z = link_zone[e]
            hz_link = hazard[z, g] * effort[z] if z >= 0 else 0.0
            j = link_to[e]
            zj = zone_of_loc[j]
            hz_loc = hazard[zj, g] * effort[zj] if zj >= 0 else 0.0
            share = stock_loc_nat[j, nat] / max(stock_loc[j], 1.0)
            util[g, e] = (
                w_r * (link_risk[e] * link_days[e])
                + w_e * (hz_link * link_days[e] + hz_loc)
                + w_q * stock_loc[j]
                + w_n * share
            )
    return util


def hazard_tables(
    link_zone: IntArray,
    zone_of_loc: IntArray,
    hazard: FloatArray,
    effort: FloatArray,
    n_zones: int,
) -> tuple[FloatArray, FloatArray]:
    """Hazard per day at each place (G, L) and on each link (G, E), per group: the zone's
    hazard for the group × the zone's effort, 0 outside any zone."""
    G, L, E = hazard.shape[1], zone_of_loc.shape[0], link_zone.shape[0]
    if not n_zones:
        return np.zeros((G, L)), np.zeros((G, E))
    hz_loc = np.where(
        zone_of_loc[None, :] >= 0, hazard[zone_of_loc].T * effort[zone_of_loc][None, :], 0.0
    )
    hz_link = np.where(
        link_zone[None, :] >= 0, hazard[link_zone].T * effort[link_zone][None, :], 0.0
    )
    return hz_loc, hz_link


def route_utils_np(
    w_r: float,
    w_e: float,
    w_q: float,
    w_n: float,
    link_risk: FloatArray,
    link_days: FloatArray,
    link_zone: IntArray,
    link_to: IntArray,
    zone_of_loc: IntArray,
    hazard: FloatArray,
    effort: FloatArray,
    stock_loc: FloatArray,
    stock_loc_nat: FloatArray,
    group_nat: IntArray,
) -> FloatArray:
    """NumPy twin of :func:`route_utils` (the former body of ``routes.update_tables``)."""
    hz_loc, hz_link = hazard_tables(link_zone, zone_of_loc, hazard, effort, hazard.shape[0])
    to = link_to
    share = stock_loc_nat / np.maximum(stock_loc[:, None], 1.0)  # (L, N)
    util: FloatArray = (
        w_r * (link_risk * link_days)[None]
        + w_e * (hz_link * link_days[None] + hz_loc[:, to])
        + w_q * stock_loc[to][None]
        + w_n * share[to][:, group_nat].T
    )
    return util


@nb.njit(cache=True)
def travel_shift(rows, n_border, group_util, travel_left, travel_cand, link_from, n_loc):  # type: ignore[no-untyped-def]
    """The first half of the travel choice tables of ``rows`` (group × ``n_border`` + border
    city): each row's utilities (its group's + its border city's distance term) and candidates
    are read where they lie (no (R, E) gathers), and per row a candidate's utility less the
    largest candidate utility at its origin node is listed in ``vals`` (``kernels._logit_shift``,
    whose NaN rule it keeps). Returns the zero table, ``vals`` and the rows' candidates; the
    caller takes NumPy's ``exp`` of ``vals`` and finishes with :func:`travel_finish`."""
    R, E = rows.shape[0], link_from.shape[0]
    out = np.zeros((R, E))
    cand = np.empty((R, E), dtype=np.bool_)
    vals = np.empty(R * E)
    util = np.empty(E)
    top = np.empty(n_loc)
    k = 0
    for r in range(R):
        g, b = rows[r] // n_border, rows[r] % n_border
        top[:] = -np.inf
        for e in range(E):
            cand[r, e] = travel_cand[rows[r], e]
            util[e] = group_util[g, e] + travel_left[b, e]
            if cand[r, e]:
                v, m = util[e], top[link_from[e]]
                if not np.isnan(m) and not m >= v:
                    top[link_from[e]] = v
        for e in range(E):
            if cand[r, e]:
                vals[k] = util[e] - top[link_from[e]]
                k += 1
    return out, vals[:k].copy(), cand


@nb.njit(cache=True)
def travel_finish(w, cand, vals, out_off, link_from):  # type: ignore[no-untyped-def]
    """The candidates' exponentials ``vals`` into ``w`` and the cumulative tables in place
    (``kernels._put_candidates`` then ``kernels._cumulative_within``); returns ``has``."""
    _put_candidates(w, cand, vals)
    has = np.empty((w.shape[0], out_off.shape[0] - 1), dtype=np.bool_)
    _cumulative_within(w, out_off, link_from, has)
    return has


def travel_within(
    rows: npt.NDArray[np.int64],
    group_util: FloatArray,
    travel_left: FloatArray,
    travel_cand: npt.NDArray[np.bool_],
    out_off: npt.NDArray[np.int64],
    link_from: IntArray,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """The travel choice tables (``within``, ``has``) of ``rows``: two kernel calls around
    NumPy's ``exp`` (the same bits as ``kernels.within_table`` of the gathered utilities; twin
    :func:`travel_within_np`). Needs at least one border city."""
    B = travel_left.shape[0]
    w, vals, cand = travel_shift(
        rows, B, group_util, travel_left, travel_cand, link_from, out_off.shape[0] - 1
    )
    np.exp(vals, out=vals)
    return w, travel_finish(w, cand, vals, out_off, link_from)


def travel_within_np(
    rows: npt.NDArray[np.int64],
    group_util: FloatArray,
    travel_left: FloatArray,
    travel_cand: npt.NDArray[np.bool_],
    out_off: npt.NDArray[np.int64],
    link_from: IntArray,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """NumPy twin of :func:`travel_within`: the rows' utilities gathered, then
    ``kernels.within_table_np``."""
    g, b = np.divmod(rows, travel_left.shape[0])
    util = group_util[g] + travel_left[b]
    return within_table_np(util, travel_cand[rows], out_off, link_from)


@nb.njit(cache=True)
def _target_shift(  # type: ignore[no-untyped-def]
    loc, grp, group_nat, n_nat, border_ix, dist_to_city, stock_loc, stock_loc_nat, w_d, w_q, w_n
):  # fmt: skip
    """The rows (place × nationality, sorted) of today's agents, each agent's row, and per row
    the utilities of the border cities less the row's largest (``-inf``: unreachable), the
    arithmetic of :func:`target_draw_np`."""
    n = loc.shape[0]
    key = np.empty(n, dtype=np.int64)
    for i in range(n):
        key[i] = np.int64(loc[i]) * n_nat + group_nat[grp[i]]
    rows = np.unique(key)
    inv = np.searchsorted(rows, key)
    R, B = rows.shape[0], border_ix.shape[0]
    vals = np.empty((R, B))
    for r in range(R):
        place, nat = rows[r] // n_nat, rows[r] % n_nat
        for b in range(B):
            km = dist_to_city[b, place]
            bl = border_ix[b]
            share = stock_loc_nat[bl, nat] / max(stock_loc[bl], 1.0)
            u = w_d * (km if np.isfinite(km) else 0.0) + w_q * stock_loc[bl] + w_n * share
            vals[r, b] = u if np.isfinite(km) else -np.inf
        top = vals[r, 0]  # the row's maximum (NaN propagates, as in ``max``)
        for b in range(1, B):
            if np.isnan(vals[r, b]) or vals[r, b] > top:
                top = vals[r, b]
        shift = top if np.isfinite(top) else 0.0
        for b in range(B):
            v = vals[r, b]
            vals[r, b] = v - shift if np.isfinite(v) else -np.inf
    return vals, inv


@nb.njit(cache=True)
def _target_pick(w, tot, inv, u):  # type: ignore[no-untyped-def]
    """Each agent's border city: the number of cumulative probabilities of its row at or below
    its draw ``u`` (at most the last city), -1 where the row has no reachable city."""
    n, B = inv.shape[0], w.shape[1]
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        r = inv[i]
        d = max(tot[r], 1e-300)
        cum, k = 0.0, 0
        for b in range(B):
            cum += w[r, b] / d
            if u[i] >= cum:
                k += 1
        out[i] = min(k, B - 1) if tot[r] > 0 else -1
    return out


def target_draw(
    loc: IntArray,
    grp: IntArray,
    group_nat: IntArray,
    border_ix: IntArray,
    dist_to_city: FloatArray,
    stock_loc: FloatArray,
    stock_loc_nat: FloatArray,
    weights: tuple[float, float, float],
    u: FloatArray,
) -> npt.NDArray[np.int64]:
    """The border city (index into ``border_ix``; -1: none reachable) each agent at ``loc`` of
    group ``grp`` heads for, by its draw ``u`` (``routes.choose_target``; ``weights``: distance,
    queue length, network ties). Two kernel calls around NumPy's ``exp`` and row sums (the
    same bits as the twin :func:`target_draw_np`). Needs at least one agent and one city."""
    N = stock_loc_nat.shape[1]
    vals, inv = _target_shift(
        loc, grp, group_nat, N, border_ix, dist_to_city, stock_loc, stock_loc_nat, *weights
    )
    w = np.exp(vals)
    out: npt.NDArray[np.int64] = _target_pick(w, w.sum(axis=1), inv, u)
    return out


def target_draw_np(
    loc: IntArray,
    grp: IntArray,
    group_nat: IntArray,
    border_ix: IntArray,
    dist_to_city: FloatArray,
    stock_loc: FloatArray,
    stock_loc_nat: FloatArray,
    weights: tuple[float, float, float],
    u: FloatArray,
) -> npt.NDArray[np.int64]:
    """NumPy twin of :func:`target_draw` (the former body of ``routes.choose_target``): the
    logit table made once per (place, nationality) row among the agents."""
    w_d, w_q, w_n = weights
    N = stock_loc_nat.shape[1]
    b_loc = border_ix
    key = loc.astype(np.int64) * N + group_nat[grp]
    rows, inv = np.unique(key, return_inverse=True)
    place, nat = rows // N, rows % N
    km = dist_to_city[:, place].T  # (rows, B)
    share = stock_loc_nat[b_loc] / np.maximum(stock_loc[b_loc, None], 1.0)
    util = (
        w_d * np.where(np.isfinite(km), km, 0.0)
        + w_q * stock_loc[b_loc][None]
        + w_n * share[:, nat].T
    )
    util = np.where(np.isfinite(km), util, -np.inf)
    top = util.max(axis=1, keepdims=True)
    w = np.where(np.isfinite(util), np.exp(util - np.where(np.isfinite(top), top, 0.0)), 0.0)
    tot = w.sum(axis=1, keepdims=True)
    cum = np.cumsum(w / np.maximum(tot, 1e-300), axis=1)
    pick = np.minimum((u[:, None] >= cum[inv]).sum(axis=1), len(b_loc) - 1)
    out: npt.NDArray[np.int64] = np.where(tot[inv, 0] > 0, pick, -1)
    return out


@nb.njit(cache=True)
def ahead_kernel(  # type: ignore[no-untyped-def]
    nodes, out_off, link_to, link_crossing, link_km, link_days, dist_border, hz_loc, hz_link
):  # fmt: skip
    """Per group and place, the hazard-days ahead on the shortest way to the border
    (``routes.ahead_table``; twin :func:`ahead_np`). ``nodes``: the places with a finite
    distance to the border, nearest first (a place's next one is strictly nearer, so it is
    done before it)."""
    G, L = hz_loc.shape
    ahead = np.zeros((G, L))
    for i in nodes:
        best, best_link, best_j = np.inf, -1, -1
        for link in range(out_off[i], out_off[i + 1]):
            j = link_to[link]
            if link_crossing[link] or not dist_border[j] < dist_border[i]:
                continue
            v = link_km[link] + dist_border[j]
            if best_link < 0 or v < best:
                best, best_link, best_j = v, link, j
        if best_link >= 0:
            for g in range(G):
                ahead[g, i] = (
                    hz_loc[g, i] + hz_link[g, best_link] * link_days[best_link] + ahead[g, best_j]
                )
        else:
            for g in range(G):
                ahead[g, i] = hz_loc[g, i]
    return ahead


def ahead_np(
    nodes: npt.NDArray[np.int64],
    out_off: npt.NDArray[np.int64],
    link_to: IntArray,
    link_crossing: npt.NDArray[np.bool_],
    link_km: FloatArray,
    link_days: FloatArray,
    dist_border: FloatArray,
    hz_loc: FloatArray,
    hz_link: FloatArray,
) -> FloatArray:
    """NumPy twin of :func:`ahead_kernel` (the former loop of ``routes.ahead_table``)."""
    G, L = hz_loc.shape
    ahead = np.zeros((G, L))
    for i in nodes.tolist():
        lo, hi = out_off[i], out_off[i + 1]
        best = None
        for link in range(lo, hi):
            j = link_to[link]
            if link_crossing[link] or not dist_border[j] < dist_border[i]:
                continue
            if best is None or link_km[link] + dist_border[j] < best[0]:
                best = (link_km[link] + dist_border[j], link, j)
        if best is not None:
            _, link, j = best
            ahead[:, i] = hz_loc[:, i] + hz_link[:, link] * link_days[link] + ahead[:, j]
        else:
            ahead[:, i] = hz_loc[:, i]
    return ahead
