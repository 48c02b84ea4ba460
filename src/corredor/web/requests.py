"""The web app's requests and their translation into the use-case layer's.

The web takes small JSON requests (a scenario, lever values, event ids, a seed, days, a preview
flag) and turns them into the app layer's typed requests (:class:`corredor.app.RunRequest`,
:class:`~corredor.app.EnsembleRequest`, :class:`~corredor.app.ForecastRequest`,
:class:`~corredor.app.BargainRequest`, :class:`~corredor.app.StudyRequest`), which the worker
processes of :mod:`corredor.web.worker` run. :func:`check_request` refuses, before queueing,
what the run would refuse.

Nothing here takes a path from a request: counterfactual events are chosen by id among the
scenario's shipped files, scenarios among the built-in ones. The app layer's checks of
inputs are imported on first use, not when the service starts.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from corredor.app import BargainRequest as AppBargain
from corredor.app import EnsembleRequest as AppEnsemble
from corredor.app import ForecastRequest as AppForecast
from corredor.app import RequestError
from corredor.app import RunRequest as AppRun
from corredor.app import StudyRequest as AppStudy
from corredor.files.read import excerpt
from corredor.web.errors import BadRequestError
from corredor.web.scenarios import (
    bargaining_scenarios,
    load_scenario,
    policy_paths,
    scenario_events,
    studies,
)

_NAME_RE = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$"


class _Inputs(BaseModel):
    """What every corridor request of the web app sets: a built-in scenario, lever values,
    policy events left out (ids of the scenario's history) or added (ids of its shipped
    counterfactuals), seed and days."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str = Field(pattern=_NAME_RE, description="A built-in corridor scenario.")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, strict=True)
    days: int | None = Field(
        default=None, ge=1, strict=True, description="Default: the scenario's period."
    )
    levers: dict[str, Annotated[float, Field(strict=True)]] = Field(
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
                raise ValueError(f"{excerpt(k)} is not a parameter name")
            if not math.isfinite(x):
                raise ValueError(f"{k}: {x} is not a finite number")
        return v

    @field_validator("without_events", "with_events")
    @classmethod
    def _ids(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for x in v:
            if not re.match(_NAME_RE, x):
                raise ValueError(f"{excerpt(x)} is not an event id")
        return tuple(sorted(set(v)))

    def key(self) -> str:
        """A digest of the request's canonical form: identical requests, identical keys."""
        return digest({"type": type(self).__name__, **self.model_dump(mode="json")})

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
        default=1, ge=1, le=10_000, strict=True, description="Above 1: a reduced-scale preview."
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
        strict=True,
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

    replicas: int = Field(
        default=4, ge=1, le=64, strict=True, description="Seeds per parameter set."
    )
    sets: Sets = Field(
        default="point",
        description="'point' (the calibration's point fit), 'calibrated' (its plausible sets) or "
        "'uncalibrated' (the hand-set defaults).",
    )
    max_sets: int | None = Field(
        default=None,
        ge=1,
        le=64,
        strict=True,
        description="Keep at most this many parameter sets.",
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
    seed: int = Field(default=0, ge=0, le=2**31 - 1, strict=True)
    replicas: int = Field(
        default=AppForecast.model_fields["replicas"].default,  # as corredor forecast
        ge=1,
        le=64,
        strict=True,
        description="Seeds per parameter set (1, as corredor forecast: the calibrated sets in "
        "minutes; the full ensemble of docs/forecast.md is 4).",
    )
    sets: Sets = Field(default="calibrated", description="As for an ensemble.")
    max_sets: int | None = Field(default=None, ge=1, le=64, strict=True)
    policy_path: str | None = Field(
        default=None,
        pattern=_NAME_RE,
        description="A policy path shipped with the scenario (GET /api/scenarios/{name} lists "
        "them): the forecast is then conditional on it. None: ex ante.",
    )
    discrepancy: bool = Field(
        default=True, strict=True, description="Widen the encounter bands by the model discrepancy."
    )

    def key(self) -> str:
        return digest({"type": "ForecastRequest", **self.model_dump(mode="json")})

    def to_app(self) -> Any:
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


def digest(body: dict[str, Any]) -> str:
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


class BargainRequest(BaseModel):
    """The threat game of a scenario's bargaining episode (``bargaining.episode``: mexico-us's is
    the US tariff threat of June 2019) swept over the transit state's exposure (share of its
    exports sold to the hegemon) and the threat's credibility: the feasible policy space and the
    chosen policy of one review period from the first day of the sanctions (``corredor bargain
    --mode sweep``). The scenarios that ship the game's actors: ``GET /api/scenarios``, those
    with ``bargaining: true``; without ``scenario``, the first of them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str = Field(
        default="",
        pattern=r"^$|" + _NAME_RE,
        description="A built-in scenario that ships the game's actors (default: the first).",
    )
    review_days: int = Field(default=90, ge=7, le=365, strict=True)

    @model_validator(mode="after")
    def _scenario_of_the_game(self) -> BargainRequest:
        offered = bargaining_scenarios()
        if not self.scenario and offered:
            object.__setattr__(self, "scenario", offered[0])  # frozen: set once, here
        if self.scenario not in offered:
            raise BadRequestError(
                f"scenario: {excerpt(self.scenario or '(none)')} ships no bargaining actors; "
                f"the scenarios that do: {', '.join(offered) or 'none'}"
            )
        return self

    def key(self) -> str:
        return "bargain-" + digest(self.model_dump(mode="json"))

    def to_app(self) -> Any:
        return AppBargain(scenario=self.scenario, mode="sweep", review_days=self.review_days)


class StudyRequest(BaseModel):
    """Run a built-in study (``corredor study NAME``) through the store, resumably: its tasks
    are stored as they finish, so asking again continues where it stopped."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    study: str = Field(pattern=_NAME_RE, description="A built-in study (GET /api/studies).")
    runs: int | None = Field(
        default=None,
        ge=1,
        le=64,
        strict=True,
        description="Runs per variant (default: the study file's).",
    )
    max_sets: int | None = Field(default=None, ge=1, le=64, strict=True)

    def key(self) -> str:
        return digest({"type": "StudyRequest", **self.model_dump(mode="json")})

    def to_app(self) -> Any:
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


def check_request(req: _Inputs) -> None:
    """Refuse, before queueing, what the run would refuse: unknown names, values outside their
    ranges, events that do not exist (the app layer checks them again in the worker)."""
    from corredor.app.inputs import check_levers  # noqa: PLC0415 - first use

    sc = load_scenario(req.scenario)
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
        from corredor.app.inputs import inputs_of  # noqa: PLC0415 - first use

        try:  # the date, the levers, and that none is read as a constant (cached per process)
            inputs_of(to_app(req))  # type: ignore[arg-type]
        except RequestError as exc:
            raise BadRequestError("levers_from: " + str(exc).removeprefix("--set-from ")) from None


def to_app(req: RunRequest, *, max_agents: int | None = None) -> Any:
    """The app layer's :class:`corredor.app.RunRequest` for a web request; ``max_agents``
    (people, at full scale) stops a run that creates more."""
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
