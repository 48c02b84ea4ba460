"""``ResultsStore``: a folder of results of every kind plus a DuckDB catalogue of them.

Every result is saved as a :class:`~corredor.results.record.Record` in its own folder
``<root>/<run_id>/`` (:mod:`corredor.store.layout`) with its provenance. Flee runs
(:class:`~corredor.results.RunResult`) and corridor runs
(:class:`~corredor.results.corridor.CorridorResult`) are turned into records here and rebuilt
exactly by :meth:`ResultsStore.load`; the other kinds (ensembles, forecasts, studies…) are turned
into records by the layer that makes them (:mod:`corredor.app`) and :meth:`load` returns their
record.

Run ids are ``<scenario>-<UTC time>-<6 hex digits>``; an id is never reused, a save never
replaces or deletes an earlier result.

Crash consistency. ``save`` writes every file into ``<root>/.tmp-<run_id>/`` (holding an exclusive
lock on ``.writer.lock`` inside it from the moment that file exists: it is locked under a
temporary name and then renamed), fsyncs them, renames the folder atomically to
``<root>/<run_id>/`` (:func:`corredor.files.atomic.new_folder`), inserts the catalogue row in
one transaction, and only then removes ``.writer.lock`` and lets go of its lock. Opening a
store (or :meth:`ResultsStore.repair`) repairs what a killed process may have left:

* ``.tmp-*`` folders whose writer is gone are deleted (never those of a live writer);
* catalogue rows whose run folder is missing are deleted;
* complete run folders without a catalogue row (killed between the rename and the insert)
  are catalogued again from their ``summary.json`` — unless their writer is alive (it holds
  the lock of their ``.writer.lock``: it is about to insert the row itself);
* a ``.writer.lock`` left in a run folder by a dead writer is removed.

So a catalogue row never points at partial results, a complete result is never lost, and
several processes may save into, read and repair one store at the same time (the catalogue
file itself is opened by one process at a time: :class:`~corredor.store.catalogue.Catalogue`
waits for it). ``docs/reliability.md`` lists the crash tests.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import os
import re
import secrets
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pandas as pd

from corredor.errors import RunError
from corredor.files.atomic import FolderExistsError, discard, new_folder, process_alive
from corredor.results import RunResult
from corredor.results.corridor import CorridorResult
from corredor.results.record import KINDS, Record
from corredor.store import corridor, flee
from corredor.store.catalogue import Catalogue, row_from_metadata
from corredor.store.layout import (
    SUMMARY_FILE,
    pause_point,
    read_metadata,
    read_record_dir,
    record_metadata,
    write_record_dir,
)

if TYPE_CHECKING:
    from corredor.results.provenance import Provenance

try:  # POSIX advisory locks tell a live writer from a dead one
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

CATALOGUE_FILE = "catalogue.duckdb"
TMP_PREFIX = ".tmp-"
LOCK_FILE = ".writer.lock"
DEFAULT_ROOT = Path("runs")
_STALE_UNLOCKED_S = 60.0  # a temporary folder without a lock file older than this is stale
_RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def make_run_id(scenario: str, created: dt.datetime) -> str:
    """``<scenario>-<UTC timestamp>-<6 hex digits>``, e.g. ``mali2012-20261129T051500-ab12cd``."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", scenario).strip("._-") or "run"
    return f"{slug}-{created:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def _locked_file(folder: Path) -> IO[bytes]:
    """``folder/.writer.lock``, exclusively locked from the moment it has that name (locked under
    a temporary name, then renamed: a repair never finds it unlocked while its writer lives)."""
    tmp = folder / f"{LOCK_FILE}.{os.getpid()}-{secrets.token_hex(3)}"
    fh = tmp.open("wb")
    try:
        _lock(fh)
        os.replace(tmp, folder / LOCK_FILE)
    except BaseException:
        fh.close()
        raise
    return fh


def _writer_alive(folder: Path) -> bool:
    """Whether a live writer holds ``folder/.writer.lock``; a lock file left by a dead writer
    is removed."""
    lock_path = folder / LOCK_FILE
    try:
        with lock_path.open("rb") as fh:
            if not _lock(fh):
                return True
            lock_path.unlink(missing_ok=True)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # unreadable: leave it alone
    return False


def _unlocked_tmp_is_stale(folder: Path) -> bool:
    """A temporary folder without ``.writer.lock``: stale if the lock its writer was making
    (``.writer.lock.<pid>-<hex>``) names a dead process, or if it is older than a minute (a
    writer killed between creating the folder and its lock file)."""
    try:
        for entry in folder.glob(f"{LOCK_FILE}.*"):
            pid = entry.name[len(LOCK_FILE) + 1 :].split("-")[0]
            if pid.isdigit() and not process_alive(int(pid)):
                return True
        return time.time() - folder.stat().st_mtime >= _STALE_UNLOCKED_S
    except FileNotFoundError:
        return False  # renamed into place or removed meanwhile


def _lock(fh: IO[bytes]) -> bool:
    """Take an exclusive lock without waiting; False if another process holds it."""
    if fcntl is None:  # pragma: no cover - Windows
        return True
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def is_store(root: str | Path) -> bool:
    """Whether ``root`` holds a results store (without creating one)."""
    return (Path(root) / CATALOGUE_FILE).is_file()


class ResultsStore:
    """Results saved under ``root`` (default ``./runs``), catalogued in ``root/catalogue.duckdb``.

    >>> store = ResultsStore("runs")                   # doctest: +SKIP
    >>> run_id = store.save(corredor.run("mali2012"))  # doctest: +SKIP
    >>> store.list(kind="flee")[["run_id", "ard"]]     # doctest: +SKIP
    >>> result = store.load(run_id)                    # doctest: +SKIP
    """

    def __init__(self, root: str | Path = DEFAULT_ROOT, *, timeout: float = 30.0) -> None:
        self.root = Path(root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunError(f"{self.root}: cannot create the results store ({exc})") from None
        if not self.root.is_dir():
            raise RunError(f"{self.root}: the results store is not a folder")
        self.catalogue = Catalogue(self.root / CATALOGUE_FILE, timeout=timeout)
        self.catalogue.create()
        self.repair()

    # ------------------------------------------------------------------------------ public
    def path(self, run_id: str) -> Path:
        """Folder of a run (whether or not it exists)."""
        if not _RUN_ID_RE.match(run_id):
            raise RunError(f"{run_id!r}: not a valid run id")
        return self.root / run_id

    def save(
        self,
        result: RunResult | CorridorResult | Record,
        *,
        provenance: Provenance | None = None,
        parent: str | None = None,
        label: str = "",
    ) -> str:
        """Store a result (a Flee run, a corridor run or a record of any kind) and return its
        new run id (also set as ``result.run_id`` where it has one)."""
        record = self.to_record(result, provenance)
        if parent is not None:
            record.parent = self.resolve(parent)
        if label:
            record.label = label
        run_id = self.save_record(record)
        if isinstance(result, RunResult):
            result.run_id = run_id
        return run_id

    def to_record(
        self, result: RunResult | CorridorResult | Record, provenance: Provenance | None = None
    ) -> Record:
        """The record of a result (a corridor run's scenario files are kept in the store)."""
        if isinstance(result, Record):
            if provenance is not None:
                result.provenance = provenance
            return result
        if isinstance(result, RunResult):
            return flee.to_record(result, provenance)

        if isinstance(result, CorridorResult):
            snapshot = corridor.write_snapshot(self.root, result.compiled.scenario)
            return corridor.to_record(result, provenance, snapshot=snapshot)
        raise TypeError(f"cannot store a {type(result).__name__}: turn it into a Record first")

    def save_record(self, record: Record) -> str:
        """Store a :class:`Record` and return its new run id."""
        if record.kind not in KINDS:
            raise RunError(f"unknown result kind {record.kind!r}; kinds: {', '.join(KINDS)}")
        created = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        run_id = make_run_id(record.scenario, created)
        for _ in range(1000):  # an id is never reused: draw again while it is taken
            taken = (self.root / run_id).exists() or (self.root / f"{TMP_PREFIX}{run_id}").exists()
            if not taken:
                break
            run_id = make_run_id(record.scenario, created)
        else:
            raise RunError(f"{self.root}: no free run id for {record.scenario} at {created}")
        final = self.root / run_id
        meta = record_metadata(record, run_id, created)
        tmp = self.root / f"{TMP_PREFIX}{run_id}"
        lock: IO[bytes] | None = None
        try:  # the writer's lock is held until the catalogue row is in
            try:
                with new_folder(final, tmp=tmp) as work:
                    lock = _locked_file(work)
                    pause_point("tmp-created")
                    write_record_dir(record, work, meta)
                    pause_point("before-rename")
            except (FolderExistsError, FileExistsError) as exc:
                raise RunError(f"{final}: {exc}") from None
            pause_point("before-insert")
            self.catalogue.insert(row_from_metadata(meta, final.resolve()))
            pause_point("before-unlock")
            with contextlib.suppress(FileNotFoundError):
                (final / LOCK_FILE).unlink()
        finally:
            if lock is not None:
                lock.close()
        record.run_id, record.created, record.path = run_id, created, final
        return run_id

    def list(self, **filters: Any) -> pd.DataFrame:
        """The catalogue, oldest result first; ``path`` is where the run is now. ``filters``:
        ``kind``, ``scenario``, ``parent``, ``label``, ``calibration`` (equal to), ``since``
        and ``until`` (created on or after / before, a ``datetime``)."""
        df = self.catalogue.frame(**filters)
        df["path"] = [str((self.root / r).resolve()) for r in df["run_id"]]
        return df

    def run_ids(self) -> builtins.list[str]:
        """Run ids in the catalogue, oldest first."""
        return [str(r) for r in self.list()["run_id"]]

    def resolve(self, ref: str, *, kind: str | None = None) -> str:
        """A run id from a full id, a unique prefix of one, or ``latest`` (the latest of
        ``kind`` when given)."""
        ids = self.run_ids() if kind is None else [str(r) for r in self.list(kind=kind)["run_id"]]
        if ref == "latest":
            if not ids:
                what = "runs" if kind is None else f"{kind} results"
                raise RunError(f"{self.root}: the results store has no {what}")
            return str(ids[-1])
        if ref in ids:
            return ref
        matches = [i for i in ids if i.startswith(ref)]
        if len(matches) == 1:
            return str(matches[0])
        if matches:
            raise RunError(f"{ref!r} matches several runs in {self.root}: {', '.join(matches)}")
        raise RunError(f"no run {ref!r} in the results store {self.root}")

    def record(self, ref: str) -> Record:
        """The stored :class:`Record` of a run (``ref``: see :meth:`resolve`)."""
        return read_record_dir(self.path(self.resolve(ref)))

    def kind(self, ref: str) -> str:
        """The kind of a stored result."""
        return self.record(ref).kind

    def load(self, ref: str) -> Any:
        """Rebuild a stored result: a ``RunResult`` (Flee run), a ``CorridorResult`` (corridor
        run) or, for the other kinds, their :class:`Record` (``corredor.app.load`` rebuilds
        those)."""
        record = self.record(ref)
        if record.kind == "flee":
            return flee.from_record(record)
        if record.kind == "corridor":
            return corridor.from_record(record, self.root)
        return record

    def find(self, inputs_sha256: str) -> str | None:
        """The latest stored result made from exactly these inputs
        (:meth:`~corredor.results.provenance.Provenance.digest`), or None."""
        found = self.catalogue.find("inputs_sha256", inputs_sha256)
        return found[-1] if found else None

    def delete(self, ref: str, *, with_children: bool = False) -> builtins.list[str]:
        """Remove a stored result (and, with ``with_children``, the results that belong to
        it) at the user's request: the catalogue row first, then the folder. Returns the ids
        removed. Nothing is ever deleted otherwise."""
        run_id = self.resolve(ref)
        children = self.children(run_id)
        if children and not with_children:
            raise RunError(
                f"{run_id} has {len(children)} result(s) that belong to it "
                f"({', '.join(children)}): delete them too, or them first"
            )
        removed = []
        for child in children:
            removed += self.delete(child, with_children=True)
        self.catalogue.delete([run_id])
        trash = self.root / f"{TMP_PREFIX}deleted-{run_id}"
        self.path(run_id).rename(trash)
        discard(trash)
        return [*removed, run_id]

    def children(self, ref: str) -> builtins.list[str]:
        """Run ids of the results whose parent is ``ref``, oldest first."""
        return [str(r) for r in self.list(parent=self.resolve(ref))["run_id"]]

    # ------------------------------------------------------------------------------ repair
    def repair(self) -> None:
        """Remove what killed processes left behind (see the module docstring)."""
        self._remove_stale_tmp_dirs()
        corridor.repair_snapshots(self.root)
        catalogued = set(self.catalogue.run_ids())
        missing = [r for r in catalogued if not (self.root / r / SUMMARY_FILE).is_file()]
        self.catalogue.delete(missing)
        for entry in sorted(self.root.iterdir()):
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            if (entry / LOCK_FILE).exists() and _writer_alive(entry):
                continue  # its writer inserts the row itself
            if entry.name in catalogued or not (entry / SUMMARY_FILE).is_file():
                continue
            try:
                meta = read_metadata(entry)
            except RunError:
                continue
            if meta.get("run_id") == entry.name:
                self.catalogue.insert(row_from_metadata(meta, entry.resolve()), exist_ok=True)

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
                if not _unlocked_tmp_is_stale(entry):
                    continue  # perhaps a writer that has not taken its lock yet
            except OSError:
                continue
            discard(entry)
