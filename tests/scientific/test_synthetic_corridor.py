"""A second corridor (``tests/synthetic_corridor.py``: four fictional countries) runs through
exactly the code ``mexico-us`` runs through: the same plan, processes and trackers; the engine's
roles read from its own (conventional) parameter names; its ledger named by its own labels; and
nothing in the generic packages names a real corridor."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import corredor
from corredor.engine.services import Verb
from corredor.results.corridor import CorridorResult
from corredor.rules.corridor.plan import PROCESSES
from corredor.rules.corridor.state import EV_APPREHEND, EV_DEPART, EVENT_KINDS, N_PHASES
from corredor.scenario.corridor import (
    PARAMETER_ROLES,
    load_corridor_scenario,
    resolve_calibration,
)
from corredor.simulation.corridor import describe_corridor_plan, run_corridor

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
