"""The one module through which the web service reaches the rest of Corredor.

Every route calls a function of this module; nothing else in :mod:`corredor.web` imports the
engine, the scenarios or the store. Runs are executed by :func:`execute` inside the worker
processes of :mod:`corredor.web.jobs`, never in a request thread.

Until the use-case layer of issue 12 (``corredor.app``: typed requests, one store for every kind
of run) is in ``main``, the functions below call the scenario loader, ``run_corridor`` and
``CorridorResult.write`` and keep each run in its own folder of the results store, with its
request and provenance beside the tables. They are the seam that the app layer replaces: the
routes, the worker pool and the front end only see the requests and the plain data returned here.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from corredor.errors import CorredorError

ProgressFn = Callable[[int, int], None]
"""Called with (days done, days in all)."""

REQUEST_FILE = "request.json"
PROVENANCE_FILE = "provenance.json"
GEOGRAPHY_FILE = "geography.json"
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_NAME_RE = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$"


class NotFoundError(CorredorError):
    """A scenario, run or event that does not exist (HTTP 404)."""


class BadRequestError(CorredorError):
    """A request that names something invalid for its scenario (HTTP 422)."""


# ------------------------------------------------------------------------------ requests
class RunRequest(BaseModel):
    """One corridor run: a scenario, lever values, events removed or added, seed and days.

    ``people_per_agent`` above 1 asks for a *preview*: the same model with each agent standing
    for that many people, its counts scaled back (more noise, stated on every chart).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str = Field(pattern=_NAME_RE, description="A built-in corridor scenario.")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    days: int | None = Field(default=None, ge=1, description="Default: the scenario's period.")
    levers: dict[str, float] = Field(
        default_factory=dict,
        description="Lever or parameter name -> value (checked against its range).",
    )
    without_events: tuple[str, ...] = Field(
        default=(), description="Ids of the scenario's policy events to leave out."
    )
    with_events: tuple[str, ...] = Field(
        default=(), description="Ids of the scenario's counterfactual events to add."
    )
    people_per_agent: int = Field(
        default=1, ge=1, le=10_000, description="Above 1: a reduced-scale preview."
    )

    @field_validator("levers")
    @classmethod
    def _finite(cls, v: dict[str, float]) -> dict[str, float]:
        import math

        for k, x in v.items():
            if not re.match(_NAME_RE, k):
                raise ValueError(f"{k!r} is not a parameter name")
            if not math.isfinite(x):
                raise ValueError(f"{k}: {x} is not a finite number")
        return v

    @field_validator("without_events", "with_events")
    @classmethod
    def _ids(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for x in v:
            if not re.match(_NAME_RE, x):
                raise ValueError(f"{x!r} is not an event id")
        return tuple(sorted(set(v)))

    def key(self) -> str:
        """A digest of the request's canonical form: identical requests, identical keys."""
        body = self.model_dump(mode="json")
        body["levers"] = {k: float(v) for k, v in sorted(body["levers"].items())}
        raw = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


Kind = Literal["run", "preview"]
BARGAIN_SCENARIOS = ("mexico-us",)  # scenarios with a bargaining episode (the June 2019 threat)


class BargainRequest(BaseModel):
    """The US–Mexico threat game swept over Mexico's exposure (share of its exports sold to the
    United States) and the threat's credibility: the feasible policy space and the chosen policy
    of one review period under the June 2019 tariff threat."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: Literal["mexico-us"] = "mexico-us"
    exposures: tuple[float, ...] = Field(
        default=tuple(round(0.1 * i, 1) for i in range(11)), min_length=1, max_length=21
    )
    credibilities: tuple[float, ...] = Field(
        default=(0.0, 0.25, 0.5, 0.75, 1.0), min_length=1, max_length=11
    )
    review_days: int = Field(default=90, ge=7, le=365)

    @field_validator("exposures", "credibilities")
    @classmethod
    def _unit(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        import math

        for x in v:
            if not (math.isfinite(x) and 0.0 <= x <= 1.0):
                raise ValueError(f"{x} is not a share between 0 and 1")
        return tuple(sorted(set(v)))

    def key(self) -> str:
        raw = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return "bargain-" + hashlib.sha256(raw.encode()).hexdigest()[:24]


SWEEP_FILE = "sweep.parquet"
SWEEP_COLUMNS = (
    "exposure", "credibility", "feasible_share", "relative_size", "feasible_min_enforcement",
    "feasible_max_visas", "in_feasible_space", "distance_from_preferred", "enforcement_south",
    "enforcement_transit", "enforcement_north", "enforcement_mean", "humanitarian_visas",
    "asylum_capacity", "mpp_acceptance", "safe_third_country", "arrivals_per_day", "stranded",
    "backlog", "deportations_unscreened", "fiscal_cost_musd", "sanction_probability",
)  # fmt: skip


# ------------------------------------------------------------------------------ scenarios
@functools.lru_cache(maxsize=8)
def _scenario(name: str) -> Any:
    from corredor.scenario.corridor import load_corridor_scenario
    from corredor.scenario.corridor.builtin import builtin_corridor_scenarios

    if name not in builtin_corridor_scenarios():
        raise NotFoundError(f"no corridor scenario {name!r} (GET /api/scenarios lists them)")
    return load_corridor_scenario(name)


def list_scenarios() -> list[dict[str, Any]]:
    from corredor.scenario.builtin import builtin_flee_scenarios
    from corredor.scenario.corridor.builtin import builtin_corridor_scenarios

    out = []
    for name in sorted(builtin_corridor_scenarios()):
        sc = _scenario(name)
        out.append(
            {
                "name": name,
                "kind": "corridor",
                "description": sc.description,
                "start": sc.start.isoformat(),
                "end": sc.end.isoformat(),
                "days": (sc.end - sc.start).days + 1,
            }
        )
    out += [
        {"name": n, "kind": "flee", "description": "Flee scenario", "start": None, "end": None}
        for n in sorted(builtin_flee_scenarios())
    ]
    return out


def _event_dict(e: Any, origin: str) -> dict[str, Any]:
    return {
        "id": str(e.id),
        "name": str(e.name),
        "start": e.start.isoformat(),
        "end": e.end.isoformat() if getattr(e, "end", None) else None,
        "country": str(getattr(e, "country", "") or ""),
        "policy_area": str(getattr(e, "policy_area", "") or ""),
        "magnitude": str(getattr(e, "magnitude", "") or ""),
        "source": str(getattr(e, "source", "") or ""),
        "notes": str(getattr(e, "notes", "") or ""),
        "origin": origin,
        "levers": sorted(
            {
                str(c.value)[1:]
                for c in getattr(e, "changes", ())
                if isinstance(c.value, str) and c.value.startswith("$")
            }
        ),
    }


@functools.lru_cache(maxsize=8)
def _counterfactuals(name: str) -> tuple[tuple[str, Any], ...]:
    """(file stem, event) of the scenario's shipped counterfactual event files."""
    from corredor.scenario.corridor.loader import load_scenario_events

    sc = _scenario(name)
    folder = sc.base_dir / "counterfactuals"
    out: list[tuple[str, Any]] = []
    if folder.is_dir():
        for f in sorted(folder.glob("*.yaml")):
            out += [(f.stem, e) for e in load_scenario_events(sc, f)]
    return tuple(out)


def scenario_events(name: str) -> list[dict[str, Any]]:
    return list(_scenario_events(name))


@functools.lru_cache(maxsize=8)
def _scenario_events(name: str) -> tuple[dict[str, Any], ...]:
    sc = _scenario(name)
    history = [_event_dict(e, "history") for e in sc.events]
    extra = [_event_dict(e, "counterfactual") for _, e in _counterfactuals(name)]
    return tuple(sorted(history, key=lambda e: e["start"]) + extra)


def scenario_levers(name: str) -> list[dict[str, Any]]:
    """Every named parameter the user may set: levers first, then the calibrated or hand-set
    parameters, each with meaning, unit, range, historical value and source."""
    from corredor.scenario.corridor.calibrated import calibrated_parameters

    sc = _scenario(name)
    fitted = calibrated_parameters(sc)
    out = []
    for pname, p in sc.calibration.items():
        historical = float(fitted.get(pname, p.default))
        out.append(
            {
                "name": pname,
                "status": p.status,
                "description": p.description,
                "unit": p.unit,
                "range": [float(p.range[0]), float(p.range[1])],
                "default": float(p.default),
                "value": historical,
                "source": p.source or "",
            }
        )
    out.sort(key=lambda d: (d["status"] != "lever", d["name"]))
    return out


def scenario_detail(name: str) -> dict[str, Any]:
    sc = _scenario(name)
    return {
        "name": sc.name,
        "description": sc.description,
        "start": sc.start.isoformat(),
        "end": sc.end.isoformat(),
        "days": (sc.end - sc.start).days + 1,
        "calibration_horizon": (
            sc.calibration_horizon.isoformat() if sc.calibration_horizon else None
        ),
        "people_per_agent": sc.people_per_agent,
        "observables": [
            {
                "name": o.name,
                "description": o.description,
                "unit": o.unit,
                "frequency": o.frequency,
                "fit": o.fit,
                "note": o.note,
                "data_file": o.data.file if o.data is not None else None,
            }
            for o in sc.observables
        ],
    }


def validate_scenario(name: str) -> dict[str, Any]:
    sc = _scenario(name)
    return {"ok": True, "name": sc.name, "observables": len(sc.observables)}


def check_request(req: RunRequest) -> None:
    """Refuse, before queueing, what the run would refuse: unknown names, values outside their
    ranges, events that do not exist."""
    sc = _scenario(req.scenario)
    for k, v in req.levers.items():
        p = sc.calibration.get(k)
        if p is None:
            raise BadRequestError(
                f"levers.{k}: no such lever or parameter in {req.scenario} "
                f"(GET /api/scenarios/{req.scenario}/levers lists them)"
            )
        lo, hi = p.range
        if not lo <= v <= hi:
            unit = f" {p.unit}" if p.unit else ""
            raise BadRequestError(f"levers.{k}: {v:g} is outside its range [{lo:g}, {hi:g}]{unit}")
    ids = {e["id"]: e["origin"] for e in scenario_events(req.scenario)}
    for x in req.without_events:
        if ids.get(x) != "history":
            raise BadRequestError(f"without_events: {x!r} is not one of {req.scenario}'s events")
    for x in req.with_events:
        if ids.get(x) != "counterfactual":
            raise BadRequestError(
                f"with_events: {x!r} is not one of {req.scenario}'s counterfactual events"
            )


def scenario_days(name: str) -> int:
    sc = _scenario(name)
    return int((sc.end - sc.start).days + 1)


# ------------------------------------------------------------------------------ execution
def _code_version() -> str:
    from importlib.metadata import version

    v = version("corredor")
    try:
        here = Path(__file__).resolve().parent
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev = ""
    return f"{v}+g{rev}" if rev else v


def _sha256(path: Path, root: Path | None = None) -> str:
    from corredor.files.read import read_bytes  # the one reader of input files

    return hashlib.sha256(read_bytes(path, root=root)).hexdigest()


def execute(
    req: RunRequest,
    store: Path,
    kind: Kind,
    progress: ProgressFn | None,
    *,
    max_agents: int | None = None,
) -> str:
    """Run ``req`` and save it in ``store``; returns the new run id. Runs in a worker process.
    ``max_agents`` (people, at full scale) stops a run that creates more."""
    from corredor.results.corridor import AgentBudgetError
    from corredor.simulation.corridor import run_corridor
    from corredor.store.store import make_run_id

    check_request(req)
    sc = _scenario(req.scenario)
    if req.people_per_agent != sc.people_per_agent:
        sc = sc.model_copy(update={"people_per_agent": req.people_per_agent})
    extra = tuple(e for _, e in _counterfactuals(req.scenario) if str(e.id) in req.with_events)
    if req.without_events:
        kept = tuple(e for e in sc.events if str(e.id) not in req.without_events)
        sc = sc.model_copy(update={"events": kept})
    # explicit values override the calibrated file, which overrides the scenario's defaults
    calibration = dict(req.levers) or None
    budget = None if max_agents is None else max(max_agents // req.people_per_agent, 1)
    try:
        result = run_corridor(
            sc, seed=req.seed, days=req.days, calibration=calibration, extra_events=extra,
            progress=progress, max_agents=budget,
        )  # fmt: skip
    except AgentBudgetError as exc:
        raise BadRequestError(
            f"the run was stopped on day {exc.day}: it created over {max_agents:,} people, this "
            "service's limit (--max-agents); choose lever values nearer their historical ones"
        ) from None
    created = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    run_id = make_run_id(req.scenario, created)
    while (store / run_id).exists():
        run_id = make_run_id(req.scenario, created)
    tmp = store / f".tmp-web-{run_id}"
    result.write(tmp)
    c = result.compiled
    import numpy as np

    from corredor.rules.corridor.compiled import KIND_CODES

    kinds = {v: k for k, v in KIND_CODES.items()}

    geography = {
        "locations": [
            {
                "name": c.loc_names[i],
                "kind": kinds.get(int(c.loc_kind[i]), "place"),
                "lat": None if np.isnan(c.loc_lat[i]) else float(c.loc_lat[i]),
                "lon": None if np.isnan(c.loc_lon[i]) else float(c.loc_lon[i]),
            }
            for i in range(len(c.loc_names))
        ],
        "links": [[int(a), int(b)] for a, b in zip(c.link_from, c.link_to, strict=True)],
    }
    cal_file = sc.base_dir / "calibrated.yaml"
    provenance = {
        "run_id": run_id,
        "kind": kind,
        "created": created.isoformat() + "Z",
        "scenario": req.scenario,
        "scenario_hash": _sha256(sc.path, sc.base_dir) if sc.path else None,
        "calibration_file": cal_file.name if cal_file.is_file() and not req.levers else None,
        "calibration_hash": _sha256(cal_file, sc.base_dir) if cal_file.is_file() else None,
        "levers": dict(req.levers),
        "events_removed": list(req.without_events),
        "events_added": list(req.with_events),
        "seed": req.seed,
        "days": result.days,
        "start": result.start.isoformat(),
        "people_per_agent": req.people_per_agent,
        "agents": int(result.agents),
        "seconds": round(float(result.seconds), 3),
        "code_version": _code_version(),
        "request": req.model_dump(mode="json"),
        "request_key": req.key(),
    }
    (tmp / GEOGRAPHY_FILE).write_text(json.dumps(geography), encoding="utf-8")
    (tmp / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=1), encoding="utf-8")
    with open(tmp / PROVENANCE_FILE, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, store / run_id)
    return run_id


def execute_bargain(req: BargainRequest, store: Path, progress: ProgressFn | None) -> str:
    """Solve the game for every (exposure, credibility) pair and save the sweep in ``store``."""
    from corredor.bargaining.calibration import default
    from corredor.bargaining.sweep import sweep
    from corredor.store.store import make_run_id

    if progress is not None:
        progress(0, 1)
    t0 = dt.datetime.now(dt.UTC)
    df = sweep(req.exposures, req.credibilities, review_days=req.review_days)
    created = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    run_id = make_run_id(f"{req.scenario}-bargain", created)
    tmp = store / f".tmp-web-{run_id}"
    tmp.mkdir(parents=True)
    df[list(SWEEP_COLUMNS)].to_parquet(tmp / SWEEP_FILE, index=False)
    prov: dict[str, Any] = {
        "run_id": run_id,
        "kind": "bargain",
        "created": created.isoformat() + "Z",
        "scenario": req.scenario,
        "seed": None,
        "days": req.review_days,
        "start": str(df["start"].iloc[0]),
        "people_per_agent": 1,
        "levers": {},
        "events_removed": [],
        "events_added": [],
        "export_share_data": float(default("export_share")),
        "seconds": round((dt.datetime.now(dt.UTC) - t0).total_seconds(), 3),
        "code_version": _code_version(),
        "request": req.model_dump(mode="json"),
        "request_key": req.key(),
    }
    (tmp / PROVENANCE_FILE).write_text(json.dumps(prov, indent=1), encoding="utf-8")
    os.replace(tmp, store / run_id)
    if progress is not None:
        progress(0, 1)
    return run_id


def bargain_sweep(store: Path, run_id: str) -> list[dict[str, Any]]:
    import pandas as pd

    path = _run_dir(store, run_id)
    if provenance(store, run_id).get("kind") != "bargain":
        raise BadRequestError(f"{run_id} is not a bargaining sweep")
    frame = pd.read_parquet(path / SWEEP_FILE)
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]


def set_threads(threads: int) -> None:
    """Numba threads of this worker process (clamped to numba's pool)."""
    from corredor.ensemble.backends import set_numba_threads

    set_numba_threads(threads)


def warm_up() -> None:
    """Load the built-in scenarios and compile the model's kernels (a two-day run), so that a
    worker's first real request does not pay for them."""
    from corredor.scenario.corridor.builtin import builtin_corridor_scenarios
    from corredor.simulation.corridor import run_corridor

    for name in sorted(builtin_corridor_scenarios()):
        sc = _scenario(name)
        _counterfactuals(name)
        run_corridor(sc.model_copy(update={"people_per_agent": 1000}), seed=0, days=2)


# ------------------------------------------------------------------------------ reading
_lock = threading.Lock()


def _run_dir(store: Path, run_id: str) -> Path:
    if not _ID_RE.match(run_id):
        raise NotFoundError(f"{run_id!r} is not a run id")
    path = store / run_id
    if not (path / PROVENANCE_FILE).is_file():
        raise NotFoundError(f"no run {run_id!r} in the results store")
    return path


def list_runs(store: Path) -> list[dict[str, Any]]:
    """Every stored result's provenance, oldest first (cached until the store's folder changes:
    a run is added or deleted by renaming its folder, which changes the folder's mtime)."""
    try:
        stamp = store.stat().st_mtime_ns
    except OSError:
        return []
    return list(_list_runs_cached(str(store), stamp))


@functools.lru_cache(maxsize=4)
def _list_runs_cached(root: str, stamp: int) -> tuple[dict[str, Any], ...]:
    store = Path(root)
    out = []
    for entry in sorted(store.iterdir()) if store.is_dir() else []:
        if entry.name.startswith(".") or not (entry / PROVENANCE_FILE).is_file():
            continue
        try:
            out.append(provenance(store, entry.name))
        except (NotFoundError, ValueError, OSError):
            continue
    out.sort(key=lambda p: (p["created"], p["run_id"]))
    return tuple(out)


def provenance(store: Path, run_id: str) -> dict[str, Any]:
    path = _run_dir(store, run_id) / PROVENANCE_FILE
    return _provenance_cached(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _provenance_cached(path: str, mtime: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


def find_run(store: Path, key: str) -> str | None:
    """The newest finished run of a request with this key, if the store has one."""
    hits = [p["run_id"] for p in list_runs(store) if p.get("request_key") == key]
    return hits[-1] if hits else None


def delete_run(store: Path, run_id: str) -> None:
    path = _run_dir(store, run_id)
    trash = store / f".tmp-web-deleted-{run_id}"
    with _lock:
        os.replace(path, trash)
    shutil.rmtree(trash, ignore_errors=True)
    _tables.cache_clear()


@functools.lru_cache(maxsize=32)
def _tables(store: str, run_id: str) -> dict[str, Any]:
    import pandas as pd

    path = _run_dir(Path(store), run_id)
    kind = provenance(Path(store), run_id).get("kind")
    if kind not in ("run", "preview"):
        raise BadRequestError(f"{run_id} is a {kind} result, not a corridor run")
    return {
        "monthly": pd.read_csv(path / "monthly.csv", index_col="month", parse_dates=["month"]),
        "observed": pd.read_csv(path / "observed_vs_simulated.csv"),
        "ledger": pd.read_csv(path / "ledger.csv", index_col="year"),
        "stranded": pd.read_parquet(path / "stranded.parquet"),
        "events": pd.read_parquet(path / "events.parquet"),
        "people_vs_events": pd.read_csv(path / "people_vs_events.csv"),
        "geography": json.loads((path / GEOGRAPHY_FILE).read_text(encoding="utf-8")),
    }


def tables(store: Path, run_id: str) -> dict[str, Any]:
    """The run's results as tidy pandas frames (and its geography)."""
    return _tables(str(store), run_id)


def recover(store: Path) -> None:
    """Remove what a killed service left half-written in the store."""
    for entry in store.glob(".tmp-web-*") if store.is_dir() else ():
        shutil.rmtree(entry, ignore_errors=True)


@functools.lru_cache(maxsize=8)
def scenario_observables(name: str) -> dict[str, dict[str, Any]]:
    return {o["name"]: o for o in scenario_detail(name)["observables"]}


def data_sources(name: str, files: Iterable[str]) -> dict[str, list[str]]:
    """The distinct ``source`` values of each observed data file (what a chart cites)."""
    return _data_sources(name, tuple(sorted(files)))


@functools.lru_cache(maxsize=16)
def _data_sources(name: str, files: tuple[str, ...]) -> dict[str, list[str]]:
    from corredor.scenario.corridor.tables import read_csv_records  # the one reader

    sc = _scenario(name)
    out: dict[str, list[str]] = {}
    for f in files:
        # inside the scenario folder, a regular file, capped, UTF-8 with or without a BOM
        header, records = read_csv_records(sc.base_dir / f, f, root=sc.base_dir)
        if "source" not in header:
            out[f] = []
            continue
        col = header.index("source")
        seen = dict.fromkeys(fields[col].strip() for _, fields in records if col < len(fields))
        out[f] = [s for s in seen if s]
    return out
