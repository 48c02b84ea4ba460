"""The run catalogue: one embedded DuckDB file, one row per stored result of any kind.

Connections are short-lived (one per operation), so several processes can use the same store one
after another; when another process holds the file, we wait for it (up to ``timeout`` seconds).

Schema version 2 added ``kind``, ``parent``, ``label``, ``scenario_sha256``, ``calibration`` and
``provenance`` to the version 1 table (Flee runs only); version 3 added the run status columns
(``pid``, ``host``, ``started``, ``finished``, ``error``; ``status`` is one of :data:`STATUSES`,
older rows' ``complete`` becomes ``finished``). An older catalogue is migrated in place when it
is opened.

Status of a row:

* ``running``: catalogued when the work starts (:meth:`Catalogue.begin`), with the writer's
  process id, host and start time; its folder does not exist yet;
* ``finished``: its folder is complete (``summary.json`` written last);
* ``failed``: the work raised (``error`` holds its one-line message) or its writer died
  before it finished (found by the store's repair); no folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import stat
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from corredor.errors import RunError

SCHEMA_VERSION = 3

RUNNING, FINISHED, FAILED = "running", "finished", "failed"
#: The status of a catalogued result (module docstring).
STATUSES = (RUNNING, FINISHED, FAILED)

COLUMNS = (
    "run_id",
    "kind",
    "scenario",
    "scenario_path",
    "created",
    "seeds",
    "replicas",
    "days",
    "status",
    "ard",
    "ard_rescaled",
    "seconds",
    "agent_steps",
    "summary",
    "path",
    "parent",
    "label",
    "scenario_sha256",
    "calibration",
    "provenance",
    "pid",
    "host",
    "started",
    "finished",
    "error",
)
_JSON_COLUMNS = ("summary", "provenance")

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    scenario VARCHAR,
    scenario_path VARCHAR,
    created TIMESTAMP,
    seeds VARCHAR,
    replicas INT,
    days INT,
    status VARCHAR,
    ard DOUBLE,
    ard_rescaled DOUBLE,
    seconds DOUBLE,
    agent_steps BIGINT,
    summary JSON,
    path VARCHAR
)
"""
#: Columns added by schema version 2 (``ALTER TABLE … ADD COLUMN IF NOT EXISTS``).
ADDED_V2 = (
    ("kind", "VARCHAR DEFAULT 'flee'"),
    ("parent", "VARCHAR"),
    ("label", "VARCHAR DEFAULT ''"),
    ("scenario_sha256", "VARCHAR"),
    ("calibration", "VARCHAR"),
    ("provenance", "JSON"),
)
#: Columns added by schema version 3 (the run status).
ADDED_V3 = (
    ("pid", "BIGINT"),
    ("host", "VARCHAR"),
    ("started", "TIMESTAMP"),
    ("finished", "TIMESTAMP"),
    ("error", "VARCHAR"),
)
META_SCHEMA = "CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)"

#: Filters of :meth:`Catalogue.frame`: keyword → SQL condition on one value.
FILTERS = {
    "kind": "kind = ?",
    "scenario": "scenario = ?",
    "parent": "parent = ?",
    "label": "label = ?",
    "since": "created >= ?",
    "until": "created <= ?",
    "calibration": "calibration = ?",
    "status": "status = ?",
}

_LOCK_WORDS = ("lock", "conflicting")


def _is_lock_error(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    return any(word in text for word in _LOCK_WORDS)


def row_from_metadata(meta: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """The catalogue row of a stored result, from its ``summary.json`` content."""
    summary = meta.get("summary") or {}
    provenance = meta.get("provenance") or None
    calibration = None
    if isinstance(provenance, Mapping) and isinstance(provenance.get("calibration"), Mapping):
        cal = provenance["calibration"]
        calibration = cal.get("run_id") or cal.get("file") or cal.get("name")
    sha = meta.get("scenario_sha256")
    if sha is None and isinstance(provenance, Mapping):
        sha = provenance.get("scenario_sha256")
    return {
        "run_id": meta["run_id"],
        "kind": str(meta.get("kind") or "flee"),
        "scenario": meta["scenario"],
        "scenario_path": meta.get("scenario_path", ""),
        "created": dt.datetime.fromisoformat(meta["created"]),
        "seeds": ",".join(str(s) for s in meta.get("seeds", ())),
        "replicas": int(meta.get("replicas", 1)),
        "days": int(meta.get("days", 0)),
        "status": FINISHED,
        "ard": summary.get("ard"),
        "ard_rescaled": summary.get("ard_rescaled"),
        "seconds": summary.get("seconds"),
        "agent_steps": summary.get("agent_steps"),
        "summary": json.dumps(summary, allow_nan=False),
        "path": str(path),
        "parent": meta.get("parent"),
        "label": str(meta.get("label") or ""),
        "scenario_sha256": sha,
        "calibration": calibration,
        "provenance": None if provenance is None else json.dumps(provenance, allow_nan=False),
        "pid": meta.get("pid"),
        "host": meta.get("host"),
        "started": _time(meta.get("started")) or dt.datetime.fromisoformat(meta["created"]),
        "finished": _time(meta.get("finished")) or dt.datetime.fromisoformat(meta["created"]),
        "error": None,
    }


#: Bytes 8–11 of every DuckDB database file.
_DUCKDB_MAGIC = b"DUCK"


def _wal(path: Path) -> Path:
    """The write-ahead log DuckDB keeps beside a database file."""
    return path.with_name(path.name + ".wal")


def _time(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


class Catalogue:
    """The ``runs`` table in ``<root>/catalogue.duckdb``."""

    def __init__(self, path: Path, timeout: float = 30.0, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.timeout = timeout
        #: Opened for reading only (a store the user may not write): every write is refused.
        self.read_only = read_only

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh connection, closed on exit; waits while another process holds the file."""
        deadline = time.monotonic() + self.timeout
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=self.read_only)
                break
            except duckdb.Error as exc:
                if not _is_lock_error(exc) or time.monotonic() > deadline:
                    raise RunError(f"{self.path}: cannot open the run catalogue ({exc})") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        try:
            yield con
        finally:
            con.close()

    def check_files(self) -> None:
        """Refuse, with one line, a catalogue (or its write-ahead log) that is no DuckDB file of
        the store: a link, a FIFO (opening it waited for ever), a folder or device, or a file
        of another format (DuckDB read a CSV text as a database and the store failed later)."""
        for path, what in ((self.path, "run catalogue"), (_wal(self.path), "catalogue's log")):
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise RunError(f"{path}: cannot read the {what} ({exc.strerror})") from None
            kind = None
            if stat.S_ISLNK(st.st_mode):
                kind = "a link"
            elif not stat.S_ISREG(st.st_mode):
                kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO, device or socket"
            elif path == self.path and st.st_size > 0:
                with open(path, "rb") as fh:
                    if fh.read(12)[8:12] != _DUCKDB_MAGIC:
                        kind = "not a DuckDB database"
            if kind is not None:
                raise RunError(
                    f"{path}: {kind}, where the results store keeps its {what} (a DuckDB "
                    "file). Fix: move it away, or give another --store"
                )

    def create(self) -> None:
        """Create the table, or migrate an older one to the current schema (read-only: check
        that it is of the current schema, as nothing can be migrated)."""
        self.check_files()
        if self.read_only:
            self._check_schema()
            return
        with self.connect() as con:
            con.execute(SCHEMA)
            con.execute(META_SCHEMA)
            found = con.execute(
                "SELECT value FROM store_meta WHERE key = 'schema_version'"
            ).fetchone()
            if found is not None and int(found[0]) >= SCHEMA_VERSION:
                return
            con.execute("BEGIN TRANSACTION")
            try:
                for column, decl in (*ADDED_V2, *ADDED_V3):
                    con.execute(f"ALTER TABLE runs ADD COLUMN IF NOT EXISTS {column} {decl}")
                con.execute("UPDATE runs SET kind = 'flee' WHERE kind IS NULL")
                con.execute(
                    "UPDATE runs SET status = ?, started = created, finished = created "
                    "WHERE status IS NULL OR status = 'complete'",
                    [FINISHED],
                )
                con.execute(
                    "INSERT OR REPLACE INTO store_meta VALUES ('schema_version', ?)",
                    [str(SCHEMA_VERSION)],
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def _check_schema(self) -> None:
        with self.connect() as con:
            try:
                found = con.execute(
                    "SELECT value FROM store_meta WHERE key = 'schema_version'"
                ).fetchone()
            except duckdb.CatalogException:
                found = None
        if found is None or int(found[0]) < SCHEMA_VERSION:
            raise RunError(
                f"{self.path}: a run catalogue of an older schema, which cannot be updated in a "
                "store you may only read (permission denied). Fix: open it once with write "
                "permission"
            )

    def insert(self, row: Mapping[str, Any], *, exist_ok: bool = False) -> None:
        """Insert one row in a single transaction (a run id is never replaced; with
        ``exist_ok`` — a repair — a row already there is kept as it is)."""
        placeholders = ", ".join("?::JSON" if c in _JSON_COLUMNS else "?" for c in COLUMNS)
        sql = f"INSERT INTO runs ({', '.join(COLUMNS)}) VALUES ({placeholders})"
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(sql, [row[c] for c in COLUMNS])
                con.execute("COMMIT")
            except duckdb.ConstraintException:
                con.execute("ROLLBACK")
                if exist_ok:
                    return
                raise RunError(f"run id {row['run_id']!r} is taken: nothing replaced") from None
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def finish(self, row: Mapping[str, Any], *, repair: bool = False) -> None:
        """Turn the ``running`` (or ``failed``) row of ``row["run_id"]`` into ``row`` (a finished
        result; its writer's pid, host and start time are kept) in one transaction; insert it
        if there is none. A finished row is never replaced. With ``repair``, only a
        ``running`` row is changed (nothing else is done)."""
        kept = ("pid", "host", "started")
        columns = [c for c in COLUMNS if c not in kept]
        sets = ", ".join(f"{c} = ?::JSON" if c in _JSON_COLUMNS else f"{c} = ?" for c in columns)
        placeholders = ", ".join("?::JSON" if c in _JSON_COLUMNS else "?" for c in COLUMNS)
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                found = con.execute(
                    "SELECT status FROM runs WHERE run_id = ?", [row["run_id"]]
                ).fetchone()
                if repair and (found is None or found[0] != RUNNING):
                    con.execute("ROLLBACK")
                    return
                if found is None:
                    con.execute(
                        f"INSERT INTO runs ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                        [row[c] for c in COLUMNS],
                    )
                elif found[0] == FINISHED:
                    raise RunError(f"run {row['run_id']!r} is finished already: nothing replaced")
                else:
                    con.execute(
                        f"UPDATE runs SET {sets} WHERE run_id = ?",
                        [*(row[c] for c in columns), row["run_id"]],
                    )
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                raise

    def fail(self, run_id: str, error: str, *, when: dt.datetime) -> bool:
        """Mark a ``running`` row ``failed`` with its error line; False if it was not running
        (finished meanwhile, or gone)."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            found = con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone()
            if found is None or found[0] != RUNNING:
                con.execute("ROLLBACK")
                return False
            con.execute(
                "UPDATE runs SET status = ?, error = ?, finished = ? WHERE run_id = ?",
                [FAILED, error, when, run_id],
            )
            con.execute("COMMIT")
        return True

    def rows(self, status: str | None = None) -> list[dict[str, Any]]:
        """Rows (as dicts) with this status (any: None), oldest first."""
        df = self.frame(status=status)
        return [{str(k): v for k, v in r.items()} for r in df.to_dict(orient="records")]

    def delete(self, run_ids: Iterable[str]) -> list[str]:
        """Remove the rows of ``run_ids``; returns the ids whose row this call removed (a
        concurrent delete of the same run removes it once)."""
        ids = list(run_ids)
        if not ids:
            return []
        gone: list[str] = []
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            for i in ids:
                rows = con.execute("DELETE FROM runs WHERE run_id = ? RETURNING run_id", [i])
                gone += [str(r[0]) for r in rows.fetchall()]
            con.execute("COMMIT")
        return gone

    def find(
        self,
        key: str,
        value: str,
        statuses: Iterable[str] = (FINISHED,),
        *,
        kind: str | None = None,
    ) -> list[str]:
        """Run ids (of ``kind``, when given) whose provenance has ``key`` equal to ``value`` and
        whose status is one of ``statuses``, oldest first."""
        wanted = list(statuses)
        marks = ", ".join("?" for _ in wanted)
        sql = (
            "SELECT run_id FROM runs WHERE json_extract_string(provenance, ?) = ? "
            f"AND status IN ({marks})"
        )
        args: list[Any] = [f"$.{key}", value, *wanted]
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        with self.connect() as con:
            found = con.execute(sql + " ORDER BY created, run_id", args).fetchall()
        return [str(r[0]) for r in found]

    def run_ids(self) -> list[str]:
        with self.connect() as con:
            return [str(r[0]) for r in con.execute("SELECT run_id FROM runs").fetchall()]

    def frame(self, **filters: Any) -> pd.DataFrame:
        """Every row matching ``filters`` (keywords of :data:`FILTERS`; None: any), oldest
        first."""
        unknown = sorted(set(filters) - set(FILTERS))
        if unknown:
            raise RunError(f"unknown filter(s) {', '.join(unknown)}; use {', '.join(FILTERS)}")
        where, args = [], []
        for key, value in filters.items():
            if value is None:
                continue
            where.append(FILTERS[key])
            args.append(value)
        sql = f"SELECT {', '.join(COLUMNS)} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self.connect() as con:
            df: pd.DataFrame = con.execute(sql + " ORDER BY created, run_id", args).df()
        return df
