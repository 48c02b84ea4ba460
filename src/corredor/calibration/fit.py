"""The point fit (Optuna TPE, seeded, resumable) and the plausible parameter sets.

:func:`calibrate` minimises the loss of :mod:`corredor.calibration.loss` over a few influential
parameters of a corridor scenario (:data:`MEXICO_US_PARAMETERS` for ``mexico-us``), every other
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
(trials left running beyond that number are marked failed, not run).
The settings (scenario, parameters, ranges, seed, until, weights) are kept in ``study.json`` and
a resume with other settings is refused.

**Plausible sets** (:func:`plausible_sets`): history matching over the evaluated trials. For
each trial ``x`` and series ``s``, the implausibility is ``I_s(x) = sqrt(L_s(x) / (L_s(x*) +
σ²))`` with ``x*`` the point fit and ``σ = 0.1`` (a 10 % observation error on the log scale); a
trial is plausible if the second-largest ``I_s`` over the weighted series (the largest with
fewer than 5 series) is at most ``cut`` (default 2: no more than one series fits more than about
twice as badly, in log-RMSE, as in the point fit). The plausible trials, lowest loss first and
at most ``max_members``, form the ensemble with equal weights (history matching rules sets out,
it does not weigh them). If fewer than 3 pass, the cut is relaxed to ``2 × cut`` (never
further) to take up to 3, and the study says so (``cut_relaxed``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import multiprocessing
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from corredor.calibration.calibrated import Calibrated, EnsembleMember, save_calibrated
from corredor.calibration.loss import LossReport, Targets, check_until, weights_for
from corredor.errors import CorredorError
from corredor.files.atomic import write_csv, write_text

if TYPE_CHECKING:
    import optuna

    from corredor.scenario.corridor import CorridorScenario

#: Files of a calibration's output folder.
JOURNAL_FILE = "study.journal"
SETTINGS_FILE = "study.json"
TRIALS_FILE = "trials.csv"
OUTPUT_CALIBRATED = "calibrated.yaml"

#: Observation error (log scale) of the implausibility measure.
SIGMA_OBS = 0.1
#: Default implausibility cut (second-largest I_s).
DEFAULT_CUT = 2.0
#: Fewest members of the plausible ensemble (the cut is relaxed below it).
MIN_MEMBERS = 3
#: With this many series or more, the implausibility is the second-largest I_s, else the largest.
SECOND_MAX_FROM = 5


class CalibrationError(CorredorError):
    """A calibration cannot start or go on (bad settings, an output folder in use, all trials
    failed)."""


# ----------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class FitParameter:
    """A fitted parameter and its search range (inside the scenario's declared range).

    ``log``: sampled log-uniformly (scale parameters spanning orders of magnitude);
    ``identified_from``: the first day data can inform it (a policy lever that starts later is
    left at its default when fitting to data that end before it); ``scales``: an observable
    roughly proportional to the parameter, for the warm start (module docstring)."""

    name: str
    low: float
    high: float
    log: bool = False
    identified_from: dt.date | None = None
    why: str = ""
    #: an observable roughly proportional to the parameter (used for the warm start)
    scales: str | None = None


#: The 13 parameters fitted for ``mexico-us`` (docs/calibration.md gives the reasons).
MEXICO_US_PARAMETERS: tuple[FitParameter, ...] = (
    *(
        FitParameter(
            f"base_departures_{o}",
            lo,
            hi,
            log=True,
            why="level of the USBP encounters of the nationality",
            scales=f"usbp_encounters_{o}",
        )
        for o, lo, hi in (
            ("gtm", 79.0, 1263.0),
            ("hnd", 72.0, 1157.0),
            ("slv", 38.0, 611.0),
            ("mex", 166.0, 2649.0),
            ("oth", 44.0, 701.0),
        )
    ),
    FitParameter(
        "elasticity_homicide", -1.0, 2.0, why="trend of Central American departures (violence)"
    ),
    FitParameter(
        "elasticity_remittances", -2.0, 2.0, why="trend of departures (networks, means to pay)"
    ),
    FitParameter(
        "usbp_hazard", 0.5, 20.0, log=True, why="share of crossers caught: level of encounters"
    ),
    FitParameter(
        "reattempt_share_border",
        0.0,
        1.0,
        why="repeat crossings after a return to a border city (Mexicans, Title 42)",
    ),
    FitParameter(
        "inm_hazard_per_agent",
        1e-6,
        1e-3,
        log=True,
        why="INM presentations (apprehensions in Mexico)",
        scales="inm_presented_annual",
    ),
    FitParameter(
        "openness_elasticity",
        0.0,
        3.0,
        why="departures' response to recent outcomes: the 2019 rise and fall",
    ),
    FitParameter(
        "asylum_network_people",
        100.0,
        1e5,
        log=True,
        why="growth of COMAR applications (word of the procedure among co-nationals)",
    ),
    FitParameter(
        "apply_comar_propensity",
        1e-4,
        1.0,
        log=True,
        why="COMAR applications",
        scales="comar_applications",
    ),
    FitParameter(
        "mpp_enrollment_share",
        0.01,
        1.0,
        log=True,
        identified_from=dt.date(2019, 1, 29),
        why="MPP enrolments (from 29 January 2019)",
        scales="mpp_enrollments",
    ),
    FitParameter(
        "title42_expulsion_share",
        0.0,
        1.0,
        identified_from=dt.date(2020, 3, 21),
        why="Title 42 expulsions and repeat encounters (from 21 March 2020)",
    ),
)

#: Default fitted parameters by scenario name.
DEFAULT_PARAMETERS: dict[str, tuple[FitParameter, ...]] = {"mexico-us": MEXICO_US_PARAMETERS}


def select_parameters(
    scenario: CorridorScenario,
    names: Sequence[str | FitParameter] | None = None,
    *,
    until: dt.date | None = None,
) -> tuple[FitParameter, ...]:
    """The parameters to fit: ``names`` (a name of the scenario's default set keeps its search
    range and warm-start series; other names are searched over their declared ranges,
    log-uniformly when the range is positive and spans a factor 10 or more;
    :class:`FitParameter` entries as given), or the scenario's default set. With
    ``until``, parameters only identified by data after it are dropped (left at defaults)."""
    declared = scenario.calibration
    if names:
        unknown = [n for n in names if isinstance(n, str) and n not in declared]
        if unknown:
            raise CalibrationError(
                f"unknown calibration parameter(s) {', '.join(unknown)} of scenario "
                f"{scenario.name!r}; use names declared under calibration: in its YAML"
            )
        chosen = []
        known = {p.name: p for p in DEFAULT_PARAMETERS.get(scenario.name, ())}
        for n in dict.fromkeys(names):
            if isinstance(n, FitParameter):
                chosen.append(n)
                continue
            if n in known:  # the scenario's own search range and warm-start series
                chosen.append(known[n])
                continue
            low, high = declared[n].range
            if low == high:
                raise CalibrationError(f"parameter {n!r} has an empty range [{low:g}, {high:g}]")
            chosen.append(FitParameter(n, low, high, log=low > 0 and high / low >= 10))
        params: tuple[FitParameter, ...] = tuple(chosen)
    elif scenario.name in DEFAULT_PARAMETERS:
        params = DEFAULT_PARAMETERS[scenario.name]
    else:
        raise CalibrationError(
            f"scenario {scenario.name!r} has no default set of parameters to fit; name them "
            "(--parameter NAME, repeatable)"
        )
    for p in params:
        if p.name not in declared:
            raise CalibrationError(f"scenario {scenario.name!r} declares no parameter {p.name!r}")
        low, high = declared[p.name].range
        if not low <= p.low < p.high <= high:
            raise CalibrationError(
                f"search range of {p.name!r} [{p.low:g}, {p.high:g}] is not inside its declared "
                f"range [{low:g}, {high:g}]"
            )
    if until is not None:
        params = tuple(p for p in params if p.identified_from is None or p.identified_from <= until)
    if not params:
        raise CalibrationError("no parameter left to fit")
    return params


def _clip(p: FitParameter, value: float) -> float:
    return min(max(float(value), p.low), p.high)


# ----------------------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class Simulation:
    """What a worker sends back for one parameter set: the daily observables."""

    obs_daily: npt.NDArray[np.float64]
    seconds: float
    agents: int
    agent_days: int = 0


class Budget(NamedTuple):
    """A trial's budget (``run_corridor``'s ``max_agents`` and ``max_agent_days``); None: none."""

    agents: int | None = None
    agent_days: int | None = None


_WORKER: dict[str, Any] = {}


def _init_worker(scenario: CorridorScenario, threads: int | None) -> None:
    """Pool initializer: the scenario arrives once per worker process."""
    _WORKER["scenario"] = scenario
    if threads is not None:
        from corredor.ensemble.models import set_numba_threads

        set_numba_threads(threads)


def simulate(
    scenario: CorridorScenario,
    calibration: Mapping[str, float],
    seed: int,
    days: int,
    budget: Budget | None = None,
) -> Simulation:
    """Run ``scenario`` with exactly ``calibration`` (complete: defaults + fitted values);
    raises :class:`~corredor.results.corridor.AgentBudgetError` past the ``budget``."""
    from corredor.rules.corridor.results import run_corridor

    b = budget or Budget()
    t0 = time.perf_counter()
    r = run_corridor(
        scenario,
        seed=seed,
        days=days,
        calibration=dict(calibration),
        max_agents=b.agents,
        max_agent_days=b.agent_days,
    )
    return Simulation(
        np.asarray(r.obs_daily, dtype=np.float64),
        time.perf_counter() - t0,
        r.agents,
        r.agent_days,
    )


def _worker_simulate(
    calibration: Mapping[str, float], seed: int, days: int, budget: Budget | None
) -> Simulation:
    return simulate(_WORKER["scenario"], calibration, seed, days, budget)


def _dask_simulate(
    scenario: CorridorScenario,
    calibration: Mapping[str, float],
    seed: int,
    days: int,
    budget: Budget | None,
) -> Simulation:
    from corredor.ensemble.backends import _PARALLEL_LOCK

    with _PARALLEL_LOCK:  # one run at a time per worker process (numba's parallel layer)
        return simulate(scenario, calibration, seed, days, budget)


Runner = Callable[..., list[Simulation | BaseException]]
"""``run(batch, budget=None)``: evaluates a batch of complete calibrations, under a
:class:`Budget` if one is given; an evaluation that failed gives its exception."""


@contextmanager
def _runner(
    scenario: CorridorScenario,
    *,
    seed: int,
    days: int,
    workers: int,
    scheduler: str | None,
    threads: int | None,
) -> Iterator[Runner]:
    """A batch evaluator: in this process (``workers <= 1``), a pool of spawned processes, or
    the Dask cluster at ``scheduler`` (the scenario is sent once per worker)."""
    if scheduler is not None:
        from corredor.ensemble.backends import dask_client

        with dask_client(scheduler, workers=workers, timeout=30.0) as client:
            data = client.scatter(scenario, broadcast=True, hash=False)  # type: ignore[no-untyped-call]

            def run_dask(
                batch: Sequence[Mapping[str, float]], budget: Budget | None = None
            ) -> list[Simulation | BaseException]:
                futures = [
                    client.submit(_dask_simulate, data, dict(c), seed, days, budget, pure=False)
                    for c in batch
                ]
                out: list[Simulation | BaseException] = []
                for f in futures:
                    try:
                        out.append(f.result())
                    except Exception as exc:
                        out.append(exc)
                return out

            try:
                yield run_dask
            finally:
                client.cancel([data])  # type: ignore[no-untyped-call]
        return
    if workers <= 1:

        def run_here(
            batch: Sequence[Mapping[str, float]], budget: Budget | None = None
        ) -> list[Simulation | BaseException]:
            out: list[Simulation | BaseException] = []
            for c in batch:
                try:
                    out.append(simulate(scenario, c, seed, days, budget))
                except Exception as exc:
                    out.append(exc)
            return out

        yield run_here
        return
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from corredor.ensemble.backends import START_METHOD

    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(START_METHOD),
        initializer=_init_worker,
        initargs=(scenario, threads),
    )

    def run_pool(
        batch: Sequence[Mapping[str, float]], budget: Budget | None = None
    ) -> list[Simulation | BaseException]:
        try:
            futures = [pool.submit(_worker_simulate, dict(c), seed, days, budget) for c in batch]
            out: list[Simulation | BaseException] = []
            for f in futures:
                try:
                    out.append(f.result())
                except BrokenProcessPool:
                    raise
                except Exception as exc:
                    out.append(exc)
        except BrokenProcessPool as exc:
            raise CalibrationError(
                f"a worker process stopped abruptly ({exc}). Workers are spawned: a script that "
                "calibrates must do so under `if __name__ == '__main__':`; a worker can also be "
                "killed for lack of memory. The study is kept: rerun with --resume"
            ) from None
        return out

    try:
        yield run_pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


# ----------------------------------------------------------------------------- the study
@dataclass(frozen=True)
class TrialRecord:
    """One evaluated trial."""

    number: int
    params: dict[str, float]
    loss: float
    series_loss: dict[str, float]
    seconds: float


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


def _settings(
    scenario: CorridorScenario,
    params: Sequence[FitParameter],
    *,
    seed: int,
    sampler_seed: int,
    until: dt.date,
    weights: Mapping[str, float],
    batch: int,
) -> dict[str, Any]:
    return {
        "scenario": scenario.name,
        "parameters": [
            {"name": p.name, "low": p.low, "high": p.high, "log": p.log} for p in params
        ],
        "seed": seed,
        "sampler_seed": sampler_seed,
        "until": until.isoformat(),
        "weights": dict(sorted(weights.items())),
        "batch": batch,
    }


def _study_name(settings: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    return f"{settings['scenario']}-{digest}"


def _sampler(sampler_seed: int, number: int) -> optuna.samplers.BaseSampler:
    import optuna

    seed = int.from_bytes(
        hashlib.sha256(f"{sampler_seed}:{number}".encode()).digest()[:4], "little"
    )
    return optuna.samplers.TPESampler(
        seed=seed, constant_liar=True, n_startup_trials=10, multivariate=True
    )


def _distributions(params: Sequence[FitParameter]) -> dict[str, Any]:
    import optuna

    return {
        p.name: optuna.distributions.FloatDistribution(p.low, p.high, log=p.log) for p in params
    }


def _open_study(out: Path, settings: Mapping[str, Any], resume: bool) -> optuna.Study:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    journal, meta = out / JOURNAL_FILE, out / SETTINGS_FILE
    if journal.exists() and not resume:
        raise CalibrationError(
            f"{out} already holds a calibration study ({JOURNAL_FILE}); pass --resume to "
            "continue it, or give another --folder (or remove this one)"
        )
    if resume and journal.exists():
        try:
            old = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise CalibrationError(
                f"{meta} is missing or unreadable: cannot check that the study in {out} has the "
                "same settings; remove the folder to start again"
            ) from None
        if old != json.loads(json.dumps(settings)):
            changed = sorted(
                k for k in settings if old.get(k) != json.loads(json.dumps(settings))[k]
            )
            raise CalibrationError(
                f"the study in {out} was started with other settings ({', '.join(changed)}); "
                "resume it with the same options, or give another --folder"
            )
    out.mkdir(parents=True, exist_ok=True)
    if not meta.exists():
        write_text(meta, json.dumps(settings, indent=2) + "\n")
    storage = JournalStorage(JournalFileBackend(str(journal)))
    return optuna.create_study(
        study_name=_study_name(settings),
        storage=storage,
        direction="minimize",
        load_if_exists=True,
    )


def _record(trial: optuna.trial.FrozenTrial) -> TrialRecord:
    return TrialRecord(
        number=trial.number,
        params={k: float(v) for k, v in trial.params.items()},
        loss=float(trial.value) if trial.value is not None else float("nan"),
        series_loss={k: float(v) for k, v in trial.user_attrs.get("series_loss", {}).items()},
        seconds=float(trial.user_attrs.get("seconds", float("nan"))),
    )


ProgressFn = Callable[[int, int, float | None], None]
"""Called after each told trial with (complete trials, requested trials, best loss so far)."""


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
    import optuna

    from corredor.results.corridor import AgentBudgetError
    from corredor.scenario.corridor import CorridorScenario, load_corridor_scenario

    t0 = time.perf_counter()
    if trials < 1 or batch < 1 or workers < 1:
        raise CalibrationError("--trials, --batch and --workers must be >= 1")
    sc = scenario if isinstance(scenario, CorridorScenario) else load_corridor_scenario(scenario)
    last = check_until(until)
    if last <= sc.start + dt.timedelta(days=60):
        raise CalibrationError(f"--until {last} leaves no data after the spin-up to fit")
    if install and _in_package(sc):
        raise CalibrationError(
            f"{sc.name} ships with Corredor: its calibrated.yaml is never rewritten by a "
            "calibration; the fit goes to the output folder (run with --calibration FOLDER)"
        )
    if install and last != check_until(None):
        raise CalibrationError(
            f"a fit to data up to {last} is a study, not the scenario's calibration: it is "
            "written only to the output folder"
        )
    days = min(sc.days, (last - sc.start).days + 1)
    params = select_parameters(sc, parameters, until=last)
    targets = Targets.from_scenario(sc)
    # observables declared fit: false weigh 0 in every loss and are not in the settings
    w = weights_for(targets.fitted_names, weights)
    start: dict[str, float] = {}
    base_info: dict[str, Any] = {}
    if base is not None:
        from corredor.calibration.calibrated import read_calibrated

        prior = read_calibrated(base, sc)
        if prior.data_until > last:
            raise CalibrationError(
                f"{base}: fitted to data up to {prior.data_until}, after --until {last}"
            )
        start = dict(prior.parameters)
        base_info = {"file": str(base), "command": prior.command, "version": prior.version}
    settings = _settings(
        sc, params, seed=seed, sampler_seed=sampler_seed, until=last, weights=w, batch=batch
    )
    if start:
        settings["base"] = dict(sorted(start.items()))
    out = Path(out)
    study = _open_study(out, settings, resume)
    dists = _distributions(params)
    defaults = {**sc.calibration_defaults(), **start}
    existing = study.get_trials(deepcopy=False)
    resumed = sum(1 for t in existing if t.state == optuna.trial.TrialState.COMPLETE)
    if not existing:
        study.enqueue_trial({p.name: _clip(p, defaults[p.name]) for p in params})

    def complete() -> list[optuna.trial.FrozenTrial]:
        return study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))

    def best_loss() -> float | None:
        done = complete()
        return min(float(t.value) for t in done if t.value is not None) if done else None

    def budget() -> Budget | None:
        done = complete()
        if agent_budget <= 0 or not done:
            return None
        first = min(done, key=lambda t: t.number).user_attrs

        def times(key: str) -> int | None:
            # a study journal of an earlier version has no agent-days: no such budget
            return int(agent_budget * float(first[key])) if first.get(key) else None

        return Budget(times("agents"), times("agent_days"))

    failed = 0
    with _runner(
        sc, seed=seed, days=days, workers=workers, scheduler=scheduler, threads=threads
    ) as run_batch:
        while True:
            _warm_start(study, params)
            n_done = len(complete())
            if progress is not None:
                progress(n_done, trials, best_loss())
            running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
            # trials left running by a killed run beyond the number now wanted are not run
            keep = max(0, trials - n_done)
            for t in running[keep:]:
                study.tell(
                    optuna.trial.Trial(study, t._trial_id), state=optuna.trial.TrialState.FAIL
                )
            running = running[:keep]
            if n_done >= trials:
                break
            # a batch: trials left running by an interrupted run first, then new ones — unless
            # the run was killed while telling their batch's results: the uninterrupted run
            # drew the next trials only once the whole batch was told, so they run alone
            told = {
                t.user_attrs.get("batch")
                for t in study.get_trials(deepcopy=False)
                if t.state != optuna.trial.TrialState.RUNNING and "batch" in t.user_attrs
            }
            partly_told = any(t.user_attrs.get("batch") in told for t in running)
            pending = [p for t in running if (p := _left_running(study, t, params)) is not None]
            batch_no = 1 + max(
                (int(t.user_attrs.get("batch", -1)) for t in study.get_trials(deepcopy=False)),
                default=-1,
            )
            if pending:
                batch_no = int(running[0].user_attrs.get("batch", batch_no))
            # the first batch is trial 0 alone (the defaults): the agent budget of every
            # later trial is known from it
            size = 1 if agent_budget > 0 and not complete() else batch
            while not partly_told and len(pending) < size and n_done + len(pending) < trials:
                study.sampler = _sampler(sampler_seed, _ordinal(study))
                trial = study.ask(dists)
                trial.set_user_attr("batch", batch_no)
                pending.append((trial, {p.name: float(trial.params[p.name]) for p in params}))
            results = run_batch([{**defaults, **values} for _t, values in pending], budget())
            for (trial, _values), res in zip(pending, results, strict=True):
                if isinstance(res, AgentBudgetError):
                    trial.set_user_attr("pruned", str(res))
                    study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                    continue
                if isinstance(res, BaseException):
                    failed += 1
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                    if failed > max(3, trials // 4):
                        raise CalibrationError(
                            f"{failed} trials failed; the last: {type(res).__name__}: {res}"
                        )
                    continue
                report = targets.loss(res.obs_daily, until=last, weights=w)
                if not math.isfinite(report.total):
                    failed += 1
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                    continue
                trial.set_user_attr("seconds", res.seconds)
                trial.set_user_attr("agents", res.agents)
                trial.set_user_attr("agent_days", res.agent_days)
                scored = [r for r in report.series.to_dict("records") if r["scored"] > 0]
                trial.set_user_attr(
                    "series_loss", {str(r["observable"]): float(r["loss"]) for r in scored}
                )
                trial.set_user_attr(
                    "series_bias", {str(r["observable"]): float(r["log_bias"]) for r in scored}
                )
                study.tell(trial, report.total)

    records = tuple(_record(t) for t in sorted(complete(), key=lambda t: t.number))
    if not records:
        raise CalibrationError("no trial completed")
    best = min(records, key=lambda r: (r.loss, r.number))
    default_values = {p.name: _clip(p, defaults[p.name]) for p in params}
    default_trial = next((r for r in records if r.params == default_values), None)
    members, relaxed = plausible_sets(records, best, w, cut=cut, max_members=max_members)
    wall = time.perf_counter() - t0
    study_info: dict[str, Any] = {
        "method": "Optuna TPE (multivariate, constant liar), synchronous batches; history "
        "matching over the evaluated trials for the ensemble",
        "optuna": optuna.__version__,
        "trials": len(records),
        "failed_trials": failed,
        "pruned_trials": len(
            study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.PRUNED,))
        ),
        "agent_budget": agent_budget,
        "batch": batch,
        "seed": seed,
        "sampler_seed": sampler_seed,
        "best_trial": best.number,
        "default_loss": None if default_trial is None else default_trial.loss,
        "implausibility_cut": cut,
        "cut_relaxed": relaxed,
        "wall_seconds_last_session": round(wall, 1),
        "search": {p.name: {"low": p.low, "high": p.high, "log": p.log} for p in params},
        **({"base": base_info} if base_info else {}),
    }
    ensemble = [
        EnsembleMember(weight=1.0 / len(members), parameters={**start, **m.params}, loss=m.loss)
        for m in members
    ]
    kwargs: dict[str, Any] = {
        "parameters": {**start, **best.params},
        "loss": best.loss,
        "command": command or f"corredor.calibration.fit.calibrate({sc.name!r}, ...)",
        "data_until": last,
        "ensemble": ensemble,
        "scenario": sc,
        "study": study_info,
    }
    written = [out / OUTPUT_CALIBRATED]
    cal = save_calibrated(out / OUTPUT_CALIBRATED, **kwargs)
    if install:
        from corredor.calibration.calibrated import calibrated_path

        target = calibrated_path(sc)
        if target is None:
            raise CalibrationError("the scenario was not read from a file: nowhere to install")
        cal = save_calibrated(target, **kwargs)
        written.append(target)
    write_csv(out / TRIALS_FILE, trials_frame(records))
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
        failed=failed,
        written=tuple(written),
    )


def _in_package(scenario: CorridorScenario) -> bool:
    """Whether the scenario's files are inside the installed package (a built-in scenario)."""
    from importlib import resources

    if scenario.path is None:
        return False
    package = Path(str(resources.files("corredor"))).resolve()
    return package in Path(scenario.path).resolve().parents


def _ordinal(study: optuna.Study) -> int:
    """The position of the next trial in the study's sequence: trials abandoned half-drawn by
    a killed run (:func:`_left_running`) do not count, so the trial drawn in their place gets
    the sampler seed, and so the values, that the uninterrupted run gave it."""
    return sum(1 for t in study.get_trials(deepcopy=False) if not t.user_attrs.get("abandoned"))


def _left_running(
    study: optuna.Study, frozen: optuna.trial.FrozenTrial, params: Sequence[FitParameter]
) -> tuple[optuna.trial.Trial, dict[str, float]] | None:
    """A trial left running by a killed run, with its parameter values; None if the run was
    killed while the values were being drawn: the trial is then abandoned (failed, marked) and
    drawn again as a new trial."""
    import optuna

    trial = optuna.trial.Trial(study, frozen._trial_id)  # from its storage id
    if all(p.name in frozen.params for p in params):
        return trial, {p.name: float(frozen.params[p.name]) for p in params}
    trial.set_user_attr("abandoned", True)
    study.tell(trial, state=optuna.trial.TrialState.FAIL)
    fixed = frozen.system_attrs.get("fixed_params")
    if fixed:  # an enqueued trial (the warm start): enqueued again, drawn next with its values
        study.enqueue_trial(dict(fixed))
    return None


def _warm_start(study: optuna.Study, params: Sequence[FitParameter]) -> None:
    """Enqueue the warm-start trial once the default trial (number 0) is complete (once)."""
    import optuna

    if study.user_attrs.get("warm_start_done") or not any(p.scales for p in params):
        return
    first = [
        t
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if t.number == 0
    ]
    if not first:
        return
    waiting = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,))
    if waiting:  # enqueued by a run killed before it could record so
        study.set_user_attr("warm_start_done", True)
        return
    bias = first[0].user_attrs.get("series_bias", {})
    values = {p.name: float(first[0].params[p.name]) for p in params}
    for p in params:
        if p.scales and p.scales in bias and math.isfinite(bias[p.scales]):
            values[p.name] = _clip(p, values[p.name] * math.exp(-bias[p.scales]))
    study.enqueue_trial(values)
    study.set_user_attr("warm_start_done", True)


def implausibility(
    trial: TrialRecord, best: TrialRecord, weights: Mapping[str, float], sigma: float = SIGMA_OBS
) -> float:
    """Second-largest ``I_s = sqrt(L_s(x) / (L_s(x*) + σ²))`` over the weighted series (the
    largest when there are fewer than :data:`SECOND_MAX_FROM` series)."""
    values = sorted(
        (
            math.sqrt(trial.series_loss[s] / (best.series_loss[s] + sigma**2))
            for s in best.series_loss
            if weights.get(s, 0.0) > 0 and s in trial.series_loss
        ),
        reverse=True,
    )
    if not values:
        return float("inf")
    return values[1] if len(values) >= SECOND_MAX_FROM else values[0]


def plausible_sets(
    trials: Sequence[TrialRecord],
    best: TrialRecord,
    weights: Mapping[str, float],
    *,
    cut: float = DEFAULT_CUT,
    max_members: int = 16,
) -> tuple[list[TrialRecord], bool]:
    """The plausible trials (module docstring), lowest loss first, and whether the cut was
    relaxed (to twice its value, never further) to reach :data:`MIN_MEMBERS`."""
    ranked = sorted(trials, key=lambda t: (t.loss, t.number))
    ok = [t for t in ranked if implausibility(t, best, weights) <= cut]
    relaxed = False
    if len(ok) < MIN_MEMBERS:  # relax the cut to twice its value, never further
        wider = [t for t in ranked if implausibility(t, best, weights) <= 2 * cut]
        relaxed = len(wider) > len(ok)
        ok = wider[: max(MIN_MEMBERS, len(ok))]
    # distinct parameter sets only (an enqueued default may repeat a sampled one)
    seen: set[tuple[tuple[str, float], ...]] = set()
    out = []
    for t in ok:
        key = tuple(sorted(t.params.items()))
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out[: max(1, max_members)], relaxed


def evaluate_loss(
    scenario: CorridorScenario,
    calibration: Mapping[str, float],
    *,
    seed: int = 0,
    until: str | dt.date | None = None,
    weights: Mapping[str, float] | None = None,
) -> LossReport:
    """The loss of one run of ``scenario`` with ``calibration`` over the scenario defaults."""
    last = check_until(until)
    days = min(scenario.days, (last - scenario.start).days + 1)
    sim = simulate(scenario, {**scenario.calibration_defaults(), **calibration}, seed, days)
    return Targets.from_scenario(scenario).loss(sim.obs_daily, until=last, weights=weights)


__all__ = [
    "DEFAULT_CUT",
    "DEFAULT_PARAMETERS",
    "MEXICO_US_PARAMETERS",
    "Budget",
    "CalibrationError",
    "CalibrationResult",
    "FitParameter",
    "Simulation",
    "TrialRecord",
    "calibrate",
    "evaluate_loss",
    "implausibility",
    "plausible_sets",
    "select_parameters",
    "simulate",
    "trials_frame",
]
