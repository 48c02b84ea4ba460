"""One validation for ``validate`` and ``run`` (``corredor.scenario.corridor.runcheck``) and the
one reader of observed data, on the documented example scenario."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hostile"))
from corpus import write_tiny

from corredor.errors import ScenarioError
from corredor.files.read import BOM
from corredor.policy import load_events
from corredor.scenario.corridor import load_corridor_scenario, validate_corridor_scenario
from corredor.scenario.corridor.observed import observed_rows
from corredor.scenario.corridor.runcheck import (
    calibration_bounds,
    check_run,
    expected_agents,
    static_parameters,
)
from corredor.simulation.corridor import run_corridor


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_tiny(tmp_path / "tiny")


def test_bom_keeps_every_observed_row_in_validate_run_and_loss(tiny: Path, tmp_path: Path) -> None:
    from corredor.calibration.loss import Targets

    plain = load_corridor_scenario(tiny)
    marked_dir = write_tiny(tmp_path / "marked")
    observed = marked_dir / "observed.csv"
    observed.write_bytes(BOM + observed.read_bytes())
    marked = load_corridor_scenario(marked_dir)
    assert observed_rows(plain, 0) == observed_rows(marked, 0)
    assert len(observed_rows(marked, 0)) == 3
    assert Targets.from_scenario(plain).rows == Targets.from_scenario(marked).rows
    a = run_corridor(plain, seed=1, days=60).observed_vs_simulated()
    b = run_corridor(marked, seed=1, days=60).observed_vs_simulated()
    assert len(a) == len(b) == 2  # January and February lie inside 60 days
    assert a.equals(b)


def test_check_run_returns_the_run_inputs(tiny: Path) -> None:
    scenario, check = validate_corridor_scenario(tiny)
    assert check.days == 365
    assert check.calibration["asylum_days"] == 5
    assert 1000 < check.agents < 3000 and check.memory.fits
    assert check.warnings == ()
    shorter = check_run(scenario, {"asylum_days": 7}, days=10)
    assert shorter.days == 10 and shorter.calibration["asylum_days"] == 7
    assert shorter.agents < check.agents / 20


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"asylum_dayz": 5.0}, "unknown calibration parameter"),
        ({"hazard_per_agent": math.nan}, "outside the bounds"),
        ({"hazard_per_agent": -1.0}, "outside the bounds [0, inf]"),
        ({"speed_foot": 0.0}, "agents could never cross it"),
    ],
)
def test_calibration_overrides_are_checked(tiny: Path, override: dict, fragment: str) -> None:
    scenario = load_corridor_scenario(tiny)
    with pytest.raises(ScenarioError, match=fragment.replace("[", r"\[")):
        check_run(scenario, override)


def test_calibration_bounds_intersect_every_use(tiny: Path) -> None:
    bounds = calibration_bounds(load_corridor_scenario(tiny))
    assert bounds["hazard_per_agent"] == (0.0, math.inf)
    assert bounds["w_distance"] == (-math.inf, math.inf)
    assert bounds["speed_road"] == (0.0, math.inf)  # used by the links table


def test_static_parameters(tiny: Path) -> None:
    static = static_parameters(load_corridor_scenario(tiny))
    assert "groups.shares.AAA.single_adult" in static
    assert "circuity.great_circle" in static
    assert "calibration.speed_road" in static
    assert "services.port_processing.outcomes.default.return_to_wait.days" in static
    assert "services.port_processing.capacity" not in static


def test_extra_events_are_checked_in_combination(tiny: Path, tmp_path: Path) -> None:
    scenario = load_corridor_scenario(tiny)
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "- {id: cut, name: n, country: X, policy_area: exit, tool: t, target_group: g,"
        " direction: 0, magnitude: minor, start: 2019-07-01, source: s, changes:"
        " [{parameter: services.port_processing.capacity, op: add, value: -80}]}\n",
        encoding="utf-8",
    )
    events = tuple(load_events(extra))
    # alone, capacity 100 - 80 is fine; after the scenario's halving (100 → 50) it is -30
    with pytest.raises(ScenarioError, match=r"makes services\.port_processing\.capacity -"):
        check_run(scenario, extra_events=events)


def test_expected_agents_follow_departures_and_people_per_agent(tiny: Path) -> None:
    scenario = load_corridor_scenario(tiny)
    check = check_run(scenario, days=100)
    series = {
        "origins.aland.base_daily_departures": [40.0] * 100,
        "origins.bland.base_daily_departures": [12.5] * 100,
        "origins.aland.drivers.homicide_rate": [0.0] * 100,
    }
    import numpy as np

    total, by_origin = expected_agents(scenario, {k: np.array(v) for k, v in series.items()}, 100)
    assert by_origin["origins.bland"] == pytest.approx(12.5 * 100 / 10)
    assert by_origin["origins.aland"] == pytest.approx(40 * 100 / 10)
    assert check.agents == pytest.approx(total, rel=0.05)


def test_expected_agents_equal_the_departures_a_run_draws_from_on_the_flagship() -> None:
    """The size check's estimate is the compiled expected departures (every origin of
    ``mexico-us``, the extra-regional ones with their nationality's shares and drivers, and
    the caravans spread over their days), not a separate guess that could drift from them."""
    from corredor.rules.corridor.compiled import compile_corridor

    scenario = load_corridor_scenario("mexico-us")
    assert {"VEN", "CUB", "HTI", "NIC", "ECU", "OTH"} <= {o.nationality for o in scenario.origins}
    check = check_run(scenario, days=2600)
    compiled = compile_corridor(scenario, check.calibration, days=2600)  # the shipped calibration
    drawn = float(compiled.departures.sum() + compiled.caravan_departures.sum())
    assert compiled.caravan_departures.sum() > 0  # 2018 and 2019 caravans lie inside 2,600 days
    assert check.agents == pytest.approx(drawn, rel=1e-9)
