"""The back-test reads nothing after 2018 (issue 13 §3), and no data file reaches past the horizon.

The back-test fits data up to 2018-12-31 (``corredor calibrate --until 2018-12-31``) and runs the
scenario as of that day (:func:`corredor.scenario.corridor.vintage.as_of`: drivers and caravans
cut there), conditional on the policy path (``policy_events.yaml``, dated policies and their
sizes). These tests prove that no value it uses comes from a later row:

* every row of ``observed/``, ``drivers/`` and ``sources/`` that ends after 2018 is perturbed in
  a copy of the scenario: the back-test's compiled run inputs do not change, nor do the
  data-derived defaults recomputed from the copy;
* every calibration parameter or sourced number of ``scenario.yaml`` that cites a data file is
  either recomputed from rows ending by 2018 (``scripts/derive_mexico_us.py``) and equal to the
  scenario's value, or part of the policy path (used only by the policy events or by services
  that only a policy event opens).
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from corredor.calibration.modelcheck import backtest_calibration
from corredor.errors import ScenarioError
from corredor.rules.corridor.compiled import compile_corridor
from corredor.scenario.corridor import load_corridor_scenario
from corredor.scenario.corridor.index import iter_params, parameter_index, parameter_values
from corredor.scenario.corridor.vintage import as_of, check_data_horizon, data_files, row_end

FIT_END = dt.date(2018, 12, 31)
ROOT = Path(__file__).resolve().parents[2]
DATA_CITATION = re.compile(r"\b(observed|sources|drivers)/[\w.-]+\.csv")

#: Parameters whose numbers come from the policies of 2019 - 2021, used only where a dated
#: policy event puts people (the back-test is conditional on the policy path, and says so).
POLICY_PATH = {
    "mpp_court_capacity": "services.mpp_court_",  # the MPP courts hear only MPP returnees
    "mpp_hearing_wait_days": ".return_to_wait.days",  # return_to_wait p = 0 until MPP starts
    "tvrh_emergency_capacity": "services.tvrh_emergency.",  # the emergency programme itself
    "title42_expulsion_share_extra_regional": "",  # only in us-title42-2020
}
#: Sourced numbers that are part of the policy path or that the back-test does not use.
POLICY_PATH_SITES = (
    "services.mpp_court_",  # MPP court outcomes: only MPP returnees reach the courts
    "caravans.caravan_2019_01.",  # a 2019 caravan: as_of(2018-12-31) drops it
    "origins.ecuador_air.",  # the visa regime for Ecuadorians (mx-visa-ecuador-2021)
    "bargaining.",  # the 2019 bargaining game, not part of a run
)


#: Values whose cited data file justifies a structural choice, not a number taken from it.
STRUCTURAL = {
    # INM presents foreign nationals only (observed/inm_returns_annual.csv): no hazard for Mexicans
    **{f"enforcement.{z}.hazard.MEX": 0.0 for z in (
        "mx_southern", "mx_gulf", "mx_isthmus", "mx_transit_north", "mx_northern")},
    # a family without a free bed is released at once (nobody waits for a family bed)
    "services.ice_family_detention.abandonment": 1.0,
}  # fmt: skip
#: Family detention (sources/us_family_detention.csv): the beds before the 2014 expansion,
#: checked with the events in test_events_before_2019_read_no_row_after_2018.
FAMILY_BEDS = "services.ice_family_detention.service_time.servers"

#: Hand splits of a figure from before 2019 (checked in test_hand_splits_of_pre_2019_figures).
BY_HAND = {"comar_officers_tapachula", "comar_officers_mexico_city"}


def _derive():  # the derivation script, imported from scripts/
    spec = importlib.util.spec_from_file_location("derive", ROOT / "scripts/derive_mexico_us.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scenario():
    return load_corridor_scenario("mexico-us")


@pytest.fixture(scope="module")
def perturbed(scenario, tmp_path_factory) -> Path:
    """A copy of the scenario whose rows ending after 2018 all hold other numbers (x 7)."""
    folder = tmp_path_factory.mktemp("late") / "mexico-us"
    shutil.copytree(scenario.base_dir, folder)
    changed = 0
    for path in data_files(scenario):
        target = folder / path.relative_to(scenario.base_dir)
        with target.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
            header = list(rows[0].keys()) if rows else []
        for row in rows:
            end = row_end(row)
            if end is None or end <= FIT_END:
                continue
            for col in ("value", "encounters", "applications"):
                if col in row and re.fullmatch(r"-?\d+(\.\d+)?", row[col].strip() or "x"):
                    row[col] = str(float(row[col]) * 7 + 3)
                    changed += 1
        with target.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    assert changed > 1000  # the perturbation touches the data after 2018, not nothing
    return folder


def test_no_data_file_reaches_past_the_horizon(scenario):
    assert check_data_horizon(scenario) == []
    assert {p.parent.name for p in data_files(scenario)} == {"observed", "drivers", "sources"}


@pytest.mark.parametrize("folder", ["drivers", "sources"])
def test_a_row_past_the_horizon_stops_the_scenario(scenario, tmp_path, folder):
    copy = tmp_path / "mexico-us"
    shutil.copytree(scenario.base_dir, copy)
    target = sorted((copy / folder).glob("*.csv"))[0]
    with target.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    row = {c: "" for c in header}
    row.update({"date": "2021-10-15", "period_end": "2021-10-31", "driver": "population",
                "value": "1", "source": "x", "period": "2021Oct", "as_of": "2021-10-31",
                "metric": "x", "measure": "x"})  # fmt: skip
    with target.open("a", newline="", encoding="utf-8") as fh:
        csv.DictWriter(fh, header, lineterminator="\n", extrasaction="ignore").writerow(row)
    with pytest.raises(ScenarioError, match="after the calibration horizon 2021-09-30") as err:
        load_corridor_scenario(copy)
    assert target.name in str(err.value)


def test_as_of_cuts_drivers_and_caravans(scenario):
    cut = as_of(scenario, FIT_END)
    for origin in cut.origins:
        assert all((p.period_end or p.date) <= FIT_END for p in origin.series)
    assert all(k.date <= FIT_END for k in cut.caravans)
    assert len(cut.caravans) < len(scenario.caravans)
    assert sum(len(o.series) for o in cut.origins) < sum(len(o.series) for o in scenario.origins)


def test_backtest_run_inputs_read_no_row_after_2018(scenario, perturbed):
    """The back-test's compiled inputs (departures from the drivers, every daily parameter) are
    the same with every later row changed: nothing after 2018 enters its runs."""
    defaults = scenario.calibration_defaults()
    a = compile_corridor(as_of(scenario, FIT_END), calibration=defaults)
    other = load_corridor_scenario(perturbed)
    b = compile_corridor(as_of(other, FIT_END), calibration=defaults)
    assert np.array_equal(a.departures, b.departures)
    assert np.array_equal(a.caravan_departures, b.caravan_departures)
    assert a.decision.keys() == b.decision.keys()
    for key in a.decision:
        assert np.array_equal(a.decision[key], b.decision[key]), key
    # ... while the full scenario does read them (the perturbation is seen where it may be)
    full_a = compile_corridor(scenario, calibration=defaults)
    full_b = compile_corridor(other, calibration=defaults)
    assert not np.array_equal(full_a.departures, full_b.departures)


def test_derived_defaults_read_no_row_after_2018(scenario, perturbed):
    """Every data-derived default is recomputed from the shipped files, equals the scenario's
    value, and does not change when every row after 2018 is changed."""
    derive = _derive()
    values = derive.derived_defaults(scenario.base_dir)
    assert values == derive.derived_defaults(perturbed)
    defaults = scenario.calibration_defaults()
    for name, value in values.items():
        assert defaults[name] == pytest.approx(value, abs=1e-9), name
    constants = derive.derived_constants(scenario.base_dir)
    assert constants == derive.derived_constants(perturbed)
    written = parameter_values(scenario)
    for dotted, value in constants.items():
        assert written[dotted] == pytest.approx(value, abs=1e-9), dotted


def test_every_data_citation_is_derived_by_2018_or_policy_path(scenario):
    """A calibration parameter or sourced number citing a data file is either derived from rows
    ending by 2018 (and checked above) or part of the policy path; a new one must be one of
    them before the back-test can use it."""
    derive = _derive()
    derived = set(derive.derived_defaults(scenario.base_dir))
    constants = set(derive.derived_constants(scenario.base_dir))
    index = parameter_index(scenario)
    for name, cal in scenario.calibration.items():
        text = cal.source or ""
        if cal.status == "lever" or not DATA_CITATION.search(text):
            continue
        if name in derived or name in BY_HAND:
            continue
        assert name in POLICY_PATH, f"{name} cites data but is neither derived nor policy path"
        uses = [d for d, p in index.items() if p.ref == name and not d.startswith("bargaining.")]
        assert all(POLICY_PATH[name] in d for d in uses), (name, uses)
    for site in iter_params(scenario):
        # its own source, else the one of the block it sits in (a service, a zone)
        own = site.param.source or site.covering_source or ""
        if site.param.value is None or not DATA_CITATION.search(own):
            continue
        if site.dotted in constants or site.dotted.startswith(POLICY_PATH_SITES):
            continue
        if site.dotted == FAMILY_BEDS or STRUCTURAL.get(site.dotted) == site.param.value:
            continue
        raise AssertionError(f"{site.dotted} cites {own[:60]!r}: derive it by 2018 or classify it")


def test_hand_splits_of_pre_2019_figures(scenario):
    """COMAR's interview officers: 'fewer than 20' in 2016, split by hand between two offices."""
    rows = list(
        csv.DictReader((scenario.base_dir / "sources/comar_resolutions_capacity.csv").open())
    )
    (officers,) = [r for r in rows if r["metric"] == "interview_officers"]
    assert row_end(officers) is not None and row_end(officers) <= FIT_END
    defaults = scenario.calibration_defaults()
    assert sum(defaults[n] for n in BY_HAND) == float(officers["value"])


def _rows_by_2018(folder: Path, name: str) -> list[dict[str, str]]:
    """The rows of a data file that end by 2018 (every row must name its period)."""
    with (folder / name).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert all(row_end(r) is not None for r in rows), name
    return [r for r in rows if (end := row_end(r)) is not None and end <= FIT_END]


def _one(rows: list[dict[str, str]], column: str, value: str) -> dict[str, str]:
    (row,) = [r for r in rows if r[column] == value]
    return row


def _family_detention(folder: Path) -> dict[str, object]:
    """The numbers of the family-detention events and service, from the rows of
    ``sources/us_family_detention.csv`` that end by 2018: the beds before the expansion (the
    first count), the beds added (the last count by 2018 less the first) over the days from
    the announcement to that count, and the Flores ruling's stay from its compliance date."""
    rows = _rows_by_2018(folder, "sources/us_family_detention.csv")
    beds = sorted((r for r in rows if r["measure"] == "family_detention_beds"),
                  key=lambda r: r["date"])  # fmt: skip
    announced = _one(rows, "measure", "family_detention_expansion_announced")
    flores = _one(rows, "measure", "flores_release_days")
    day = dt.date.fromisoformat
    return {
        FAMILY_BEDS: float(beds[0]["value"]),
        "us-family-detention-2014": (
            day(announced["date"]),
            [("services.ice_family_detention.service_time.servers", "add",
              float(beds[-1]["value"]) - float(beds[0]["value"]),
              (day(beds[-1]["date"]) - day(announced["date"])).days)],
        ),
        "us-flores-2015": (
            day(flores["date"]),
            [("services.ice_family_detention.service_time.mean_days", "set",
              float(flores["value"]), 0)],
        ),
    }  # fmt: skip


def _comar_staff(folder: Path) -> dict[str, object]:
    """COMAR's UNHCR-funded posts of 2017 (``sources/comar_resolutions_capacity.csv``)."""
    rows = _rows_by_2018(folder, "sources/comar_resolutions_capacity.csv")
    staff = _one(rows, "metric", "unhcr_funded_additional_staff")
    return {
        "mx-comar-unhcr-staff-2017": (
            dt.date(int(staff["period"]), 1, 1),  # the day in the year is not given
            [("services.comar_tapachula.service_time.servers", "add", float(staff["value"]), 0)],
        )
    }


def _wet_foot(folder: Path) -> dict[str, object]:
    """The end of wet-foot/dry-foot (``sources/events_extra_regional.csv``): the Cubans' port
    route (the four ports' ``presents``) ends on the row's date."""
    rows = _rows_by_2018(folder, "sources/events_extra_regional.csv")
    (row,) = [r for r in rows if r["country"] == "Cuba" and "wet-foot" in r["description"]]
    ports = ("ofo_san_ysidro", "ofo_el_paso", "ofo_laredo", "ofo_nogales")
    return {
        "us-wet-foot-dry-foot-end-2017": (
            dt.date.fromisoformat(row["date"]),
            [(f"services.{p}.presents.CUB", "set", 0.0, 0) for p in ports],
        )
    }


def _events_from_data(folder: Path) -> dict[str, object]:
    return {**_family_detention(folder), **_comar_staff(folder), **_wet_foot(folder)}


def _numeric_changes(event) -> list[tuple[str, str, float, int]]:
    return [
        (c.parameter, c.op, float(c.value), c.ramp_days)
        for c in event.changes
        if not isinstance(c.value, str)  # a $parameter: fitted or derived, checked above
    ]


def test_events_before_2019_read_no_row_after_2018(scenario, perturbed):
    """A policy event dated by 2018 is part of what the back-test fits, not of the policy path:
    when it takes a number from a data file (family detention and the Flores ruling of issue
    13 phase B, COMAR's 2017 posts, the end of wet-foot/dry-foot), its date and numbers are
    recomputed from the file's rows ending by 2018, and do not change when every later row is
    changed. Events dated after 2018
    (MPP, the 2019 deployments, Title 42, Mexico's 2021 reform on migrant children) are the
    policy path the back-test is conditional on."""
    expected = _events_from_data(scenario.base_dir)
    assert expected == _events_from_data(perturbed)
    values = parameter_values(scenario)
    assert values[FAMILY_BEDS] == expected.pop(FAMILY_BEDS)
    events = {e.id: e for e in scenario.events}
    for name, (start, changes) in expected.items():
        event = events[name]
        assert (event.start, _numeric_changes(event)) == (start, changes), name
    for event in scenario.events:
        text = f"{event.source or ''} {event.notes or ''}"
        if event.start <= FIT_END and DATA_CITATION.search(text):
            assert event.id in expected, f"{event.id}: derive its numbers from rows by 2018"
    later = {e.id for e in scenario.events if e.start > FIT_END}
    assert {"mx-infancia-migrante-2021", "us-title42-2020", "mx-gn-south-2019"} <= later


def test_committed_backtest_study_fits_data_by_2018(scenario):
    """The back-test study that docs/validation.md's command reads ships in the repository and
    was fitted to data up to 2018-12-31 only (its settings and its calibrated file)."""
    study = ROOT / "calibrations/stages/mexico-us-backtest-s1"
    cal = backtest_calibration(study, scenario)
    assert cal.data_until == FIT_END
    assert json.loads((study / "study.json").read_text())["until"] == FIT_END.isoformat()
    assert "--until 2018-12-31" in cal.command
    assert cal.ensemble and set(cal.parameters) <= set(scenario.calibration)
