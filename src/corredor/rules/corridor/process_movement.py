"""Process ``move``: agents travel along links at the links' speeds, choosing each next link by
utility (a multinomial logit: today's utilities from ``routes.update_tables``, the tables of the
rows in use from ``routes.travel_tables``); the time spent in each enforcement zone today is
their exposure (``docs/model.md`` §3.3.7–3.3.9).

The numba kernel :func:`~corredor.rules.corridor.kernels.move_day` moves one agent per thread
(its NumPy twin ``move_day_np`` is the test oracle). Caravan members' hazard is multiplied by
their caravan's ``hazard_multiplier`` while they travel. Travellers stop at the border city they
head for (then ``BORDER``), at a place with an open asylum or visa office, at the end of a
crossing, or in the destination. The arrivals (and the links they came by) and harms are
announced hop by hop; the exposure is left in ``state.exposure`` for ``enforce``.

No parameter is read here beyond the compiled arrays and today's tables.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

from corredor.rules.corridor.active import drain_hops, move_inputs, new_at_border, rows_in_use
from corredor.rules.corridor.kernels import move_day
from corredor.rules.corridor.move_kernels import stop_places
from corredor.rules.corridor.routes import travel_tables
from corredor.rules.corridor.state import (
    EV_ARRIVE,
    EV_HARM,
    MAX_HOPS,
    CorridorState,
    Exposure,
    Phase,
)
from corredor.rules.corridor.transitions import set_phase

IntArray = npt.NDArray[np.int32]

#: Below this many exposed agents the movement kernel runs on the calling thread only: the work
#: is smaller than the cost of waking the worker threads and waiting for the slowest at the
#: region's end. The full-scale built-in corridor moves 37,000-60,000 agents a day (10th-90th
#: percentile), the web's reduced-scale preview (``--people-per-agent 50``) under 2,000, so the
#: first runs on every thread and the second on one. On a machine whose cores are busy with
#: other processes, a thread descheduled for a time slice makes the whole region wait for it:
#: there ``--threads 1`` is faster (docs/benchmarks.md). The results do not depend on the
#: thread count.
SERIAL_BELOW = 8_000


def step_move(st: CorridorState, day: int) -> None:
    c, a = st.c, st.agents
    # the exposed agents and their inputs in one pass (kernel twin: active.move_inputs_np);
    # caravans: hazard × the caravan's multiplier while travelling (1 otherwise)
    exposed, g, row, target_loc, was, mult = move_inputs(
        st.active, a["phase"], a["group"], a["target"], a["caravan"], c.border_ix,
        c.caravan_hazard, shared_rows(st),
    )  # fmt: skip
    n = exposed.shape[0]
    expo = np.zeros(n)
    ezone = np.full(n, -1, dtype=np.int32)
    arrived, harmed = hop_tables(st, n)
    if n:
        within, has, row = tables_in_use(st, row, was)
        # few movers: on this thread alone (the same bits; waking the other threads and
        # waiting for the slowest at the end costs more than the work)
        threads = nb.get_num_threads()
        if n < SERIAL_BELOW:
            nb.set_num_threads(1)
        try:
            move_day(
                exposed, a["loc"], a["link"], a["t_left"], a["phase"], row, g, target_loc, mult,
                c.out_off, c.link_to, c.link_days, c.link_zone, c.link_risk, c.link_crossing,
                c.zone_of_loc, st.hazard, st.effort, within, has, stop_loc(st), c.loc_in_dest,
                st.keys.route, st.keys.harm, day, MAX_HOPS,
                expo, ezone, arrived, harmed,
            )  # fmt: skip
        finally:
            nb.set_num_threads(threads)
    # the events per hop (kernel twin: active.drain_hops_np), which resets the tables
    # (an agent goes on to the next hop only after an arrival: the rows after the first
    # hop without arrivals are empty in both tables)
    r_off, r_idx, r_link, hops = drain_hops(arrived, MAX_HOPS, True)
    h_off, h_idx, h_loc, _ = drain_hops(harmed, hops, False)
    st.events.emit_segments(EV_HARM, h_off, h_loc, exposed[h_idx], a, day)
    st.events.emit_segments(EV_ARRIVE, r_off, c.link_to[r_link], exposed[r_idx], a, day)
    st.events.travelled(r_link, day)
    set_phase(st, new_at_border(exposed, was, a["phase"]), Phase.BORDER)
    st.exposure = Exposure(exposed, expo, ezone)


def shared_rows(st: CorridorState) -> npt.NDArray[np.int64]:
    """For each group, the group whose travel choice tables it uses today.

    Groups of one nationality whose hazards are the same today have the same utilities (the
    other terms are per nationality or the same for all), so their rows share one table: each
    group uses the rows of the first such group (``same_utility_group``, kept while the
    hazards do not change)."""
    rt = st.routes
    key = st.hazard.tobytes()
    if key != rt.rep_key:
        rt.rep, rt.rep_key = same_utility_group(st), key
    return rt.rep


def tables_in_use(
    st: CorridorState, row: npt.NDArray[np.int64], was: npt.NDArray[np.int8]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """Today's travel choice tables of the rows the movers use (``row``: group of
    :func:`shared_rows` × border cities + target; people in a border city do not choose
    links), and each agent's row in them (0 for those in a border city; kernel twin:
    ``active.rows_in_use_np``)."""
    B = len(st.c.border_ix)
    used, local = rows_in_use(row, was, st.routes.travel_group_util.shape[0] * B)
    within, has = travel_tables(st, used)
    return within, has, local


def same_utility_group(st: CorridorState) -> npt.NDArray[np.int64]:
    """For each group, the first group of its nationality with the same hazards today (the route
    utilities depend on the group only through these two)."""
    c, h = st.c, st.hazard
    rep = np.arange(c.n_groups, dtype=np.int64)
    first: dict[tuple[int, bytes], int] = {}
    for g in range(c.n_groups):
        rep[g] = first.setdefault((int(c.group_nat[g]), h[:, g].tobytes()), g)
    return rep


def hop_tables(st: CorridorState, n: int) -> tuple[IntArray, IntArray]:
    """The movement kernel's (MAX_HOPS, n) arrival and harm tables, all -1: views of
    buffers kept between days (``drain_hops`` resets the entries the kernel wrote)."""
    if st.hop_buf.shape[1] < MAX_HOPS * n:
        st.hop_buf = np.full((2, max(MAX_HOPS * n, 2 * st.hop_buf.shape[1])), -1, np.int32)
    size = MAX_HOPS * n
    return (
        st.hop_buf[0, :size].reshape(MAX_HOPS, n),
        st.hop_buf[1, :size].reshape(MAX_HOPS, n),
    )


def stop_loc(st: CorridorState) -> npt.NDArray[np.bool_]:
    """Places where travellers stop today: those with an open asylum or visa office."""
    c = st.c  # one kernel call (twin: move_kernels.stop_places_np)
    stop: npt.NDArray[np.bool_] = stop_places(
        st.svc.is_transit, c.svc_open[st.day], c.svc_loc, len(c.loc_names)
    )
    return stop
