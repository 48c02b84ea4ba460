"""The one results store as the web reads it: the catalogue, stored records and their views.

Reading goes through the store: the catalogue (one DuckDB query, parsed once per change of
the catalogue) for listings and for answering an identical request at once, and each run's
stored record (its tidy Parquet tables and provenance, cached: results never change once
stored) for the views of :mod:`corredor.web.views`. A run made in the browser is listed by
``corredor runs`` and reported by ``corredor report``, and a run made on the command line opens
in the browser. Runs are found by id inside the store, never by a path from a request.

The store and the use cases behind it are imported on first use ("first use" below), not when
the service starts: it answers at once and preloads them in a background thread.
"""

from __future__ import annotations

import functools
import json
import math
import re
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from corredor.errors import CorredorError
from corredor.web.errors import BadRequestError, NotFoundError
from corredor.web.requests import (
    BargainRequest,
    EnsembleRequest,
    ForecastRequest,
    RunRequest,
    StudyRequest,
    digest,
)
from corredor.web.scenarios import load_scenario, scenario_ref, studies

if TYPE_CHECKING:
    from corredor.results.record import Record
    from corredor.store import ResultsStore

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


#: request fields that do not change a result (left out when two requests are compared)
_NOT_RESULT = frozenset({"workers", "scheduler", "threads", "max_agents", "reuse_baseline"})


_stores: dict[str, ResultsStore] = {}


_lock = threading.RLock()


def open_store(root: Path) -> ResultsStore:
    """The results store at ``root`` (opened once per process; opening repairs what a killed
    process left half-written)."""
    from corredor.store import ResultsStore  # noqa: PLC0415 - first use

    key = str(Path(root).resolve())
    with _lock:
        if key not in _stores:
            _stores[key] = ResultsStore(root)
        return _stores[key]


def _catalogue_stamp(root: Path) -> tuple[int, ...]:
    """Changes whenever the catalogue is written (DuckDB rewrites its file or its WAL)."""
    out: list[int] = []
    for name in ("catalogue.duckdb", "catalogue.duckdb.wal"):
        try:
            st = (root / name).stat()
            out += [st.st_mtime_ns, st.st_size]
        except OSError:
            out += [0, 0]
    return tuple(out)


class _Catalogue:
    """The store's catalogue as web rows, and the index of requests, rebuilt when it changes."""

    def __init__(self, rows: list[dict[str, Any]], index: dict[str, str]) -> None:
        self.rows = rows
        self.by_id = {r["run_id"]: r for r in rows}
        self.index = index


_catalogues: dict[str, tuple[tuple[int, ...], _Catalogue]] = {}
#: per store, its catalogue rows as the web shows them, by the catalogue row's content (the
#: rows of the last catalogue read: read again, only new or changed rows are parsed)
_parsed: dict[str, dict[str, dict[str, Any]]] = {}


def invalidate(root: Path) -> None:
    """Forget the cached catalogue of ``root`` (after a run is stored or deleted)."""
    with _lock:
        _catalogues.pop(str(Path(root).resolve()), None)


def _catalogue(root: Path) -> _Catalogue:
    key = str(Path(root).resolve())
    stamp = _catalogue_stamp(Path(root))
    with _lock:
        hit = _catalogues.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    frame = open_store(root).list()
    rows, index = [], {}
    with _lock:
        parsed = _parsed.get(key, {})
    kept: dict[str, dict[str, Any]] = {}
    for rec in frame.to_dict(orient="records"):
        raw = {str(k): v for k, v in rec.items()}
        # a row is parsed once per content: a catalogue that changed by one run parses one row
        text = json.dumps(list(raw.values()), default=str)
        row = kept[text] = parsed.get(text) or _row(raw)
        if row["scenario_ref"] != row["scenario"]:  # a file's path: is it still there?
            ref = scenario_ref(row["scenario"], row["scenario_ref"])
            row = row if ref == row["scenario_ref"] else {**row, "scenario_ref": ref}
        rows.append(row)
        if row.get("request_key") and row["parent"] is None and row["status"] in FINISHED:
            index[row["request_key"]] = row["run_id"]
    cat = _Catalogue(rows, index)
    with _lock:
        _catalogues[key] = (stamp, cat)
        _parsed[key] = kept
    return cat


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            data = json.loads(value)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return {}


WEB_KINDS = {"corridor-ensemble": "ensemble"}


#: catalogue statuses of a stored result (``complete``: before the store kept run status)
FINISHED = frozenset({"complete", "finished"})


#: kinds of stored result that an identical request is answered with
FINDABLE = frozenset({"corridor", "corridor-ensemble", "forecast"})


def _people_per_agent(prov: dict[str, Any], summary: dict[str, Any]) -> int:
    request = prov.get("request") or {}
    k = request.get("people_per_agent") if isinstance(request, dict) else None
    if k is None:
        k = summary.get("people_per_agent") or 1
    return int(k)


def request_key(request: dict[str, Any] | None, scenario_sha256: str | None,
                calibration_sha256: str | None) -> str | None:  # fmt: skip
    """A digest of what makes a corridor run's result: its request less the options that do not
    change it, the scenario's content and the calibration file's content."""
    if not isinstance(request, dict) or not request.get("request"):
        return None
    body = {k: v for k, v in request.items() if k not in _NOT_RESULT and v not in (None, [], {})}
    for name in ("without_events", "events", "counterfactual"):
        if name in body:
            body[name] = sorted(body[name])
    if "set" in body:
        body["set"] = {k: float(v) for k, v in sorted(body["set"].items())}
    if body.get("replicas") == 1:
        body.pop("replicas")
    if body.get("parallel") is False:
        body.pop("parallel")
    body["scenario_sha256"] = scenario_sha256
    body["calibration_sha256"] = calibration_sha256
    return digest(body)


def _row(rec: dict[str, Any]) -> dict[str, Any]:
    """A catalogue row as the web shows it (the fields of :func:`provenance`)."""
    prov = _json(rec.get("provenance"))
    summary = _json(rec.get("summary"))
    store_kind = str(rec.get("kind") or "flee")
    seeds = [int(s) for s in str(rec.get("seeds") or "").replace(",", " ").split() if s.isdigit()]
    k = _people_per_agent(prov, summary)
    kind = WEB_KINDS.get(store_kind, store_kind)
    if store_kind == "corridor":
        kind = "preview" if k > 1 else "run"
    cal = prov.get("calibration") or {}
    added = [i for f in prov.get("events_added") or [] for i in (f.get("ids") or [])]
    created = rec.get("created")
    created_s = (
        str(created.isoformat(timespec="seconds"))
        if created is not None and hasattr(created, "isoformat")
        else str(created or "")[:19]
    )
    created_s = created_s.replace(" ", "T") + ("Z" if created_s and "Z" not in created_s else "")
    days = rec.get("days")
    days = None if days is None or math.isnan(float(days)) else int(days)
    request = prov.get("request") if isinstance(prov.get("request"), dict) else None
    return {
        "run_id": str(rec["run_id"]),
        "kind": kind,
        "store_kind": store_kind,
        "scenario": str(rec.get("scenario") or ""),
        "scenario_ref": scenario_ref(
            str(rec.get("scenario") or ""),
            str(rec.get("scenario_path") or prov.get("scenario_path") or ""),
        ),
        "created": created_s,
        "seed": seeds[0] if len(seeds) == 1 else (seeds[0] if seeds else None),
        "seeds": seeds,
        "replicas": int(rec.get("replicas") or 1),
        "days": days,
        "start": summary.get("start"),
        "people_per_agent": k,
        "agents": summary.get("agents"),
        "seconds": summary.get("seconds") or rec.get("seconds"),
        "levers": dict(prov.get("overrides") or {}),
        "events_removed": list(prov.get("events_removed") or []),
        "events_added": added,
        "calibration": cal.get("name"),
        "calibration_file": Path(str(cal["file"])).name if cal.get("file") else None,
        "scenario_hash": prov.get("scenario_sha256"),
        "code_version": _code(prov.get("code") or {}),
        "command": prov.get("command"),
        "request": request,
        "parent": rec.get("parent") if isinstance(rec.get("parent"), str) else None,
        "label": str(rec.get("label") or ""),
        "status": str(rec.get("status") or "finished"),
        "error": rec.get("error") if isinstance(rec.get("error"), str) else None,
        "reused_baseline": prov.get("reused_baseline")
        if isinstance(prov.get("reused_baseline"), dict)
        else None,
        "request_key": request_key(request, prov.get("scenario_sha256"), cal.get("sha256"))
        if store_kind in FINDABLE
        else None,
    }  # fmt: skip


def _code(code: dict[str, Any]) -> str:
    version = str(code.get("version") or "")
    commit = code.get("git_commit")
    return f"{version}+g{str(commit)[:9]}" if commit else version


@functools.lru_cache(maxsize=8)
def _current_hashes(name: str) -> tuple[str | None, str | None]:
    """The content digests of a built-in scenario and of its shipped calibration now."""
    from corredor.app.inputs import resolve_calibration  # noqa: PLC0415 - first use
    from corredor.store.corridor import scenario_sha256  # noqa: PLC0415 - first use

    sc = load_scenario(name)
    _, used, _ = resolve_calibration(sc, "shipped")
    return scenario_sha256(sc), used.sha256


def find_run(root: Path, req: RunRequest | EnsembleRequest | ForecastRequest) -> str | None:
    """The newest stored result (made here or on the command line) of exactly this request, on
    the scenario and calibration as they are now; None if there is none."""
    from corredor.app.common import request_json  # noqa: PLC0415 - first use

    scenario_sha, cal_sha = _current_hashes(req.scenario)
    key = request_key(request_json(req.to_app()), scenario_sha, cal_sha)
    return _catalogue(root).index.get(key or "")


def list_runs(root: Path) -> list[dict[str, Any]]:
    """Every stored result, oldest first (the catalogue, as :func:`provenance` rows)."""
    return list(_catalogue(root).rows)


def provenance(root: Path, run_id: str) -> dict[str, Any]:
    """A stored result's provenance as the web shows it (404 if there is none)."""
    if not _ID_RE.match(run_id):
        raise NotFoundError(f"{run_id!r} is not a run id")
    row = _catalogue(root).by_id.get(run_id)
    if row is None:
        raise NotFoundError(f"no run {run_id!r} in the results store")
    return row


def record(root: Path, run_id: str) -> Record:
    """The stored record of a finished run (its tables read when used, then kept)."""
    finished(root, run_id)
    return _record(str(Path(root).resolve()), run_id)


def finished(root: Path, run_id: str) -> dict[str, Any]:
    """A stored result's row, if it has finished (422 while it runs or when it failed)."""
    row = provenance(root, run_id)
    if row["status"] not in FINISHED:
        why = f": {row['error']}" if row.get("error") else ""
        raise BadRequestError(f"{run_id} is {row['status']}, not a finished result{why}")
    return row


@functools.lru_cache(maxsize=64)
def _record(root: str, run_id: str) -> Record:
    from corredor.store.layout import read_record_dir  # noqa: PLC0415 - first use

    try:
        return read_record_dir(Path(root) / run_id)
    except (CorredorError, OSError):
        raise NotFoundError(f"no run {run_id!r} in the results store") from None


def delete_run(root: Path, run_id: str) -> list[str]:
    """Remove a stored result and the results that belong to it (``corredor runs --delete``)."""
    provenance(root, run_id)
    from corredor.app import DeleteRequest, delete  # noqa: PLC0415 - first use
    from corredor.store import NoSuchRunError  # noqa: PLC0415 - first use

    try:
        removed = delete(DeleteRequest(run=run_id, with_children=True), open_store(root))
    except NoSuchRunError:  # a concurrent delete removed it first
        invalidate(root)
        raise NotFoundError(f"no run {run_id!r} in the results store") from None
    invalidate(root)
    _record.cache_clear()
    _tables.cache_clear()
    _report_html.cache_clear()
    return removed


def list_studies(root: Path) -> list[dict[str, Any]]:
    """The built-in studies, each with its stored results (newest last)."""
    rows = [r for r in _catalogue(root).rows if r["store_kind"] == "study"]
    out = []
    for name, s in studies().items():
        stored = [r["run_id"] for r in rows if r["label"] == name]
        out.append({**s, "stored": stored})
    return out


def find_study(root: Path, req: StudyRequest) -> str | None:
    """A stored study of the same request."""
    want = req.to_app().model_dump(mode="json")
    return _newest(
        root, "study", lambda asked: {k: v for k, v in asked.items() if k in want} == want
    )


def _newest(root: Path, store_kind: str, same: Callable[[dict[str, Any]], bool]) -> str | None:
    """The newest stored result of this kind whose catalogued request is ``same``."""
    hits = [
        r["run_id"]
        for r in _catalogue(root).rows
        if r["store_kind"] == store_kind and isinstance(r["request"], dict) and same(r["request"])
    ]
    return hits[-1] if hits else None


#: files of a stored study that the web app shows or offers
STUDY_FILES = {
    "report.html": "text/html; charset=utf-8",
    "report.md": "text/markdown; charset=utf-8",
    "summary.en.md": "text/markdown; charset=utf-8",
    "summary.es.md": "text/markdown; charset=utf-8",
}


def study_file(root: Path, run_id: str, name: str) -> bytes:
    """A file of a stored study's report (only those of :data:`STUDY_FILES`)."""
    rec = record(root, run_id)
    if rec.kind != "study":
        raise BadRequestError(f"{run_id} is a {rec.kind} result, not a study")
    if name not in STUDY_FILES or name not in rec.files:
        raise NotFoundError(f"{run_id} has no file {name!r}")
    return bytes(rec.files[name])


def report_html(root: Path, run_id: str) -> bytes:
    """The HTML report of a stored result of any kind, as ``corredor report RUN`` writes it
    (:func:`corredor.app.report`), made in a temporary folder: the stored run is never
    changed. Kept for the next ask (results never change once stored)."""
    finished(root, run_id)
    return _report_html(str(Path(root).resolve()), run_id)


@functools.lru_cache(maxsize=8)
def _report_html(root: str, run_id: str) -> bytes:
    from corredor.app import ReportRequest, report  # noqa: PLC0415 - first use
    from corredor.files.read import read_bytes  # noqa: PLC0415 - first use

    with tempfile.TemporaryDirectory(prefix="corredor-report-") as tmp:
        out = Path(tmp) / "report.html"
        report(ReportRequest(run=run_id, output=str(out)), open_store(Path(root)))
        return read_bytes(out, root=tmp, limit=256 * 1024 * 1024, what="report")


def find_bargain(root: Path, req: BargainRequest) -> str | None:
    """A stored sweep of the same request."""
    want = req.to_app().model_dump(mode="json")
    return _newest(
        root, "bargain", lambda asked: {k: v for k, v in asked.items() if k != "request"} == want
    )


def bargain_sweep(root: Path, run_id: str) -> dict[str, Any]:
    prov = provenance(root, run_id)
    if prov["store_kind"] != "bargain":
        raise BadRequestError(f"{run_id} is not a bargaining sweep")
    rec = record(root, run_id)
    if rec.meta.get("mode") != "sweep":
        raise BadRequestError(f"{run_id} is a bargaining {rec.meta.get('mode')}, not a sweep")
    frame = rec.tables["game"]
    cols = [c for c in SWEEP_COLUMNS if c in frame.columns]
    rows = [{str(k): v for k, v in r.items()} for r in frame[cols].to_dict(orient="records")]
    request = prov["request"] or {}
    return {
        "provenance": {
            **prov,
            "export_share_data": float(rec.meta.get("data_share") or 0.0),
            "request": {**request, "review_days": request.get("review_days") or 90},
        },
        "rows": rows,
    }


SWEEP_COLUMNS = (
    "exposure", "credibility", "feasible_share", "relative_size", "feasible_min_enforcement",
    "feasible_max_visas", "in_feasible_space", "distance_from_preferred", "enforcement_south",
    "enforcement_transit", "enforcement_north", "enforcement_mean", "humanitarian_visas",
    "asylum_capacity", "mpp_acceptance", "safe_third_country", "arrivals_per_day", "stranded",
    "backlog", "deportations_unscreened", "fiscal_cost_musd", "sanction_probability",
)  # fmt: skip


class _Made(Mapping[str, Any]):
    """Named values each made on first use, then kept: the charts of a new run do not wait for
    the map's tables to be read."""

    def __init__(self, makers: dict[str, Callable[[], Any]]) -> None:
        self._makers = makers
        self._made: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __getitem__(self, key: str) -> Any:
        with self._lock:
            if key not in self._made:
                self._made[key] = self._makers[key]()
            return self._made[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)


@functools.lru_cache(maxsize=32)
def _tables(root: str, run_id: str) -> Mapping[str, Any]:
    rec = _record(root, run_id)
    if rec.kind != "corridor":
        raise BadRequestError(f"{run_id} is a {rec.kind} result, not a corridor run")
    t = rec.tables

    def monthly() -> pd.DataFrame:
        frame = t["monthly"].copy()
        frame["month"] = pd.to_datetime(frame["month"])
        return frame.pivot(index="month", columns="observable", values="value")

    def ledger() -> pd.DataFrame:
        frame = t["ledger"]
        led = frame.pivot(index="year", columns="entry", values="value")
        return led[list(pd.unique(frame["entry"]))]

    def stranded() -> pd.DataFrame:
        frame = t["stranded"].copy()
        frame["date"] = pd.to_datetime(frame["date"])
        waiting = frame.pivot(index="date", columns="border_city", values="people")
        return waiting[list(pd.unique(frame["border_city"]))]

    def events() -> pd.DataFrame:
        frame = t["events"].copy()
        frame["month"] = pd.to_datetime(frame["month"])
        return frame

    def geography() -> dict[str, Any]:
        locations = t["locations"]
        names = [str(x) for x in locations["name"]]
        at = {n: i for i, n in enumerate(names)}
        links = t["links"]
        return {
            "locations": [
                {
                    "name": n,
                    "kind": str(k),
                    "lat": None if pd.isna(lat) else float(lat),
                    "lon": None if pd.isna(lon) else float(lon),
                }
                for n, k, lat, lon in zip(
                    names, locations["kind"], locations["lat"], locations["lon"], strict=True
                )
            ],
            "links": [
                [at[str(a)], at[str(b)]]
                for a, b in zip(links["from"], links["to"], strict=True)
                if str(a) in at and str(b) in at
            ],
        }

    return _Made(
        {
            "monthly": monthly,
            "observed": lambda: t["observed_vs_simulated"],
            "ledger": ledger,
            "stranded": stranded,
            "events": events,
            "people_vs_events": lambda: t["people_vs_events"],
            "people_per_agent": lambda: int(rec.meta.get("people_per_agent") or 1),
            "geography": geography,
        }
    )


def tables(root: Path, run_id: str) -> Mapping[str, Any]:
    """A corridor run's results as wide pandas frames (and its geography), from the store's tidy
    tables."""
    finished(root, run_id)
    return _tables(str(Path(root).resolve()), run_id)


def frame(root: Path, run_id: str, name: str) -> pd.DataFrame:
    """A stored table of a result of any kind, as the store keeps it (tidy)."""
    rec = record(root, run_id)
    if name not in rec.tables or name.startswith("array_"):
        raise NotFoundError(f"{run_id} has no table {name!r}")
    return rec.tables[name]
