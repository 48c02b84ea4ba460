"""The web service's adapter to the use-case layer (:mod:`corredor.app`) and the one results store.

The web takes small JSON requests (a scenario, lever values, event ids, a seed, days, a preview
flag) and turns them into the app layer's typed requests (:class:`corredor.app.RunRequest`,
:class:`~corredor.app.EnsembleRequest`, :class:`~corredor.app.ForecastRequest`,
:class:`~corredor.app.BargainRequest`, :class:`~corredor.app.StudyRequest`); the worker
processes of :mod:`corredor.web.jobs` call the app's use cases with them, which store every
result in the one :class:`~corredor.store.ResultsStore` (``--store``) with its provenance. So a
run made in the browser is listed by ``corredor runs`` and reported by ``corredor report``, and a
run made on the command line opens in the browser.

Reading goes through the store too: the catalogue (one DuckDB query, parsed once per change of
the catalogue) for listings and for answering an identical request at once, and each run's
stored record (its tidy Parquet tables and provenance, cached: results never change once
stored) for the views of :mod:`corredor.web.views`.

Nothing here takes a path from a request: counterfactual events are chosen by id among the
scenario's shipped files, scenarios among the built-in ones, runs by id inside the store.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from corredor.errors import CorredorError

if TYPE_CHECKING:
    import pandas as pd

    from corredor.results.record import Record
    from corredor.store import ResultsStore

ProgressFn = Callable[[float, float, str], None]
"""Called with (done, total, what), as the app layer's use cases do."""
OnStart = Callable[[str], None]
"""Called with the run id once the use case has catalogued its run ``running``."""

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_NAME_RE = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$"
#: request fields that do not change a result (left out when two requests are compared)
_NOT_RESULT = frozenset({"workers", "scheduler", "threads", "max_agents", "reuse_baseline"})


class NotFoundError(CorredorError):
    """A scenario, run or event that does not exist (HTTP 404)."""


class BadRequestError(CorredorError):
    """A request that names something invalid for its scenario (HTTP 422)."""


# ------------------------------------------------------------------------------ requests
class _Inputs(BaseModel):
    """What every corridor request of the web app sets: a built-in scenario, lever values,
    policy events left out (ids of the scenario's history) or added (ids of its shipped
    counterfactuals), seed and days."""

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
        default=(),
        description="Ids of the scenario's counterfactual events to add (GET "
        "/api/scenarios/{name}/events lists them with the counterfactual each belongs to); "
        "exactly these are added.",
    )

    @field_validator("levers")
    @classmethod
    def _finite(cls, v: dict[str, float]) -> dict[str, float]:
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
        return _digest({"type": type(self).__name__, **self.model_dump(mode="json")})

    def inputs(self) -> dict[str, Any]:
        """The app layer's fields for these inputs (``set``, ``without_events``, ``events``)."""
        fields: dict[str, Any] = {"scenario": self.scenario, "seed": self.seed}
        if self.days is not None:
            fields["days"] = self.days
        if self.levers:
            fields["set"] = dict(sorted(self.levers.items()))
        if self.without_events:
            fields["without_events"] = list(self.without_events)
        if self.with_events:
            fields["events"] = list(self.with_events)  # ids: the app adds exactly these
        return fields


class RunRequest(_Inputs):
    """One corridor run, as the web app asks for it. It becomes a
    :class:`corredor.app.RunRequest` (``levers`` → ``set``, ``with_events`` → ``events``, the
    shipped counterfactual events by id).

    ``people_per_agent`` above 1 asks for a *preview*: the same model with each agent standing
    for that many people, its counts scaled back (more noise, stated on every chart).
    """

    people_per_agent: int = Field(
        default=1, ge=1, le=10_000, description="Above 1: a reduced-scale preview."
    )
    levers_from: str | None = Field(
        default=None,
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        description="The levers take effect on this date (YYYY-MM-DD) instead of the first "
        "day; before it the run is the calibration's. A preview then starts from the kept "
        "baseline on that date. Refused for a lever the model also reads as a constant.",
    )
    reuse_baseline: bool = Field(
        default=True,
        description="A preview (people_per_agent above 1) starts from the state of its "
        "baseline (the same request without levers and events, kept by the service's preview "
        "worker) on the first day the two differ, and simulates only the days from there: the "
        "same result, bit for bit. False: every day simulated. Full runs simulate every day.",
    )

    def to_app(self, max_agents: int | None = None) -> Any:
        return to_app(self, max_agents=max_agents)


Sets = Literal["point", "calibrated", "uncalibrated"]


class EnsembleRequest(_Inputs):
    """A corridor ensemble (``corredor ensemble``): parameter sets × seeds with common random
    numbers, summarised as medians and 90 % bands; with ``counterfactual``, the same sets and
    seeds again with those counterfactual events added, and the paired difference."""

    replicas: int = Field(default=4, ge=1, le=64, description="Seeds per parameter set.")
    sets: Sets = Field(
        default="point",
        description="'point' (the calibration's point fit), 'calibrated' (its plausible sets) or "
        "'uncalibrated' (the hand-set defaults).",
    )
    max_sets: int | None = Field(
        default=None, ge=1, le=64, description="Keep at most this many parameter sets."
    )
    counterfactual: tuple[str, ...] = Field(
        default=(),
        description="Ids of the scenario's counterfactual events: also run with them added "
        "(same sets and seeds) and store the paired difference.",
    )

    @field_validator("counterfactual")
    @classmethod
    def _cf(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return cls._ids(v)

    def to_app(self) -> Any:
        from corredor.app import EnsembleRequest as AppEnsemble

        fields = self.inputs()
        fields.update(replicas=self.replicas, sets=self.sets)
        if self.max_sets is not None:
            fields["max_sets"] = self.max_sets
        if self.counterfactual:
            fields["counterfactual"] = list(self.counterfactual)
        return AppEnsemble(**fields)


class ForecastRequest(BaseModel):
    """A forecast past the calibration horizon (``corredor forecast``), with 90 % bands: ex ante
    (the policies in force at the horizon and those announced by it), or conditional on a policy
    path the user chooses among the scenario's shipped ones, which every output then says."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str = Field(pattern=_NAME_RE, description="A built-in corridor scenario.")
    until: str = Field(
        pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="Last month forecast, YYYY-MM."
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    replicas: int = Field(default=4, ge=1, le=64, description="Seeds per parameter set.")
    sets: Sets = Field(default="calibrated", description="As for an ensemble.")
    max_sets: int | None = Field(default=None, ge=1, le=64)
    policy_path: str | None = Field(
        default=None,
        pattern=_NAME_RE,
        description="A policy path shipped with the scenario (GET /api/scenarios/{name} lists "
        "them): the forecast is then conditional on it. None: ex ante.",
    )
    discrepancy: bool = Field(
        default=True, description="Widen the encounter bands by the model discrepancy."
    )

    def key(self) -> str:
        return _digest({"type": "ForecastRequest", **self.model_dump(mode="json")})

    def to_app(self) -> Any:
        from corredor.app import ForecastRequest as AppForecast

        fields: dict[str, Any] = {
            "scenario": self.scenario, "until": self.until, "seed": self.seed,
            "replicas": self.replicas, "sets": self.sets, "discrepancy": self.discrepancy,
        }  # fmt: skip
        if self.max_sets is not None:
            fields["max_sets"] = self.max_sets
        if self.policy_path is not None:
            paths = policy_paths(self.scenario)
            if self.policy_path not in paths:
                raise BadRequestError(
                    f"policy_path: {self.policy_path!r} is not one of {self.scenario}'s policy "
                    f"paths ({', '.join(paths) or 'none'})"
                )
            fields["policy_path"] = paths[self.policy_path]
        return AppForecast(**fields)


def _digest(body: dict[str, Any]) -> str:
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


BARGAIN_SCENARIOS = ("mexico-us",)  # scenarios with a bargaining episode (the June 2019 threat)


class BargainRequest(BaseModel):
    """The US–Mexico threat game swept over Mexico's exposure (share of its exports sold to the
    United States) and the threat's credibility: the feasible policy space and the chosen policy
    of one review period under the June 2019 tariff threat (``corredor bargain --mode sweep``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: Literal["mexico-us"] = "mexico-us"
    review_days: int = Field(default=90, ge=7, le=365)

    def key(self) -> str:
        return "bargain-" + _digest(self.model_dump(mode="json"))

    def to_app(self) -> Any:
        from corredor.app import BargainRequest as AppBargain

        return AppBargain(scenario=self.scenario, mode="sweep", review_days=self.review_days)


class StudyRequest(BaseModel):
    """Run a built-in study (``corredor study NAME``) through the store, resumably: its tasks
    are stored as they finish, so asking again continues where it stopped."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    study: str = Field(pattern=_NAME_RE, description="A built-in study (GET /api/studies).")
    runs: int | None = Field(
        default=None, ge=1, le=64, description="Runs per variant (default: the study file's)."
    )
    max_sets: int | None = Field(default=None, ge=1, le=64)

    def key(self) -> str:
        return _digest({"type": "StudyRequest", **self.model_dump(mode="json")})

    def to_app(self) -> Any:
        from corredor.app import StudyRequest as AppStudy

        if self.study not in studies():
            raise BadRequestError(
                f"study: no built-in study {self.study!r} ({', '.join(studies()) or 'none'})"
            )
        fields: dict[str, Any] = {"study": self.study}
        if self.runs is not None:
            fields["runs"] = self.runs
        if self.max_sets is not None:
            fields["max_sets"] = self.max_sets
        return AppStudy(**fields)


SWEEP_COLUMNS = (
    "exposure", "credibility", "feasible_share", "relative_size", "feasible_min_enforcement",
    "feasible_max_visas", "in_feasible_space", "distance_from_preferred", "enforcement_south",
    "enforcement_transit", "enforcement_north", "enforcement_mean", "humanitarian_visas",
    "asylum_capacity", "mpp_acceptance", "safe_third_country", "arrivals_per_day", "stranded",
    "backlog", "deportations_unscreened", "fiscal_cost_musd", "sanction_probability",
)  # fmt: skip


# ------------------------------------------------------------------------------ scenarios
@functools.lru_cache(maxsize=1)
def _builtin() -> frozenset[str]:
    from corredor.scenario.corridor import builtin_corridor_scenarios

    return frozenset(builtin_corridor_scenarios())


@functools.lru_cache(maxsize=16)
def _scenario(ref: str) -> Any:
    """A built-in corridor scenario by name, or — for a result stored from a scenario file of
    the user's (``scenario_ref`` of its catalogue row) — that file by its absolute path. A
    request's scenario name never holds a ``/``, so it never reaches a file."""
    from corredor.scenario.corridor import load_corridor_scenario

    if ref in _builtin() or (ref.startswith("/") and Path(ref).is_file()):
        return load_corridor_scenario(ref)
    raise NotFoundError(f"no corridor scenario {ref!r} (GET /api/scenarios lists them)")


def scenario_ref(name: str, path: str | None) -> str:
    """What :func:`_scenario` loads a stored result's scenario by: its built-in name, else the
    absolute path of the file it was run from (when that file is still there)."""
    if name in _builtin() or not path or not path.startswith("/"):
        return name
    return path if Path(path).is_file() else name


def load_scenario(name: str) -> Any:
    """A built-in corridor scenario, loaded once per process (404 for another name)."""
    return _scenario(name)


def list_scenarios() -> list[dict[str, Any]]:
    from corredor.app.scenarios import builtin_scenarios

    out = []
    for s in builtin_scenarios():
        if s.kind == "corridor":
            sc = _scenario(s.name)
            out.append(
                {
                    "name": s.name,
                    "kind": "corridor",
                    "description": sc.description,
                    "start": sc.start.isoformat(),
                    "end": sc.end.isoformat(),
                    "days": (sc.end - sc.start).days + 1,
                }
            )
        else:
            out.append(
                {"name": s.name, "kind": s.kind, "description": s.description,
                 "start": None, "end": None}
            )  # fmt: skip
    return out


def _event_dict(e: Any, counterfactual: str | None = None) -> dict[str, Any]:
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
        "origin": "history" if counterfactual is None else "counterfactual",
        "counterfactual": counterfactual,
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
    """(counterfactual, event) of the events the scenario ships for adding to a run
    (:func:`corredor.app.inputs.added_events`: ``counterfactuals/NAME.yaml``), in file order."""
    from corredor.app.inputs import added_events

    return tuple((a.counterfactual, a.event) for a in added_events(_scenario(name)).values())


def scenario_events(name: str) -> list[dict[str, Any]]:
    """The scenario's policy events in date order (``origin: history``), then those it ships
    for adding to a run (``origin: counterfactual``, ``counterfactual``: the name of the
    counterfactual they belong to), as ``corredor scenario events NAME`` lists them."""
    return list(_scenario_events(name))


@functools.lru_cache(maxsize=8)
def _scenario_events(name: str) -> tuple[dict[str, Any], ...]:
    sc = _scenario(name)
    history = [_event_dict(e) for e in sc.events]
    extra = [_event_dict(e, cf) for cf, e in _counterfactuals(name)]
    return tuple(sorted(history, key=lambda e: e["start"]) + extra)


def scenario_levers(name: str) -> list[dict[str, Any]]:
    """Every named parameter the user may set (``corredor scenario levers NAME --all``): levers
    first, then the calibrated or hand-set parameters, each with meaning, unit, range,
    historical value and source."""
    from corredor.app.scenarios import levers

    sc = _scenario(name)
    table = levers(name, everything=True)
    out = []
    for row in table.to_dict(orient="records"):
        p = sc.calibration[row["name"]]
        out.append(
            {
                "name": str(row["name"]),
                "group": str(row["group"]),
                "status": p.status,
                "description": str(row["meaning"] or ""),
                "unit": str(row["unit"] or ""),
                "range": [float(row["low"]), float(row["high"])],
                "default": float(p.default),
                "value": float(row["historical"]),
                "source": str(p.source or ""),
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
        "policy_paths": list(policy_paths(name)),
        "calibrated_sets": calibrated_sets(name),
        "counterfactuals": sorted({cf for cf, _ in _counterfactuals(name)}),
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
    from corredor.app.scenarios import describe

    _scenario(name)
    summary = describe(name)
    return {
        "ok": True,
        "name": summary.name,
        "summary": summary.line,
        "warnings": list(summary.warnings),
        "observables": len(_scenario(name).observables),
    }


def scenario_days(name: str) -> int:
    sc = _scenario(name)
    return int((sc.end - sc.start).days + 1)


def policy_paths(name: str) -> dict[str, str]:
    """The policy paths shipped with a scenario (``policy_path_*.yaml`` in its folder): name ->
    file. A forecast on one of them is conditional on it."""
    sc = _scenario(name)
    return {f.stem: str(f) for f in sorted(sc.base_dir.glob("policy_path_*.yaml"))}


def calibrated_sets(name: str) -> int:
    """How many plausible parameter sets the scenario's shipped calibration has (1: a point
    fit only)."""
    from corredor.scenario.corridor.calibrated import load_calibrated

    cal = load_calibrated(_scenario(name))
    return max(len(cal.ensemble), 1) if cal is not None and cal.ensemble else 1


def check_request(req: _Inputs) -> None:
    """Refuse, before queueing, what the run would refuse: unknown names, values outside their
    ranges, events that do not exist (the app layer checks them again in the worker)."""
    from corredor.app.inputs import check_levers
    from corredor.app.requests import RequestError

    sc = _scenario(req.scenario)
    try:
        check_levers(sc, req.levers)
    except RequestError as exc:
        raise BadRequestError("levers." + str(exc).removeprefix("--set ")) from None
    ids = {e["id"]: e["origin"] for e in scenario_events(req.scenario)}
    for x in getattr(req, "counterfactual", ()):
        if ids.get(x) != "counterfactual":
            raise BadRequestError(
                f"counterfactual: {x!r} is not one of {req.scenario}'s counterfactual events"
            )
    for x in req.without_events:
        if ids.get(x) != "history":
            raise BadRequestError(f"without_events: {x!r} is not one of {req.scenario}'s events")
    for x in req.with_events:
        if ids.get(x) != "counterfactual":
            raise BadRequestError(
                f"with_events: {x!r} is not one of {req.scenario}'s counterfactual events"
            )
    if getattr(req, "levers_from", None) is not None:
        from corredor.app.inputs import inputs_of

        try:  # the date, the levers, and that none is read as a constant (cached per process)
            inputs_of(to_app(req))  # type: ignore[arg-type]
        except RequestError as exc:
            raise BadRequestError("levers_from: " + str(exc).removeprefix("--set-from ")) from None


def to_app(req: RunRequest, *, max_agents: int | None = None) -> Any:
    """The app layer's :class:`corredor.app.RunRequest` for a web request; ``max_agents``
    (people, at full scale) stops a run that creates more."""
    from corredor.app import RunRequest as AppRun

    fields = req.inputs()
    if req.levers_from is not None:
        fields["set_from"] = req.levers_from
    if req.people_per_agent > 1:
        fields["people_per_agent"] = req.people_per_agent
        if req.reuse_baseline:
            fields["reuse_baseline"] = True
    if max_agents is not None:
        fields["max_agents"] = max(max_agents // req.people_per_agent, 1)
    return AppRun(**fields)


# ------------------------------------------------------------------------------ the store
_stores: dict[str, ResultsStore] = {}
_lock = threading.RLock()


def open_store(root: Path) -> ResultsStore:
    """The results store at ``root`` (opened once per process; opening repairs what a killed
    process left half-written)."""
    from corredor.store import ResultsStore

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
    for rec in frame.to_dict(orient="records"):
        row = _row({str(k): v for k, v in rec.items()})
        rows.append(row)
        if row.get("request_key") and row["parent"] is None and row["status"] in FINISHED:
            index[row["request_key"]] = row["run_id"]
    cat = _Catalogue(rows, index)
    with _lock:
        _catalogues[key] = (stamp, cat)
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
    return _digest(body)


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
    from corredor.app.inputs import resolve_calibration
    from corredor.store.corridor import scenario_sha256

    sc = _scenario(name)
    _, used, _ = resolve_calibration(sc, "shipped")
    return scenario_sha256(sc), used.sha256


def find_run(root: Path, req: RunRequest | EnsembleRequest | ForecastRequest) -> str | None:
    """The newest stored result (made here or on the command line) of exactly this request, on
    the scenario and calibration as they are now; None if there is none."""
    from corredor.app.common import request_json

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
    from corredor.store.layout import read_record_dir

    try:
        return read_record_dir(Path(root) / run_id)
    except (CorredorError, OSError):
        raise NotFoundError(f"no run {run_id!r} in the results store") from None


def delete_run(root: Path, run_id: str) -> list[str]:
    """Remove a stored result and the results that belong to it (``corredor runs --delete``)."""
    provenance(root, run_id)
    from corredor.app import DeleteRequest, delete

    removed = delete(DeleteRequest(run=run_id, with_children=True), open_store(root))
    invalidate(root)
    _record.cache_clear()
    _tables.cache_clear()
    _report_html.cache_clear()
    return removed


# ------------------------------------------------------------------------------ execution
def set_threads(threads: int) -> None:
    """Numba threads of this worker process (clamped to numba's pool)."""
    from corredor.ensemble.backends import set_numba_threads

    set_numba_threads(threads)


def warm_up() -> None:
    """Load the built-in scenarios and compile the model's kernels (a two-day run, not
    stored), so that a worker's first real request does not pay for them."""
    from corredor.app.simulation import simulate
    from corredor.scenario.corridor import builtin_corridor_scenarios

    for name in sorted(builtin_corridor_scenarios()):
        _counterfactuals(name)
        simulate(to_app(RunRequest(scenario=name, days=2, people_per_agent=1000)))


def execute(
    req: RunRequest,
    root: Path,
    progress: ProgressFn | None,
    *,
    max_agents: int | None = None,
    on_start: OnStart | None = None,
) -> str:
    """Run ``req`` through :func:`corredor.app.run` (which stores it) unless the store has it;
    returns the run id. Runs in a worker process."""
    from corredor.app import run
    from corredor.engine.loop import AgentBudgetError

    check_request(req)
    found = find_run(root, req)
    if found is not None:
        return found
    try:
        stored = run(
            to_app(req, max_agents=max_agents), open_store(root), progress, on_start=on_start
        )
    except AgentBudgetError as exc:
        raise BadRequestError(
            f"the run was stopped on day {exc.day}: it created over {max_agents or 0:,} people, "
            "this service's limit (--max-agents); choose lever values nearer their historical "
            "ones"
        ) from None
    return str(stored.run_id)


def execute_ensemble(
    req: EnsembleRequest,
    root: Path,
    progress: ProgressFn | None,
    on_start: OnStart | None = None,
) -> str:
    """Run a corridor ensemble through :func:`corredor.app.ensemble` (its counterfactual, when
    asked, is stored as its child) unless the store has it; returns its run id."""
    from corredor.app import ensemble

    check_request(req)
    found = find_run(root, req)
    if found is not None:
        return found
    return str(ensemble(req.to_app(), open_store(root), progress, on_start=on_start).run_id)


def execute_forecast(
    req: ForecastRequest,
    root: Path,
    progress: ProgressFn | None,
    on_start: OnStart | None = None,
) -> str:
    """Run a forecast through :func:`corredor.app.forecast` unless the store has it."""
    from corredor.app import forecast

    _scenario(req.scenario)
    found = find_run(root, req)
    if found is not None:
        return found
    return str(forecast(req.to_app(), open_store(root), progress, on_start=on_start).run_id)


@functools.lru_cache(maxsize=1)
def _studies() -> tuple[dict[str, Any], ...]:
    from corredor.app import list_studies

    return tuple(
        {**{str(k): v for k, v in r.items() if k != "file"},
         "title_es": _study_file(str(r["file"])).title_es or r["title"]}
        for r in list_studies().to_dict(orient="records")
    )  # fmt: skip


def studies() -> dict[str, dict[str, Any]]:
    """The built-in studies by name: ``study``, ``kind`` (counterfactual or room),
    ``scenario``, ``title``, ``title_es``."""
    return {str(r["study"]): dict(r) for r in _studies()}


@functools.lru_cache(maxsize=16)
def _study_file(ref: str) -> Any:
    from corredor.studies import load_study

    return load_study(ref)


def study_labels(prov: dict[str, Any]) -> dict[str, Any]:
    """A stored study's title, variants and outputs in English and Spanish (``{"en", "es"}``
    each, None where the study file has none; an output also with its ``measure`` and ``obs``,
    its observable), read from its study file: a built-in one by name, else the file it was
    run from (an absolute path in its catalogued request) while it is still there. Empty when
    the file is gone."""
    request = prov.get("request") or {}
    ref = str(request.get("study") or prov.get("label") or "")
    if ref not in studies() and not (ref.startswith("/") and Path(ref).is_file()):
        return {}
    try:
        s = _study_file(ref)
    except CorredorError:
        return {}

    return {
        "title": {"en": s.title, "es": s.title_es},
        "variants": {v.name: {"en": v.label, "es": v.label_es} for v in s.variants},
        # an output without labels is named by its measure (the page's table translates it)
        "outputs": {
            o.name: {"en": o.label, "es": o.label_es, "measure": o.measure, "obs": o.observable}
            for o in s.outputs
        },
    }


def list_studies(root: Path) -> list[dict[str, Any]]:
    """The built-in studies, each with its stored results (newest last)."""
    rows = [r for r in _catalogue(root).rows if r["store_kind"] == "study"]
    out = []
    for name, s in studies().items():
        stored = [r["run_id"] for r in rows if r["label"] == name]
        out.append({**s, "stored": stored})
    return out


def execute_study(
    req: StudyRequest,
    root: Path,
    progress: ProgressFn | None,
    on_start: OnStart | None = None,
) -> str:
    """Run a built-in study through :func:`corredor.app.study` (resuming from its stored
    tasks)."""
    from corredor.app import study

    return str(study(req.to_app(), open_store(root), progress, on_start=on_start).run_id)


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
    import tempfile

    from corredor.app import ReportRequest, report
    from corredor.files.read import read_bytes

    with tempfile.TemporaryDirectory(prefix="corredor-report-") as tmp:
        out = Path(tmp) / "report.html"
        report(ReportRequest(run=run_id, output=str(out)), open_store(Path(root)))
        return read_bytes(out, root=tmp, limit=256 * 1024 * 1024, what="report")


def execute_bargain(
    req: BargainRequest,
    root: Path,
    progress: ProgressFn | None,
    on_start: OnStart | None = None,
) -> str:
    """Solve the game for every (exposure, credibility) pair (:func:`corredor.app.bargain`)."""
    from corredor.app import bargain

    if progress is not None:
        progress(0, 1, "sweep")
    stored = bargain(req.to_app(), open_store(root), progress, on_start=on_start)
    return str(stored.run_id)


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


# ------------------------------------------------------------------------------ reading
@functools.lru_cache(maxsize=32)
def _tables(root: str, run_id: str) -> dict[str, Any]:
    import pandas as pd

    rec = _record(root, run_id)
    if rec.kind != "corridor":
        raise BadRequestError(f"{run_id} is a {rec.kind} result, not a corridor run")
    t = rec.tables
    monthly = t["monthly"].copy()
    monthly["month"] = pd.to_datetime(monthly["month"])
    wide = monthly.pivot(index="month", columns="observable", values="value")
    ledger = t["ledger"]
    led = ledger.pivot(index="year", columns="entry", values="value")
    led = led[list(pd.unique(ledger["entry"]))]
    stranded = t["stranded"].copy()
    stranded["date"] = pd.to_datetime(stranded["date"])
    waiting = stranded.pivot(index="date", columns="border_city", values="people")
    waiting = waiting[list(pd.unique(stranded["border_city"]))]
    events = t["events"].copy()
    events["month"] = pd.to_datetime(events["month"])
    locations = t["locations"]
    names = [str(x) for x in locations["name"]]
    at = {n: i for i, n in enumerate(names)}
    links = t["links"]
    return {
        "monthly": wide,
        "observed": t["observed_vs_simulated"],
        "ledger": led,
        "stranded": waiting,
        "events": events,
        "people_vs_events": t["people_vs_events"],
        "people_per_agent": int(rec.meta.get("people_per_agent") or 1),
        "geography": {
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
        },
    }


def tables(root: Path, run_id: str) -> dict[str, Any]:
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
