"""Numba kernel of the daily route utilities (step ``policy``, ``routes.update_tables``) and its
NumPy twin (the test oracle, ``tests/unit/test_route_kernels.py``).

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
