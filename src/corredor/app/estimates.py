"""How long a multi-run command will take, said before it starts (issue 16 §6).

:func:`estimate` counts the runs a request makes (parameter sets × seeds, design rows, trials,
study tasks) and the days each simulates, and prices a run from, in this order:

1. **the results store's catalogue**: the finished runs of the same scenario at the same scale
   (people per agent) and calibration, timed by their ``started``/``finished`` columns (an
   ensemble or forecast counts as its runs, on its workers; a calibration as its trials; a
   study's tasks by their own seconds); the median over the most recent :data:`RECENT` of
   them, per run and simulated day;
2. **a measured cost of the scenario** recorded here (:data:`MEASURED`, from
   ``docs/benchmarks.md``, with the command that measured it): the CPU seconds of a whole run
   (about its wall time on one worker of a quiet machine), split into a cost per day and a
   cost per day and person (``a + b / people_per_agent``) when two scales were measured.

The total is a run's cost times the rounds of runs on the workers (``ceil(runs / workers)``).
It is an estimate: the machine's load, the calibration's number of people and the code's speed
all move it. With neither source it says that there is no estimate, and why.

>>> from corredor.app import ForecastRequest, estimate
>>> estimate(ForecastRequest(scenario="mexico-us", until="2024-09")).line()  # doctest: +SKIP
'3 runs of mexico-us over 4,291 days: about 6 min on 1 worker (estimate from ...)'
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from corredor.app.corridor_runs import as_ensemble, is_ensemble, parameter_sets
from corredor.app.inputs import inputs_of
from corredor.app.kinds import scenario_kind
from corredor.app.requests import (
    BacktestRequest,
    CalibrateRequest,
    EnsembleRequest,
    ForecastRequest,
    Request,
    RunRequest,
    SensitivityRequest,
    StudyRequest,
    parse_until,
)
from corredor.calibration.loss import check_until
from corredor.forecasting.forecast import horizon_of
from corredor.scenario.corridor import load_corridor_scenario
from corredor.sensitivity.analysis import problem_of, runs_needed
from corredor.simulation.branching import first_difference
from corredor.studies import room
from corredor.studies.runner import prepare_study
from corredor.studies.schema import load_study

if TYPE_CHECKING:
    import pandas as pd

    from corredor.store import ResultsStore

__all__ = ["MEASURED", "Estimate", "Measured", "estimate", "run_cost"]

#: How many of the most recent comparable runs of the catalogue are used.
RECENT = 8


@dataclass(frozen=True)
class Measured:
    """The measured cost of one whole run of a built-in scenario."""

    scenario: str
    days: int
    people_per_agent: int
    cpu_seconds: float
    command: str
    source: str


#: Whole-process CPU seconds of one run, as measured in ``docs/benchmarks.md``.
MEASURED: tuple[Measured, ...] = (
    Measured(
        "mexico-us",
        3195,
        1,
        55.7,
        "corredor run mexico-us --no-progress --threads 1",
        "docs/benchmarks.md, 'Session 9 as a whole': full run on one thread (a pool worker's "
        "cost), calibration version 9, 5.8 million people, 2 runs (55.8, 55.6 s CPU), quiet "
        "machine (44.5-47.1 s wall on 2 threads; 47.9 s CPU in session 8 on version 8)",
    ),
    Measured(
        "mexico-us",
        3195,
        50,
        10.5,
        "corredor run mexico-us --people-per-agent 50 --seed 3 --no-progress --store DIR",
        "docs/benchmarks.md, 'Session 9 as a whole': median of 3 runs (9.5-11.1 s CPU), "
        "calibration version 9, quiet machine (9.1 s on version 8 the same minutes; 9.3 s in "
        "session 8)",
    ),
)


@dataclass(frozen=True)
class Estimate:
    """What a request will run and about how long it will take (None: no estimate)."""

    scenario: str
    runs: int
    days: int
    workers: int
    seconds: float | None
    source: str
    shorten: str
    what: str = "runs"

    def as_json(self) -> dict[str, Any]:
        """The estimate as plain JSON (a web service's answer)."""
        return {
            "scenario": self.scenario,
            "runs": self.runs,
            "days": self.days,
            "workers": self.workers,
            "seconds": None if self.seconds is None else round(self.seconds, 1),
            "source": self.source,
            "line": self.line(),
        }

    def line(self) -> str:
        """One line for the user, e.g. ``12 runs of mexico-us over 3,195 days: about 20 min on
        1 worker (estimate from ...); --workers N ... to shorten``."""
        what = self.what if self.runs != 1 else self.what.removesuffix("s")
        head = f"{self.runs:,} {what} of {self.scenario} over {self.days:,} days"
        if self.seconds is None:
            return f"{head}: no time estimate ({self.source})"
        workers = f"{self.workers} worker" + ("" if self.workers == 1 else "s")
        return (
            f"{head}: about {duration(self.seconds)} on {workers} (estimate from "
            f"{self.source}); {self.shorten} to shorten"
        )


def duration(seconds: float) -> str:
    """``40 s``, ``12 min``, ``2 h 05 min``."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


# ------------------------------------------------------------------------------ the request
@dataclass(frozen=True)
class _Plan:
    scenario: Any  # the CorridorScenario
    runs: int
    days: int
    workers: int
    shorten: str
    calibration: str | None = None  # the calibration's identity (:func:`_label`); None: any
    people_per_agent: int | None = None
    study: str | None = None  # price study tasks from this study's finished tasks
    what: str = "runs"
    #: days one task simulates (a study: the history, then each variant from its first day
    #: of difference); None: ``days``
    task_days: int | None = None
    room: bool = False  # a room-for-manoeuvre study: its branches are not counted


def estimate(request: Request, store: ResultsStore | None = None) -> Estimate | None:
    """The runs ``request`` makes and about how long they take (module docstring), or None for
    a request that runs no corridor simulation to speak of (a Flee run, the bargaining game).
    Its inputs are read as its use case reads them: a bad request raises the same errors."""
    plan = _plan(request, store)
    if plan is None:
        return None
    per_run, source = run_cost(plan, store)
    workers = max(1, min(plan.workers, plan.runs))
    seconds = None if per_run is None else per_run * math.ceil(plan.runs / workers)
    return Estimate(
        scenario=plan.scenario.name,
        runs=plan.runs,
        days=plan.days,
        workers=workers,
        seconds=seconds,
        source=source,
        shorten=plan.shorten,
        what=plan.what,
    )


def _label(used: Any) -> str | None:
    """The calibration's identity: its stored run, else its file's digest, else its name."""
    if isinstance(used, dict):
        found = used.get("run_id") or used.get("sha256") or used.get("name")
    else:
        found = used.run_id or used.sha256 or used.name
    return None if found is None else str(found)


def _workers(request: Any) -> int:
    return 1 if request.scheduler is not None else int(request.workers or 1)


def _plan(request: Request, store: ResultsStore | None) -> _Plan | None:
    if isinstance(request, StudyRequest):
        return _study_plan(request)
    corridor = (RunRequest, EnsembleRequest, ForecastRequest, SensitivityRequest, BacktestRequest)
    if isinstance(request, CalibrateRequest) and scenario_kind(request.scenario) == "corridor":
        return _calibrate_plan(request)
    if not isinstance(request, corridor) or scenario_kind(request.scenario) != "corridor":
        return None
    if isinstance(request, RunRequest) and is_ensemble(request):
        request = as_ensemble(request)
    inputs = inputs_of(request, store)
    sc = inputs.scenario
    cal = _label(inputs.used)
    plan: _Plan | None
    if isinstance(request, RunRequest):
        days = request.days or sc.days
        k = request.people_per_agent
        plan = _Plan(sc, 1, days, 1, "--people-per-agent K or --days N", cal, k)
    elif isinstance(request, EnsembleRequest | ForecastRequest):
        plan = _ensemble_plan(request, inputs, cal)
    elif isinstance(request, SensitivityRequest):
        problem = problem_of(sc, request.parameters or None, extra_events=inputs.extra_events)
        runs = runs_needed(
            request.method, request.trajectories, problem["num_vars"], request.replicas
        )
        hint = "--workers N, --parameter NAME, --trajectories N or --days N"
        plan = _Plan(sc, runs, request.days or sc.days, _workers(request), hint, cal)
    else:  # validate-model: the fit run, and with --backtest its sets × seeds on 2 workers
        runs = 1 + (request.replicas * (1 + request.members) if request.backtest else 0)
        workers = 2 if request.backtest else 1
        plan = _Plan(sc, runs, sc.days, workers, "--members N or --replicas N", cal)
    return plan


def _ensemble_plan(
    request: EnsembleRequest | ForecastRequest, inputs: Any, cal: str | None
) -> _Plan | None:
    sc = inputs.scenario
    sets, _ = parameter_sets(inputs, request.sets, request.max_sets, request.seed)
    runs = len(sets) * request.replicas
    if isinstance(request, EnsembleRequest):
        runs *= 2 if request.counterfactual else 1
        days = request.days or sc.days
    else:
        last = parse_until(request.until)
        if last <= horizon_of(sc):  # the forecast refuses it: no estimate
            return None
        days = (last - sc.start).days + 1
    hint = "--workers N, --max-sets N or --replicas N"
    return _Plan(sc, runs, days, _workers(request), hint, cal)


def _calibrate_plan(request: CalibrateRequest) -> _Plan:
    sc = load_corridor_scenario(request.scenario)
    until = None if request.until is None else parse_until(request.until, month_end=False)
    days = min(sc.days, (check_until(until) - sc.start).days + 1)  # as the fit runs them
    hint = "--trials N or --workers N"
    return _Plan(sc, request.trials, days, _workers(request), hint, what="trials")


def _study_plan(request: StudyRequest) -> _Plan:
    s = load_study(request.study)
    if request.runs is not None:
        s = s.model_copy(update={"ensemble": s.ensemble.model_copy(update={"runs": request.runs})})
    prepared: Any
    if s.bargaining is not None:
        prepared = room.prepare_room(s, max_sets=request.max_sets)
        scenario = prepared.scenario
    else:
        prepared = prepare_study(s, max_sets=request.max_sets, seed=request.seed)
        scenario = prepared.variants[prepared.base].scenario
    hint = "--workers N, --runs N or --max-sets N"
    return _Plan(
        scenario,
        prepared.tasks,
        prepared.days,
        _workers(request),
        hint,
        study=s.study,
        what="tasks",
        task_days=None if s.bargaining is not None else task_days(prepared),
        room=s.bargaining is not None,
    )


def task_days(prepared: Any) -> int:
    """The days one task of a study simulates: the baseline's whole period, then each other
    variant from its first day of difference (:func:`corredor.studies.runner.run_task`; every
    day of every variant without branching), for the first parameter set."""
    days, base = int(prepared.days), int(prepared.base)
    if not prepared.branching:
        return days * len(prepared.variants)
    compiled = [prepared.compile(v, 0) for v in range(len(prepared.variants))]
    firsts = [
        first_difference(compiled[base], c, levers=prepared.levers)
        for v, c in enumerate(compiled)
        if v != base
    ]
    return days + sum(days - int(f) for f in firsts if f < days)


# ----------------------------------------------------------------------------- the cost
def run_cost(plan: _Plan, store: ResultsStore | None) -> tuple[float | None, str]:
    """Seconds of one run (or study task) of ``plan`` on one worker, and where it comes from."""
    if store is not None:
        per_day = _catalogue_cost(store.catalogue.frame(status="finished"), plan)
        if per_day is not None:
            cost, n = per_day
            what = plan.what if n != 1 else plan.what.removesuffix("s")
            return cost * plan.days, f"{n} finished {what} like it in the store"
    k = plan.people_per_agent or plan.scenario.people_per_agent
    per_day_measured = measured_cost(plan.scenario.name, k)
    if per_day_measured is not None:
        cost, source = per_day_measured
        if plan.room:  # a task runs the history, then branches per exposure and credibility
            source += "; a task as one run, its branches left out: a low estimate"
        elif plan.task_days is not None and plan.task_days != plan.days:
            source += f"; a task simulates {plan.task_days:,} days (its variants' branches)"
        return cost * (plan.task_days or plan.days), source
    return None, f"no finished run like it in the store, no measured cost of {plan.scenario.name}"


def measured_cost(scenario: str, people_per_agent: int) -> tuple[float, str] | None:
    """Seconds per simulated day of ``scenario`` at ``people_per_agent`` from :data:`MEASURED`
    (``a + b / k`` fitted to two scales or more; one scale: its cost, scaled by ``k``)."""
    rows = [m for m in MEASURED if m.scenario == scenario]
    if not rows:
        return None
    same = [m for m in rows if m.people_per_agent == people_per_agent]
    if same:
        m = same[0]
        return m.cpu_seconds / m.days, f"a run of {scenario} measured in docs/benchmarks.md"
    scales = {m.people_per_agent for m in rows}
    if len(scales) == 1:
        m = rows[0]
        cost = m.cpu_seconds / m.days * m.people_per_agent / people_per_agent
    else:
        # least squares of the cost per day on (1, 1/k): a fixed part and a part per person
        xs = [1.0 / m.people_per_agent for m in rows]
        ys = [m.cpu_seconds / m.days for m in rows]
        slope, intercept = statistics.linear_regression(xs, ys)
        cost = max(intercept, 0.0) + slope / people_per_agent
    k = people_per_agent
    return cost, f"runs of {scenario} measured in docs/benchmarks.md, scaled to 1 agent : {k}"


def _catalogue_cost(frame: pd.DataFrame, plan: _Plan) -> tuple[float, int] | None:
    """Median seconds per run and day of the comparable finished results (module docstring),
    and how many runs they made; None when there are none."""
    costs: list[tuple[dt.datetime, float, int]] = []
    for record in frame.to_dict(orient="records"):
        row = {str(k): v for k, v in record.items()}
        days = int(row.get("days") or 0)
        if row["scenario"] != plan.scenario.name or days <= 0:
            continue
        found = _row_cost(row, plan)
        if found is None:
            continue
        seconds, runs, workers = found
        if seconds is not None and seconds > 0:
            costs.append((row["finished"], seconds * workers / runs / days, runs))
    if not costs:
        return None
    recent = sorted(costs, key=lambda x: str(x[0]))[-RECENT:]
    return statistics.median(c for _, c, _ in recent), sum(n for _, _, n in recent)


def _row_cost(row: dict[str, Any], plan: _Plan) -> tuple[float | None, int, int] | None:
    """(seconds, runs, workers) of a catalogued result comparable with ``plan``, else None:
    a finished task of the same study; a calibration's trials for a calibration; else a run,
    ensemble or forecast at the same scale and calibration."""
    prov = _json(row.get("provenance"))
    request = _json(prov.get("request"))
    if plan.study is not None or plan.what == "trials":
        return _task_cost(row, plan, request)
    kinds = ("corridor", "ensemble-member", "corridor-ensemble", "forecast")
    k_default = plan.scenario.people_per_agent
    comparable = (
        row["kind"] in kinds
        and not row.get("parent")  # a counterfactual: inside its ensemble's time
        and not request.get("scheduler")  # an unknown number of workers
        and (plan.calibration is None or _label(prov.get("calibration") or {}) == plan.calibration)
        and (request.get("people_per_agent") or k_default) == (plan.people_per_agent or k_default)
    )
    if not comparable:
        return None
    runs = _runs_of(row, prov)
    return _elapsed(row), runs, min(int(request.get("workers") or 1), runs)


def _task_cost(
    row: dict[str, Any], plan: _Plan, request: dict[str, Any]
) -> tuple[float | None, int, int] | None:
    """A study's finished task (its own seconds), or a calibration (its complete trials)."""
    summary = _json(row.get("summary"))
    if plan.study is not None:
        if row["kind"] != "study-task" or summary.get("study") != plan.study:
            return None
        return _number(summary.get("seconds")), 1, 1
    trials = int(summary.get("trials") or 0)
    if row["kind"] != "calibration" or trials <= 0 or request.get("scheduler"):
        return None
    return _elapsed(row), trials, min(int(request.get("workers") or 1), trials)


def _number(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            out = json.loads(value)
        except ValueError:
            return {}
        return out if isinstance(out, dict) else {}
    return {}


def _runs_of(row: dict[str, Any], prov: dict[str, Any]) -> int:
    """The runs a catalogued result made: one, or its sets × seeds (× 2 with a
    counterfactual, made within its time)."""
    if row["kind"] in ("corridor", "ensemble-member"):
        return 1
    params = prov.get("parameters")
    sets = params.get("sets") if isinstance(params, dict) else None
    seeds = [s for s in str(row.get("seeds") or "").split(",") if s]
    runs = max(1, len(sets) if isinstance(sets, list) else 1) * max(1, len(seeds))
    return runs * (2 if row.get("label") == "history" else 1)


def _elapsed(row: dict[str, Any]) -> float | None:
    """Seconds from ``started`` to ``finished``; the run's own ``seconds`` when they are not
    known (a row migrated from an older catalogue has both at its creation time)."""
    start, end = row.get("started"), row.get("finished")
    try:
        span = None if start is None or end is None else (end - start).total_seconds()
    except (TypeError, ValueError, AttributeError):
        span = None
    if span is not None and span > 0 and not math.isnan(span):
        return float(span)
    return _number(row.get("seconds"))
