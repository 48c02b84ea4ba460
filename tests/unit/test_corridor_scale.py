"""A reduced-scale run (``people_per_agent`` = k > 1): every absolute number of people the
processes compare with agent counts is in agents (``rules/corridor/compile/services.py`` and
``decisions.py``), so a preview makes the same choices as the full run."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from corredor.engine.services import ServiceTime
from corredor.rules.corridor.compile.services import servers_in_agents
from corredor.rules.corridor.compiled import compile_corridor
from corredor.scenario.corridor import load_corridor_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import write_corridor_dir


def test_servers_in_agents() -> None:
    c = np.array([0.0, 0.5, 1.0, 2.6, 3.0, 14.0, 15.0, 200.0])
    np.testing.assert_array_equal(servers_in_agents(c, 1), np.floor(c + 1e-9))
    # at k = 10: never shut an office that has a server, round to the nearest otherwise
    np.testing.assert_array_equal(servers_in_agents(c, 10), [0, 0, 1, 1, 1, 1, 2, 20])


def test_compiled_arrays_are_in_agents(tmp_path: Path) -> None:
    sc = load_corridor_scenario(write_corridor_dir(tmp_path / "c", days=30))
    k = 10
    full = compile_corridor(sc)
    scaled = compile_corridor(sc.model_copy(update={"people_per_agent": k}))
    np.testing.assert_allclose(scaled.departures, full.departures / k)
    immediate = full.svc_model == ServiceTime.IMMEDIATE
    np.testing.assert_allclose(
        scaled.svc_capacity[:, immediate], full.svc_capacity[:, immediate] / k
    )
    servers = ~immediate
    np.testing.assert_array_equal(
        scaled.svc_capacity[:, servers], servers_in_agents(full.svc_capacity[:, servers], k)
    )
    np.testing.assert_array_equal(scaled.svc_mean_days, full.svc_mean_days)
    w = "weights.queue_length"
    np.testing.assert_allclose(scaled.decision[w], full.decision[w] * k)
    np.testing.assert_allclose(
        scaled.roles["asylum_network_people"], full.roles["asylum_network_people"] / k
    )
    for key in ("weights.distance", "weights.expected_wait"):
        np.testing.assert_array_equal(scaled.decision[key], full.decision[key])
    # hazards (per person and day) and probabilities are the same at any scale
    np.testing.assert_array_equal(scaled.zone_hazard, full.zone_hazard)
    np.testing.assert_array_equal(scaled.outcome_tables[0], full.outcome_tables[0])
