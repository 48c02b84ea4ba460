"""Numba kernel of the corridor's ``move`` process, and its NumPy twin (the test oracle).

``move_day`` moves the day's exposed agents (``TRAVEL``, ``BORDER``, ``CROSSING``) and
accumulates their exposure to enforcement (``docs/model.md`` §3.3.7–3.3.9). Agents do not
interact while moving (the choice tables and hazards are fixed for the day), so the kernel
handles one agent at a time, in parallel (on one thread on the days with few people in motion:
``process_movement``); ``move_day_np`` does the same hop by hop over arrays. Both give the same
bits, on any number of threads (``tests/unit/test_corridor_kernels.py``).

A day is a budget of 1 spent in at most ``max_hops`` hops. In a hop an agent at a place draws its
next link (``uniform(key_route, day, agent, 1 + hop)`` against the row's cumulative choice
probabilities ``within``; no candidate: it stays); on a link it advances ``dt = min(budget,
t_left)``, gains exposure ``hazard × effort × mult × dt`` in the link's zone and may be harmed
(``uniform(key_harm, day, agent, hop) < 1 − exp(−risk × dt)``); on arrival it stops at the end of
a crossing, at the border city it heads for (then ``BORDER``), at a place with an open office, or
in the destination, and is exposed at that place for the rest of the day. Whoever is still at a
place after the last hop (and ``BORDER`` agents, who do not move) is exposed there for what is
left of the budget.

Inputs (E links, L places, R = rows of the choice table, Z zones, G groups):
``row`` (n,) choice-table row of each agent (group × border cities + target); ``group`` (n,);
``target_loc`` (n,) the place of its border city (-1: none); ``mult`` (n,) hazard multiplier;
``within`` (R, E) cumulative choice probability within the link's origin node (1 at the node's
last candidate); ``has`` (R, L) whether the row has a candidate at the place.

Outputs: the agents' new ``loc``, ``link``, ``t_left`` and ``phase`` (in place), ``expo`` and
``ezone`` (n,), and the events: arrivals (agent index, link arrived by) and harms (agent index,
place).
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

from corredor.engine.rng import uniform_from_key_np, uniform_k

EPS = 1e-6
#: phase codes (corredor.rules.corridor.state.Phase)
TRAVEL, BORDER, CROSSING = 0, 1, 3

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


@nb.njit(inline="always", cache=True)
def _expose(i, place, budget, g, zone_of_loc, hazard, effort, mult, expo, ezone):
    z = zone_of_loc[place]
    if z >= 0:
        hz = hazard[z, g] * effort[z] * mult
        expo[i] += hz * budget
        if hz > 0:
            ezone[i] = z


@nb.njit(cache=True, parallel=True)
def move_day(
    ids, loc, link, t_left, phase, row, group, target_loc, mult,
    out_off, link_to, link_days, link_zone, link_risk, link_crossing,
    zone_of_loc, hazard, effort, within, has, stop_loc, loc_in_dest,
    key_route, key_harm, day, max_hops,
    expo, ezone, arrived, harmed,
):  # fmt: skip
    """The numba kernel (module docstring). ``arrived`` (max_hops, n) gets the link of each
    arrival per hop (its end is the place reached), ``harmed`` the place of each harm (-1:
    none)."""
    n = ids.shape[0]
    for i in nb.prange(n):
        a = ids[i]
        g = group[i]
        m = mult[i]
        budget = 1.0
        if phase[a] != BORDER:
            for hop in range(max_hops):
                if budget <= EPS:
                    break
                if link[a] < 0:
                    place = loc[a]
                    nxt = -1
                    if has[row[i], place]:
                        u = uniform_k(key_route, day, a, 1 + hop)
                        for e in range(out_off[place], out_off[place + 1]):
                            if u < within[row[i], e]:
                                nxt = e
                                break
                    if nxt < 0:
                        _expose(i, place, budget, g, zone_of_loc, hazard, effort, m, expo, ezone)
                        budget = 0.0
                        break
                    link[a] = nxt
                    t_left[a] = link_days[nxt]
                e = link[a]
                dt = min(budget, np.float64(t_left[a]))
                z = link_zone[e]
                if z >= 0:
                    hz = hazard[z, g] * effort[z] * m
                    expo[i] += hz * dt
                    if hz > 0:
                        ezone[i] = z
                # harmed iff u < 1 - exp(-x); that is at most x < 2x (x >= 0), so the
                # exponential is needed only for the rare u below 2x (the same bits)
                x = link_risk[e] * dt
                u = uniform_k(key_harm, day, a, hop)
                if u < 2.0 * x and u < -np.expm1(-x):
                    harmed[hop, i] = loc[a]
                left = np.float64(t_left[a]) - dt
                t_left[a] = max(left, 0.0)
                budget -= dt
                if left <= EPS:
                    dest = link_to[e]
                    loc[a] = dest
                    link[a] = -1
                    arrived[hop, i] = e
                    crossing = phase[a] == CROSSING
                    at_target = dest == target_loc[i] and not crossing
                    if at_target:
                        phase[a] = BORDER
                    if at_target or crossing or stop_loc[dest] or loc_in_dest[dest]:
                        _expose(i, dest, budget, g, zone_of_loc, hazard, effort, m, expo, ezone)
                        budget = 0.0
                        break
        if budget > EPS and link[a] < 0:
            _expose(i, loc[a], budget, g, zone_of_loc, hazard, effort, m, expo, ezone)


def within_table(
    util: FloatArray,
    cand: npt.NDArray[np.bool_],
    out_off: npt.NDArray[np.int64],
    link_from: IntArray,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Logit choice tables: ``within[r, e]`` is the cumulative probability of the candidate
    links of ``e``'s origin node up to ``e`` (exactly 1 at the node's last candidate), and
    ``has[r, i]`` says whether row ``r`` has a candidate at place ``i``. ``util`` (R, E).

    Numba passes around one NumPy ``exp`` (so the exponentials are NumPy's, as in the
    twin :func:`within_table_np`): the same bits, without the two dozen NumPy calls on
    small tables that made this a fixed cost of every day. The ``exp`` is taken of the
    candidates only (most links are not a row's candidates, and ``exp(-inf)`` is NumPy's slow
    path): the others' exponential is 0."""
    cand = np.ascontiguousarray(np.broadcast_to(cand, util.shape))
    R, L = util.shape[0], out_off.shape[0] - 1
    w, vals = _logit_shift(np.ascontiguousarray(util), cand, link_from, L)
    np.exp(vals, out=vals)
    _put_candidates(w, cand, vals)
    has = np.empty((R, L), dtype=np.bool_)
    _cumulative_within(w, out_off, link_from, has)
    return w, has


@nb.njit(cache=True)
def _logit_shift(util, cand, link_from, n_loc):  # type: ignore[no-untyped-def]
    """Per row: a candidate's utility less the largest candidate utility at its origin node
    (NaN propagates as in ``np.maximum``), listed row by row in ``vals``; the table is 0 for
    the links that are not candidates (the exponential of their -inf)."""
    R, E = util.shape
    out = np.zeros((R, E))
    vals = np.empty(R * E)
    k = 0
    top = np.empty(n_loc)
    for r in range(R):
        top[:] = -np.inf
        for e in range(E):
            if cand[r, e]:
                v, m = util[r, e], top[link_from[e]]
                if not np.isnan(m) and not m >= v:
                    top[link_from[e]] = v
        for e in range(E):
            if cand[r, e]:
                vals[k] = util[r, e] - top[link_from[e]]
                k += 1
    return out, vals[:k].copy()


@nb.njit(cache=True)
def _put_candidates(w, cand, vals):  # type: ignore[no-untyped-def]
    """The candidates' values ``vals`` (row by row) into the table ``w``."""
    R, E = w.shape
    k = 0
    for r in range(R):
        for e in range(E):
            if cand[r, e]:
                w[r, e] = vals[k]
                k += 1


@nb.njit(cache=True)
def _cumulative_within(w, out_off, link_from, has):  # type: ignore[no-untyped-def]
    """``w`` (the candidates' exponentials) in place: the running sum of the row less the
    sum before the origin node's first link, divided by the node's total; ``has``: total > 0.
    The arithmetic of :func:`within_table_np` (a running sum over the whole row)."""
    R, E = w.shape
    L = out_off.shape[0] - 1
    before = np.empty(L)
    total = np.empty(L)
    for r in range(R):
        acc = 0.0
        for e in range(E):
            acc += w[r, e]
            w[r, e] = acc
        for v in range(L):
            before[v] = w[r, out_off[v] - 1] if out_off[v] > 0 else 0.0
        for e in range(E):
            w[r, e] -= before[link_from[e]]
        for v in range(L):
            if out_off[v + 1] > out_off[v]:
                last = out_off[v + 1] - 1
                total[v] = w[r, last]
            else:
                total[v] = 0.0
            has[r, v] = total[v] > 0
        for e in range(E):
            t = total[link_from[e]]
            w[r, e] /= t if t > 0 else 1.0


def within_table_np(
    util: FloatArray,
    cand: npt.NDArray[np.bool_],
    out_off: npt.NDArray[np.int64],
    link_from: IntArray,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """The NumPy twin of :func:`within_table` (the readable spec)."""
    R, L = util.shape[0], out_off.shape[0] - 1
    cand = np.broadcast_to(cand, util.shape)
    x = np.where(cand, util, -np.inf)
    node_max = np.full((R, L), -np.inf)
    start = out_off[:-1]
    nonempty = out_off[1:] > start
    if np.array_equal(link_from, np.repeat(np.arange(L), np.diff(out_off))):
        # links grouped by origin node (CSR): a segment maximum (the same values as below)
        node_max[:, nonempty] = np.maximum.reduceat(x, start[nonempty], axis=1)
    else:
        np.maximum.at(node_max, (slice(None), link_from), x)
    with np.errstate(invalid="ignore"):
        w = np.where(cand, np.exp(x - node_max[:, link_from]), 0.0)
    cs = np.cumsum(w, axis=1)
    before = np.where(start > 0, cs[:, np.maximum(start - 1, 0)], 0.0)  # (R, L)
    within = cs - before[:, link_from]
    has_links = out_off[1:] > start
    total = np.where(has_links[None, :], within[:, np.maximum(out_off[1:] - 1, 0)], 0.0)
    within = within / np.where(total > 0, total, 1.0)[:, link_from]
    return within, total > 0


@nb.njit(cache=True)
def draw_links(u, place, row, out_off, within, has):  # type: ignore[no-untyped-def]
    """The first link out of ``place`` whose ``within`` exceeds ``u`` (-1: no candidate): one
    pass over the agents (twin :func:`draw_links_np`)."""
    n = u.shape[0]
    out = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        x, r = place[i], row[i]
        if has[r, x]:
            for e in range(out_off[x], out_off[x + 1]):
                if u[i] < within[r, e]:
                    out[i] = e
                    break
    return out


def draw_links_np(
    u: FloatArray,
    place: npt.NDArray[np.int64],
    row: npt.NDArray[np.int64],
    out_off: npt.NDArray[np.int64],
    within: FloatArray,
    has: npt.NDArray[np.bool_],
) -> npt.NDArray[np.int64]:
    """The first link out of ``place`` whose ``within`` exceeds ``u`` (-1: no candidate)."""
    n = u.shape[0]
    deg = np.diff(out_off)
    width = int(deg.max()) if deg.shape[0] else 0
    cand = has[row, place]
    if n == 0 or width == 0 or not cand.any():
        return np.full(n, -1, dtype=np.int64)
    e = out_off[place][:, None] + np.arange(width)[None, :]
    valid = e < out_off[place + 1][:, None]
    w = np.where(valid, within[row[:, None], np.minimum(e, within.shape[1] - 1)], -1.0)
    hit = valid & (u[:, None] < w)
    first = np.argmax(hit, axis=1)
    k = np.arange(n)
    return np.where(hit[k, first] & cand, e[k, first], -1)


def move_day_np(
    ids: IntArray,
    loc: IntArray,
    link: IntArray,
    t_left: npt.NDArray[np.float32],
    phase: npt.NDArray[np.int8],
    row: npt.NDArray[np.int64],
    group: npt.NDArray[np.int64],
    target_loc: npt.NDArray[np.int64],
    mult: FloatArray,
    out_off: npt.NDArray[np.int64],
    link_to: IntArray,
    link_days: FloatArray,
    link_zone: IntArray,
    link_risk: FloatArray,
    link_crossing: npt.NDArray[np.bool_],
    zone_of_loc: IntArray,
    hazard: FloatArray,
    effort: FloatArray,
    within: FloatArray,
    has: npt.NDArray[np.bool_],
    stop_loc: npt.NDArray[np.bool_],
    loc_in_dest: npt.NDArray[np.bool_],
    key_route: np.uint64,
    key_harm: np.uint64,
    day: int,
    max_hops: int,
    expo: FloatArray,
    ezone: IntArray,
    arrived: IntArray,
    harmed: IntArray,
) -> None:
    """The NumPy twin of :func:`move_day`: the same arithmetic, hop by hop over arrays."""
    n = ids.shape[0]
    budget = np.ones(n)

    def expose(sel: npt.NDArray[np.int64]) -> None:
        if sel.shape[0] == 0:
            return
        z = zone_of_loc[loc[ids[sel]]]
        zz = np.maximum(z, 0)
        hz = np.where(z >= 0, hazard[zz, group[sel]] * effort[zz] * mult[sel], 0.0)
        expo[sel] += np.where(z >= 0, hz * budget[sel], 0.0)
        ezone[sel] = np.where(hz > 0, z, ezone[sel])

    movers = np.flatnonzero(phase[ids] != BORDER)
    for hop in range(max_hops):
        movers = movers[budget[movers] > EPS]
        if movers.shape[0] == 0:
            break
        # at a place: draw the next link
        at_node = movers[link[ids[movers]] < 0]
        if at_node.shape[0]:
            a = ids[at_node]
            u = uniform_from_key_np(key_route, day, a.astype(np.int64), 1 + hop)
            nxt = draw_links_np(u, loc[a].astype(np.int64), row[at_node], out_off, within, has)
            go = nxt >= 0
            link[a[go]] = nxt[go]
            t_left[a[go]] = link_days[nxt[go]]
            stay = at_node[~go]
            expose(stay)
            budget[stay] = 0.0
        on = movers[(budget[movers] > EPS) & (link[ids[movers]] >= 0)]
        a = ids[on]
        e = link[a]
        dt = np.minimum(budget[on], t_left[a].astype(np.float64))
        z = link_zone[e]
        zz = np.maximum(z, 0)
        hz = np.where(z >= 0, hazard[zz, group[on]] * effort[zz] * mult[on], 0.0)
        expo[on] += np.where(z >= 0, hz * dt, 0.0)
        ezone[on] = np.where(hz > 0, z, ezone[on])
        harm = uniform_from_key_np(key_harm, day, a.astype(np.int64), hop) < -np.expm1(
            -link_risk[e] * dt
        )
        harmed[hop, on[harm]] = loc[a[harm]]
        left = t_left[a].astype(np.float64) - dt
        t_left[a] = np.maximum(left, 0.0)
        budget[on] -= dt
        done = left <= EPS
        sel, arr = on[done], a[done]
        if arr.shape[0]:
            via = link[arr]
            dest = link_to[via]
            loc[arr] = dest
            link[arr] = -1
            arrived[hop, sel] = via
            crossing = phase[arr] == CROSSING
            at_target = (dest == target_loc[sel]) & ~crossing
            phase[arr[at_target]] = BORDER
            stop = at_target | crossing | stop_loc[dest] | loc_in_dest[dest]
            expose(sel[stop])
            budget[sel[stop]] = 0.0
    idle = np.flatnonzero(budget > EPS)
    idle = idle[link[ids[idle]] < 0]
    expose(idle)
