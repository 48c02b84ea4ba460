"""Helpers of the web tests: a real ``corredor serve`` in a subprocess, and stand-in runners
for the worker pool (importable by the spawned workers: ``tests/`` is on their path)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def service(
    store: Path, *args: str, timeout: float = 60.0
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start ``corredor serve`` on a free loopback port; yields (base URL, process). Without
    ``--prewarm`` in ``args``, the service does not prewarm (``--no-prewarm``)."""
    if "--prewarm" not in args:
        args = (*args, "--no-prewarm")
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = open(store.parent / f"serve-{port}.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "corredor",
            "serve",
            "--store",
            str(store),
            "--port",
            str(port),
            *args,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"corredor serve exited: {(store.parent / f'serve-{port}.log').read_text()}"
                )
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("corredor serve did not start")
            time.sleep(0.2)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# CI (.ci/run, CI=true) installs Debian's chromium: there a missing browser fails the tests
NEEDS_CHROMIUM = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium (apt install chromium; .ci/run installs it)",
)


@contextlib.contextmanager
def browser_page(url: str) -> Iterator[Any]:
    """A page of Debian's headless Chromium (driven by Playwright through its executable path)
    at a 13-inch laptop's size; ``page.errors`` collects script errors, failed requests and any
    request that leaves this service (no CDN: the app works offline)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
            viewport={"width": 1280, "height": 800},  # a 13-inch laptop
            accept_downloads=True,
            locale="en-GB",
        )
        pg = ctx.new_page()
        errors: list[str] = []

        def failed(r: Any) -> None:  # streams cut short by leaving a page are aborted: fine
            if "ABORTED" not in (r.failure or ""):
                errors.append(f"failed: {r.url} {r.failure}")

        def outside(r: Any) -> None:  # nothing but this service (no CDN, works offline)
            if not r.url.startswith((url, "blob:", "data:")):
                errors.append(f"outside: {r.url}")

        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("requestfailed", failed)
        pg.on("request", outside)
        pg.errors = errors
        yield pg
        ctx.close()


def store_tiny_forecasts(root: Path, store: Any, replicas: int = 2) -> tuple[Path, str, str]:
    """Write the tiny corridor with observed border series (``forecast_dirs``) under ``root``
    and store two forecasts of it to 2020-08 through ``corredor.app``: ex ante (``replicas``
    seeds) and conditional on its policy path (2 seeds). Returns (scenario file, ex ante run
    id, conditional run id)."""
    from corredor.app import ForecastRequest, forecast
    from forecast_dirs import write_forecast_dir

    scenario = write_forecast_dir(root / "tiny")
    path = str(scenario)
    ex_ante = forecast(ForecastRequest(scenario=path, until="2020-08", replicas=replicas), store)
    conditional = forecast(
        ForecastRequest(
            scenario=path,
            until="2020-08",
            replicas=2,
            policy_path=str(scenario.parent / "policy_events_forecast.yaml"),
        ),
        store,
    )
    return scenario, str(ex_ante.run_id), str(conditional.run_id)


def wait_job(url: str, job_id: str, timeout: float = 300.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = httpx.get(f"{url}/api/jobs/{job_id}", timeout=120).json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.3)
    raise TimeoutError(job_id)


def wait_until(check: Any, timeout: float = 60.0) -> Any:
    """``check()``'s first true value, asked every 0.05 s (TimeoutError after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise TimeoutError(check)
        time.sleep(0.05)
    return value


# ------------------------------------------------------------------ stand-in runners (workers)
def sleepy_run(job_id: str, kind: str, request: dict[str, Any], store: str, *rest: Any) -> str:
    """Takes its time and stores nothing (queue-limit tests)."""
    time.sleep(3.0)
    raise ValueError("stand-in run: nothing stored")


def instant_fail(job_id: str, kind: str, request: dict[str, Any], store: str, *rest: Any) -> str:
    raise ValueError("stand-in run: nothing stored")


def counting_run(job_id: str, kind: str, request: dict[str, Any], store: str, *rest: Any) -> str:
    """Reports 60 steps of progress, 0.1 s apart, looking for its cancel marker as a real run
    does; returns a made-up run id (cancel tests)."""
    from corredor.web import jobs

    for step in range(60):
        if jobs.cancel_marker(store, job_id).exists():
            raise jobs.JobCancelledError
        if jobs._PROGRESS is not None:
            jobs._PROGRESS.put((job_id, 0, -1, "") if step == 0 else (job_id, step, 60, "days"))
        time.sleep(0.1)
    return "mexico-us-20990101T000000-abcdef"


# ------------------------------------------------------------------ stand-in prewarm (workers)
_KEPT = False


def uneven_prewarm(people_per_agent: int, max_agents: int | None, stop: Any) -> bool:
    """Keeps 'every state' at its first call in a worker (later calls end at once): at once in
    the first worker to begin, in the others once the file ``release`` exists beside the log,
    giving way when ``stop()`` says so; writes what it did, with the worker's process id, to
    the file ``CORREDOR_TEST_PREWARM_LOG`` names."""
    global _KEPT  # noqa: PLW0603 - this worker's prewarm, kept for its life
    log = Path(os.environ["CORREDOR_TEST_PREWARM_LOG"])

    def write(what: str) -> None:
        with log.open("a") as fh:
            fh.write(f"{os.getpid()} {what}\n")

    if _KEPT:
        write("had")
        return True
    write("started")
    try:
        (log.parent / "first-worker").open("x").close()
    except FileExistsError:
        while not (log.parent / "release").exists():
            if stop is not None and stop():
                write("gave way")
                return False
            time.sleep(0.01)
    _KEPT = True
    write("kept")
    return True
