"""The second corridor (``tests/synthetic_corridor.py``: four fictional countries; the one
synthetic corridor of the suite that stands for "another corridor" — ``tests/corridor_dirs.py``
is the tiny fixture of unit tests) runs, calibrates, is back-tested and reports through exactly
the code ``mexico-us`` uses: the same plan, processes and trackers; the engine's roles read from
its own (conventional) parameter names; its ledger named by its own labels; its analysis
settings (fit parameters, loss weights, charts, back-test protocol, sensitivity outputs) its
own; and nothing in the generic packages names a real corridor (docs/architecture.md, "Generic
analysis code")."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import corredor
from corredor.calibration.fit import calibrate
from corredor.calibration.loss import loss_weights
from corredor.calibration.parameters import default_parameters
from corredor.engine.services import Verb
from corredor.errors import ScenarioError
from corredor.forecasting.categories import forecast_categories
from corredor.report.corridor import write_corridor_report
from corredor.results.corridor import CorridorResult
from corredor.rules.corridor.plan import PROCESSES
from corredor.rules.corridor.state import EV_APPREHEND, EV_DEPART, EVENT_KINDS, N_PHASES
from corredor.scenario.corridor import (
    PARAMETER_ROLES,
    load_corridor_scenario,
    resolve_calibration,
)
from corredor.sensitivity.analysis import default_outputs
from corredor.simulation.corridor import describe_corridor_plan, run_corridor
from corredor.validation.backtest import backtest_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from synthetic_corridor import CALIBRATION, OBSERVED, TRUTH, TRUTH_SEED, write_synthetic_corridor

DAYS = 366  # 2016, a leap year: twelve months and one calendar year of data
SRC = Path(corredor.__file__).parent


@pytest.fixture(scope="module")
def scenario_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_corridor(tmp_path_factory.mktemp("meridia"), days=DAYS)


@pytest.fixture(scope="module")
def result(scenario_path: Path) -> CorridorResult:
    return run_corridor(scenario_path, seed=3)


def test_the_same_plan(scenario_path: Path) -> None:
    text = describe_corridor_plan(scenario_path)
    for step in PROCESSES:
        assert f"process  {step.name}" in text
    assert "meridia-synthetic: 366 days" in text
    assert "calibration: uncalibrated" in text  # no calibrated file: the defaults
    assert resolve_calibration(load_corridor_scenario(scenario_path)).values == {}


def test_every_mechanism_runs_and_people_are_conserved(result: CorridorResult) -> None:
    ev = result.events.sum(axis=(0, 2, 3))  # per event kind
    used = {EVENT_KINDS[k] for k in np.flatnonzero(ev)}
    verbs = {"grant", "deny", "detain", "deport", "expel", "return_to_wait", "admit", "settle"}
    assert verbs | {"join", "depart", "arrive", "apprehend", "evade", "abandon"} <= used
    assert result.final_phase.shape == (N_PHASES,)
    assert result.final_phase.sum() == result.agents > 5000
    # every departure is a new agent or a new attempt; the caravan left on its days
    assert ev[EV_DEPART] >= result.agents
    c = result.compiled
    assert c.caravan_departures.sum() > 0
    assert c.border_ix[c.caravan_target[0]] == c.loc_names.index("Puerto Bajo")
    # apprehensions in all three zones; visas granted once the office opened (day 120)
    per_zone = result.events[:, EV_APPREHEND, : len(c.zone_names)].sum(axis=(0, 2))
    assert (per_zone > 0).all()
    visa = c.svc_names.index("centro_visa")
    grants = result.events[:, Verb.GRANT, visa].sum(axis=1)
    assert grants[:4].sum() == 0 and grants.sum() > 0  # closed in January-April 2016


#: the calibration parameter behind each decision option of the synthetic corridor
OPTIONS = {
    "apply_asylum_propensity": "asylum_propensity",
    "apply_port_propensity": "port_propensity",
    "cross_propensity": "cross_propensity",
    "wait_max_days": "wait_max_days",
    "return_home_hazard": "return_hazard",
    "settle_transit_hazard": "settle_hazard",
}


def test_link_flows_add_up_to_the_arrivals(result: CorridorResult) -> None:
    c = result.compiled
    L = len(c.loc_names)
    per_place = np.bincount(c.link_to, weights=result.link_flow.sum(axis=0), minlength=L)
    arrivals = result.events[:, EVENT_KINDS.index("arrive"), :L].sum(axis=(0, 2))
    np.testing.assert_array_equal(per_place, arrivals)
    flows = result.link_flows()
    assert flows["arrivals"].sum() == arrivals.sum() > 0
    assert {"Gate Sur", "Centro"} <= set(flows["to"])


def test_roles_read_the_scenarios_conventional_names(result: CorridorResult) -> None:
    c = result.compiled
    assert not load_corridor_scenario(c.scenario.path).roles.parameters  # nothing mapped
    assert set(c.roles) == set(PARAMETER_ROLES)  # every role has a parameter here
    for role in PARAMETER_ROLES:
        default = CALIBRATION[OPTIONS.get(role, role)][0]
        assert c.roles[role][0] == default, role


def test_the_ledger_is_named_by_the_scenario(result: CorridorResult) -> None:
    ledger = result.ledger()
    cols = set(ledger.columns)
    for name in (
        "asylum_backlog_meridia_end",
        "court_backlog_austral_end",
        "detention_days_meridia",
        "apprehensions_meridia_non_meridians",
        "apprehensions_austral_non_meridians",
        "family_members_detained_in_austral",
        "wait_programme_waiting_person_days",
    ):
        assert name in cols
    assert not any(re.search(r"mexic|_us\b|mpp", col) for col in cols)
    assert ledger["externalization_share"].between(0, 1).all()
    assert ledger["wait_programme_waiting_person_days"].sum() > 0


def test_observed_data_are_the_truth_run(scenario_path: Path) -> None:
    """The observed series were made by a run with TRUTH: rerunning it reproduces them."""
    again = run_corridor(scenario_path, seed=TRUTH_SEED, calibration=TRUTH)
    ovs = again.observed_vs_simulated()
    assert set(ovs["observable"]) == set(OBSERVED)
    np.testing.assert_array_equal(ovs["observed"], ovs["simulated"])
    assert ovs["observed"].sum() > 0


GENERIC = [
    *sorted((SRC / "rules" / "corridor").rglob("*.py")),
    *sorted((SRC / "trackers").rglob("*.py")),
    *sorted((SRC / "simulation").rglob("*.py")),
    SRC / "engine" / "loop.py",
    SRC / "engine" / "plan.py",
    SRC / "scenario" / "corridor" / "roles.py",
]


@pytest.mark.parametrize("path", GENERIC, ids=lambda p: str(p.relative_to(SRC)))
def test_generic_code_names_no_real_corridor(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = re.findall(
        r"mexic\w*|\bmpp\b|comar|usbp|\binm\b|united states|guatemala|honduras|title 42",
        text,
        flags=re.IGNORECASE,
    )
    assert not found, f"{path.name} names {sorted(set(found))}"


# ------------------------------------------------------------------ its own analysis settings
#: The second corridor's own analysis settings (inline in its YAML).
ANALYSIS: dict[str, Any] = {
    "fit": {
        "parameters": [
            {"name": "base_departures_nrv", "low": 5.0, "high": 200.0, "log": True,
             "scales": "austral_apprehensions_nrv", "why": "level of Norvian apprehensions"},
            {"name": "austral_hazard", "low": 0.1, "high": 10.0, "log": True},
        ],
        "weights": {"austral_apprehensions": 3.0},
        "default_weight": 0.5,
    },
    "report": {
        "charts": ["meridia_apprehensions", "austral_apprehensions"],
        "stranded_title": "Waiting at the Austral border (monthly mean)",
    },
    "backtest": {
        "label": "synthetic apprehension series",
        "fit_end": "2017-01-31",
        "horizon_end": "2017-02-28",
        "series": ["austral_apprehensions", "meridia_apprehensions"],
        "pooled": ["austral_apprehensions", "meridia_apprehensions"],
        "pooled_label": "both countries",
    },
    "sensitivity": {"outputs": ["meridia_apprehensions", "ledger.stranded_person_days"]},
}  # fmt: skip
ANALYSED_DAYS = 430  # from 2016-01-01: 13 months to fit (MASE's seasonal scale needs 12 + 1)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("meridia-analysed")
    return write_synthetic_corridor(root, days=ANALYSED_DAYS, analysis=ANALYSIS)


def test_the_analysis_settings_are_the_scenarios(analysed: Path) -> None:
    sc = load_corridor_scenario(analysed)
    assert [p.name for p in default_parameters(sc)] == ["base_departures_nrv", "austral_hazard"]
    w = loss_weights(sc)
    assert w["austral_apprehensions"] == 3.0 and w["meridia_apprehensions"] == 0.5
    assert default_outputs(sc) == ["meridia_apprehensions", "ledger.stranded_person_days"]
    assert forecast_categories(sc).categories == ()  # its data are not split by component


def test_a_misnamed_series_is_refused(tmp_path: Path) -> None:
    bad = {**ANALYSIS, "report": {"charts": ["usbp_encounters_total"]}}
    path = write_synthetic_corridor(tmp_path / "bad", days=200, with_data=False, analysis=bad)
    with pytest.raises(ScenarioError, match="usbp_encounters_total"):
        load_corridor_scenario(path)


def test_it_calibrates_with_its_own_parameters_and_weights(analysed: Path, tmp_path: Path) -> None:
    result = calibrate(analysed, out=tmp_path / "study", trials=3, workers=1, batch=2)
    assert [p.name for p in result.parameters] == ["base_departures_nrv", "austral_hazard"]
    settings = json.loads((tmp_path / "study" / "study.json").read_text(encoding="utf-8"))
    assert settings["weights"]["austral_apprehensions"] == 3.0
    assert settings["weights"]["meridia_apprehensions"] == 0.5
    assert len(result.trials) == 3 and result.best.loss <= result.default_loss


def test_it_is_backtested_and_reported_by_its_own_protocol(analysed: Path, tmp_path: Path) -> None:
    sc = load_corridor_scenario(analysed)
    table = backtest_scenario(sc, ("persistence",))
    assert list(table["series"]) == [
        "austral_apprehensions",
        "meridia_apprehensions",
        "both countries",
    ]
    assert (table["n"] == [1, 1, 2]).all()  # February 2017
    out = write_corridor_report(run_corridor(sc, seed=1), tmp_path / "r.html", backtest=table)
    text = out.read_text(encoding="utf-8")
    assert "synthetic apprehension series" in text
    assert "Fit up to 2017-01-31, forecast to 2017-02-28" in text
    assert "Mexic" not in text and "Border Patrol" not in text
