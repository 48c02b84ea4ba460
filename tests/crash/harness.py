"""Crash harness: a child process does the work, the test kills it with SIGKILL by its process
id (``os.kill(pid, SIGKILL)`` from the parent: a real kill, no exception, no clean-up), then
checks the store.

Two ways to choose the moment: an *instrumented point*
(``CORREDOR_STORE_PAUSE_AT=<point>=<marker>``: the store's writer writes its pid to the marker
file when it reaches the point and waits there to be killed,
:func:`corredor.store.layout.pause_point`) or a *seeded random delay* after the child says it
is ready.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corredor.results.record import Record
from corredor.store import ResultsStore
from corredor.store.layout import SUMMARY_FILE, read_metadata
from corredor.store.store import LOCK_FILE, TMP_PREFIX

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
TIMEOUT = 120.0
PAUSE_ENV = "CORREDOR_STORE_PAUSE_AT"  # corredor.store.layout.PAUSE_ENV


def make_record(i: int, rows: int = 2_000) -> Record:
    """Record number ``i``: three tables, a document and a file, contents fixed by ``i``."""
    days = np.arange(rows, dtype=np.int64)
    a = pd.DataFrame({"day": days, "value": (i * rows + days).astype(np.float64)})
    b = pd.DataFrame({"name": [f"n{i}-{k}" for k in range(50)], "k": np.arange(50)})
    c = pd.DataFrame({"x": np.full(rows, i, dtype=np.int64)})
    return Record(
        kind="forecast",
        scenario="crash",
        seeds=(i,),
        days=rows,
        summary={"i": i},
        tables={"a": a, "b": b, "c": c},
        documents={"doc": {"i": i}},
        files={"blob.txt": f"record {i}\n".encode()},
        label=f"r{i}",
    )


def check_record(record: Record) -> None:
    """The content of a stored record is that of :func:`make_record` for its number."""
    i = int(record.summary["i"])
    expected = make_record(i, rows=record.days)
    for name, frame in expected.tables.items():
        pd.testing.assert_frame_equal(record.tables[name], frame, check_dtype=False)
    assert record.documents == expected.documents
    assert dict(record.files) == dict(expected.files)
    assert record.label == f"r{i}"


def spawn(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Run ``script`` (Python source) in a child process, the harness importable."""
    path = os.pathsep.join([str(SRC), str(HERE), *sys.path])
    full_env = {**os.environ, "PYTHONPATH": path, **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = TIMEOUT) -> None:
    """Wait until ``path`` exists (the child reached its point), failing if the child ends."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"the child ended (rc {proc.returncode}) before {path}:\n{err}")
        assert time.monotonic() < deadline, f"timed out waiting for {path}"
        time.sleep(0.01)


def kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the child by its process id and reap it."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=TIMEOUT)


@contextmanager
def killed_after(
    path: Path, script: str, *args: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """``with killed_after(marker, SCRIPT, *args) as proc:`` start ``script`` in a child, wait
    until it writes ``path``, run the block while it lives, then SIGKILL it by its process id
    (whatever the block did) and check that the kill is what ended it."""
    proc = spawn(script, *args, env=env)
    try:
        wait_for(path, proc)
        yield proc
    finally:
        kill(proc)
    assert proc.returncode == -signal.SIGKILL, f"the child ended by itself ({proc.returncode})"


def kill_when(path: Path, script: str, *args: str, env: dict[str, str] | None = None) -> None:
    """Start ``script`` in a child and SIGKILL it as soon as it writes ``path``."""
    with killed_after(path, script, *args, env=env):
        pass


def run_to_end(script: str, *args: str) -> None:
    """Run ``script`` in a child to its end (no kill); it must succeed."""
    proc = spawn(script, *args)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err


def wait_to_be_killed(marker: Path, text: str = "reached") -> None:
    """In a child: say it got there (write ``marker``), then wait to be killed."""
    marker.write_text(text)
    time.sleep(600)


def pause_env(point: str, marker: Path) -> dict[str, str]:
    return {PAUSE_ENV: f"{point}={marker}"}


def check_store(root: Path) -> pd.DataFrame:
    """Open the store (which repairs it) and check it as a whole; returns its catalogue.

    The catalogue opens; every finished run listed has every file its summary lists (and they
    read); a running (live writer) or failed run has no folder; no temporary folder, writer lock
    or dead writer's running lock is left; every complete run folder is listed. Returns the
    finished runs."""
    store = ResultsStore(root)
    df = store.list()
    assert len(set(df["run_id"])) == len(df), "a run id listed twice"
    # running rows (of live writers) and failed rows have no folder; no dead writer's run is
    # left running
    for row in df[df["status"] != "finished"].itertuples(index=False):
        assert not (root / str(row.run_id)).exists(), f"{row.run_id}: {row.status} with a folder"
        if row.status == "running":
            assert store.status(str(row.run_id)).status == "running"
    running = set(df.loc[df["status"] == "running", "run_id"])
    locks = {p.stem for p in (root / ".running").glob("*.lock")}
    assert locks <= running, f"running locks without a running run: {sorted(locks - running)}"
    df = df[df["status"] == "finished"]
    listed = set(df["run_id"])
    # a writer killed between creating its folder and its lock leaves an empty folder that
    # the repair removes a minute later (it might be a live writer's): the only exception
    left = [p for p in root.glob(f"{TMP_PREFIX}*") if not p.is_dir() or any(p.iterdir())]
    assert not left, f"temporaries left after repair: {left}"
    snapshots = root / ".scenarios"
    if snapshots.is_dir():
        assert not list(snapshots.glob(".*")), "snapshot temporaries left after repair"
    for run_id in listed:
        folder = root / run_id
        assert (folder / SUMMARY_FILE).is_file(), f"{run_id}: listed without its summary"
        assert not (folder / LOCK_FILE).exists(), f"{run_id}: a dead writer's lock left"
        meta = read_metadata(folder)
        for name in meta.get("tables") or []:
            pd.read_parquet(folder / f"{name}.parquet")
        for name in meta.get("documents") or []:
            assert (folder / f"{name}.json").is_file(), f"{run_id}: {name}.json missing"
        for name in meta.get("files") or []:
            assert (folder / name).is_file(), f"{run_id}: {name} missing"
        store.record(run_id)
    on_disk = {
        p.name
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / SUMMARY_FILE).is_file()
    }
    assert on_disk == listed, f"complete folders not listed: {sorted(on_disk - listed)}"
    return df


def load_all(root: Path) -> dict[str, Any]:
    """Every stored (finished) record by label."""
    store = ResultsStore(root)
    df = store.list(status="finished")
    return {str(r["label"]): store.record(str(r["run_id"])) for _, r in df.iterrows()}
