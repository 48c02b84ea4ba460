"""``corredor serve`` on a results store the user may only read: its results are served (the
catalogue, a run, the paired difference of two corridor runs, a report), every job and delete
is refused with one 403, and nothing in the store changes. The service failed to start with a
traceback (it wrote its job journal into the store).

In this process root may write anyway, so the store is marked unwritable by hand, as in
``tests/unit/test_read_only_store.py``'s Python API test (which also runs the command line as
root with its capabilities dropped)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import web_helpers
from corredor import app
from corredor.store import ResultsStore
from corredor.web import ServeSettings, create_app
from corredor.web.jobs import JOURNAL, JobManager
from corridor_dirs import write_corridor_dir


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


def test_a_read_only_store_is_served_and_nothing_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import corredor.store.store as module

    yaml = write_corridor_dir(tmp_path / "mine", days=30)
    root = tmp_path / "runs"
    store = ResultsStore(root)
    a, b = (
        app.run(app.RunRequest(scenario=str(yaml), seed=1, calibration="none", set=lever), store)
        for lever in ({}, {"dest_hazard": 5.0})
    )
    ids = [a.run_id, b.run_id]
    before = _snapshot(root)
    monkeypatch.setattr(module, "_may_write", lambda root: False)
    settings = ServeSettings(store=root, extra_hosts=("testserver",), warm=False, prewarm=True)
    jobs = JobManager(root, warm=False, runner=web_helpers.instant_fail, prewarm=True)
    with TestClient(create_app(settings, jobs=jobs)) as client:
        health = client.get("/api/health").json()
        assert health["store_writable"] is False and health["prewarm"]["state"] == "off"
        assert [r["run_id"] for r in client.get("/api/runs").json()] == ids
        assert client.get(f"/api/runs/{ids[0]}").status_code == 200
        r = client.get("/api/paired", params={"a": ids[0], "b": ids[1]})
        assert r.status_code == 200 and r.json()["observables"], r.text
        assert client.get(f"/api/runs/{ids[1]}/report").status_code == 200
        for method, path, body in (
            ("POST", "/api/runs", {"scenario": "mexico-us", "days": 3}),
            ("POST", "/api/runs", {"scenario": "mexico-us", "preview": True}),
            ("POST", "/api/ensembles", {"scenario": "mexico-us", "days": 3}),
            ("DELETE", f"/api/runs/{ids[0]}", None),
        ):
            r = client.request(method, path, json=body)
            assert r.status_code == 403, (path, r.text)
            detail = r.json()["detail"]
            assert "read-only for you (permission denied)" in detail and str(root) in detail
        assert client.get("/api/jobs").json() == []
    assert _snapshot(root) == before and not (root / JOURNAL).exists()
