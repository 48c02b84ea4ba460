"""Corridor ensembles: replicas × parameter sets of a corridor scenario, on any backend.

>>> from corredor.ensemble.corridor import run_corridor_ensemble
>>> ens = run_corridor_ensemble("mexico-us", seeds=range(8), workers=2)   # doctest: +SKIP
>>> ens.bands("monthly")                                                  # doctest: +SKIP

Every parameter set runs with the **same seeds** (common random numbers): replica ``r`` of every
set and of every scenario variant draws the same random numbers for the same agent, day and
decision, so differences between sets or scenarios are paired (:func:`compare_corridor`).

How the work is shipped (the same backends as the Flee ensembles, ``backends.py``):

1. the scenario is loaded and checked **once**, in the calling process, with the parameter sets
   and the extra policy events; the first set is compiled there too, so bad input fails before
   any worker starts;
2. the :class:`PreparedCorridor` (the validated scenario, about 175 kB for ``mexico-us``, the
   sets, the seeds, the events) goes to each worker **once** (pool initializer, or
   ``client.scatter(..., broadcast=True)`` on Dask). Each task compiles its set's daily arrays
   (0.1 s against a run of about a minute; the compiled arrays of ``mexico-us`` weigh 21 MB, so
   shipping them per set would cost more than compiling them);
3. a task is one (set, seed) pair; it returns a compact :class:`CorridorReplica` (every
   observable per month and the ledger per year: a few tens of kB), never the agent table;
4. results stream back as they finish (``as_completed``) and are placed by task number, so the
   result is bit for bit the same whatever the backend, the worker count and the completion
   order.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from corredor.ensemble.backends import EnsembleError, set_numba_threads
from corredor.ensemble.corridor_results import CorridorEnsemble
from corredor.ensemble.parameter_sets import (
    ParameterSet,
    check_sets,
    normalise_sets,
    resolve_sets,
)
from corredor.ensemble.runner import Backend, Progress, _seed_list, choose_backend, execute_all
from corredor.rules.corridor.compiled import compile_corridor
from corredor.scenario.corridor import CorridorScenario, load_corridor_scenario
from corredor.simulation.corridor import run_corridor

if TYPE_CHECKING:
    from distributed import Client

    from corredor.policy.events import PolicyEvent
    from corredor.results.corridor import CorridorResult

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CorridorReplica:
    """What one task sends back: one (parameter set, seed) run reduced to its tables."""

    task: int
    set_index: int
    seed: int
    monthly: FloatArray  # (M, K) every observable per month (+ first/repeat encounters)
    monthly_columns: tuple[str, ...]
    ledger: FloatArray  # (Y, E) the human-cost ledger per calendar year
    ledger_columns: tuple[str, ...]
    years: tuple[int, ...]
    agents: int
    seconds: float
    warnings: tuple[str, ...] = ()


def summarise(result: CorridorResult, *, task: int, set_index: int) -> CorridorReplica:
    """The compact summary of a run that an ensemble keeps."""
    monthly = result.monthly()
    ledger = result.ledger()
    return CorridorReplica(
        task=task,
        set_index=set_index,
        seed=int(result.seed),
        monthly=np.ascontiguousarray(monthly.to_numpy(dtype=np.float64)),
        monthly_columns=tuple(str(c) for c in monthly.columns),
        ledger=np.ascontiguousarray(ledger.to_numpy(dtype=np.float64)),
        ledger_columns=tuple(str(c) for c in ledger.columns),
        years=tuple(int(y) for y in ledger.index),
        agents=int(result.agents),
        seconds=float(result.seconds),
        warnings=tuple(result.warnings),
    )


@dataclass(frozen=True)
class PreparedCorridor:
    """A corridor scenario loaded once, with its parameter sets, seeds, days and extra events.

    Task ``k`` is parameter set ``k // R`` with seed ``seeds[k % R]`` (``R = len(seeds)``).
    """

    scenario: CorridorScenario
    sets: tuple[dict[str, float], ...]  # complete calibrations (``resolve_sets``)
    seeds: tuple[int, ...]
    n_days: int
    extra_events: tuple[PolicyEvent, ...] = ()

    @property
    def days(self) -> int:
        return self.n_days

    @property
    def tasks(self) -> int:
        return len(self.sets) * len(self.seeds)

    def task(self, k: int) -> tuple[int, int]:
        """(parameter set index, seed) of task ``k``."""
        return k // len(self.seeds), self.seeds[k % len(self.seeds)]

    def run_replica(
        self,
        seed: int,
        *,
        threads: int | None = None,
        on_day: Callable[[int], None] | None = None,
    ) -> CorridorReplica:
        """Run task number ``seed`` (the backends key tasks by an integer)."""

        set_numba_threads(threads)
        k = int(seed)
        i, s = self.task(k)

        def progress(d: int, n: int) -> None:
            if on_day is not None:
                on_day(d)

        result = run_corridor(
            self.scenario,
            seed=s,
            days=self.n_days,
            calibration=self.sets[i],
            extra_events=self.extra_events,
            progress=progress if on_day is not None else None,
        )
        return summarise(result, task=k, set_index=i)


def load(scenario: str | Path | CorridorScenario) -> CorridorScenario:
    """A loaded corridor scenario (a name, a YAML file, a folder, or already loaded)."""

    return scenario if isinstance(scenario, CorridorScenario) else load_corridor_scenario(scenario)


def prepare_corridor(
    scenario: str | Path | CorridorScenario,
    *,
    seeds: Iterable[int],
    parameter_sets: Iterable[ParameterSet | Mapping[str, float]] | None = None,
    days: int | None = None,
    extra_events: Sequence[PolicyEvent] = (),
) -> tuple[PreparedCorridor, list[ParameterSet]]:
    """Load and check everything in the calling process; compile the first set as a check."""

    sc = load(scenario)
    seed_list = _seed_list(seeds)
    sets = normalise_sets(parameter_sets)
    check_sets(sc, sets)
    n_days = sc.days if days is None else int(days)
    if n_days < 1:
        raise EnsembleError(f"days must be at least 1, got {n_days}")
    events = tuple(extra_events)
    resolved = resolve_sets(sc, sets)
    compile_corridor(sc, resolved[0], days=n_days, extra_events=events)
    prepared = PreparedCorridor(
        scenario=sc,
        sets=tuple(resolved),
        seeds=tuple(seed_list),
        n_days=n_days,
        extra_events=events,
    )
    return prepared, sets


def run_corridor_ensemble(
    scenario: str | Path | CorridorScenario,
    *,
    seeds: Iterable[int] = (0,),
    parameter_sets: Iterable[ParameterSet | Mapping[str, float]] | None = None,
    days: int | None = None,
    extra_events: Sequence[PolicyEvent] = (),
    backend: Backend | None = None,
    workers: int | None = None,
    scheduler: str | Client | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
    connect_timeout: float | None = None,
) -> CorridorEnsemble:
    """Run every parameter set with every seed and keep each run's monthly observables and
    yearly ledger.

    Args:
        scenario: a corridor scenario (built-in name, YAML file, folder) or a loaded one.
        seeds: the replicas' seeds (distinct integers), the same for every parameter set.
        parameter_sets: calibration overrides with weights (:class:`ParameterSet` or plain
            mappings); default: the scenario's defaults only. See
            :func:`corredor.ensemble.parameter_sets.calibrated_parameter_sets`.
        days: simulated days (default: the scenario's); may run past its end (drivers are held
            at their last values).
        extra_events: policy events added to the scenario's (counterfactuals, forecasts).
        backend, workers, scheduler, threads, connect_timeout: as in
            :func:`corredor.ensemble.run_ensemble`.
        progress: ``progress(task, day, days)``: ``(0, -1, days)`` once as the runs start,
            then after every day on the serial backend, once per task as its result arrives on
            the others.

    Returns:
        A :class:`~corredor.ensemble.corridor_results.CorridorEnsemble`, identical whatever the
        backend and the number of workers.
    """
    prepared, sets = prepare_corridor(
        scenario, seeds=seeds, parameter_sets=parameter_sets, days=days, extra_events=extra_events
    )
    chosen, n_workers = choose_backend(backend, workers, scheduler, threads, prepared.tasks)
    n_days = prepared.n_days
    t0 = time.perf_counter()
    if progress is not None:
        progress(0, -1, n_days)  # the runs start: a bar and its clock from now
    outputs: list[CorridorReplica | None] = execute_all(
        prepared,
        list(range(prepared.tasks)),
        backend=chosen,
        workers=n_workers,
        scheduler=scheduler,
        threads=threads,
        connect_timeout=connect_timeout,
        progress=progress,
        days=n_days,
    )
    done = [o for o in outputs if o is not None]
    if len(done) != prepared.tasks:  # pragma: no cover - backends deliver every result or raise
        raise EnsembleError(f"{prepared.tasks - len(done)} task(s) returned no result")
    return assemble(prepared, sets, done, wall_seconds=time.perf_counter() - t0)


def assemble(
    prepared: PreparedCorridor,
    sets: Sequence[ParameterSet],
    outputs: Sequence[CorridorReplica],
    *,
    wall_seconds: float = float("nan"),
) -> CorridorEnsemble:
    """Stack the task outputs (in task order) into a :class:`CorridorEnsemble`."""

    P, R = len(prepared.sets), len(prepared.seeds)
    by_task = sorted(outputs, key=lambda o: o.task)
    first = by_task[0]
    for o in by_task:
        if (o.monthly_columns, o.ledger_columns, o.years) != (
            first.monthly_columns,
            first.ledger_columns,
            first.years,
        ) or o.monthly.shape != first.monthly.shape:  # pragma: no cover - same scenario & days
            raise EnsembleError(f"task {o.task} returned tables of another shape")
    monthly = np.stack([o.monthly for o in by_task]).reshape(P, R, *first.monthly.shape)
    ledger = np.stack([o.ledger for o in by_task]).reshape(P, R, *first.ledger.shape)
    sc = prepared.scenario
    months = pd.date_range(sc.start.replace(day=1), periods=first.monthly.shape[0], freq="MS")
    warnings = tuple(dict.fromkeys(w for o in by_task for w in o.warnings))
    return CorridorEnsemble(
        scenario=sc.name,
        start=sc.start,
        days=prepared.n_days,
        seeds=prepared.seeds,
        sets=tuple(sets),
        months=tuple(dt.date(m.year, m.month, 1) for m in months),
        observables=first.monthly_columns,
        monthly=monthly,
        years=first.years,
        ledger_entries=first.ledger_columns,
        ledger=ledger,
        agents=np.array([o.agents for o in by_task], dtype=np.int64).reshape(P, R),
        seconds=np.array([o.seconds for o in by_task], dtype=np.float64).reshape(P, R),
        wall_seconds=float(wall_seconds),
        extra_events=tuple(e.id for e in prepared.extra_events),
        warnings=warnings,
    )


__all__ = [
    "CorridorReplica",
    "PreparedCorridor",
    "assemble",
    "load",
    "prepare_corridor",
    "run_corridor_ensemble",
    "summarise",
]
