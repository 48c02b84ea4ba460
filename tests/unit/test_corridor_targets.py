"""The border city a departing agent heads for (``routes.choose_target``): its logit table is
made once per (place, nationality) of the day's agents; the targets equal, bit for bit, those
of the table made agent by agent (the former code, kept here as the reference)."""

from __future__ import annotations

import numpy as np
import pytest

from corredor.engine.loop import run_days
from corredor.rules.corridor.routes import choose_target
from corredor.rules.corridor.state import CorridorState
from corredor.scenario.corridor import load_corridor_scenario, resolve_calibration
from corredor.simulation.corridor import CorridorModel, compile_corridor


def targets_agent_by_agent(st: CorridorState, ids: np.ndarray) -> np.ndarray:
    """The former ``choose_target``: one row of the logit table per agent."""
    c, a = st.c, st.agents
    b_loc = c.border_ix
    stock_loc, stock_loc_nat = st.census.here, st.census.here_nat
    km = c.dist_to_city[:, a["loc"][ids]].T  # (n, B)
    nat = c.group_nat[a["group"][ids]]
    share = stock_loc_nat[b_loc] / np.maximum(stock_loc[b_loc, None], 1.0)
    util = (
        st.weight("distance") * np.where(np.isfinite(km), km, 0.0)
        + st.weight("queue_length") * stock_loc[b_loc][None]
        + st.weight("network_ties") * share[:, nat].T
    )
    util = np.where(np.isfinite(km), util, -np.inf)
    top = util.max(axis=1, keepdims=True)
    w = np.where(np.isfinite(util), np.exp(util - np.where(np.isfinite(top), top, 0.0)), 0.0)
    tot = w.sum(axis=1, keepdims=True)
    cum = np.cumsum(w / np.maximum(tot, 1e-300), axis=1)
    u = st.u(st.keys.route, ids, 99)
    pick = np.minimum((u[:, None] >= cum).sum(axis=1), len(b_loc) - 1)
    return np.where(tot[:, 0] > 0, pick, -1)


@pytest.fixture(scope="module")
def state() -> CorridorState:
    sc = load_corridor_scenario("mexico-us").model_copy(update={"people_per_agent": 200})
    c = compile_corridor(sc, resolve_calibration(sc).values, days=120)
    model = CorridorModel(c, seed=5)
    run_days(model.plan, model.state, 90)  # people in the border cities: a census to read
    return model.state


def test_targets_equal_the_agent_by_agent_table(state: CorridorState) -> None:
    st, a = state, state.agents
    assert st.census.here[st.c.border_ix].sum() > 0
    # every agent created, wherever it is now: many places and nationalities, repeated
    ids = np.arange(a.n, dtype=np.int32)
    want = targets_agent_by_agent(st, ids)
    before = a["target"].copy()
    try:
        choose_target(st, ids)
        got = a["target"][ids].astype(np.int64)
    finally:
        a["target"][:] = before
    np.testing.assert_array_equal(got, want)
    assert len(np.unique(a["loc"][ids])) > 5 and len(np.unique(got)) > 1
