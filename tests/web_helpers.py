"""Helpers of the web tests: a real ``corredor serve`` in a subprocess, and stand-in runners
for the worker pool (importable by the spawned workers: ``tests/`` is on their path)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def service(
    store: Path, *args: str, timeout: float = 60.0
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start ``corredor serve`` on a free loopback port; yields (base URL, process)."""
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


def wait_job(url: str, job_id: str, timeout: float = 300.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = httpx.get(f"{url}/api/jobs/{job_id}", timeout=120).json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.3)
    raise TimeoutError(job_id)


# ------------------------------------------------------------------ stand-in runners (workers)
def sleepy_run(job_id: str, kind: str, request: dict[str, Any], store: str, *rest: Any) -> str:
    """Takes its time and stores nothing (queue-limit tests)."""
    time.sleep(3.0)
    raise ValueError("stand-in run: nothing stored")


def instant_fail(job_id: str, kind: str, request: dict[str, Any], store: str, *rest: Any) -> str:
    raise ValueError("stand-in run: nothing stored")
