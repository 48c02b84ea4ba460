"""Calibration recovers known parameters (issue 5): synthetic data made by the tiny corridor
with :data:`calibration_dirs.TRUTH` (seed 11), fitted from the scenario's defaults (seed 0, so
the fit also has to get past the noise of another random stream).

Stated tolerance: with 40 trials of Optuna TPE on 2 local processes, both parameters within
20 % of their true values (base departures 60 people/day, where the default is 30; transit
apprehension hazard 2e-3, default 5e-4), the loss below a tenth of the defaults' loss, and the
plausible ensemble holding the point fit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from corredor.calibration import load_calibrated
from corredor.calibration.fit import CalibrationResult, FitParameter, calibrate
from corredor.scenario.corridor import load_corridor_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from calibration_dirs import TRUTH, write_calibration_dir

TOLERANCE = 0.20
PARAMETERS = [
    FitParameter("base_departures", 10.0, 300.0, log=True, scales="dest_apprehensions"),
    FitParameter("mid_hazard", 1e-4, 1e-2, log=True, scales="mid_apprehensions"),
]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> CalibrationResult:
    root = tmp_path_factory.mktemp("recovery")
    path = write_calibration_dir(root / "scenario")
    return calibrate(
        path, out=root / "study", trials=40, parameters=PARAMETERS, workers=2, install=True
    )


@pytest.mark.slow
def test_known_parameters_are_recovered(fitted: CalibrationResult) -> None:
    for name, truth in TRUTH.items():
        got = fitted.best.params[name]
        assert abs(got / truth - 1) < TOLERANCE, (name, got, truth)
    assert fitted.best.loss < 0.1 * fitted.default_loss
    assert len(fitted.trials) == 40


@pytest.mark.slow
def test_ensemble_and_installed_file(fitted: CalibrationResult) -> None:
    assert fitted.members[0] == fitted.best
    assert len(fitted.members) >= 2
    cal = fitted.calibrated
    assert cal.parameters == pytest.approx(fitted.best.params, rel=1e-9)
    assert abs(sum(cal.weights()) - 1.0) < 1e-9
    # installed next to the scenario: the scenario now runs with it by default
    sc = load_corridor_scenario(fitted.out.parent / "scenario" / "scenario.yaml")
    loaded = load_calibrated(sc)
    assert loaded is not None and loaded.parameters == pytest.approx(fitted.best.params)
    assert (fitted.out / "trials.csv").is_file()
