"""The corridor day as a plan of processes and trackers (``corredor.rules.corridor.plan``):
the order is printable, trackers observe without changing the state, the processes run the
same with or without observers."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from corredor.cli import app
from corredor.rules.corridor.compiled import compile_corridor
from corredor.rules.corridor.plan import PROCESSES, build_plan
from corredor.rules.corridor.state import CorridorState
from corredor.scenario.corridor import load_corridor_scenario
from corredor.simulation.corridor import CorridorModel, describe_corridor_plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import write_corridor_dir

ORDER = [
    "policy",
    "openness",
    "depart",
    "redepart",
    "serve",
    "decide",
    "move",
    "enforce",
    "census",
    "record",
]


def test_plan_order_and_kinds() -> None:
    text = describe_corridor_plan()
    names = [line.split()[2] for line in text.splitlines()[1:]]
    assert names == ORDER
    assert all(s.kind == "process" for s in PROCESSES)
    assert "tracker  record" in text
    with pytest.raises(ValueError, match="not a tracker"):
        build_plan([PROCESSES[0]])


def test_show_plan_for_a_corridor_scenario(tmp_path: Path) -> None:
    path = write_corridor_dir(tmp_path / "c", days=30)
    result = CliRunner().invoke(app, ["run", str(path), "--show-plan"])
    assert result.exit_code == 0, result.output
    assert "process  depart" in result.stdout and "tracker  record" in result.stdout
    assert "tiny-test-corridor: 30 days" in result.stdout
    assert "calibration: uncalibrated" in result.stdout


def state_digest(st: CorridorState) -> list[np.ndarray]:
    a = st.agents
    return [a[name].copy() for name in a.names] + [
        st.active.copy(),
        st.services.stocks().copy(),
        st.census.here.copy(),
    ]


def test_trackers_only_observe(tmp_path: Path) -> None:
    """The same run with the recorder and with no observer at all: the same state every day."""
    c = compile_corridor(load_corridor_scenario(write_corridor_dir(tmp_path / "c", days=60)))
    observed = CorridorModel(c, seed=4)
    bare = CorridorState(c, seed=4)  # events dropped, no tracker step
    plan = build_plan()
    for d in range(c.days):
        observed.run_day(d)
        plan.run_day(bare, d)
        for x, y in zip(state_digest(observed.state), state_digest(bare), strict=True):
            np.testing.assert_array_equal(x, y)
    assert observed.recorder.events.sum() > 0 and observed.agents.n > 100
