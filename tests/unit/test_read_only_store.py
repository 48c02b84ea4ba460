"""A results store the user may not write: one ``error:`` line and exit status 2, nothing
changed — checked as root too.

Root ignores permission bits, so as root every command runs in a child that has dropped the
capabilities that let it (``CAP_DAC_OVERRIDE``, ``CAP_DAC_READ_SEARCH``, ``CAP_FOWNER``) from
its bounding set before it starts Python: it stays uid 0 (it can still read the checkout and
the virtual environment, wherever they are) but obeys the permission bits like any user. As
another user the child is started as it is. CI runs the suite as root on a fresh machine.
"""

from __future__ import annotations

import ctypes
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from test_store import make_result

from corredor.errors import RunError
from corredor.store import ResultsStore
from corridor_dirs import write_corridor_dir

PR_CAPBSET_DROP = 24
#: CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER (linux/capability.h)
DAC_CAPS = (1, 2, 3)


def _drop_privileges() -> None:  # runs in the child, between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in DAC_CAPS:
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _corredor(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    root = os.geteuid() == 0
    return subprocess.run(
        [sys.executable, "-m", "corredor", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        preexec_fn=_drop_privileges if root else None,
        check=False,
    )


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


def _read_only(folder: Path) -> None:
    for p in [folder, *folder.rglob("*")]:
        mode = p.stat().st_mode
        p.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "numba").mkdir()
    return {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"), "CORREDOR_DEBUG": ""}


def test_the_child_cannot_write_what_is_read_only(tmp_path: Path, env: dict[str, str]) -> None:
    """The premise of the tests below, as root too: a read-only folder refuses a new file."""
    folder = tmp_path / "ro"
    folder.mkdir()
    _read_only(folder)
    code = f"open({str(folder / 'x')!r}, 'w')"
    root = os.geteuid() == 0
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=_drop_privileges if root else None,
        check=False,
    )
    assert r.returncode == 1 and "PermissionError" in r.stderr, r.stderr
    assert not (folder / "x").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["report", "latest"],  # into the run's folder, by default
        ["delete", "latest"],
        ["run", "mali2012", "--days", "2", "--no-progress"],
    ],
)
def test_a_read_only_store_gives_one_error_line(
    tmp_path: Path, env: dict[str, str], command: list[str]
) -> None:
    root = tmp_path / "store"
    ResultsStore(root).save(make_result())
    _read_only(root)
    before = _snapshot(root)
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    r = _corredor(*args, "--store", str(root), env=env)
    out = r.stdout + r.stderr
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert r.returncode == 2, out
    assert len(errors) == 1 and "Traceback" not in out, out
    assert str(root) in errors[0] and "ermission denied" in errors[0], errors[0]
    assert _snapshot(root) == before  # nothing written, nothing deleted


def test_a_read_only_store_is_read(tmp_path: Path, env: dict[str, str]) -> None:
    """Listing, reporting elsewhere and exporting only read the store: they work on a store
    the user may only read (the catalogue is opened read-only), and change nothing in it."""
    root = tmp_path / "store"
    store = ResultsStore(root)
    run_id = store.save(make_result())
    # a failed run and a running one whose writer died: listed as they are, not repaired
    with pytest.raises(RuntimeError), store.running("flee", "mali2012"):
        raise RuntimeError("boom")
    dead = ResultsStore(root).begin("flee", "mali2012")
    _read_only(root)
    before = _snapshot(root)
    r = _corredor("runs", "--store", str(root), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert run_id in r.stdout and dead in r.stdout and "RuntimeError: boom" in r.stdout
    # the dead writer's run is listed failed, as a repair would mark it (it said "running")
    assert "running" not in r.stdout and "not recorded in the catalogue" in r.stdout, r.stdout
    html = tmp_path / "report.html"
    r = _corredor("report", "latest", "--output", str(html), "--store", str(root), env=env)
    assert r.returncode == 0 and html.is_file(), r.stdout + r.stderr
    r = _corredor("export", run_id, str(tmp_path / "exported"), "--store", str(root), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "exported" / "camps.csv").is_file()
    assert _snapshot(root) == before


def test_the_python_api_reads_a_read_only_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In this process (root may write anyway, so the store is marked unwritable by hand):
    reading works, every write is refused with one message naming the store, nothing changes."""
    import corredor.store.store as module

    root = tmp_path / "store"
    result = make_result()
    run_id = ResultsStore(root).save(result)
    before = _snapshot(root)
    monkeypatch.setattr(module, "_may_write", lambda root: False)
    store = ResultsStore(root)
    assert not store.writable and store.run_ids() == [run_id]
    assert store.load(run_id).counts.tolist() == result.counts.tolist()
    assert store.status(run_id).status == "finished"
    for write in (
        lambda: store.save(make_result()),
        lambda: store.begin("flee", "tiny"),
        lambda: store.delete(run_id),
    ):
        with pytest.raises(RunError, match="read-only for you \\(permission denied\\)") as got:
            write()
        assert str(root) in str(got.value)
    assert _snapshot(root) == before


def test_an_output_in_a_read_only_folder_fails_before_the_run(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """``--report`` in a folder the user may not write: refused before the run (as root, the
    check of the folder's permission passed and the run went by)."""
    folder = tmp_path / "reports"
    folder.mkdir()
    _read_only(folder)
    store = tmp_path / "store"
    store.mkdir()  # writable
    r = _corredor(
        "run", "mali2012", "--days", "2", "--no-progress", "--store", str(store),
        "--report", str(folder / "r.html"), env=env,
    )  # fmt: skip
    out = r.stdout + r.stderr
    assert r.returncode == 2, out
    assert "--report" in out and "permission denied" in out, out
    assert not list(folder.iterdir()) and not ResultsStore(store).run_ids()


#: A child that catalogues a run ``running`` and is killed inside the catalogue's connection,
#: after the row is written and before the connection is closed (DuckDB then checkpoints): the
#: row is only in the write-ahead log ``catalogue.duckdb.wal`` it leaves.
_KILLED_WRITER = """
import contextlib, os, signal, sys
from corredor.store import ResultsStore, catalogue
opened = catalogue.Catalogue.connect
@contextlib.contextmanager
def connect(self):
    with opened(self) as con:
        yield con
        os.kill(os.getpid(), signal.SIGKILL)
store = ResultsStore(sys.argv[1])
catalogue.Catalogue.connect = connect
store.begin("flee", "mali2012")
"""


def _killed_writer(root: Path, env: dict[str, str]) -> str:
    """Leave a ``.wal`` in ``root`` as a killed writer does; the id of the run it began."""
    r = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITER, str(root)], env=env, capture_output=True, check=False
    )
    assert r.returncode == -9, r.stderr
    assert (root / "catalogue.duckdb.wal").stat().st_size > 0
    (lock,) = (root / ".running").glob("*.lock")
    return lock.stem


def test_a_write_ahead_log_left_by_a_killed_writer_is_read(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """A store left with ``catalogue.duckdb.wal`` by a writer killed mid-write, then made
    read-only: listed with the row the log holds (DuckDB replays it in memory), two corridor
    runs compared (paired by seed) and exported; the log and the catalogue stay as they were
    (nothing replayed into the file). A log the user may not even read: one ``error:`` line,
    exit 2."""
    from corredor import app

    yaml = write_corridor_dir(tmp_path / "corridor", days=30)
    root = tmp_path / "store"
    store = ResultsStore(root)
    a, b = (
        app.run(app.RunRequest(scenario=str(yaml), seed=1, calibration="none", set=lever), store)
        for lever in ({}, {"dest_hazard": 5.0})
    )
    a, b = a.run_id, b.run_id
    dead = _killed_writer(root, env)
    _read_only(root)
    before = _snapshot(root)
    r = _corredor("runs", "--store", str(root), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert all(i in r.stdout for i in (a, b, dead)), r.stdout
    assert f"{dead} failed: the process that ran it" in r.stdout, r.stdout
    r = _corredor("compare", a, b, "--store", str(root), env=env)
    assert r.returncode == 0 and f"A = {a}, B = {b}" in r.stdout, r.stdout + r.stderr
    assert "paired by seed" in r.stdout, r.stdout
    r = _corredor("export", b, str(tmp_path / "exported"), "--store", str(root), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert _snapshot(root) == before
    wal = root / "catalogue.duckdb.wal"
    wal.chmod(0)
    r = _corredor("runs", "--store", str(root), env=env)
    out = r.stdout + r.stderr
    assert r.returncode == 2 and "Traceback" not in out, out
    assert [line for line in out.splitlines() if line.startswith("error:")] == [
        out.strip().splitlines()[-1]
    ], out
    assert "catalogue.duckdb.wal" in out and "Permission denied" in out, out
