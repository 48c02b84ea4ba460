"""Typed, validated requests: what the command line, the Python API and the web service ask for.

One pydantic model per use case. Each field is declared once, here, with its default, its
bounds, its choices and its help text; the command line (:mod:`corredor.cli`) builds its options
from these fields (``--days`` for ``days``, ``--set NAME=VALUE`` for ``set``, ``--event FILE``
for ``events``), the web service takes them as JSON bodies, and Python callers pass them as
keyword arguments (``corredor.run("mexico-us", days=30)``).

Field metadata (``json_schema_extra``) used by the faces:

* ``flag``: the command-line option when it is not ``--<field-name>`` (``--event`` for
  ``events``, ``--without-event`` for ``without_events``);
* ``metavar``: the placeholder shown in ``--help``;
* ``applies``: ``"flee"`` or ``"corridor"`` for an option that only one kind of scenario takes.
  Setting it for the other kind is an error (:class:`InapplicableOptionError`, exit status 2)
  that says so, never a silent no-op;
* ``cli``: False for a field the command line does not show.

Requests reject unknown fields (``extra="forbid"``), so a misspelt option is an error too.
"""

from __future__ import annotations

import datetime as dt
import shlex
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from corredor import dates
from corredor.errors import CorredorError
from corredor.files.read import excerpt

__all__ = [
    "SETS",
    "BacktestRequest",
    "BargainRequest",
    "CalibrateRequest",
    "CompareRequest",
    "DeleteRequest",
    "EnsembleRequest",
    "ForecastRequest",
    "InapplicableOptionError",
    "ListRequest",
    "ReportRequest",
    "Request",
    "RequestError",
    "RunRequest",
    "SensitivityRequest",
    "StudyRequest",
    "applies_to",
    "parse_until",
    "request_error",
]

ScenarioKind = Literal["flee", "corridor"]
Sets = Literal["point", "calibrated", "uncalibrated"]
#: The kinds of stored results (:data:`corredor.results.record.KINDS`).
Kind = Literal[
    "flee",
    "corridor",
    "corridor-ensemble",
    "forecast",
    "sensitivity",
    "calibration",
    "bargain",
    "backtest",
    "study",
    "study-task",
    "ensemble-member",
]
SETS: tuple[str, ...] = ("point", "calibrated", "uncalibrated")
#: The status of a catalogued run (:data:`corredor.store.catalogue.STATUSES`).
Status = Literal["running", "finished", "failed"]


class RequestError(CorredorError):
    """A request that cannot be carried out as given (a bad value, a conflict of options)."""


class InapplicableOptionError(RequestError):
    """An option given for a scenario of the kind it does not apply to."""


def request_error(exc: ValidationError, model: type[BaseModel]) -> RequestError:
    """One line per wrong field of a request, naming its command-line option: what the
    command line prints after ``error:`` (the web service answers 422 with the same text)."""
    lines = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ())]
        name = loc[0] if loc else ""
        field = model.model_fields.get(name)
        extra = field.json_schema_extra if field is not None else None
        flag = extra.get("flag") if isinstance(extra, dict) else None
        label = str(flag) if flag else ("--" + name.replace("_", "-") if name else "request")
        value = err.get("input")
        shown = "" if isinstance(value, dict) or value is None else f" {excerpt(value)}"
        message = str(err.get("msg", "is not valid"))
        lines.append(f"{label}{shown}: {message[0].lower()}{message[1:]}")
    return RequestError("; ".join(lines) or str(exc))


def option(
    default: Any = ...,
    help: str = "",
    *,
    flag: str | None = None,
    short: str | None = None,
    metavar: str | None = None,
    applies: ScenarioKind | None = None,
    cli: bool = True,
    **constraints: Any,
) -> Any:
    """A request field with its command-line metadata (module docstring)."""
    extra: dict[str, Any] = {"cli": cli}
    if flag is not None:
        extra["flag"] = flag
    if short is not None:
        extra["short"] = short
    if metavar is not None:
        extra["metavar"] = metavar
    if applies is not None:
        extra["applies"] = applies
    return Field(default, description=help, json_schema_extra=extra, **constraints)


def parse_until(text: str | dt.date, *, month_end: bool = True) -> dt.date:
    """``YYYY-MM`` (the month's last day) or ``YYYY-MM-DD``: one format for every ``--until``
    (:func:`corredor.dates.parse_until`); with ``month_end`` a full date is moved to the last
    day of its month (forecasts are made by month)."""
    return dates.parse_until(text, month_end=month_end, error=RequestError)


def _check_until(value: str | None) -> str | None:
    if value is not None:
        parse_until(value, month_end=False)
    return value


# ------------------------------------------------------------------------------ base classes
class Request(BaseModel):
    """Base of every request: unknown fields are errors, numbers are finite (NaN and infinity
    are refused by name, not as out of range); values are checked on creation."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _no_empty_text(self) -> Request:
        """An empty name, path or id (``--folder "$UNSET"``) is an error: as a path it meant the
        working folder (a calibration's study was written there)."""
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            items = value if isinstance(value, list | tuple) else [value]
            if any(isinstance(v, str) and not v.strip() for v in items):
                if field.is_required():  # the command line's argument
                    where, fix = name.upper(), "give a value"
                else:
                    where, fix = self.flag(name), "give a value, or leave the option out"
                raise RequestError(f"{where} {excerpt(value)}: empty. Fix: {fix}")
        return self

    def flag(self, name: str) -> str:
        """The command-line option of a field (``--event`` for ``events``)."""
        extra = type(self).model_fields[name].json_schema_extra
        flag = extra.get("flag") if isinstance(extra, dict) else None
        return str(flag) if flag else "--" + name.replace("_", "-")

    def command_line(self, command: str, positional: tuple[str, ...] = ("scenario",)) -> str:
        """The ``corredor`` command that makes this request (options at their defaults left
        out), e.g. ``corredor run mexico-us --days 30 --set usbp_hazard=4``."""
        words = ["corredor", *command.split(), *(str(getattr(self, p)) for p in positional)]
        for name, value in sorted(self.given().items()):
            if name in positional:
                continue
            flag = self.flag(name)
            if isinstance(value, bool):
                words.append(flag if value else "--no-" + flag.removeprefix("--"))
            elif isinstance(value, dict):
                for k, v in value.items():
                    words += [flag, f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"]
            elif isinstance(value, list | tuple):
                for v in value:
                    words += [flag, str(v)]
            else:
                words += [flag, str(value)]
        return shlex.join(words)

    def given(self) -> dict[str, Any]:
        """The fields set explicitly and different from their defaults."""
        out = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if value != type(self).model_fields[name].default:
                out[name] = value
        return out


def applies_to(request: Request, kind: ScenarioKind, scenario: str) -> None:
    """Raise :class:`InapplicableOptionError` for an option given that does not apply to
    ``kind``."""
    for name in request.given():
        extra = type(request).model_fields[name].json_schema_extra
        applies = extra.get("applies") if isinstance(extra, dict) else None
        if applies is not None and applies != kind:
            flag = request.flag(name)
            label = {"flee": "Flee", "corridor": "corridor"}
            raise InapplicableOptionError(
                f"{flag} ({name}=) applies to {label[str(applies)]} scenarios only; "
                f"{scenario} is a {label[kind]} scenario"
            )


class _Scenario(Request):
    scenario: str = option(help="A built-in scenario name (corredor scenarios) or a path.")


#: The largest seed (a run's random streams are keyed on a signed 64-bit seed).
MAX_SEED = 2**63 - 1
#: The most replicas (seeds per parameter set) a request may ask for: the seeds are listed in
#: the provenance before any work, so 10^8 replicas filled the memory before a run began.
MAX_REPLICAS = 10_000
#: The most local worker processes (or numba threads) a request may ask for.
MAX_WORKERS = 256
#: The most calibration trials, and trials evaluated together (a batch is submitted at once).
MAX_TRIALS, MAX_BATCH = 100_000, 1_000
#: The most Morris trajectories or Sobol base samples (the design is made before any run).
MAX_TRAJECTORIES = 65_536


class _Seeds(Request):
    seed: int = option(0, "Seed of the first run; replica k uses seed + k.", ge=0, le=MAX_SEED)

    @model_validator(mode="after")
    def _last_seed_fits(self) -> _Seeds:
        """Replica k uses seed + k: the last one must be a seed too (not an overflow)."""
        replicas = getattr(self, "replicas", 1)
        if isinstance(replicas, int) and self.seed + replicas - 1 > MAX_SEED:
            raise RequestError(
                f"--seed {self.seed} with --replicas {replicas:,}: the last replica would use "
                f"seed {self.seed + replicas - 1:,}, above the largest seed {MAX_SEED:,}. Fix: "
                f"give a --seed of at most {MAX_SEED - replicas + 1:,}"
            )
        return self


class _Backend(Request):
    workers: int | None = option(
        None,
        "Run on N local processes (results identical, bit for bit).",
        metavar="N",
        ge=1,
        le=MAX_WORKERS,
    )
    scheduler: str | None = option(
        None, "Run on the Dask cluster of this scheduler (same results).", metavar="tcp://HOST:PORT"
    )


class _CorridorInputs(Request):
    """The inputs of a corridor run: calibration, levers and policy events."""

    calibration: str = option(
        "shipped",
        "Calibration: 'shipped' (the scenario's calibrated.yaml), 'none' (hand-set defaults), "
        "a calibrated.yaml file or folder, or a stored calibration run id.",
        metavar="NAME|FILE|RUN",
        applies="corridor",
    )
    set: dict[str, float] = option(
        {},
        "Set a lever or parameter (corredor scenario levers SCENARIO): NAME=VALUE, repeatable; "
        "checked against its range.",
        metavar="NAME=VALUE",
        applies="corridor",
    )
    without_events: list[str] = option(
        [],
        "Leave out the scenario's policy event with this id (corredor scenario events "
        "SCENARIO), repeatable.",
        flag="--without-event",
        metavar="ID",
        applies="corridor",
    )
    events: list[str] = option(
        [],
        "Add policy events: the id of an event the scenario ships, or the name of one of its "
        "counterfactuals (all its events; corredor scenario events SCENARIO lists both, e.g. "
        "integration for mexico-us), or a YAML/CSV file of events; repeatable.",
        flag="--event",
        metavar="ID|FILE",
        applies="corridor",
    )


class _Ensemble(Request):
    replicas: int = option(4, "Seeds per parameter set.", ge=1, le=MAX_REPLICAS)
    sets: Sets = option(
        "point",
        "Parameter sets: 'point' (the calibration's point fit), 'calibrated' (its plausible "
        "sets) or 'uncalibrated' (the hand-set defaults).",
    )
    max_sets: int | None = option(
        None, "Keep at most N parameter sets (by weight).", metavar="N", ge=1
    )


# ---------------------------------------------------------------------------------- requests
class RunRequest(_Scenario, _Seeds, _Backend, _CorridorInputs):
    """Run a scenario of either kind (Flee or corridor) and store the result."""

    replicas: int = option(
        1,
        "Number of replicas (seeds seed … seed+replicas-1); corridor: an ensemble.",
        ge=1,
        le=MAX_REPLICAS,
    )
    days: int | None = option(
        None, "Simulate this many days (default: the scenario's).", metavar="N", ge=1
    )
    threads: int | None = option(
        None, "Numba threads (results do not depend on it).", metavar="N", ge=1
    )
    hasten: int | None = option(
        None,
        "Divide populations, capacities and data by K (Flee's hasten).",
        metavar="K",
        applies="flee",
        ge=1,
    )
    flee31_quirks: bool | None = option(
        None,
        "Reproduce Flee 3.1's known bugs (default: the scenario's setting).",
        applies="flee",
    )
    parallel: bool = option(
        False,
        "Decisions in a movement pass see the counts at its start (Flee's MPI semantics).",
        applies="flee",
    )
    people_per_agent: int | None = option(
        None,
        "Each agent stands for K people: a coarser, faster run (default: the scenario's).",
        metavar="K",
        applies="corridor",
        ge=1,
    )
    max_agents: int | None = option(
        None,
        "Stop a corridor run (an error) once it has created more than N agents.",
        metavar="N",
        applies="corridor",
        ge=1,
    )
    set_from: str | None = option(
        None,
        "The levers of --set take effect on this date (YYYY-MM-DD) instead of the first day: "
        "before it the run is the calibration's. Refused for a parameter the model also reads "
        "as a constant (e.g. a link's speed).",
        metavar="YYYY-MM-DD",
        applies="corridor",
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    )
    reuse_baseline: bool = option(
        False,
        "Start from the baseline's state (this run without its --set, --event and "
        "--without-event, kept in memory by this process) on the first day the two differ: "
        "the same result, bit for bit, with only the days from there simulated.",
        applies="corridor",
    )


class EnsembleRequest(_Scenario, _Seeds, _Backend, _CorridorInputs, _Ensemble):
    """A corridor ensemble: parameter sets × seeds with common random numbers, and bands."""

    days: int | None = option(
        None, "Simulate this many days (default: the scenario's).", metavar="N", ge=1
    )
    counterfactual: list[str] = option(
        [],
        "Also run with these policy events added (same sets and seeds) and store the paired "
        "difference: a counterfactual's name or an event id the scenario ships (corredor "
        "scenario events SCENARIO), or a YAML/CSV file of events; repeatable.",
        metavar="ID|FILE",
    )


class ForecastRequest(_Scenario, _Seeds, _Backend, _CorridorInputs, _Ensemble):
    """A forecast past the calibration horizon, with bands."""

    until: str = option(
        help="Last month forecast: YYYY-MM (e.g. 2024-09), or YYYY-MM-DD for the month of "
        "that day.",
        metavar="YYYY-MM[-DD]",
    )
    sets: Sets = option(
        "calibrated",
        "Parameter sets: 'point' (the calibration's point fit), 'calibrated' (its plausible "
        "sets) or 'uncalibrated' (the hand-set defaults).",
    )
    replicas: int = option(
        1,
        "Seeds per parameter set (default 1: the calibrated sets in minutes; the full "
        "ensemble of docs/forecast.md is --replicas 4, about four times as long).",
        ge=1,
        le=MAX_REPLICAS,
    )
    forecast_events: str | None = option(
        None,
        "Policy events announced by the horizon (default: policy_events_forecast.yaml of the "
        "scenario); the forecast stays ex ante.",
        metavar="FILE",
    )
    policy_path: str | None = option(
        None,
        "A file of policy events after the horizon (e.g. the path as it happened): the "
        "forecast is conditional on it, and every output says so.",
        metavar="FILE",
    )
    discrepancy: bool = option(
        True, "Widen the encounter bands by the model discrepancy (--no-discrepancy: runs only)."
    )

    @field_validator("until")
    @classmethod
    def _until(cls, value: str | None) -> str | None:
        return _check_until(value)

    @model_validator(mode="after")
    def _one_path(self) -> ForecastRequest:
        if self.policy_path is not None and self.forecast_events is not None:
            raise RequestError(
                "--policy-path and --forecast-events: give one (a policy path replaces the "
                "forecast's announced events)"
            )
        return self


class SensitivityRequest(_Scenario, _Seeds, _Backend, _CorridorInputs):
    """Global sensitivity (SALib Morris or Sobol) of observables to parameters and levers."""

    method: Literal["morris", "sobol"] = option("morris", "Morris screening or Sobol indices.")
    trajectories: int = option(
        10,
        "Morris trajectories, or the Sobol base sample (a power of 2).",
        metavar="N",
        ge=2,
        le=MAX_TRAJECTORIES,
    )
    parameters: list[str] = option(
        [],
        "A calibration parameter or lever to vary (repeatable; default: all with a range).",
        flag="--parameter",
        metavar="NAME",
    )
    outputs: list[str] = option(
        [],
        "A measure to analyse: an observable or ledger.<entry> (repeatable; default: the "
        "scenario's outputs).",
        flag="--measure",
        metavar="NAME",
    )
    levels: int = option(4, "Morris grid levels (even).", metavar="N", ge=2)
    replicas: int = option(1, "Seeds per design row.", ge=1, le=MAX_REPLICAS)
    days: int | None = option(
        None, "Simulate this many days (default: the scenario's).", metavar="N", ge=1
    )


class CalibrateRequest(_Scenario, _Seeds, _Backend):
    """Fit a corridor scenario to its data (Optuna); the result goes to the store, never into
    the installed package."""

    trials: int = option(40, "Complete trials wanted in total.", metavar="N", ge=1, le=MAX_TRIALS)
    workers: int | None = option(2, "Local worker processes.", metavar="N", ge=1, le=MAX_WORKERS)
    until: str | None = option(
        None,
        "Last day of data fitted, YYYY-MM or YYYY-MM-DD (default and latest: the scenario's "
        "calibration horizon).",
        metavar="YYYY-MM[-DD]",
    )
    folder: str | None = option(
        None,
        "Study folder (resumable; default: calibrations/SCENARIO[-digest]).",
        metavar="DIR",
    )
    resume: bool = option(False, "Continue the study in its folder.")
    batch: int = option(4, "Trials evaluated together.", metavar="N", ge=1, le=MAX_BATCH)
    parameters: list[str] = option(
        [], "Fit this parameter (repeatable; default: a set).", flag="--parameter", metavar="NAME"
    )
    start_from: str | None = option(
        None,
        "Start from this calibration (a calibrated.yaml or a stored calibration run): a fit in "
        "stages.",
        flag="--from",
        metavar="FILE|RUN",
    )
    agent_budget: float = option(
        2.0,
        "Prune a trial past this many times the agents or agent-days of the first (0: none).",
        metavar="X",
        ge=0.0,
    )

    @field_validator("until")
    @classmethod
    def _until(cls, value: str | None) -> str | None:
        return _check_until(value)


class BacktestRequest(_Scenario, _Seeds):
    """Fit statistics of a corridor scenario and its back-test against naive baselines."""

    calibration: str = option(
        "shipped",
        "Calibration whose fit is measured: 'shipped', 'none', a calibrated.yaml or a run id.",
        metavar="NAME|FILE|RUN",
    )
    backtest: str | None = option(
        None,
        "The calibration fitted to data up to 2018-12-31 (folder, file or stored run): run the "
        "back-test.",
        metavar="FILE|RUN",
    )
    members: int = option(
        0, "Back-test: also run N plausible sets for a 90 % band.", ge=0, le=MAX_REPLICAS
    )
    replicas: int = option(1, "Back-test: seeds per set (for the band).", ge=1, le=MAX_REPLICAS)
    discrepancy: bool = option(
        True, "Back-test: widen the band by the model discrepancy (--no-discrepancy: runs only)."
    )


class BargainRequest(_Scenario, _Seeds):
    """The hegemon–transit-state threat game: the 2019 episode, a sweep, or on the simulation."""

    mode: Literal["episode", "sweep", "endogenous", "exogenous"] = option(
        "episode",
        "'episode' (the June 2019 game), 'sweep' (exposure × credibility), 'endogenous' (the "
        "game sets policy in the corridor simulation), 'exogenous' (historical policy, the "
        "feasible space alongside).",
    )
    exposure: float | None = option(
        None,
        "Share of the transit state's exports sold to the hegemon (counterfactual; default: "
        "the data).",
        metavar="SHARE",
        ge=0.0,
        le=1.0,
    )
    credibility: float = option(1.0, "Credibility of the tariff threat.", ge=0.0, le=1.0)
    review_days: int | None = option(
        None,
        "Length of a review period in days (default: 90 or the scenario's).",
        ge=1,
        le=365,
    )
    #: at most 40 (ten years of 90-day reviews): the game is of one threat episode, and each
    #: period is solved on the policy grid (1e9 periods ran for ever)
    periods: int = option(3, "Review periods of the episode.", ge=2, le=40)
    refine: bool = option(False, "Refine the grid solution continuously (scipy).")
    days: int | None = option(
        None, "endogenous/exogenous: simulate this many days.", metavar="N", ge=1
    )
    calibration: str = option(
        "shipped",
        "endogenous/exogenous: the corridor calibration ('shipped', 'none', a file or a run).",
        metavar="NAME|FILE|RUN",
    )


class CompareRequest(Request):
    """Compare two stored results: paired, with bands, when their seeds are common."""

    a: str = option(help="A stored run (id, unique prefix or 'latest').")
    b: str = option(help="The run to compare with it.")


class ReportRequest(Request):
    """Write the HTML report of a stored result of any kind."""

    run: str = option("latest", help="A stored run: id, unique prefix, or 'latest'.")
    output: str | None = option(
        None,
        "HTML file to write (default: report.html in the run's folder).",
        short="-o",
        metavar="FILE",
    )
    png: str | None = option(None, "Also write the run's main figure as PNG here.", metavar="FILE")
    validation: str | None = option(
        None,
        "Corridor runs: show this back-test table (backtest.csv of corredor validate-model) in "
        "the Validation section.",
        metavar="FILE",
    )


class ListRequest(Request):
    """List stored results, with filters."""

    kind: Kind | None = option(None, "Only results of this kind.")
    scenario: str | None = option(None, "Only results of this scenario.", metavar="NAME")
    parent: str | None = option(None, "Only the children of this run.", metavar="RUN")
    since: str | None = option(
        None, "Only results created on or after this day (YYYY-MM-DD, UTC).", metavar="DATE"
    )
    status: Status | None = option(
        None, "Only runs with this status (running, finished or failed)."
    )

    @field_validator("since")
    @classmethod
    def _since(cls, value: str | None) -> str | None:
        """A date, checked when the request is made (before the store is looked at)."""
        if value is not None:
            try:
                dt.datetime.fromisoformat(value)
            except ValueError:
                raise RequestError(
                    f"--since {excerpt(value)} is not a date. Fix: write YYYY-MM-DD"
                ) from None
        return value


class DeleteRequest(Request):
    """Delete a stored run (at the user's request: nothing is ever deleted otherwise)."""

    run: str = option(help="The run: an id, a unique prefix of one, or 'latest'.", metavar="RUN")
    with_children: bool = option(
        False, "Also delete the results that belong to it (an ensemble's counterfactual…)."
    )


class StudyRequest(Request):
    """Run a study (a study file or a built-in study) through the results store, resumably,
    and write its report (docs/studies.md)."""

    study: str = option(
        help="A study file, or the name of a built-in study (corredor study --list).",
        metavar="FILE|NAME",
    )
    runs: int | None = option(
        None,
        "Runs per variant (default: the study file's ensemble).",
        metavar="N",
        ge=1,
        le=MAX_REPLICAS,
    )
    max_sets: int | None = option(
        None, "Keep at most N parameter sets (by weight).", metavar="N", ge=1
    )
    seed: int | None = option(
        None, "Seed of the first run (default: the study file's).", ge=0, le=2**63 - 1
    )
    report: str | None = option(
        None,
        "Also write the report (HTML, Markdown, summaries in English and Spanish, tables) into "
        "this folder.",
        metavar="DIR",
    )
    workers: int | None = option(
        None,
        "Run on N local processes (results identical, bit for bit).",
        metavar="N",
        ge=1,
        le=MAX_WORKERS,
    )
    scheduler: str | None = option(
        None,
        "Run on the Dask cluster of this scheduler (same results).",
        metavar="tcp://HOST:PORT",
    )

    def command_line(self, command: str, positional: tuple[str, ...] = ("study",)) -> str:
        return super().command_line(command, positional)
