"""The files of one stored result, of any kind: a :class:`~corredor.results.record.Record` written
to a run folder and read back from it.

A run folder holds::

    summary.json        kind, run id, scenario, seeds, days, headline numbers, provenance,
                        the names of the tables, documents and files below, and the kind's
                        own metadata; written last: a folder with a summary.json is complete
    <table>.parquet     one tidy table each (zstd)
    <document>.json     one JSON document each
    <file>              files kept verbatim (Flee's out.csv, a calibrated.yaml)

Folders written before results had kinds (Flee runs of format 1) open as they are: their kind is
``flee`` and their tables are the Parquet files present.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from corredor.errors import RunError, ScenarioError
from corredor.files.read import excerpt, read_bytes, read_text
from corredor.results.provenance import Provenance
from corredor.results.record import LazyTables, Record

FORMAT_VERSION = 2
SUMMARY_FILE = "summary.json"
_COMPRESSION: Literal["zstd"] = "zstd"
#: Keys of summary.json that are not the kind's own metadata.
RESERVED = frozenset(
    {
        "format",
        "kind",
        "run_id",
        "scenario",
        "scenario_path",
        "created",
        "seeds",
        "replicas",
        "days",
        "summary",
        "provenance",
        "parent",
        "label",
        "tables",
        "documents",
        "files",
    }
)


#: Test hook (``tests/crash``): ``<point>=<marker file>`` makes a writer that reaches ``point``
#: write its process id to the marker file and wait there to be killed.
PAUSE_ENV = "CORREDOR_STORE_PAUSE_AT"


def pause_point(point: str) -> None:
    """Stop here for good if the crash tests asked for it (:data:`PAUSE_ENV`); else nothing."""
    spec = os.environ.get(PAUSE_ENV)
    if not spec:
        return
    name, _, marker = spec.partition("=")
    if name != point or not marker:
        return
    Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    while True:  # pragma: no cover - killed here by the test
        time.sleep(1.0)


# ---------------------------------------------------------------------------------- JSON helpers
def json_safe(value: Any) -> Any:
    """Turn numpy scalars/arrays, paths, dates and non-finite floats into plain JSON values."""
    if isinstance(value, Mapping):
        out: Any = {str(k): json_safe(v) for k, v in value.items()}
    elif isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        out = [json_safe(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    elif isinstance(value, np.generic):
        out = json_safe(value.item())
    elif isinstance(value, float):
        out = value if math.isfinite(value) else None
    elif isinstance(value, (str, int, bool)) or value is None:
        out = value
    elif isinstance(value, (dt.date, dt.datetime)):
        out = value.isoformat()
    else:
        out = str(value)
    return out


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------------ write
def record_metadata(record: Record, run_id: str, created: dt.datetime) -> dict[str, Any]:
    """The content of ``summary.json`` (also the source of the catalogue row)."""
    meta: dict[str, Any] = json_safe(
        {
            **record.meta,
            "format": FORMAT_VERSION,
            "kind": record.kind,
            "run_id": run_id,
            "scenario": record.scenario,
            "scenario_path": record.scenario_path,
            "created": created.isoformat(),
            "seeds": [int(s) for s in record.seeds],
            "replicas": int(record.replicas),
            "days": int(record.days),
            "summary": record.summary,
            "provenance": None if record.provenance is None else record.provenance.as_json(),
            "parent": record.parent,
            "label": record.label,
            "tables": list(record.tables),
            "documents": list(record.documents),
            "files": list(record.files),
        }
    )
    return meta


def _check_name(name: str) -> str:
    if not name or "/" in name or "\\" in name or name.startswith(".") or name == SUMMARY_FILE:
        raise ValueError(f"{name!r} is not a valid name for a file of a stored result")
    return name


def write_record_dir(record: Record, directory: Path, meta: Mapping[str, Any]) -> None:
    """Write every file of ``record`` into ``directory`` (which must exist), summary.json last.

    ``directory`` is a temporary folder of :func:`corredor.files.atomic.new_folder`, which fsyncs
    it and renames it into place."""
    for i, (name, frame) in enumerate(record.tables.items()):
        if i == 1:
            pause_point("mid-write")
        frame.to_parquet(
            directory / f"{_check_name(name)}.parquet", compression=_COMPRESSION, index=False
        )
    for name, doc in record.documents.items():
        _dump(directory / f"{_check_name(name)}.json", json_safe(doc))
    for name, data in record.files.items():
        (directory / _check_name(name)).write_bytes(data)
    _dump(directory / SUMMARY_FILE, dict(meta))


# ------------------------------------------------------------------------------------- read
def read_metadata(directory: Path) -> dict[str, Any]:
    """Read ``summary.json`` of a run folder."""
    path = directory / SUMMARY_FILE
    if not path.exists():
        raise RunError(f"{directory}: not a Corredor run folder (no {SUMMARY_FILE})")
    try:
        meta = json.loads(read_text(path, what="run summary"))
    except ScenarioError as exc:  # not a regular file, too big, not UTF-8
        raise RunError(str(exc)) from None
    except (ValueError, RecursionError) as exc:  # RecursionError: nested thousands deep
        raise RunError(f"{path}: unreadable run summary ({excerpt(str(exc), 200)})") from None
    if not isinstance(meta, dict) or "run_id" not in meta:
        raise RunError(f"{path}: not a Corredor run summary")
    return dict(meta)


def read_table(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A Parquet table of a stored run (a clear error if it is missing or unreadable)."""
    try:
        return pd.read_parquet(path, columns=columns)
    except FileNotFoundError:
        raise RunError(f"{path}: missing file of a stored run") from None
    except (OSError, ValueError) as exc:
        raise RunError(f"{path}: unreadable ({exc})") from None


def read_document(path: Path) -> Any:
    """A JSON document of a stored run (a clear error if it is missing or unreadable)."""
    if not path.exists():
        raise RunError(f"{path}: missing file of a stored run")
    try:
        return json.loads(read_text(path, what="stored document"))
    except ScenarioError as exc:
        raise RunError(str(exc)) from None
    except (ValueError, RecursionError) as exc:
        raise RunError(f"{path}: unreadable ({excerpt(str(exc), 200)})") from None


class _LazyFiles(Mapping[str, bytes]):
    def __init__(self, directory: Path, names: list[str]) -> None:
        self._dir, self._names = directory, names

    def __getitem__(self, name: str) -> bytes:
        if name not in self._names:
            raise KeyError(name)
        try:
            return read_bytes(self._dir / name, what="stored file")
        except ScenarioError as exc:
            raise RunError(str(exc)) from None

    def __iter__(self) -> Any:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def read_record_dir(directory: Path, meta: Mapping[str, Any] | None = None) -> Record:
    """The :class:`Record` stored in ``directory``; tables and files are read when used."""
    directory = Path(directory)
    meta = dict(meta) if meta is not None else read_metadata(directory)
    tables = meta.get("tables")
    if tables is None:  # format 1 (Flee runs before kinds): the Parquet files present
        tables = sorted(p.stem for p in directory.glob("*.parquet"))
    documents = meta.get("documents")
    if documents is None:
        documents = sorted(p.stem for p in directory.glob("*.json") if p.name != SUMMARY_FILE)
    files = meta.get("files") or []
    created = meta.get("created")
    return Record(
        kind=str(meta.get("kind") or "flee"),
        scenario=str(meta.get("scenario", "")),
        scenario_path=str(meta.get("scenario_path", "")),
        seeds=tuple(int(s) for s in meta.get("seeds", ())),
        replicas=int(meta.get("replicas", 1)),
        days=int(meta.get("days", 0)),
        summary=dict(meta.get("summary") or {}),
        meta={k: v for k, v in meta.items() if k not in RESERVED},
        tables=LazyTables(list(tables), lambda name: read_table(directory / f"{name}.parquet")),
        documents={name: read_document(directory / f"{name}.json") for name in documents},
        files=_LazyFiles(directory, list(files)),
        provenance=Provenance.from_json(meta.get("provenance")),
        parent=meta.get("parent"),
        label=str(meta.get("label") or ""),
        run_id=str(meta["run_id"]),
        created=dt.datetime.fromisoformat(created) if isinstance(created, str) else None,
        path=directory,
    )
