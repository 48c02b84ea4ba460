"""Route choice: today's logit tables over next links, the border city a departing agent heads
for, and link draws from the tables (``docs/model.md`` §3.3.7).

Parameters read (``decisions.weights``, per day): ``distance`` (per km), ``risk`` (per unit of
link risk × days on it), ``enforcement`` (per hazard-day of apprehension), ``queue_length``
(per person at the next place), ``network_ties`` (per share of co-nationals at the next place).
The utilities use the census of the previous evening (``state.census``) and today's effort and
hazards (``state.effort``, ``state.hazard``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from corredor.rules.corridor.kernels import draw_links, within_table
from corredor.rules.corridor.kernels_decide import (
    TARGET_MAX_CITIES,
    target_choice,
    target_choice_np,
)
from corredor.rules.corridor.state import CorridorState

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]


def update_tables(st: CorridorState, day: int) -> None:
    """Today's logit choice tables over next links (travel: the utilities, the tables are made
    for the rows in use by :func:`travel_tables`) and crossing links, per group."""
    c, rt = st.c, st.routes
    G, L = c.n_groups, len(c.loc_names)
    w_d = st.weight("distance")
    w_r = st.weight("risk")
    w_e = st.weight("enforcement")
    w_q = st.weight("queue_length")
    w_n = st.weight("network_ties")
    eff, hazard = st.effort, st.hazard
    # hazard per day at each place and on each link, per group (G, L) and (G, E)
    hz_loc = (
        np.where(
            c.zone_of_loc[None, :] >= 0,
            hazard[c.zone_of_loc].T * eff[c.zone_of_loc][None, :],
            0.0,
        )
        if len(c.zone_names)
        else np.zeros((G, L))
    )
    hz_link = (
        np.where(
            c.link_zone[None, :] >= 0,
            hazard[c.link_zone].T * eff[c.link_zone][None, :],
            0.0,
        )
        if len(c.zone_names)
        else np.zeros((G, len(c.link_to)))
    )
    to = c.link_to
    stock_loc, stock_loc_nat = st.census.here, st.census.here_nat
    share = stock_loc_nat / np.maximum(stock_loc[:, None], 1.0)  # (L, N)
    util = (
        w_r * (c.link_risk * c.link_days)[None]
        + w_e * (hz_link * c.link_days[None] + hz_loc[:, to])
        + w_q * stock_loc[to][None]
        + w_n * share[to][:, c.group_nat].T
    )  # (G, E)
    # rows g * B + b: group g heading for border city b; links that get closer to b
    # (the distance term and the candidate links change only with the distance weight)
    if rt.travel_key != np.float64(w_d).tobytes():
        d_to = c.dist_to_city[:, to]  # (B, E)
        rt.travel_left = w_d * (c.link_km[None] + np.where(np.isfinite(d_to), d_to, 0.0))
        travel = (d_to < c.dist_to_city[:, c.link_from]) & ~c.link_crossing[None]
        rt.travel_cand = np.tile(travel, (G, 1))
        rt.travel_key = np.float64(w_d).tobytes()
    # the tables of the rows travellers use today are made by the movement step (travel_tables,
    # with each row's utilities: its group's plus its border city's distance term)
    rt.travel_group_util = util
    # the crossing table and the hazard-days ahead on the shortest way to the border change
    # only with the effort and the hazards (and the enforcement weight)
    key = eff.tobytes() + hazard.tobytes()
    if key + np.float64(w_e).tobytes() != rt.cross_key:
        rt.cross_within, rt.cross_has = within_table(
            w_e * hz_link * c.link_days[None], c.link_crossing, c.out_off, c.link_from
        )
        rt.cross_key = key + np.float64(w_e).tobytes()
    if key != rt.ahead_key:
        rt.ahead, rt.ahead_key = ahead_table(st, hz_loc, hz_link), key


def travel_tables(
    st: CorridorState, rows: npt.NDArray[np.int64]
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Today's travel choice tables (``within``, ``has``; see ``kernels.within_table``) of the
    rows ``rows`` (group × border cities + target), in that order: the rows of the people who
    travel today, often half of the G × B rows. Each row is computed on its own, so a row has the
    same bits whichever other rows are asked for."""
    c, rt = st.c, st.routes
    if rows.shape[0] == 0:
        return np.zeros((1, len(c.link_to))), np.zeros((1, len(c.loc_names)), dtype=bool)
    B = rt.travel_left.shape[0]
    if B:
        g, b = np.divmod(rows, B)
        util = rt.travel_group_util[g] + rt.travel_left[b]
    else:  # no border city: no rows (an index error, as an empty table of rows gives)
        util = rt.travel_left[rows]
    return within_table(util, rt.travel_cand[rows], c.out_off, c.link_from)


def ahead_table(st: CorridorState, hz_loc: FloatArray, hz_link: FloatArray) -> FloatArray:
    """Per group and place, the hazard-days ahead on the shortest way to the border."""
    c = st.c
    G, L = hz_loc.shape
    order = np.argsort(-np.where(np.isfinite(c.dist_border), c.dist_border, -1))
    ahead = np.zeros((G, L))
    # process places nearest the border first
    nodes = [i for i in order[::-1] if np.isfinite(c.dist_border[i])]
    for i in nodes:
        lo, hi = c.out_off[i], c.out_off[i + 1]
        best = None
        for link in range(lo, hi):
            j = c.link_to[link]
            if c.link_crossing[link] or not c.dist_border[j] < c.dist_border[i]:
                continue
            if best is None or c.link_km[link] + c.dist_border[j] < best[0]:
                best = (c.link_km[link] + c.dist_border[j], link, j)
        if best is not None:
            _, link, j = best
            ahead[:, i] = hz_loc[:, i] + hz_link[:, link] * c.link_days[link] + ahead[:, j]
        else:
            ahead[:, i] = hz_loc[:, i]
    return ahead


def choose_link(
    st: CorridorState, ids: IntArray, within: FloatArray, has: npt.NDArray[np.bool_], k: int = 0
) -> npt.NDArray[np.int64]:
    """A link out of each agent's place drawn from a per-group table (-1: no candidate)."""
    a = st.agents
    u = st.u(st.keys.route, ids, k)
    place = a["loc"][ids].astype(np.int64)
    row = a["group"][ids].astype(np.int64)
    link: npt.NDArray[np.int64] = draw_links(u, place, row, st.c.out_off, within, has)
    return link  # (kernel twin: kernels.draw_links_np)


def choose_target(st: CorridorState, ids: IntArray) -> None:
    """The border city each departing agent heads for: a multinomial logit over the border
    cities reachable from its place, U_b = w_distance × km to b + w_queue_length × people
    waiting in b + w_network_ties × co-national share in b (the same weights as the route
    choice; docs/model.md §3.3.7).

    The utilities depend on the agent only through its place and nationality: the choice
    table is made once per (place, nationality) among today's agents (a few dozen rows for
    thousands of agents; each row's operations are the same, so the same bits)."""
    c, a = st.c, st.agents
    if ids.shape[0] == 0 or len(c.border_ix) == 0:
        return
    # the tables and the draws in one call (kernel twin: kernels_decide.target_choice_np)
    choice = target_choice if len(c.border_ix) <= TARGET_MAX_CITIES else target_choice_np
    a["target"][ids] = choice(
        ids, a["loc"], a["group"], c.group_nat, len(c.nat_names), c.dist_to_city, c.border_ix,
        st.census.here, st.census.here_nat, st.weight("distance"), st.weight("queue_length"),
        st.weight("network_ties"), st.u(st.keys.route, ids, 99),
    )  # fmt: skip
