"""``corredor.app.estimate``: the runs of a request and their expected time, priced from a
(fake) catalogue of finished runs, else from the measured costs recorded in the package."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from corredor.app import (
    CalibrateRequest,
    EnsembleRequest,
    ForecastRequest,
    RunRequest,
    SensitivityRequest,
    estimate,
)
from corredor.app import estimates as est
from corredor.app.inputs import inputs_of
from corredor.sensitivity.analysis import problem_of, runs_needed
from corredor.store import ResultsStore
from corredor.store.catalogue import COLUMNS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from forecast_dirs import write_forecast_dir

T0 = dt.datetime(2026, 12, 1, 10, 0, 0)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_forecast_dir(tmp_path_factory.mktemp("tiny-estimate"))


def _row(
    n: int,
    scenario: str,
    *,
    kind: str = "corridor",
    seconds: float,
    days: int = 100,
    seeds: str = "0",
    status: str = "finished",
    summary: dict[str, Any] | None = None,
    calibration: dict[str, Any] | None = None,
    request: dict[str, Any] | None = None,
    sets: int | None = None,
) -> dict[str, Any]:
    """A catalogue row of a result that took ``seconds`` from start to finish."""
    started = T0 + dt.timedelta(hours=n)
    provenance: dict[str, Any] = {"calibration": calibration or {}, "request": request or {}}
    if sets is not None:
        provenance["parameters"] = {"sets": [{"x": i} for i in range(sets)]}
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(
        run_id=f"run-{n}",
        kind=kind,
        scenario=scenario,
        scenario_path="",
        created=started,
        seeds=seeds,
        replicas=len(seeds.split(",")),
        days=days,
        status=status,
        summary=json.dumps(summary or {}),
        path="",
        label="",
        provenance=json.dumps(provenance),
        started=started,
        finished=started + dt.timedelta(seconds=seconds),
    )
    return row


def test_cost_from_comparable_finished_runs_of_the_catalogue(tiny: Path, tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "runs")
    used = inputs_of(EnsembleRequest(scenario=str(tiny))).used.model_dump(mode="json")
    rows = [
        # 0.2 s per run and day: a single run, and a forecast of 2 sets × 3 seeds on 2 workers
        _row(1, "tiny-test-corridor", seconds=20.0, calibration=used),
        _row(
            2,
            "tiny-test-corridor",
            kind="forecast",
            seconds=60.0,
            seeds="0,1,2",
            sets=2,
            calibration=used,
            request={"workers": 2},
        ),
        # not comparable: another scenario, scale or calibration, a failed run, a Flee run
        _row(3, "other", seconds=999.0, calibration=used),
        _row(
            4,
            "tiny-test-corridor",
            seconds=999.0,
            calibration=used,
            request={"people_per_agent": 7},
        ),
        _row(5, "tiny-test-corridor", seconds=999.0, calibration={"name": "none"}),
        _row(6, "tiny-test-corridor", seconds=999.0, calibration=used, status="failed"),
        _row(7, "tiny-test-corridor", kind="flee", seconds=999.0, calibration=used),
    ]
    for row in rows:
        store.catalogue.insert(row)
    made = estimate(EnsembleRequest(scenario=str(tiny), replicas=4, days=50), store)
    assert made is not None
    assert (made.runs, made.days, made.workers) == (4, 50, 1)
    assert made.seconds == pytest.approx(4 * 50 * 0.2)
    assert "7 finished runs like it in the store" in made.source  # 1 + 6 runs
    two = estimate(EnsembleRequest(scenario=str(tiny), replicas=3, days=50, workers=2), store)
    assert two is not None and two.workers == 2
    assert two.seconds == pytest.approx(2 * 50 * 0.2)  # 3 runs: two rounds on 2 workers
    line = two.line()
    assert line.startswith("3 runs of tiny-test-corridor over 50 days: about 20 s on 2 workers")
    assert "estimate from" in line and "--workers N" in line
    js = two.as_json()
    assert js["runs"] == 3 and js["seconds"] == 20.0 and js["line"] == line
    # the other scale has its own cost; a single run is one run
    seven = estimate(RunRequest(scenario=str(tiny), days=100, people_per_agent=7), store)
    assert seven is not None and seven.runs == 1 and seven.seconds == pytest.approx(999.0)


def test_calibration_trials_priced_from_finished_calibrations(tiny: Path, tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "runs")
    # 4 complete trials of 100 days on 2 workers in 80 s: 0.4 s per trial and day
    for n, kind in enumerate(("calibration", "corridor")):
        store.catalogue.insert(
            _row(
                n,
                "tiny-test-corridor",
                kind=kind,
                seconds=80.0 if kind == "calibration" else 999.0,
                summary={"trials": 4},
                request={"workers": 2},
            )
        )
    made = estimate(CalibrateRequest(scenario=str(tiny), trials=3, workers=1), store)
    assert made is not None and (made.runs, made.days, made.what) == (3, 91, "trials")
    assert made.seconds == pytest.approx(3 * 91 * 0.4)
    assert made.line().startswith(
        "3 trials of tiny-test-corridor over 91 days: about 2 min on 1 worker"
    )
    assert "4 finished trials like it in the store" in made.line()


def test_no_comparable_run_and_no_measurement_gives_no_time(tiny: Path, tmp_path: Path) -> None:
    made = estimate(EnsembleRequest(scenario=str(tiny), replicas=2), ResultsStore(tmp_path / "s"))
    assert made is not None and made.seconds is None and made.runs == 2
    assert made.line() == (
        "2 runs of tiny-test-corridor over 91 days: no time estimate (no finished run like it "
        "in the store, no measured cost of tiny-test-corridor)"
    )


def test_fallback_measured_cost_of_the_scenario() -> None:
    """``mexico-us`` with no store: the measured whole runs of docs/benchmarks.md, scaled by
    runs, days and workers, and between scales by a cost per day plus one per person."""
    by_k = {m.people_per_agent: m for m in est.MEASURED if m.scenario == "mexico-us"}
    assert set(by_k) >= {1, 50}
    point = estimate(EnsembleRequest(scenario="mexico-us"))  # the point fit × 4 seeds
    assert point is not None and point.runs == 4 and point.days == by_k[1].days
    assert point.seconds == pytest.approx(4 * by_k[1].cpu_seconds)
    assert "measured in docs/benchmarks.md" in point.source
    preview = estimate(RunRequest(scenario="mexico-us", people_per_agent=50, days=1000))
    assert preview is not None
    assert preview.seconds == pytest.approx(by_k[50].cpu_seconds / by_k[50].days * 1000)
    ten = estimate(RunRequest(scenario="mexico-us", people_per_agent=10))
    assert ten is not None and ten.seconds is not None
    # a + b / k through the two measured points: between them, nearer the coarse one
    a_plus_b, a_plus_b50 = by_k[1].cpu_seconds, by_k[50].cpu_seconds
    b = (a_plus_b - a_plus_b50) / (1 - 1 / 50)
    assert ten.seconds == pytest.approx(a_plus_b - b + b / 10)
    assert a_plus_b50 < ten.seconds < a_plus_b
    fc = estimate(ForecastRequest(scenario="mexico-us", until="2024-09", workers=2))
    assert fc is not None and fc.days == (dt.date(2024, 9, 30) - dt.date(2013, 1, 1)).days + 1


def test_measured_cost_with_one_scale_scales_by_people(monkeypatch: pytest.MonkeyPatch) -> None:
    row = est.Measured("x", 100, 2, 50.0, "cmd", "src")
    monkeypatch.setattr(est, "MEASURED", (row,))
    assert est.measured_cost("x", 2) == (0.5, "a run of x measured in docs/benchmarks.md")
    cost = est.measured_cost("x", 4)
    assert cost is not None and cost[0] == pytest.approx(0.25)
    assert est.measured_cost("y", 1) is None


def test_run_counts_follow_the_requests(tiny: Path) -> None:
    sens = SensitivityRequest(scenario=str(tiny), trajectories=3)
    made = estimate(sens)
    problem = problem_of(inputs_of(sens).scenario, None)
    assert made is not None and made.runs == runs_needed("morris", 3, problem["num_vars"], 1)
    cf = estimate(EnsembleRequest(scenario=str(tiny), replicas=3, counterfactual=["expel-again"]))
    assert cf is not None and cf.runs == 6  # the counterfactual runs the same sets and seeds
    # nothing to estimate: a forecast its use case refuses, a Flee scenario
    assert estimate(ForecastRequest(scenario=str(tiny), until="2020-03")) is None
    assert estimate(RunRequest(scenario="mali2012")) is None


def test_duration_words() -> None:
    assert [est.duration(s) for s in (0.2, 40, 89, 600, 5300, 5400, 7500)] == [
        "1 s",
        "40 s",
        "89 s",
        "10 min",
        "88 min",
        "1 h 30 min",
        "2 h 05 min",
    ]


def test_a_study_task_counts_the_days_of_its_variants(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A study's first estimate (no task in the store) prices a task at the days it simulates:
    the baseline's period plus each variant from its first day of difference — the branch days
    a task really runs — not as one run (it said "a low estimate")."""
    from corredor.app import StudyRequest
    from corredor.studies.runner import prepare_study, run_task
    from corredor.studies.schema import load_study
    from study_dirs import write_study_dir

    path = write_study_dir(tmp_path / "d")
    prepared = prepare_study(load_study(str(path)))
    task = run_task(prepared, 0)
    base, days = prepared.base, prepared.days
    simulated = days + sum(days - b for v, b in enumerate(task.branch_days) if v != base)
    assert simulated > days  # the variants branch inside the period
    assert est.task_days(prepared) == simulated
    name = prepared.variants[base].scenario.name
    monkeypatch.setattr(est, "MEASURED", (est.Measured(name, 100, 1, 50.0, "cmd", "src"),))
    made = estimate(StudyRequest(study=str(path)))
    assert made is not None and made.runs == prepared.tasks and made.days == days
    assert made.seconds == pytest.approx(0.5 * simulated * prepared.tasks)
    assert f"a task simulates {simulated:,} days" in made.source
