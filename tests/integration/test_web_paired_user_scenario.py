"""``/api/paired`` on results of a scenario that is not built in: the paired difference while
the scenario file they were run from is there; once it is gone, one clear 422 saying why (it
answered a 404 "no corridor scenario", as if the results did not exist)."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi.testclient import TestClient

import web_helpers
from corredor import app
from corredor.store import ResultsStore
from corredor.web import ServeSettings, bands, create_app, scenarios
from corredor.web.jobs import JobManager
from corridor_dirs import write_corridor_dir


def test_paired_results_of_a_user_scenario(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    yaml = write_corridor_dir(folder, days=40)
    root = tmp_path / "runs"
    store = ResultsStore(root)
    ids = [
        app.run(app.RunRequest(scenario=str(yaml), seed=s, calibration="none"), store).run_id
        for s in (0, 1)
    ]
    settings = ServeSettings(store=root, extra_hosts=("testserver",), warm=False)
    jobs = JobManager(root, warm=False, runner=web_helpers.instant_fail)
    with TestClient(create_app(settings, jobs=jobs)) as client:
        r = client.get("/api/paired", params={"a": ids[0], "b": ids[1]})
        assert r.status_code == 200, r.text
        assert r.json()["months"] and r.json()["observables"]
        shutil.rmtree(folder)  # the scenario file is gone: the store's results remain
        bands._paired.cache_clear()
        scenarios._scenario.cache_clear()  # as in a fresh service
        scenarios.scenario_observables.cache_clear()
        r = client.get("/api/paired", params={"a": ids[0], "b": ids[1]})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert "not a built-in scenario" in detail and "file they were run from is gone" in detail
    assert f"corredor compare {ids[0]} {ids[1]}" in detail


def test_paired_flee_results_are_refused_saying_why(tmp_path: Path) -> None:
    """Two Flee runs (of a built-in scenario, or not): one 422 saying the paired difference is
    of corridor results and pointing to ``corredor compare`` (it said the scenario was not built
    in and its file was gone, for mali2012 too)."""
    from corredor.results import RunResult

    root = tmp_path / "runs"
    store = ResultsStore(root)
    run = app.run(app.RunRequest(scenario="mali2012", days=3), store)
    assert isinstance(run.result, RunResult)
    other = app.run(app.RunRequest(scenario="mali2012", days=3, seed=1), store)
    settings = ServeSettings(store=root, extra_hosts=("testserver",), warm=False)
    jobs = JobManager(root, warm=False, runner=web_helpers.instant_fail)
    with TestClient(create_app(settings, jobs=jobs)) as client:
        r = client.get("/api/paired", params={"a": run.run_id, "b": other.run_id})
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == (
        f"{run.run_id} is a flee result: the paired difference is of corridor results (runs, "
        "ensembles, forecasts); compare two Flee runs with `corredor compare`"
    )
