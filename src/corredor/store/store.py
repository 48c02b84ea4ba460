"""``ResultsStore``: a directory of runs plus a DuckDB catalogue of them.

Crash consistency. ``save`` writes every file into ``<root>/.tmp-<run_id>/`` (holding an exclusive
lock on ``.writer.lock`` inside it), fsyncs them, renames the directory atomically to
``<root>/<run_id>/`` and only then inserts the catalogue row, in one transaction. Opening a store
repairs what a killed process may have left:

* ``.tmp-*`` directories whose writer is gone are deleted (never those of a live writer);
* catalogue rows whose run directory is missing are deleted;
* complete run directories without a catalogue row (killed between the rename and the insert)
  are catalogued again from their ``summary.json``.

So a catalogue row never points at partial results.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import IO

import pandas as pd

from corredor.errors import RunError
from corredor.results import RunResult
from corredor.store.catalogue import Catalogue, row_from_metadata
from corredor.store.layout import (
    SUMMARY_FILE,
    fsync_path,
    read_metadata,
    read_run_dir,
    run_metadata,
    write_run_dir,
)

try:  # POSIX advisory locks tell a live writer from a dead one
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

CATALOGUE_FILE = "catalogue.duckdb"
TMP_PREFIX = ".tmp-"
LOCK_FILE = ".writer.lock"
DEFAULT_ROOT = Path("runs")
_STALE_UNLOCKED_S = 60.0  # a temporary directory without a lock file older than this is stale
_RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def make_run_id(scenario: str, created: dt.datetime) -> str:
    """``<scenario>-<UTC timestamp>-<6 hex digits>``, e.g. ``mali2012-20261129T051500-ab12cd``."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", scenario).strip("._-") or "run"
    return f"{slug}-{created:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def _lock(fh: IO[bytes]) -> bool:
    """Take an exclusive lock without waiting; False if another process holds it."""
    if fcntl is None:  # pragma: no cover - Windows
        return True
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class ResultsStore:
    """Runs saved under ``root`` (default ``./runs``), catalogued in ``root/catalogue.duckdb``.

    >>> store = ResultsStore("runs")                   # doctest: +SKIP
    >>> run_id = store.save(corredor.run("mali2012"))  # doctest: +SKIP
    >>> store.list()[["run_id", "ard"]]                # doctest: +SKIP
    >>> result = store.load(run_id)                    # doctest: +SKIP
    """

    def __init__(self, root: str | Path = DEFAULT_ROOT, *, timeout: float = 30.0) -> None:
        self.root = Path(root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunError(f"{self.root}: cannot create the results store ({exc})") from None
        if not self.root.is_dir():
            raise RunError(f"{self.root}: the results store is not a directory")
        self.catalogue = Catalogue(self.root / CATALOGUE_FILE, timeout=timeout)
        self.catalogue.create()
        self.repair()

    # ------------------------------------------------------------------------------ public
    def path(self, run_id: str) -> Path:
        """Directory of a run (whether or not it exists)."""
        if not _RUN_ID_RE.match(run_id):
            raise RunError(f"{run_id!r}: not a valid run id")
        return self.root / run_id

    def save(self, result: RunResult) -> str:
        """Store ``result`` and return its new run id (also set as ``result.run_id``)."""
        created = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        run_id = make_run_id(result.scenario, created)
        while (self.root / run_id).exists() or (self.root / f"{TMP_PREFIX}{run_id}").exists():
            run_id = make_run_id(result.scenario, created)
        final = self.root / run_id
        tmp = self.root / f"{TMP_PREFIX}{run_id}"
        meta = run_metadata(result, run_id, created)

        tmp.mkdir()
        try:
            with (tmp / LOCK_FILE).open("wb") as lock:
                _lock(lock)
                write_run_dir(result, tmp, meta)
                os.replace(tmp, final)
                with contextlib.suppress(FileNotFoundError):
                    (final / LOCK_FILE).unlink()
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        fsync_path(self.root)
        self.catalogue.insert(row_from_metadata(meta, final.resolve()))
        result.run_id = run_id
        return run_id

    def list(self) -> pd.DataFrame:
        """The catalogue, oldest run first; ``path`` is where the run is now."""
        df = self.catalogue.frame()
        df["path"] = [str((self.root / r).resolve()) for r in df["run_id"]]
        return df

    def run_ids(self) -> builtins.list[str]:
        """Run ids in the catalogue, oldest first."""
        return [str(r) for r in self.list()["run_id"]]

    def resolve(self, ref: str) -> str:
        """A run id from a full id, a unique prefix of one, or ``latest``."""
        ids = self.run_ids()
        if ref == "latest":
            if not ids:
                raise RunError(f"{self.root}: the results store has no runs")
            return str(ids[-1])
        if ref in ids:
            return ref
        matches = [i for i in ids if i.startswith(ref)]
        if len(matches) == 1:
            return str(matches[0])
        if matches:
            raise RunError(f"{ref!r} matches several runs in {self.root}: {', '.join(matches)}")
        raise RunError(f"no run {ref!r} in the results store {self.root}")

    def load(self, run_id: str) -> RunResult:
        """Rebuild the ``RunResult`` of a stored run (``run_id``: see ``resolve``)."""
        return read_run_dir(self.path(self.resolve(run_id)))

    # ------------------------------------------------------------------------------ repair
    def repair(self) -> None:
        """Remove what killed processes left behind (see the module docstring)."""
        self._remove_stale_tmp_dirs()
        catalogued = set(self.catalogue.run_ids())
        missing = [r for r in catalogued if not (self.root / r / SUMMARY_FILE).is_file()]
        self.catalogue.delete(missing)
        for entry in sorted(self.root.iterdir()):
            if entry.name in catalogued or entry.name.startswith(".") or not entry.is_dir():
                continue
            if not (entry / SUMMARY_FILE).is_file():
                continue
            try:
                meta = read_metadata(entry)
            except RunError:
                continue
            if meta.get("run_id") == entry.name:
                self.catalogue.insert(row_from_metadata(meta, entry.resolve()))

    def _remove_stale_tmp_dirs(self) -> None:
        for entry in self.root.glob(f"{TMP_PREFIX}*"):
            if not entry.is_dir():
                continue
            lock_path = entry / LOCK_FILE
            try:
                with lock_path.open("rb") as fh:
                    if not _lock(fh):
                        continue  # a live writer
            except FileNotFoundError:
                try:
                    age = time.time() - entry.stat().st_mtime
                except FileNotFoundError:
                    continue
                if age < _STALE_UNLOCKED_S:
                    continue  # perhaps a writer that has not taken its lock yet
            except OSError:
                continue
            shutil.rmtree(entry, ignore_errors=True)
