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
from corredor.rules.corridor.route_kernels import (
    ahead_kernel,
    hazard_tables,
    route_utils,
    target_draw,
    travel_within,
)
from corredor.rules.corridor.state import CorridorState

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]


def update_tables(st: CorridorState, day: int) -> None:
    """Today's logit choice tables over next links (travel: the utilities, the tables are made
    for the rows in use by :func:`travel_tables`) and crossing links, per group."""
    c, rt = st.c, st.routes
    G = c.n_groups
    w_d = st.weight("distance")
    w_r = st.weight("risk")
    w_e = st.weight("enforcement")
    w_q = st.weight("queue_length")
    w_n = st.weight("network_ties")
    eff, hazard = st.effort, st.hazard
    to = c.link_to
    # the utilities per group and link (G, E) in one kernel pass (twin: route_utils_np)
    util = route_utils(
        w_r, w_e, w_q, w_n, c.link_risk, c.link_days, c.link_zone, to, c.zone_of_loc,
        hazard, eff, st.census.here, st.census.here_nat, c.group_nat,
    )  # fmt: skip
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
    cross_key = key + np.float64(w_e).tobytes()
    if cross_key == rt.cross_key and key == rt.ahead_key:
        return
    hz_loc, hz_link = hazard_tables(c.link_zone, c.zone_of_loc, hazard, eff, len(c.zone_names))
    if cross_key != rt.cross_key:
        rt.cross_within, rt.cross_has = within_table(
            w_e * hz_link * c.link_days[None], c.link_crossing, c.out_off, c.link_from
        )
        rt.cross_key = cross_key
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
    if B:  # two kernel calls around NumPy's exp (twin: route_kernels.travel_within_np)
        return travel_within(
            rows, rt.travel_group_util, rt.travel_left, rt.travel_cand, c.out_off, c.link_from
        )
    # no border city: no rows (an index error, as an empty table of rows gives)
    return within_table(rt.travel_left[rows], rt.travel_cand[rows], c.out_off, c.link_from)


def ahead_table(st: CorridorState, hz_loc: FloatArray, hz_link: FloatArray) -> FloatArray:
    """Per group and place, the hazard-days ahead on the shortest way to the border (one kernel
    call, places nearest the border first; twin: route_kernels.ahead_np)."""
    c = st.c
    order = np.argsort(-np.where(np.isfinite(c.dist_border), c.dist_border, -1))
    nodes = order[::-1][np.isfinite(c.dist_border[order[::-1]])].astype(np.int64)
    ahead: FloatArray = ahead_kernel(
        nodes, c.out_off, c.link_to, c.link_crossing, c.link_km, c.link_days, c.dist_border,
        hz_loc, hz_link,
    )  # fmt: skip
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
    # two kernel calls around NumPy's exp (twin: route_kernels.target_draw_np)
    weights = (st.weight("distance"), st.weight("queue_length"), st.weight("network_ties"))
    a["target"][ids] = target_draw(
        a["loc"][ids], a["group"][ids], c.group_nat, c.border_ix, c.dist_to_city,
        st.census.here, st.census.here_nat, weights, st.u(st.keys.route, ids, 99),
    )  # fmt: skip
