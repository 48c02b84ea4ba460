"""The point fit (Optuna TPE, seeded, resumable) and the plausible parameter sets.

:func:`calibrate` minimises the loss of :mod:`corredor.calibration.loss` over a few influential
parameters of a corridor scenario (by default those its analysis settings name), every other
parameter at its scenario default (never at a previous calibration's value, so that a fit does
not depend on the calibrated file it replaces).

**Algorithm.** Optuna's TPE sampler (multivariate, ``constant_liar``), in synchronous batches of
``batch`` trials (default 2): the batch's parameter sets are asked, evaluated in parallel (a
local pool of spawned processes, Dask, or this process), and told in trial order. The first
trial is the scenario's defaults (so the fit is never worse than the hand-set model on the same
seed). **Warm start:** once the defaults are evaluated, one more trial is enqueued in which each
parameter that declares an observable it roughly scales (``FitParameter.scales``: the base
departures of an origin scale its US encounters, the INM hazard the presentations, ...) is
multiplied by ``exp(−b)``, ``b`` the mean log error of that observable at the defaults (clipped
to the search range); TPE then explores from there. It is recorded in the journal, so a resumed
study does not repeat it. Every trial runs the scenario once with the same seed (common random
numbers: a difference of loss between two trials is a difference of parameters, not of noise),
up to ``until``.

**Determinism.** The sampler is reseeded before each ask from ``(sampler_seed, position)``,
and a batch is told in trial order after all its trials finished, so the sequence of trials, and
the fit, depend neither on the backend, nor on the number of workers, nor on the order in which
the evaluations finish, nor on interruptions.

**Resume.** Trials are kept in an Optuna journal file (``study.journal``, append-only, safe
against a kill) in the output folder. A calibration started again with ``resume=True`` continues
the same study: trials that were running when the process died are evaluated again with their
parameters and told, then new trials are asked until ``trials`` trials are complete in total
(trials left running beyond that number are marked failed, not run). A trial half-drawn when it
died is abandoned and drawn again; the records number trials by their place in the sequence
(:func:`~corredor.calibration.study.positions`), as the uninterrupted run did.
The settings (scenario, parameters, ranges, seed, until, weights) are kept in ``study.json`` and
a resume with other settings is refused.

**Plausible sets** (:func:`~corredor.calibration.plausible.plausible_sets`): history matching
over the evaluated trials (:mod:`corredor.calibration.plausible`).

The pieces: :mod:`~corredor.calibration.parameters` (what is fitted and its ranges),
:mod:`~corredor.calibration.evaluate` (runs on the backends of :mod:`corredor.ensemble`),
:mod:`~corredor.calibration.study` (the Optuna study and its journal),
:mod:`~corredor.calibration.plausible`; this module puts them together.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import optuna
import pandas as pd

from corredor.calibration.evaluate import Budget, Runner, Simulation, evaluations, simulate
from corredor.calibration.loss import Targets, check_until, weights_for
from corredor.calibration.parameters import (
    CalibrationError,
    CalibrationInputError,
    FitParameter,
    clip,
    default_parameters,
    select_parameters,
)
from corredor.calibration.plausible import (
    DEFAULT_CUT,
    TrialRecord,
    implausibility,
    plausible_sets,
)
from corredor.calibration.study import (
    check_study,
    distributions,
    left_running,
    open_study,
    ordinal,
    positions,
    record,
    sampler,
    study_settings,
    warm_start,
)
from corredor.files.atomic import write_csv
from corredor.results.corridor import AgentBudgetError
from corredor.scenario.corridor import CorridorScenario, load_corridor_scenario
from corredor.scenario.corridor.calibrated import (
    Calibrated,
    EnsembleMember,
    calibrated_path,
    read_calibrated,
    save_calibrated,
)
from corredor.scenario.corridor.vintage import as_of

#: Files of a calibration's output folder (with the study's journal and settings).
TRIALS_FILE = "trials.csv"
OUTPUT_CALIBRATED = "calibrated.yaml"

COMPLETE = optuna.trial.TrialState.COMPLETE
RUNNING = optuna.trial.TrialState.RUNNING


@dataclass(frozen=True)
class CalibrationResult:
    """What :func:`calibrate` found and wrote."""

    scenario: str
    parameters: tuple[FitParameter, ...]
    best: TrialRecord
    default_loss: float
    trials: tuple[TrialRecord, ...]
    members: tuple[TrialRecord, ...]
    calibrated: Calibrated
    out: Path
    wall_seconds: float
    resumed_trials: int
    cut_relaxed: bool
    failed: int = 0
    written: tuple[Path, ...] = field(default=())

    def trials_frame(self) -> pd.DataFrame:
        return trials_frame(self.trials)


def trials_frame(trials: Sequence[TrialRecord]) -> pd.DataFrame:
    rows = [{"trial": t.number, "loss": t.loss, "seconds": t.seconds, **t.params} for t in trials]
    return pd.DataFrame(rows)


ProgressFn = Callable[[int, int, float | None], None]
"""Called after each told trial with (complete trials, requested trials, best loss so far)."""


@dataclass
class _Fit:
    """One calibration session over an open study: asks batches, evaluates them, tells them."""

    study: optuna.Study
    params: tuple[FitParameter, ...]
    defaults: dict[str, float]
    targets: Targets
    weights: dict[str, float]
    last: dt.date
    trials: int
    batch: int
    sampler_seed: int
    agent_budget: float
    failed: int = 0

    def complete(self) -> list[optuna.trial.FrozenTrial]:
        return self.study.get_trials(deepcopy=False, states=(COMPLETE,))

    def best_loss(self) -> float | None:
        done = self.complete()
        return min(float(t.value) for t in done if t.value is not None) if done else None

    def budget(self) -> Budget | None:
        """The agent budget of a trial: a multiple of the first complete trial's agents."""
        done = self.complete()
        if self.agent_budget <= 0 or not done:
            return None
        first = min(done, key=lambda t: t.number).user_attrs

        def times(key: str) -> int | None:
            # a study journal of an earlier version has no agent-days: no such budget
            return int(self.agent_budget * float(first[key])) if first.get(key) else None

        return Budget(times("agents"), times("agent_days"))

    def running(self, n_done: int) -> list[optuna.trial.FrozenTrial]:
        """The trials left running by a killed run that are still wanted; the others (beyond
        the number of trials now wanted) are told failed, not run."""
        running = self.study.get_trials(deepcopy=False, states=(RUNNING,))
        keep = max(0, self.trials - n_done)
        for t in running[keep:]:
            self.study.tell(
                optuna.trial.Trial(self.study, t._trial_id), state=optuna.trial.TrialState.FAIL
            )
        return running[:keep]

    def next_batch(
        self, n_done: int, running: list[optuna.trial.FrozenTrial]
    ) -> list[tuple[optuna.trial.Trial, dict[str, float]]]:
        """A batch: trials left running by an interrupted run first, then new ones — unless the
        run was killed while telling their batch's results: the uninterrupted run drew the next
        trials only once the whole batch was told, so they run alone."""
        every = self.study.get_trials(deepcopy=False)
        told = {
            t.user_attrs.get("batch")
            for t in every
            if t.state != RUNNING and "batch" in t.user_attrs
        }
        partly_told = any(t.user_attrs.get("batch") in told for t in running)
        pending = [
            p for t in running if (p := left_running(self.study, t, self.params)) is not None
        ]
        batch_no = 1 + max(
            (int(t.user_attrs.get("batch", -1)) for t in self.study.get_trials(deepcopy=False)),
            default=-1,
        )
        if pending:
            batch_no = int(running[0].user_attrs.get("batch", batch_no))
            for trial, _values in pending:  # asked, then killed before its batch was recorded
                if "batch" not in trial.user_attrs:
                    trial.set_user_attr("batch", batch_no)
        # the first batch is trial 0 alone (the defaults): the agent budget of every later
        # trial is known from it
        size = 1 if self.agent_budget > 0 and not self.complete() else self.batch
        dists = distributions(self.params)
        while not partly_told and len(pending) < size and n_done + len(pending) < self.trials:
            self.study.sampler = sampler(self.sampler_seed, ordinal(self.study))
            trial = self.study.ask(dists)
            trial.set_user_attr("batch", batch_no)
            pending.append((trial, {p.name: float(trial.params[p.name]) for p in self.params}))
        return pending

    def tell(self, trial: optuna.trial.Trial, res: Simulation | BaseException) -> None:
        """Tell the sampler the outcome of one evaluation: pruned (over the agent budget),
        failed, or its loss with each series' loss and bias."""
        state = optuna.trial.TrialState
        if isinstance(res, AgentBudgetError):
            trial.set_user_attr("pruned", str(res))
            self.study.tell(trial, state=state.PRUNED)
            return
        if isinstance(res, BaseException):
            self.fail(trial, f"{type(res).__name__}: {res}")
            return
        report = self.targets.loss(res.obs_daily, until=self.last, weights=self.weights)
        if not math.isfinite(report.total):
            n_scored = int(report.series["scored"].sum()) if len(report.series) else 0
            self.fail(
                trial,
                f"its loss is {report.total} ({n_scored} observed values scored up to {self.last} "
                "after the spin-up)",
            )
            return
        trial.set_user_attr("seconds", res.seconds)
        trial.set_user_attr("agents", res.agents)
        trial.set_user_attr("agent_days", res.agent_days)
        scored = [r for r in report.series.to_dict("records") if r["scored"] > 0]
        trial.set_user_attr("series_loss", {str(r["observable"]): float(r["loss"]) for r in scored})
        trial.set_user_attr(
            "series_bias", {str(r["observable"]): float(r["log_bias"]) for r in scored}
        )
        self.study.tell(trial, report.total)

    def fail(self, trial: optuna.trial.Trial, why: str) -> None:
        """Tell the sampler a trial failed; past ``max(3, trials // 4)`` failures the
        calibration stops (an error naming the last cause) instead of asking again forever."""
        self.failed += 1
        self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        if self.failed > max(3, self.trials // 4):
            raise CalibrationError(f"{self.failed} trials failed; the last: {why}")

    def run(self, run_batch: Runner, progress: ProgressFn | None) -> None:
        """Ask, evaluate and tell batches until ``trials`` trials are complete."""
        while True:
            warm_start(self.study, self.params)
            n_done = len(self.complete())
            if progress is not None:
                progress(n_done, self.trials, self.best_loss())
            running = self.running(n_done)
            if n_done >= self.trials:
                return
            pending = self.next_batch(n_done, running)
            results = run_batch(
                [{**self.defaults, **values} for _t, values in pending], self.budget()
            )
            for (trial, _values), res in zip(pending, results, strict=True):
                self.tell(trial, res)


def _check_settings(
    trials: int, batch: int, workers: int, sc: CorridorScenario, last: dt.date, install: bool
) -> None:
    if trials < 1 or batch < 1 or workers < 1:
        raise CalibrationInputError("--trials, --batch and --workers must be >= 1")
    if last <= sc.start + dt.timedelta(days=60):
        raise CalibrationInputError(f"--until {last} leaves no data after the spin-up to fit")
    if install and _in_package(sc):
        raise CalibrationInputError(
            f"{sc.name} ships with Corredor: its calibrated.yaml is never rewritten by a "
            "calibration; the fit goes to the output folder (run with --calibration FOLDER)"
        )
    if install and last != check_until(None):
        raise CalibrationInputError(
            f"a fit to data up to {last} is a study, not the scenario's calibration: it is "
            "written only to the output folder"
        )


def _in_package(scenario: CorridorScenario) -> bool:
    """Whether the scenario's files are inside the installed package (a built-in scenario)."""
    if scenario.path is None:
        return False
    package = Path(str(resources.files("corredor"))).resolve()
    return package in Path(scenario.path).resolve().parents


def _base_fit(
    base: str | Path | None, sc: CorridorScenario, last: dt.date
) -> tuple[dict[str, float], dict[str, Any]]:
    """The point fit of a ``base`` calibrated file (a fit in stages) and what it was."""
    if base is None:
        return {}, {}
    prior = read_calibrated(base, sc)
    if prior.data_until > last:
        raise CalibrationInputError(
            f"{base}: fitted to data up to {prior.data_until}, after --until {last}"
        )
    info = {"file": str(base), "command": prior.command, "version": prior.version}
    return dict(prior.parameters), info


def _study_info(
    fit: _Fit,
    records: Sequence[TrialRecord],
    best: TrialRecord,
    default_trial: TrialRecord | None,
    *,
    relaxed: bool,
    cut: float,
    seed: int,
    wall: float,
    base_info: Mapping[str, Any],
) -> dict[str, Any]:
    """The ``study`` block of the calibrated file."""
    return {
        "method": "Optuna TPE (multivariate, constant liar), synchronous batches; history "
        "matching over the evaluated trials for the ensemble",
        "optuna": optuna.__version__,
        "trials": len(records),
        "failed_trials": fit.failed,
        "pruned_trials": len(
            fit.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.PRUNED,))
        ),
        "agent_budget": fit.agent_budget,
        "batch": fit.batch,
        "seed": seed,
        "sampler_seed": fit.sampler_seed,
        "best_trial": best.number,
        "default_loss": None if default_trial is None else default_trial.loss,
        "implausibility_cut": cut,
        "cut_relaxed": relaxed,
        "wall_seconds_last_session": round(wall, 1),
        "search": {p.name: {"low": p.low, "high": p.high, "log": p.log} for p in fit.params},
        **({"base": dict(base_info)} if base_info else {}),
    }


def _write_trials(out: Path, records: Sequence[TrialRecord]) -> None:
    write_csv(out / TRIALS_FILE, trials_frame(records))


def calibrate(
    scenario: str | Path | CorridorScenario,
    *,
    out: str | Path,
    trials: int = 40,
    parameters: Sequence[str | FitParameter] | None = None,
    workers: int = 2,
    scheduler: str | None = None,
    batch: int = 4,
    seed: int = 0,
    sampler_seed: int = 0,
    until: str | dt.date | None = None,
    weights: Mapping[str, float] | None = None,
    resume: bool = False,
    threads: int | None = 1,
    cut: float = DEFAULT_CUT,
    max_members: int = 16,
    command: str = "",
    install: bool = False,
    base: str | Path | None = None,
    progress: ProgressFn | None = None,
    agent_budget: float = 2.0,
) -> CalibrationResult:
    """Fit ``scenario`` to its observed data up to ``until`` (module docstring).

    Writes into ``out``: the study journal, ``study.json`` (settings), ``trials.csv`` and
    ``calibrated.yaml``; with ``install``, also ``calibrated.yaml`` next to the scenario's YAML
    (what the scenario then runs with by default) — refused for a scenario shipped inside the
    package: a calibration never changes the installed package. ``trials`` is the total number
    of complete trials wanted (counting those of a resumed study); ``batch`` trials are
    evaluated at a time on ``workers`` local processes (or on the Dask cluster at
    ``scheduler``); ``threads`` numba threads per worker. ``base``: a calibrated file whose
    point fit replaces the scenario defaults of the parameters not fitted here and starts those
    fitted (a fit in stages: levels first, then the rest); the file written holds both.
    ``agent_budget``: a trial that creates more than this many times the agents of the study's
    first complete trial (the scenario's defaults), or keeps more than this many times its
    agent-days active (people kept waiting for long), checked every day on a linear ramp after
    the first year (``run_corridor``'s ``max_agents`` and ``max_agent_days``), is stopped and
    told to the sampler as pruned — a parameter set that far from the data would run for long
    and teach the sampler nothing a pruned trial does not (0: no budget). Returns a
    :class:`CalibrationResult`.
    """
    t0 = time.perf_counter()
    sc = scenario if isinstance(scenario, CorridorScenario) else load_corridor_scenario(scenario)
    last = check_until(until)
    _check_settings(trials, batch, workers, sc, last, install)
    if last < (sc.calibration_horizon or sc.end):
        sc = as_of(sc, last)  # drivers and caravans as known on `last` (a back-test fit)
    days = min(sc.days, (last - sc.start).days + 1)
    params = select_parameters(sc, parameters, until=last)
    targets = Targets.from_scenario(sc)
    # observables declared fit: false weigh 0 in every loss and are not in the settings
    w = weights_for(targets.fitted_names, {**targets.weights, **dict(weights or {})})
    start, base_info = _base_fit(base, sc, last)
    settings = study_settings(
        sc, params, seed=seed, sampler_seed=sampler_seed, until=last, weights=w, batch=batch
    )
    if start:
        settings["base"] = dict(sorted(start.items()))
    out = Path(out)
    check_study(out, settings, resume)
    # the workers (or the Dask scheduler) first: one that cannot be reached leaves no study
    # behind, which a second try without --resume would find in the way
    with evaluations(
        sc, seed=seed, days=days, workers=workers, scheduler=scheduler, threads=threads
    ) as run_batch:
        study = open_study(out, settings, resume)
        defaults = {**sc.calibration_defaults(), **start}
        existing = study.get_trials(deepcopy=False)
        resumed = sum(1 for t in existing if t.state == COMPLETE)
        if not existing:
            study.enqueue_trial({p.name: clip(p, defaults[p.name]) for p in params})
        fit = _Fit(
            study, params, defaults, targets, w, last, trials, batch, sampler_seed, agent_budget
        )
        fit.run(run_batch, progress)

    at = positions(study)  # numbers as in an uninterrupted run (a trial drawn again keeps its)
    records = tuple(record(t, at[t.number]) for t in sorted(fit.complete(), key=lambda t: t.number))
    if not records:
        raise CalibrationError("no trial completed")
    best = min(records, key=lambda r: (r.loss, r.number))
    default_values = {p.name: clip(p, defaults[p.name]) for p in params}
    default_trial = next((r for r in records if r.params == default_values), None)
    members, relaxed = plausible_sets(records, best, w, cut=cut, max_members=max_members)
    wall = time.perf_counter() - t0
    kwargs: dict[str, Any] = {
        "parameters": {**start, **best.params},
        "loss": best.loss,
        "command": command or f"corredor.calibration.fit.calibrate({sc.name!r}, ...)",
        "data_until": last,
        "ensemble": [
            EnsembleMember(weight=1.0 / len(members), parameters={**start, **m.params}, loss=m.loss)
            for m in members
        ],
        "scenario": sc,
        "study": _study_info(
            fit,
            records,
            best,
            default_trial,
            relaxed=relaxed,
            cut=cut,
            seed=seed,
            wall=wall,
            base_info=base_info,
        ),
    }
    written = [out / OUTPUT_CALIBRATED]
    cal = save_calibrated(out / OUTPUT_CALIBRATED, **kwargs)
    if install:
        target = calibrated_path(sc)
        if target is None:
            raise CalibrationError("the scenario was not read from a file: nowhere to install")
        cal = save_calibrated(target, **kwargs)
        written.append(target)
    _write_trials(out, records)
    return CalibrationResult(
        scenario=sc.name,
        parameters=params,
        best=best,
        default_loss=float("nan") if default_trial is None else default_trial.loss,
        trials=records,
        members=tuple(members),
        calibrated=cal,
        out=out,
        wall_seconds=wall,
        resumed_trials=resumed,
        cut_relaxed=relaxed,
        failed=fit.failed,
        written=tuple(written),
    )


__all__ = [
    "DEFAULT_CUT",
    "Budget",
    "CalibrationError",
    "CalibrationResult",
    "FitParameter",
    "Simulation",
    "TrialRecord",
    "calibrate",
    "default_parameters",
    "implausibility",
    "plausible_sets",
    "select_parameters",
    "simulate",
    "trials_frame",
]
