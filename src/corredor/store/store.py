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

Run status. A use case catalogues its run as ``running`` when the work starts
(:meth:`ResultsStore.begin` or :meth:`ResultsStore.running`): the row holds the writer's process
id, host and start time, and the writer holds an exclusive lock on
``<root>/.running/<run_id>.lock`` until the run is saved (``finished``) or has raised
(``failed``, with the error line: :meth:`ResultsStore.fail`). A repair finds the ``running``
rows whose lock nobody holds — their writer died — and marks them ``failed`` (or ``finished``
when the writer was killed after its folder was renamed into place). A ``running`` or
``failed`` row has no folder: nothing half-written is ever listed as a result.

So a catalogue row never points at partial results, a complete result is never lost, and
several processes may save into, read and repair one store at the same time (the catalogue
file itself is opened by one process at a time: :class:`~corredor.store.catalogue.Catalogue`
waits for it). ``docs/reliability.md`` lists the crash tests.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import errno
import json
import os
import re
import secrets
import socket
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pandas as pd

from corredor.errors import CorredorError, ReadOnlyStoreError, RunError
from corredor.files.atomic import FolderExistsError, discard, new_folder, process_alive
from corredor.results import RunResult
from corredor.results.record import KINDS, Record
from corredor.store import flee, snapshots
from corredor.store.catalogue import (
    FAILED,
    FINISHED,
    RUNNING,
    Catalogue,
    row_from_metadata,
)
from corredor.store.layout import (
    SUMMARY_FILE,
    pause_point,
    read_metadata,
    read_record_dir,
    record_metadata,
    write_record_dir,
)

if TYPE_CHECKING:
    from corredor.results.corridor import CorridorResult
    from corredor.results.provenance import Provenance

try:  # POSIX advisory locks tell a live writer from a dead one
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

CATALOGUE_FILE = "catalogue.duckdb"
TMP_PREFIX = ".tmp-"
LOCK_FILE = ".writer.lock"
RUNNING_DIR = ".running"  # <root>/.running/<run_id>.lock: held by a running run's writer
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
        if not _lock(fh):  # a new file of a unique name: no other process can hold its lock
            raise RunError(f"{tmp}: another process holds the lock of this new lock file")
        os.replace(tmp, folder / LOCK_FILE)
    except BaseException:
        fh.close()
        tmp.unlink(missing_ok=True)
        raise
    return fh


def _open_lock(path: Path) -> IO[bytes]:
    """A lock file opened for reading, without following a link or waiting on a FIFO (opening
    one waited for ever); an :class:`OSError` if it is no regular file (left alone)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return os.fdopen(fd, "rb")


def _writer_alive(folder: Path, *, tidy: bool = True) -> bool:
    """Whether a live writer holds ``folder/.writer.lock``; a lock file left by a dead writer
    is removed (unless not ``tidy``: a store the user may only read)."""
    lock_path = folder / LOCK_FILE
    try:
        with _open_lock(lock_path) as fh:
            if not _lock(fh):
                return True
            if tidy:
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


def _now() -> dt.datetime:
    """Now in UTC, naive, to the microsecond: the catalogue lists oldest first by this time,
    so two results made within one second keep the order they were made in."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


#: The longest error line kept in the catalogue of a failed run.
ERROR_CHARS = 500


def error_line(exc: BaseException) -> str:
    """The one-line message of a failed run (cut to :data:`ERROR_CHARS` characters)."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    text = " ".join(str(exc).split())
    if not isinstance(exc, CorredorError):  # an internal fault: say what it was
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


class NoSuchRunError(RunError):
    """No run of that id (or prefix) is catalogued: the web answers 404."""


@dataclass
class RunStatus:
    """Where a catalogued result stands (``ResultsStore.status``): ``status`` is ``running``,
    ``finished`` or ``failed``; ``error`` the failed run's message; ``pid``/``host`` the
    process that runs (ran) it; ``path`` its folder (finished runs only); ``provenance`` what
    was asked (a running run's holds its request)."""

    run_id: str
    kind: str
    scenario: str
    status: str
    created: dt.datetime
    started: dt.datetime | None
    finished: dt.datetime | None
    pid: int | None
    host: str | None
    error: str | None
    parent: str | None
    label: str
    path: Path | None
    provenance: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        """Plain JSON (times as ISO strings), for a service."""

        def iso(t: dt.datetime | None) -> str | None:
            return None if t is None else t.isoformat()

        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "scenario": self.scenario,
            "status": self.status,
            "created": iso(self.created),
            "started": iso(self.started),
            "finished": iso(self.finished),
            "pid": self.pid,
            "host": self.host,
            "error": self.error,
            "parent": self.parent,
            "label": self.label,
            "path": None if self.path is None else str(self.path),
            "provenance": self.provenance,
        }


def _value(value: Any) -> Any:
    """A catalogue cell as a plain Python value (pandas' NaN/NaT/NA → None)."""
    if value is None or (not isinstance(value, (str, dict, list)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


@dataclass
class _Held:
    """A run this store object began: the lock its writer holds, and what ``begin`` set."""

    lock: IO[bytes]
    created: dt.datetime
    parent: str | None
    label: str


def is_store(root: str | Path) -> bool:
    """Whether ``root`` holds a results store (without creating one)."""
    return (Path(root) / CATALOGUE_FILE).is_file()


def _may_write(root: Path) -> bool:
    """Whether this process may write the store's folder and its catalogue."""
    return os.access(root, os.W_OK | os.X_OK) and os.access(root / CATALOGUE_FILE, os.W_OK)


class ResultsStore:
    """Results saved under ``root`` (default ``./runs``), catalogued in ``root/catalogue.duckdb``.

    >>> store = ResultsStore("runs")                   # doctest: +SKIP
    >>> run_id = store.save(corredor.run("mali2012"))  # doctest: +SKIP
    >>> store.list(kind="flee")[["run_id", "ard"]]     # doctest: +SKIP
    >>> result = store.load(run_id)                    # doctest: +SKIP
    """

    def __init__(self, root: str | Path = DEFAULT_ROOT, *, timeout: float = 30.0) -> None:
        self.root = Path(root)
        #: False for a store the user may only read: it is listed, loaded, reported and
        #: exported as it is (no repair), and whatever would write to it is refused.
        self.writable = not (is_store(self.root) and not _may_write(self.root))
        if self.writable:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise RunError(f"{self.root}: cannot create the results store ({exc})") from None
        if not self.root.is_dir():
            raise RunError(f"{self.root}: the results store is not a folder")
        for name in (RUNNING_DIR, snapshots.SNAPSHOTS):  # the store's own folders
            inner = self.root / name
            if inner.is_symlink() or (inner.exists() and not inner.is_dir()):
                raise RunError(
                    f"{inner}: not a folder, where the results store keeps its own files. "
                    "Fix: move it away, or give another --store"
                )
        self.catalogue = Catalogue(
            self.root / CATALOGUE_FILE, timeout=timeout, read_only=not self.writable
        )
        self.catalogue.create()
        self._held: dict[str, _Held] = {}
        if self.writable:
            self.repair()

    def _check_writable(self, what: str) -> None:
        if not self.writable:
            raise ReadOnlyStoreError(
                f"{self.root}: the results store is read-only for you (permission denied): "
                f"cannot {what}. Fix: use a store you may write (--store DIR)"
            )

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
        run_id: str | None = None,
    ) -> str:
        """Store a result (a Flee run, a corridor run or a record of any kind) and return its
        new run id (also set as ``result.run_id`` where it has one). With ``run_id`` (a run
        this store object began: :meth:`begin`), the run is saved under that id and its
        ``running`` row becomes ``finished``."""
        self._check_writable("save a result")
        record = self.to_record(result, provenance)
        if parent is not None:
            record.parent = self.resolve(parent, finished=False)
        if label:
            record.label = label
        run_id = self.save_record(record, run_id=run_id)
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
        # the corridor codec and model are loaded by corridor runs only, not with the store
        from corredor.results.corridor import CorridorResult  # noqa: PLC0415
        from corredor.store import corridor  # noqa: PLC0415

        if isinstance(result, CorridorResult):
            snapshot = corridor.write_snapshot(self.root, result.compiled.scenario)
            return corridor.to_record(result, provenance, snapshot=snapshot)
        raise TypeError(f"cannot store a {type(result).__name__}: turn it into a Record first")

    def save_record(self, record: Record, *, run_id: str | None = None) -> str:
        """Store a :class:`Record` and return its run id (new, or ``run_id``: see :meth:`save`)."""
        self._check_writable("save a result")
        if record.kind not in KINDS:
            raise RunError(f"unknown result kind {record.kind!r}; kinds: {', '.join(KINDS)}")
        held = None
        if run_id is None:
            created = _now()
            run_id = self._free_id(record.scenario, created)
        else:
            held = self._held.get(run_id)
            if held is None:
                raise RunError(f"{run_id}: not a run begun by this store object (begin())")
            created = held.created
            record.parent = record.parent or held.parent
            record.label = record.label or held.label
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
            row = {**row_from_metadata(meta, final.resolve()), "finished": _now()}
            if held is None:
                self.catalogue.insert(row)
            else:
                self.catalogue.finish(row)
            pause_point("before-unlock")
            with contextlib.suppress(FileNotFoundError):
                (final / LOCK_FILE).unlink()
        finally:
            if lock is not None:
                lock.close()
        if held is not None:
            self._release(run_id)
        record.run_id, record.created, record.path = run_id, created, final
        return run_id

    def _taken(self, run_id: str) -> bool:
        return (
            (self.root / run_id).exists()
            or (self.root / f"{TMP_PREFIX}{run_id}").exists()
            or (self.root / RUNNING_DIR / f"{run_id}.lock").exists()
        )

    def _free_id(self, scenario: str, created: dt.datetime) -> str:
        """A run id nobody has (an id is never reused: draw again while it is taken)."""
        for _ in range(1000):
            run_id = make_run_id(scenario, created)
            if not self._taken(run_id):
                return run_id
        raise RunError(f"{self.root}: no free run id for {scenario} at {created}")

    # -------------------------------------------------------------------------- run status
    def begin(
        self,
        kind: str,
        scenario: str,
        *,
        provenance: Provenance | None = None,
        request: dict[str, Any] | None = None,
        parent: str | None = None,
        label: str = "",
    ) -> str:
        """Catalogue a run of ``kind`` as ``running`` now (with this process's id, host and the
        start time) and return its run id; save it with ``save(..., run_id=)`` or mark it
        :meth:`fail`. Prefer :meth:`running`, which does both. ``provenance`` (or just the
        ``request`` as JSON) is what :meth:`status` and :meth:`find` see while it runs."""
        self._check_writable("start a run in it")
        if kind not in KINDS:
            raise RunError(f"unknown result kind {kind!r}; kinds: {', '.join(KINDS)}")
        parent_id = self.resolve(parent, finished=False) if parent is not None else None
        created = _now()
        prov: dict[str, Any] | None = None
        if provenance is not None:
            prov = provenance.as_json()
        elif request is not None:
            prov = {"request": request}
        (self.root / RUNNING_DIR).mkdir(exist_ok=True)
        for _ in range(1000):
            run_id = self._free_id(scenario, created)
            lock = self._hold(run_id)
            if lock is None:
                continue
            row = {
                **dict.fromkeys(("scenario_path", "ard", "ard_rescaled", "seconds")),
                "run_id": run_id,
                "kind": kind,
                "scenario": scenario,
                "scenario_path": "",
                "created": created,
                "seeds": "",
                "replicas": 1,
                "days": 0,
                "status": RUNNING,
                "agent_steps": None,
                "summary": "{}",
                "path": str((self.root / run_id).resolve()),
                "parent": parent_id,
                "label": label,
                "scenario_sha256": None if prov is None else prov.get("scenario_sha256"),
                "calibration": None,
                "provenance": None if prov is None else json.dumps(prov, allow_nan=False),
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started": created,
                "finished": None,
                "error": None,
            }
            try:
                self.catalogue.insert(row)
            except RunError:  # the id was taken meanwhile
                self._unhold(run_id, lock)
                continue
            self._held[run_id] = _Held(lock, created, parent_id, label)
            return run_id
        raise RunError(f"{self.root}: no free run id for {scenario} at {created}")

    def fail(self, ref: str, error: str) -> bool:
        """Mark a ``running`` run ``failed`` with ``error`` (one line, cut to
        :data:`ERROR_CHARS`): a run this store object began, or one whose writer has died (a
        live writer's run is refused). False if it was not running."""
        self._check_writable("mark a run failed")
        run_id = self.resolve(ref, finished=False)
        if run_id not in self._held:
            row = self._row(run_id)
            if row["status"] == RUNNING and self._writer_alive(row):
                raise RunError(
                    f"{run_id} is running (process {row['pid']} on {row['host']}): stop it first"
                )
        line = " ".join(str(error).split())
        if len(line) > ERROR_CHARS:
            line = line[: ERROR_CHARS - 1] + "…"
        failed = self.catalogue.fail(run_id, line or "failed", when=_now())
        self._release(run_id)
        return failed

    def forget(self, run_id: str) -> None:
        """Remove the ``running`` row of a run this store object began and that never ran (its
        input was refused before any work): nothing is listed for it."""
        if run_id not in self._held:
            raise RunError(f"{run_id}: not a run begun by this store object (begin())")
        self.catalogue.delete([run_id])
        self._release(run_id)

    @contextlib.contextmanager
    def running(
        self,
        kind: str,
        scenario: str,
        *,
        provenance: Provenance | None = None,
        request: dict[str, Any] | None = None,
        parent: str | None = None,
        label: str = "",
    ) -> Iterator[str]:
        """``with store.running(kind, scenario) as run_id: … store.save(result, run_id=run_id)``:
        the run is ``running`` inside the block, ``finished`` once saved, ``failed`` (with the
        error line) if the block raises — or if it ends without saving."""
        run_id = self.begin(
            kind, scenario, provenance=provenance, request=request, parent=parent, label=label
        )
        try:
            yield run_id
        except BaseException as exc:
            if run_id in self._held:
                self.fail(run_id, error_line(exc))
            raise
        if run_id in self._held:
            self.fail(run_id, "the work ended without saving a result")

    def status(self, ref: str) -> RunStatus:
        """Where a result stands: ``running``, ``finished`` or ``failed`` (:class:`RunStatus`)."""
        row = self._row(self.resolve(ref, finished=False))
        if not self.writable:
            row = dict(self._settled_as_read(pd.DataFrame([row])).iloc[0])
        prov = _value(row.get("provenance"))
        run_id = str(row["run_id"])
        return RunStatus(
            run_id=run_id,
            kind=str(row["kind"]),
            scenario=str(row["scenario"]),
            status=str(row["status"]),
            created=_value(row["created"]),
            started=_value(row.get("started")),
            finished=_value(row.get("finished")),
            pid=None if _value(row.get("pid")) is None else int(row["pid"]),
            host=_value(row.get("host")),
            error=_value(row.get("error")),
            parent=_value(row.get("parent")),
            label=str(_value(row.get("label")) or ""),
            path=(self.root / run_id).resolve() if row["status"] == FINISHED else None,
            provenance=json.loads(prov) if isinstance(prov, str) else prov,
        )

    def _row(self, run_id: str) -> dict[str, Any]:
        df = self.catalogue.frame()
        rows = df[df["run_id"] == run_id]
        if rows.empty:
            raise NoSuchRunError(f"no run {run_id!r} in the results store {self.root}")
        return dict(rows.iloc[0])

    def _hold(self, run_id: str) -> IO[bytes] | None:
        """Create and lock ``.running/<run_id>.lock``; None if it exists or is locked."""
        path = self.root / RUNNING_DIR / f"{run_id}.lock"
        try:
            fh = path.open("xb")
        except FileExistsError:
            return None
        try:
            fh.write(f"{os.getpid()} {socket.gethostname()}\n".encode())
            fh.flush()
            # locked, and still the file of that name (a repair may remove an unlocked orphan
            # between our open and our lock)
            if not _lock(fh) or os.fstat(fh.fileno()).st_ino != path.stat().st_ino:
                fh.close()
                return None
        except FileNotFoundError:
            fh.close()
            return None
        except BaseException:
            fh.close()
            raise
        return fh

    def _unhold(self, run_id: str, lock: IO[bytes]) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.root / RUNNING_DIR / f"{run_id}.lock").unlink()
        lock.close()

    def _release(self, run_id: str) -> None:
        held = self._held.pop(run_id, None)
        if held is not None:
            self._unhold(run_id, held.lock)

    def _writer_alive(self, row: dict[str, Any]) -> bool:
        """Whether the process running a ``running`` row still lives: it holds the row's lock
        (without POSIX locks: its pid exists on this host)."""
        run_id = str(row["run_id"])
        if run_id in self._held:
            return True
        if fcntl is None:  # pragma: no cover - Windows
            pid = _value(row.get("pid"))
            return row.get("host") != socket.gethostname() or (
                pid is not None and process_alive(int(pid))
            )
        try:
            with _open_lock(self.root / RUNNING_DIR / f"{run_id}.lock") as fh:
                return not _lock(fh)
        except FileNotFoundError:
            return False
        except OSError:
            return True  # unreadable: leave it alone

    def list(self, **filters: Any) -> pd.DataFrame:
        """The catalogue, oldest result first; ``path`` is where the run is (will be, for a
        running one). ``filters``: ``kind``, ``scenario``, ``parent``, ``label``,
        ``calibration``, ``status`` (equal to), ``since`` and ``until`` (created on or after /
        before, a ``datetime``). Every status is listed unless ``status`` is given. In a store
        the user may only read (no repair settles it), a ``running`` row whose writer died is
        listed ``failed``, as a repair would mark it, with an error line saying so."""
        df = self._frame(**filters)
        df["path"] = [str((self.root / r).resolve()) for r in df["run_id"]]
        return df

    def _frame(self, **filters: Any) -> pd.DataFrame:
        """The catalogue's rows matching ``filters``; in a store the user may only read,
        settled as a repair would settle them (:meth:`_settled_as_read`)."""
        if self.writable:
            return self.catalogue.frame(**filters)
        wanted = filters.pop("status", None)
        df = self._settled_as_read(self.catalogue.frame(**filters))
        if wanted is not None:
            df = df[df["status"] == wanted].reset_index(drop=True)
        return df

    def _settled_as_read(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with the ``running`` rows whose writer died shown as the repair of a writable
        store records them (:meth:`_settle_running`): ``finished`` if their folder was complete,
        else ``failed`` — for a store the user may only read, whose catalogue is left as it is."""
        for i in df.index[df["status"] == RUNNING]:
            row = dict(df.loc[i])
            if self._writer_alive(row):
                continue
            finished = self._finished_folder(row)
            if finished is not None:
                kept = ("pid", "host", "started")
                for column, value in finished.items():
                    if column in kept or column not in df.columns:
                        continue
                    if isinstance(value, dt.datetime):  # (an all-null column may be seconds)
                        df[column] = df[column].astype("datetime64[us]")
                    df.at[i, column] = value
                continue
            pid, host = _value(row.get("pid")), _value(row.get("host"))
            df.loc[i, "status"] = FAILED
            df.loc[i, "error"] = (
                f"the process that ran it (pid {pid} on {host}) stopped before it finished "
                "(not recorded in the catalogue: the store is read-only for you)"
            )
        return df

    def _finished_folder(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """The catalogue row a dead writer's complete folder makes (killed between the rename
        and the catalogue update), or None (no complete folder of that run)."""
        run_id = str(row["run_id"])
        folder = self.root / run_id
        tidy = self.writable
        if not (folder / SUMMARY_FILE).is_file() or _writer_alive(folder, tidy=tidy):
            return None
        try:
            meta = read_metadata(folder)
        except RunError:
            return None
        return row_from_metadata(meta, folder.resolve()) if meta.get("run_id") == run_id else None

    def run_ids(self) -> builtins.list[str]:
        """Run ids of the finished results, oldest first."""
        return [str(r) for r in self._frame(status=FINISHED)["run_id"]]

    def resolve(self, ref: str, *, kind: str | None = None, finished: bool = True) -> str:
        """A run id from a full id, a unique prefix of one, or ``latest`` (the latest of
        ``kind`` when given). With ``finished`` (the default) only finished results; else any
        catalogued run (running and failed ones too)."""
        df = self._frame(kind=kind, status=FINISHED if finished else None)
        ids = [str(r) for r in df["run_id"]]
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
        if finished:
            others = self._frame(kind=kind)
            hit = others[[str(r).startswith(ref) for r in others["run_id"]]]
            if len(hit) == 1:
                row = hit.iloc[0]
                why = f": {row['error']}" if row["status"] == FAILED and row["error"] else ""
                raise RunError(f"{row['run_id']} is {row['status']}, not a finished result{why}")
        raise NoSuchRunError(f"no run {ref!r} in the results store {self.root}")

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
            from corredor.store import corridor  # noqa: PLC0415 - as in to_record

            return corridor.from_record(record, self.root)
        return record

    def find(
        self, inputs_sha256: str, *, running: bool = False, kind: str | None = None
    ) -> str | None:
        """The latest finished result (of ``kind``, when given) made from exactly these inputs
        (:meth:`~corredor.results.provenance.Provenance.digest`), or None; with ``running``,
        when none is finished, the latest run of them still running (its process alive)."""
        found = self.catalogue.find("inputs_sha256", inputs_sha256, (FINISHED,), kind=kind)
        if not found and running:
            under_way = self.catalogue.find("inputs_sha256", inputs_sha256, (RUNNING,), kind=kind)
            found = [r for r in under_way if self._settled(r)]
        return found[-1] if found else None

    def _settled(self, run_id: str) -> bool:
        row = self._row(run_id)
        return row["status"] != RUNNING or self._writer_alive(row)

    def delete(self, ref: str, *, with_children: bool = False) -> builtins.list[str]:
        """Remove a stored result (and, with ``with_children``, the results that belong to
        it) at the user's request: the catalogue row first, then the folder. Returns the ids
        removed. Nothing is ever deleted otherwise."""
        self._check_writable("delete a result")
        run_id = self.resolve(ref, finished=False)
        row = self._row(run_id)
        if row["status"] == RUNNING and self._writer_alive(row):
            raise RunError(
                f"{run_id} is running (process {row['pid']} on {row['host']}): let it finish "
                "or stop it first"
            )
        children = self.children(run_id)
        if children and not with_children:
            raise RunError(
                f"{run_id} has {len(children)} result(s) that belong to it "
                f"({', '.join(children)}): delete them too, or them first"
            )
        removed = []
        for child in children:
            with contextlib.suppress(NoSuchRunError):  # deleted meanwhile by another process
                removed += self.delete(child, with_children=True)
        if not self.catalogue.delete([run_id]):  # another process deleted it meanwhile
            raise NoSuchRunError(f"no run {run_id!r} in the results store {self.root}")
        trash = self.root / f"{TMP_PREFIX}deleted-{run_id}"
        try:
            self.path(run_id).rename(trash)
        except FileNotFoundError:  # a failed run has no folder
            return [*removed, run_id]
        discard(trash)
        return [*removed, run_id]

    def children(self, ref: str) -> builtins.list[str]:
        """Run ids of the results whose parent is ``ref`` (any status), oldest first."""
        parent = self.resolve(ref, finished=False)
        return [str(r) for r in self.catalogue.frame(parent=parent)["run_id"]]

    # ------------------------------------------------------------------------------ repair
    def repair(self) -> None:
        """Remove what killed processes left behind (see the module docstring)."""
        self._remove_stale_tmp_dirs()
        snapshots.repair_snapshots(self.root)
        self._settle_running()
        finished = self.catalogue.frame(status=FINISHED)["run_id"]
        missing = [str(r) for r in finished if not (self.root / r / SUMMARY_FILE).is_file()]
        self.catalogue.delete(missing)
        catalogued = set(self.catalogue.run_ids())
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

    def _settle_running(self) -> None:
        """``running`` rows whose writer died: ``finished`` if their folder was complete (killed
        between the rename and the catalogue update), else ``failed``; lock files of dead
        writers without a row are removed."""
        for row in self.catalogue.rows(status=RUNNING):
            if self._writer_alive(row):
                continue
            run_id = str(row["run_id"])
            finished = self._finished_folder(row)
            if finished is not None:
                self.catalogue.finish(finished, repair=True)
            else:
                pid, host = _value(row.get("pid")), _value(row.get("host"))
                self.catalogue.fail(
                    run_id,
                    f"the process that ran it (pid {pid} on {host}) stopped before it finished",
                    when=_now(),
                )
            with contextlib.suppress(FileNotFoundError):
                (self.root / RUNNING_DIR / f"{run_id}.lock").unlink()
        running = set(self.catalogue.frame(status=RUNNING)["run_id"])
        for path in (self.root / RUNNING_DIR).glob("*.lock"):
            if path.stem in running or path.stem in self._held:
                continue
            try:
                with _open_lock(path) as fh:
                    if _lock(fh):
                        path.unlink(missing_ok=True)
            except OSError:
                continue

    def _remove_stale_tmp_dirs(self) -> None:
        for entry in self.root.glob(f"{TMP_PREFIX}*"):
            if not entry.is_dir():
                continue
            lock_path = entry / LOCK_FILE
            try:
                with _open_lock(lock_path) as fh:
                    if not _lock(fh):
                        continue  # a live writer
            except FileNotFoundError:
                if not _unlocked_tmp_is_stale(entry):
                    continue  # perhaps a writer that has not taken its lock yet
            except OSError:
                continue
            discard(entry)
