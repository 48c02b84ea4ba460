"""``corredor serve`` for real (a subprocess, real worker processes, the real model on short
periods): runs, previews, answers from the store, results in every format, compare, delete, and
a service killed with SIGKILL during a run."""

from __future__ import annotations

import io
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

import web_helpers

http = httpx.Client(timeout=120)

pytestmark = [pytest.mark.xdist_group("web-service"), pytest.mark.slow]
DAYS = 59  # January and February 2013


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    store = tmp_path_factory.mktemp("web") / "store"
    with web_helpers.service(store) as (base, _):
        yield base, store


@pytest.fixture(scope="module")
def url(served: tuple[str, Path]) -> str:
    return served[0]


def _corredor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corredor", *args], capture_output=True, text=True, check=False
    )


def _run(url: str, body: dict[str, object]) -> dict[str, object]:
    r = http.post(f"{url}/api/runs", json=body)
    assert r.status_code in (200, 202), r.text
    job = web_helpers.wait_job(url, str(r.json()["id"]))
    assert job["state"] == "done", job
    return job


def test_run_results_and_cache(url: str) -> None:
    body = {"scenario": "mexico-us", "days": DAYS, "seed": 1}
    r = http.post(f"{url}/api/runs", json=body)
    assert r.status_code == 202
    job_id = r.json()["id"]
    kinds = []
    with http.stream("GET", f"{url}/api/jobs/{job_id}/events") as s:
        for line in s.iter_lines():
            if line.startswith("event:"):
                kinds.append(line.split(":", 1)[1].strip())
            if line.startswith("data:"):
                last = json.loads(line[5:])
    assert kinds[-1] == "done" and "progress" in kinds
    assert last["done"] == last["total"] == DAYS
    run_id = last["run_id"]

    prov = http.get(f"{url}/api/runs/{run_id}").json()
    assert prov["request"]["days"] == DAYS and prov["seed"] == 1 and prov["kind"] == "run"
    assert prov["scenario_hash"] and prov["code_version"] and prov["people_per_agent"] == 1
    series = http.get(f"{url}/api/runs/{run_id}/series").json()
    total = next(o for o in series["observables"] if o["name"] == "usbp_encounters_total")
    assert len(series["months"]) == 2 and total["simulated"][1] > 1000
    assert total["observed"] and total["sources"] and total["band"] is None
    ledger = http.get(f"{url}/api/runs/{run_id}/ledger").json()
    assert ledger["years"] == [2013] and any(
        r["name"] == "stranded_person_days" for r in ledger["rows"]
    )
    labels = json.loads(
        (
            Path(__file__).resolve().parents[2]
            / "src/corredor/web/static/i18n/scenarios/mexico-us.json"
        ).read_text()
    )
    assert {r["name"] for r in ledger["rows"]} <= set(labels["es"]["ledger"])
    geo = http.get(f"{url}/api/runs/{run_id}/map").json()
    assert "Tijuana" in geo["waiting"] and any(v for vs in geo["arrivals"].values() for v in vs)
    csv = http.get(f"{url}/api/runs/{run_id}/tables/monthly")
    assert csv.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(csv.text))
    assert len(frame) == 2 and "usbp_encounters_total" in frame.columns
    pq = http.get(f"{url}/api/runs/{run_id}/tables/observed?format=parquet")
    assert len(pd.read_parquet(io.BytesIO(pq.content))) > 0

    again = http.post(f"{url}/api/runs", json=body)
    assert again.status_code == 200 and again.json()["cached"] and again.json()["run_id"] == run_id
    assert any(r["run_id"] == run_id for r in http.get(f"{url}/api/runs").json())
    assert http.get(f"{url}/api/catalogue").json()["scenarios"]["mexico-us"]["run"] >= 1


def test_preview_compare_delete(url: str) -> None:
    base = {"scenario": "mexico-us", "days": DAYS, "seed": 2}
    variant = {**base, "without_events": ["us-metering-2018"], "levers": {"usbp_effort": 2.0}}
    preview = _run(url, {**variant, "preview": True})
    prov = http.get(f"{url}/api/runs/{preview['run_id']}").json()
    assert prov["kind"] == "preview" and prov["people_per_agent"] == 50
    series = http.get(f"{url}/api/runs/{preview['run_id']}/series").json()
    assert series["scale"]["people_per_agent"] == 50
    assert all(o["band"] is not None for o in series["observables"])
    # the extra noise stated in numbers (1.96·√(50/n) of a count of n) is the band drawn
    assert series["scale"]["noise"] == [{"people": 10_000, "relative": 0.139},
                                        {"people": 100_000, "relative": 0.044}]  # fmt: skip
    total = next(o for o in series["observables"] if o["name"] == "usbp_encounters_total")
    v, hi = total["simulated"][1], total["band"]["hi"][1]
    assert v > 1000 and math.isclose(hi - v, 1.96 * math.sqrt(50 * v), rel_tol=1e-6)

    a, b = _run(url, base)["run_id"], _run(url, variant)["run_id"]
    c = http.get(f"{url}/api/compare", params={"a": a, "b": b}).json()
    assert c["paired"] is True
    total = next(o for o in c["observables"] if o["name"] == "usbp_encounters_total")
    assert total["total_b"] != total["total_a"]  # twice the Border Patrol effort
    assert http.get(f"{url}/api/runs/{b}").json()["levers"] == {"usbp_effort": 2.0}

    assert http.delete(f"{url}/api/runs/{preview['run_id']}").status_code == 204
    assert http.get(f"{url}/api/runs/{preview['run_id']}").status_code == 404


def test_a_preview_starts_from_its_kept_baseline(url: str) -> None:
    """A preview starts from its baseline's state on the first day the two differ, and the
    chart says so; the same preview simulating every day is the same result (found in the
    store); a parameter every day reads reuses nothing."""
    body = {"scenario": "mexico-us", "days": DAYS, "seed": 4, "preview": True}
    lever = {**body, "levers": {"comar_funding_multiplier": 4.0}}  # no event reads it in 2013
    run_id = _run(url, lever)["run_id"]
    prov = http.get(f"{url}/api/runs/{run_id}").json()
    assert prov["reused_baseline"] == {"day": DAYS, "days": DAYS, "date": "2013-03-01",
                                       "kept": False}  # fmt: skip
    scale = http.get(f"{url}/api/runs/{run_id}/series").json()["scale"]
    assert scale["reused"] == {"date": "2013-03-01", "day": DAYS, "days": DAYS}
    again = http.post(f"{url}/api/runs", json={**lever, "reuse_baseline": False}).json()
    assert again["cached"] is True and again["run_id"] == run_id

    daily = _run(url, {**body, "levers": {"usbp_effort": 1.5}})["run_id"]
    assert http.get(f"{url}/api/runs/{daily}").json()["reused_baseline"]["day"] == 0
    assert "reused" not in http.get(f"{url}/api/runs/{daily}/series").json()["scale"]


def test_prewarmed_previews_start_from_a_kept_baseline(tmp_path: Path) -> None:
    """``corredor serve --prewarm``: the preview worker keeps, from its start and in the
    background, the baseline states of the default preview on the days events start; a job
    handed to the lane meanwhile runs (the prewarm gives way and goes on after it), and the
    first preview that moves a lever read from July 2021 starts from the state the prewarm kept.
    At one agent for 1,000 people to keep the test short."""
    store = tmp_path / "store"
    scale = ("--prewarm", "--preview-people-per-agent", "1000")
    with web_helpers.service(store, *scale) as (url, _):
        early = _run(url, {"scenario": "mexico-us", "preview": True,
                           "without_events": ["us-title42-2020"]})  # fmt: skip
        assert http.get(f"{url}/api/runs/{early['run_id']}").json()["reused_baseline"]["day"]
        deadline = time.monotonic() + 300
        while (status := http.get(f"{url}/api/health").json()["prewarm"])["state"] == "running":
            assert time.monotonic() < deadline, status
            time.sleep(0.3)
        assert status["state"] == "done" and status["workers_done"] == 1, status
        lever = {"scenario": "mexico-us", "preview": True,
                 "with_events": ["cf-mx-comar-instead-of-troops-2021"],
                 "levers": {"comar_funding_multiplier": 4.0}}  # fmt: skip
        prov = http.get(f"{url}/api/runs/{_run(url, lever)['run_id']}").json()
        assert prov["people_per_agent"] == 1000
        assert prov["reused_baseline"] == {"day": 3123, "days": 3195, "date": "2021-07-21",
                                           "kept": True}  # fmt: skip


def test_bargaining_sweep(url: str) -> None:
    body = {"review_days": 90}
    r = http.post(f"{url}/api/bargain", json=body)
    assert r.status_code == 202
    job = web_helpers.wait_job(url, r.json()["id"])
    assert job["state"] == "done", job
    res = http.get(f"{url}/api/bargain/{job['run_id']}").json()
    sure = sorted((x for x in res["rows"] if x["credibility"] == 1.0), key=lambda x: x["exposure"])
    low, high = sure[0], sure[-1]
    assert high["feasible_share"] < low["feasible_share"]  # exposure narrows Mexico's room
    assert res["provenance"]["kind"] == "bargain" and 0 < res["provenance"]["export_share_data"] < 1
    assert http.post(f"{url}/api/bargain", json=body).json()["cached"] is True
    assert http.get(f"{url}/api/runs/{job['run_id']}/series").status_code == 422


def test_sigkill_during_a_run_leaves_a_consistent_store(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with web_helpers.service(store) as (url, proc):
        done = _run(url, {"scenario": "mexico-us", "days": 31, "seed": 3})
        r = http.post(f"{url}/api/runs", json={"scenario": "mexico-us", "days": 3000, "seed": 4})
        job_id = r.json()["id"]
        deadline = time.monotonic() + 120
        while http.get(f"{url}/api/jobs/{job_id}").json()["done"] < 5:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    time.sleep(0.5)  # the workers die with the service (PR_SET_PDEATHSIG)
    with web_helpers.service(store) as (url, _):
        job = http.get(f"{url}/api/jobs/{job_id}").json()
        assert job["state"] == "failed" and "stopped" in job["error"]
        # the store lists the killed run as failed (its row was 'running'), the finished one as
        # finished; only the finished one draws
        runs = {r["run_id"]: r for r in http.get(f"{url}/api/runs").json()}
        assert set(runs) == {done["run_id"], job["run_id"]}, runs
        assert runs[done["run_id"]]["status"] == "finished"
        assert runs[job["run_id"]]["status"] == "failed" and runs[job["run_id"]]["error"]
        assert http.get(f"{url}/api/runs/{done['run_id']}/series").status_code == 200
        failed = http.get(f"{url}/api/runs/{job['run_id']}/series")
        assert failed.status_code == 422 and "failed" in failed.json()["detail"]
    assert not [p for p in store.iterdir() if p.name.startswith(".tmp")]


def test_one_store_with_the_command_line(served: tuple[str, Path], tmp_path: Path) -> None:
    """A run made on the command line opens in the web app and answers the same request from
    the web at once; a run made in the web app is listed by `corredor runs` and reported by
    `corredor report`."""
    url, store = served
    cli = _corredor("run", "mexico-us", "--days", "31", "--seed", "5", "--people-per-agent",
                    "50", "--store", str(store))  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    runs = http.get(f"{url}/api/runs", params={"kind": "preview"}).json()
    made = [r for r in runs if r["seed"] == 5 and r["days"] == 31]
    assert len(made) == 1 and made[0]["command"].startswith("corredor run mexico-us")
    cli_run = made[0]["run_id"]
    assert http.get(f"{url}/api/runs/{cli_run}/series").status_code == 200
    again = http.post(
        f"{url}/api/runs", json={"scenario": "mexico-us", "days": 31, "seed": 5, "preview": True}
    )
    assert again.status_code == 200 and again.json()["run_id"] == cli_run

    web_run = _run(url, {"scenario": "mexico-us", "days": 31, "seed": 6, "preview": True})["run_id"]
    listed = _corredor("runs", "--store", str(store), "--kind", "corridor")
    assert listed.returncode == 0 and web_run in listed.stdout and cli_run in listed.stdout
    out = tmp_path / "report.html"
    report = _corredor("report", web_run, "--store", str(store), "-o", str(out))
    assert report.returncode == 0, report.stderr
    assert "mexico-us" in out.read_text(encoding="utf-8")


def test_ensemble_with_its_counterfactual(url: str) -> None:
    """An ensemble (2 seeds) with a counterfactual: bands around the median next to the data,
    the counterfactual stored as its child, the paired difference with its band."""
    body = {"scenario": "mexico-us", "days": 31, "replicas": 2, "seed": 7,
            "counterfactual": ["cf-mx-integration-2019"]}  # fmt: skip
    r = http.post(f"{url}/api/ensembles", json=body)
    assert r.status_code == 202, r.text
    job = web_helpers.wait_job(url, r.json()["id"])
    assert job["state"] == "done" and job["what"] == "runs" and job["done"] == job["total"], job
    v = http.get(f"{url}/api/ensembles/{job['run_id']}").json()
    assert v["runs"] == 2 and v["seeds"] == [7, 8] and v["provenance"]["kind"] == "ensemble"
    total = next(o for o in v["observables"] if o["name"] == "usbp_encounters_total")
    lo, med, hi = total["band"]["lo"][0], total["simulated"][0], total["band"]["hi"][0]
    assert 0 < lo <= med <= hi and total["observed"][0]["observed"] > 0
    assert [c["label"] for c in v["children"]] == ["counterfactual"]
    paired = http.get(
        f"{url}/api/paired", params={"a": job["run_id"], "b": v["children"][0]["run_id"]}
    ).json()
    assert paired["paired"] is True and paired["observables"][0]["band"] is not None
    again = http.post(f"{url}/api/ensembles", json=body).json()
    assert again["cached"] and again["run_id"] == job["run_id"]
    assert http.get(f"{url}/api/runs/{job['run_id']}/series").status_code == 422


def _wait_for(url: str, job_id: str, ok: object, timeout: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, object] = http.get(f"{url}/api/jobs/{job_id}").json()
        if ok(job):  # type: ignore[operator]
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def test_cancel_a_running_and_a_queued_job(tmp_path: Path) -> None:
    """A running job cancelled stops at its next progress report and its run is catalogued
    failed (for the web and for `corredor runs`), never half-written; a queued job cancelled
    never runs; the worker serves the next job."""
    store = tmp_path / "store"
    with web_helpers.service(store, "--workers", "1") as (url, _):
        running = http.post(f"{url}/api/runs", json={"scenario": "mexico-us", "days": 3000})
        queued = http.post(f"{url}/api/runs", json={"scenario": "mexico-us", "days": 3000,
                                                   "seed": 1})  # fmt: skip
        a, b = running.json()["id"], queued.json()["id"]
        _wait_for(url, a, lambda j: j["done"] >= 5 and j["run_id"])
        assert http.get(f"{url}/api/jobs/{b}").json()["state"] == "queued"

        cancelled_b = http.delete(f"{url}/api/jobs/{b}")
        assert cancelled_b.status_code == 200 and cancelled_b.json()["state"] == "cancelled"
        r = http.delete(f"{url}/api/jobs/{a}")
        assert r.status_code == 200 and r.json()["cancelling"] is True
        job_a = _wait_for(url, a, lambda j: j["state"] != "running")
        assert job_a["state"] == "cancelled" and "cancelled" in str(job_a["error"])
        assert float(job_a["done"]) < 3000  # type: ignore[arg-type]
        job_b = _wait_for(url, b, lambda j: j["state"] != "queued")
        assert job_b["state"] == "cancelled" and job_b["run_id"] is None
        assert job_b["started"] is None  # it never ran

        # the catalogue: one run, failed with the reason; no folder, nothing half-written
        runs = http.get(f"{url}/api/runs").json()
        assert [r["run_id"] for r in runs] == [job_a["run_id"]]
        assert runs[0]["status"] == "failed" and "cancelled" in runs[0]["error"]
        assert not (store / str(job_a["run_id"])).exists()
        assert not [p for p in store.iterdir() if p.name.startswith(".tmp")]
        deadline = time.monotonic() + 30  # the worker drops the queued job it had taken
        while list((store / ".web-cancel").iterdir()):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        listed = _corredor("runs", "--store", str(store))
        assert listed.returncode == 0 and str(job_a["run_id"]) in listed.stdout
        assert "failed" in listed.stdout
        # a cancelled job is not answered again: the same request runs anew
        again = http.post(f"{url}/api/runs", json={"scenario": "mexico-us", "days": 3000})
        assert again.json()["id"] != a
        http.delete(f"{url}/api/jobs/{again.json()['id']}")
        # the worker still serves: a short run finishes
        assert _run(url, {"scenario": "mexico-us", "days": 31, "seed": 9})["run_id"]


def test_sigterm_stops_the_service_without_leaking(tmp_path: Path) -> None:
    """``corredor serve`` stopped by SIGTERM (as a service manager stops it) shuts its worker
    pools down and leaves through Python's exit, so their semaphores are released: the
    resource tracker warned of "leaked semaphore objects" (the process died of the signal that
    uvicorn raised again after its graceful shutdown). Its output is read to the end (the
    tracker and the workers closed it too); status 143, as a shell reports SIGTERM."""
    port = web_helpers.free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "corredor", "serve", "--store", str(tmp_path / "store"),
         "--port", str(port), "--no-prewarm"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            try:
                if http.get(f"http://127.0.0.1:{port}/api/health", timeout=2).is_success:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, out
    assert "leaked" not in out and "Traceback" not in out and "Warning" not in out, out
