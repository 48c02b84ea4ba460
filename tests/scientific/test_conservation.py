"""Conservation of agents: every agent is somewhere, every day, and counts match a census."""

from __future__ import annotations

import numpy as np
import pytest

from corredor.rules.flee import kernels as K
from corredor.rules.flee.model import build_state
from corredor.rules.flee.processes import build_plan
from corredor.simulation.flee import load_flee
from corredor.trackers.flee_counts import FleeCounts


@pytest.mark.parametrize("scenario", ["mali2012", "burundi2015", "burundi_flee31era"])
@pytest.mark.parametrize("quirks", [False, True])
@pytest.mark.parametrize("live", [True, False])
def test_agents_conserved_every_day(scenario: str, quirks: bool, live: bool) -> None:
    sc = load_flee(scenario, 120, 20)
    st, rules = build_state(sc, seed=3, quirks=quirks, live=live)
    counts = FleeCounts(sc.length, len(sc.names))
    plan = build_plan(rules, [counts.step()])
    spawned_before = st.agents.n
    census = np.zeros_like(st.count)
    for t in range(sc.length):
        n_before = st.agents.n
        plan.run_day(st, t)
        a = st.agents
        alive = a["alive"]
        at_loc = alive & (a["link"] < 0)
        on_link = alive & (a["link"] >= 0)
        # 1. every living agent is either at a location or on a link, never both
        assert at_loc.sum() + on_link.sum() == alive.sum()
        # 2. the maintained counts equal a fresh census of the agent columns
        K.recount(a.n, st.kernel_agents(), census)
        np.testing.assert_array_equal(st.count, census)
        # 3. agents only enter through spawning; nobody is lost without a sink
        assert a.n >= n_before
        if not rules.spawn["camps_are_sinks"]:
            assert alive.all()
        # 4. a travelling agent is on a link that leaves its recorded location
        links = a["link"][on_link]
        np.testing.assert_array_equal(st.graph.link_from[links], a["loc"][on_link])
        # 5. the tracker recorded exactly the census
        np.testing.assert_array_equal(counts.counts[t], census)
    assert st.agents.n >= spawned_before
