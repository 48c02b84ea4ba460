"""The run catalogue: one embedded DuckDB file, one row per stored run.

Connections are short-lived (one per operation), so several processes can use the same store one
after another; when another process holds the file, we wait for it (up to ``timeout`` seconds).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from corredor.errors import RunError

COLUMNS = (
    "run_id",
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
)

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

_LOCK_WORDS = ("lock", "conflicting")


def _is_lock_error(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    return any(word in text for word in _LOCK_WORDS)


def row_from_metadata(meta: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """The catalogue row of a run, from its ``summary.json`` content."""
    summary = meta.get("summary", {})
    return {
        "run_id": meta["run_id"],
        "scenario": meta["scenario"],
        "scenario_path": meta["scenario_path"],
        "created": dt.datetime.fromisoformat(meta["created"]),
        "seeds": ",".join(str(s) for s in meta["seeds"]),
        "replicas": int(meta["replicas"]),
        "days": int(meta["days"]),
        "status": "complete",
        "ard": summary.get("ard"),
        "ard_rescaled": summary.get("ard_rescaled"),
        "seconds": summary.get("seconds"),
        "agent_steps": summary.get("agent_steps"),
        "summary": json.dumps(summary, allow_nan=False),
        "path": str(path),
    }


class Catalogue:
    """The ``runs`` table in ``<root>/catalogue.duckdb``."""

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = timeout

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh connection, closed on exit; waits while another process holds the file."""
        deadline = time.monotonic() + self.timeout
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(self.path))
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

    def create(self) -> None:
        with self.connect() as con:
            con.execute(SCHEMA)

    def insert(self, row: Mapping[str, Any]) -> None:
        """Insert (or replace) one row in a single transaction."""
        placeholders = ", ".join("?::JSON" if c == "summary" else "?" for c in COLUMNS)
        sql = f"INSERT OR REPLACE INTO runs ({', '.join(COLUMNS)}) VALUES ({placeholders})"
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(sql, [row[c] for c in COLUMNS])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def delete(self, run_ids: Iterable[str]) -> None:
        ids = list(run_ids)
        if not ids:
            return
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            con.executemany("DELETE FROM runs WHERE run_id = ?", [[i] for i in ids])
            con.execute("COMMIT")

    def run_ids(self) -> list[str]:
        with self.connect() as con:
            return [str(r[0]) for r in con.execute("SELECT run_id FROM runs").fetchall()]

    def frame(self) -> pd.DataFrame:
        """Every row, oldest first."""
        with self.connect() as con:
            df: pd.DataFrame = con.execute(
                f"SELECT {', '.join(COLUMNS)} FROM runs ORDER BY created, run_id"
            ).df()
        return df
