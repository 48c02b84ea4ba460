"""Studies on the tiny corridor (tests/study_dirs.py), on fixed seeds:

* a variant branched from the baseline's state is the run it would have made from day 0, bit
  for bit (``corredor.simulation.branching``);
* paired differences whose sign is known have it: more asylum officers → a shorter mean wait;
  no MPP → fewer person-days waiting for a hearing; no deployment → fewer apprehensions in the
  transit state;
* the study measures agree with the run's ledger over the same days;
* a study killed half-way and restarted gives exactly the numbers of an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from corredor.rules.corridor.compiled import compile_corridor
from corredor.simulation.branching import first_difference
from corredor.simulation.corridor import CorridorModel, run_corridor
from corredor.studies import (
    StudyResult,
    StudyTask,
    assemble,
    load_study,
    prepare_study,
    run_study,
    run_tasks,
)
from corredor.studies.outputs import mark, period_values
from corredor.studies.schema import OutputSpec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from study_dirs import DAYS, study_document, write_study_dir


@pytest.fixture(scope="module")
def study_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_study_dir(tmp_path_factory.mktemp("study"))


@pytest.fixture(scope="module")
def result(study_file: Path) -> StudyResult:
    return run_study(load_study(study_file))


def test_variants_branch_where_their_policies_start(result: StudyResult) -> None:
    # history, no-deploy (deploy starts on day 40), no-mpp (day 30), asylum (its event, day
    # 40: the lever it sets is read by that event only)
    assert result.branch_days.shape == (1, 3, 4)
    assert (result.branch_days == np.array([DAYS, 40, 30, 40])).all()


def test_branched_runs_equal_runs_from_day_zero(study_file: Path) -> None:
    prepared = prepare_study(load_study(study_file), replicas=1)
    branched = run_tasks(prepared)
    scratch = run_tasks(dataclasses.replace(prepared, branching=False))
    assert all(t.branch_days[1:] == (0, 0, 0) for t in scratch)
    for a, b in zip(branched, scratch, strict=True):
        assert np.array_equal(a.values, b.values, equal_nan=True)


def test_a_lever_set_from_day_zero_diverges_on_day_zero(study_file: Path) -> None:
    study = load_study(study_file)
    prepared = prepare_study(study)
    base = prepared.compile(prepared.base, 0)
    faster = dataclasses.replace(
        prepared.variants[1], overrides={"asylum_days": 2.0}, scenario=prepared.variants[0].scenario
    )
    other = dataclasses.replace(prepared, variants=(prepared.variants[0], faster))
    assert first_difference(base, other.compile(1, 0), levers=prepared.levers) == 0
    assert first_difference(base, base) == DAYS


def _diff(result: StudyResult, variant: str, output: str) -> np.ndarray:
    return result.paired(variant, output)


def test_more_asylum_officers_shorten_the_mean_wait(result: StudyResult) -> None:
    d = _diff(result, "asylum", "wait")
    assert (d < 0).all()
    row = result.differences().set_index(["variant", "output"]).loc[("asylum", "wait")]
    assert row["sign"] == "-" and row["p95"] < 0


def test_no_mpp_means_no_person_days_waiting_for_a_hearing(result: StudyResult) -> None:
    d = _diff(result, "no-mpp", "waiting")
    base = result.samples("history", "waiting")
    assert (base > 0).all() and (d < 0).all()
    assert np.array_equal(result.samples("no-mpp", "waiting"), np.zeros_like(base))
    assert (_diff(result, "no-mpp", "returned") < 0).all()


def test_no_deployment_means_fewer_apprehensions_in_transit(result: StudyResult) -> None:
    assert (_diff(result, "no-deploy", "apprehended_mid") < 0).all()
    assert (_diff(result, "no-deploy", "detention_mid") < 0).all()


def test_absolute_values_and_differences_agree(result: StudyResult) -> None:
    ab = result.absolute().set_index(["variant", "output"])
    runs = result.per_run()
    for v in result.variants:
        x = runs[(runs["variant"] == v) & (runs["output"] == "encounters")]["value"]
        assert ab.loc[(v, "encounters"), "median"] == pytest.approx(float(np.median(x)))
    d = result.differences()
    assert set(d["variant"]) == {"no-deploy", "no-mpp", "asylum"}
    assert ((d["p05"] <= d["median"] + 1e-9) & (d["median"] <= d["p95"] + 1e-9)).all()


def test_study_measures_agree_with_the_ledger(study_file: Path) -> None:
    study = load_study(study_file)
    prepared = prepare_study(study)
    sc = prepared.variants[0].scenario
    values = prepared.sets[0]
    res = run_corridor(sc, seed=11, calibration=values)
    model = CorridorModel(compile_corridor(sc, values), seed=11)
    start = mark(model, 0)
    for d in range(res.days):
        model.run_day(d)
    specs = [
        OutputSpec(name="a", measure="stranded_person_days"),
        OutputSpec(name="b", measure="detention_days_transit"),
        OutputSpec(name="c", measure="detention_days_destination"),
        OutputSpec(name="d", measure="deportations_without_screening"),
        OutputSpec(name="e", measure="asylum_wait_transit_mean_days"),
        OutputSpec(name="f", measure="expulsions"),
        OutputSpec(name="g", measure="returned_to_wait"),
        OutputSpec(name="h", measure="asylum_backlog_transit_end"),
    ]
    got = period_values(specs, model, start, res.days - 1)
    ledger = res.ledger().iloc[0]  # the run lies in one calendar year
    assert got["a"] == ledger["stranded_person_days"]
    assert got["b"] == ledger["detention_days_transit"]
    assert got["c"] == ledger["detention_days_destination"]
    assert got["d"] == ledger["deportations_without_screening"]
    assert got["e"] == pytest.approx(ledger["asylum_wait_transit_days"])
    assert got["f"] == ledger["expulsions"]
    assert got["g"] == ledger["returned_to_wait"]
    assert got["h"] == ledger["asylum_backlog_transit_end"]


_DRIVER = textwrap.dedent(
    """
    import sys, time
    from corredor.studies import run_study, load_study
    from corredor.studies import runner

    slow = runner.run_task
    def run_task(prepared, k, on_day=None):
        out = slow(prepared, k, on_day=on_day)
        time.sleep(float(sys.argv[3]))   # room to be killed between tasks
        return out
    runner.run_task = run_task
    r = run_study(load_study(sys.argv[1]), checkpoint=sys.argv[2])
    import pickle
    pickle.dump(r.values, open(sys.argv[2] + "/values.pkl", "wb"))
    """
)


def test_a_killed_study_resumes_to_the_same_numbers(
    study_file: Path, result: StudyResult, tmp_path: Path
) -> None:
    driver = tmp_path / "driver.py"
    driver.write_text(_DRIVER, encoding="utf-8")
    folder = tmp_path / "ckpt"
    folder.mkdir()
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.Popen(
        [sys.executable, str(driver), str(study_file), str(folder), "15"], env=env
    )
    deadline = time.monotonic() + 300
    while not list(folder.glob("*/task-*.json")):
        assert proc.poll() is None, "the study ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = list(folder.glob("*/task-*.json"))
    assert 1 <= len(done) < 3
    subprocess.run(
        [sys.executable, str(driver), str(study_file), str(folder), "0"], env=env, check=True
    )
    import pickle

    with open(folder / "values.pkl", "rb") as fh:
        resumed = pickle.load(fh)
    assert np.array_equal(resumed, result.values, equal_nan=True)
    assert sorted(p.name for p in folder.glob("*/task-*.json")) == [
        "task-00000.json",
        "task-00001.json",
        "task-00002.json",
    ]


def test_assemble_needs_every_task(study_file: Path) -> None:
    prepared = prepare_study(load_study(study_file), replicas=2)
    shape = (len(prepared.variants), len(prepared.columns))
    task = StudyTask(0, 0, prepared.seeds[0], np.zeros(shape), (DAYS, 0, 0, 0), 0.0)
    with pytest.raises(ValueError, match="every task"):
        assemble(prepared, [task])


# ------------------------------------------------------------------ the synthetic second corridor
@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from synthetic_corridor import write_synthetic_corridor

    root = tmp_path_factory.mktemp("meridia")
    scenario = write_synthetic_corridor(root / "corridor", with_data=False)
    doc = study_document(
        "corridor/scenario.yaml",
        period={"start": "2016-07-01", "end": "2017-12-31"},
        variants=[
            {"name": "history", "label": "History"},
            {
                "name": "no-expulsions",
                "label": "No expulsions",
                "without_events": ["austral-expulsions"],
            },
            {
                "name": "no-enforcement",
                "label": "No added enforcement",
                "without_events": ["meridia-enforcement"],
            },
        ],
        outputs=[
            {"name": "apprehended", "measure": "apprehensions_transit"},
            {"name": "expulsions", "measure": "expulsions"},
            {"name": "encounters", "measure": "encounters_destination"},
            {"name": "stranded", "measure": "stranded_person_days", "by": "place"},
        ],
        headline=["apprehended", "expulsions"],
        ensemble={"replicas": 1, "seed": 1},
    )
    path = root / "study.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    assert scenario.is_file()
    return path


def test_known_signs_on_the_synthetic_corridor(synthetic: Path) -> None:
    r = run_study(load_study(synthetic))
    assert list(r.branch_days[0, 0]) == [731, 244, 517]  # 2016-09-01, 2017-06-01
    assert (r.paired("no-expulsions", "expulsions") < 0).all()
    assert (r.paired("no-enforcement", "apprehended") < 0).all()
    assert {c.name for c in r.columns} >= {"stranded:Puerto Alto", "stranded:Puerto Bajo"}


def test_study_measures_agree_with_the_synthetic_ledger(synthetic: Path) -> None:
    """Every study measure that the ledger also reports, over 2016 (a calendar year)."""
    prepared = prepare_study(load_study(synthetic))
    sc, values = prepared.variants[0].scenario, prepared.sets[0]
    res = run_corridor(sc, seed=2, calibration=values, days=366)
    model = CorridorModel(compile_corridor(sc, values, days=366), seed=2)
    start = mark(model, 0)
    for d in range(366):
        model.run_day(d)
    pairs = {
        "stranded_person_days": "stranded_person_days",
        "hearing_waiting_person_days": "wait_programme_waiting_person_days",
        "detention_days_transit": "detention_days_meridia",
        "detention_days_destination": "detention_days_austral",
        "deportations_without_screening": "deportations_without_screening",
        "asylum_wait_transit_mean_days": "asylum_wait_meridia_days",
        "asylum_backlog_transit_end": "asylum_backlog_meridia_end",
        "expulsions": "expulsions",
        "returned_to_wait": "returned_to_wait",
        "encounters_destination": "apprehensions_austral_non_meridians",
        "apprehensions_transit": "apprehensions_meridia_non_meridians",
    }
    specs = [OutputSpec(name=m, measure=m) for m in pairs]  # type: ignore[arg-type]
    got = period_values(specs, model, start, 365)
    ledger = res.ledger().loc[2016]
    for measure, entry in pairs.items():
        assert got[measure] == pytest.approx(ledger[entry]), measure
