"""A second corridor scenario — synthetic, built here, with its own analysis settings —
calibrates, is back-tested and reports through exactly the code ``mexico-us`` uses: nothing in
the analysis packages names a corridor (docs/architecture.md, "Generic analysis code")."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from corredor.calibration.fit import calibrate
from corredor.calibration.loss import loss_weights
from corredor.calibration.parameters import default_parameters
from corredor.errors import ScenarioError
from corredor.forecasting.categories import forecast_categories
from corredor.report.corridor import write_corridor_report
from corredor.scenario.corridor import load_corridor_scenario
from corredor.sensitivity.analysis import default_outputs
from corredor.simulation.corridor import run_corridor
from corredor.validation.backtest import backtest_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from calibration_dirs import write_calibration_dir

#: The synthetic corridor's own analysis settings (inline in its YAML).
ANALYSIS: dict[str, Any] = {
    "fit": {
        "parameters": [
            {"name": "base_departures", "low": 10.0, "high": 300.0, "log": True,
             "scales": "dest_apprehensions", "why": "level of the apprehensions"},
            {"name": "mid_hazard", "low": 1.0e-4, "high": 1.0e-2, "log": True},
        ],
        "weights": {"dest_apprehensions": 3.0},
        "default_weight": 0.5,
    },
    "report": {
        "charts": ["mid_apprehensions", "dest_apprehensions"],
        "stranded_title": "Waiting at the synthetic border (monthly mean)",
    },
    "backtest": {
        "label": "synthetic apprehension series",
        "fit_end": "2021-01-31",
        "horizon_end": "2021-02-28",
        "series": ["dest_apprehensions", "mid_apprehensions"],
        "pooled": ["dest_apprehensions", "mid_apprehensions"],
        "pooled_label": "both zones",
    },
    "sensitivity": {"outputs": ["mid_apprehensions", "ledger.stranded_person_days"]},
}  # fmt: skip


def _with_analysis(path: Path, analysis: dict[str, Any]) -> Path:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["analysis"] = analysis
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=100), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = write_calibration_dir(tmp_path_factory.mktemp("second"))
    return _with_analysis(path, ANALYSIS)


@pytest.fixture(scope="module")
def long_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """430 days from January 2020: 13 months to fit (MASE's seasonal scale needs 12 + 1)."""
    path = write_calibration_dir(tmp_path_factory.mktemp("second-long"), days=430)
    return _with_analysis(path, ANALYSIS)


def test_the_settings_are_the_scenarios(scenario: Path) -> None:
    sc = load_corridor_scenario(scenario)
    assert [p.name for p in default_parameters(sc)] == ["base_departures", "mid_hazard"]
    w = loss_weights(sc)
    assert w["dest_apprehensions"] == 3.0 and w["mid_apprehensions"] == 0.5
    assert default_outputs(sc) == ["mid_apprehensions", "ledger.stranded_person_days"]
    assert forecast_categories(sc).categories == ()  # its data are not split by component


def test_a_misnamed_series_is_refused(tmp_path: Path) -> None:
    bad = {**ANALYSIS, "report": {"charts": ["usbp_encounters_total"]}}
    path = _with_analysis(write_calibration_dir(tmp_path / "bad", days=60), bad)
    with pytest.raises(ScenarioError, match="usbp_encounters_total"):
        load_corridor_scenario(path)


def test_it_calibrates_with_its_own_parameters_and_weights(scenario: Path, tmp_path: Path) -> None:
    result = calibrate(scenario, out=tmp_path / "study", trials=3, workers=1, batch=2)
    assert [p.name for p in result.parameters] == ["base_departures", "mid_hazard"]
    settings = json.loads((tmp_path / "study" / "study.json").read_text(encoding="utf-8"))
    assert settings["weights"] == {"dest_apprehensions": 3.0, "mid_apprehensions": 0.5}
    assert len(result.trials) == 3 and result.best.loss <= result.default_loss


def test_it_is_backtested_and_reported_by_its_own_protocol(
    long_scenario: Path, tmp_path: Path
) -> None:
    sc = load_corridor_scenario(long_scenario)
    table = backtest_scenario(sc, ("persistence",))
    assert list(table["series"]) == ["dest_apprehensions", "mid_apprehensions", "both zones"]
    assert (table["n"] == [1, 1, 2]).all()  # February 2021
    out = write_corridor_report(run_corridor(sc, seed=1), tmp_path / "r.html", backtest=table)
    text = out.read_text(encoding="utf-8")
    assert "synthetic apprehension series" in text
    assert "Fit up to 2021-01-31, forecast to 2021-02-28" in text
    assert "Mexic" not in text and "Border Patrol" not in text
