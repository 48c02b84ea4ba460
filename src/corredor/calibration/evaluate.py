"""Evaluating parameter sets: one run of a corridor scenario per complete calibration, in this
process, on a pool of local processes or on Dask (the backends of
:mod:`corredor.ensemble.backends`), and the loss of one such run."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt

from corredor.calibration.loss import LossReport, Targets, check_until
from corredor.calibration.parameters import CalibrationError
from corredor.ensemble.backends import EnsembleError, task_pool
from corredor.simulation.corridor import run_corridor

if TYPE_CHECKING:
    from corredor.scenario.corridor import CorridorScenario


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


def simulate(
    scenario: CorridorScenario,
    calibration: Mapping[str, float],
    seed: int,
    days: int,
    budget: Budget | None = None,
) -> Simulation:
    """Run ``scenario`` with exactly ``calibration`` (complete: defaults + fitted values);
    raises :class:`~corredor.results.corridor.AgentBudgetError` past the ``budget``."""
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


class _Evaluation(NamedTuple):
    calibration: dict[str, float]
    seed: int
    days: int
    budget: Budget | None


def _evaluate(scenario: CorridorScenario, task: _Evaluation) -> Simulation:
    """One task of a pool: the scenario is the pool's payload (sent once per worker)."""
    return simulate(scenario, task.calibration, task.seed, task.days, task.budget)


Runner = Callable[..., list[Simulation | BaseException]]
"""``run(batch, budget=None)``: evaluates a batch of complete calibrations, under a
:class:`Budget` if one is given; an evaluation that failed gives its exception."""


@contextmanager
def evaluations(
    scenario: CorridorScenario,
    *,
    seed: int,
    days: int,
    workers: int,
    scheduler: str | None,
    threads: int | None,
) -> Iterator[Runner]:
    """A batch evaluator (:data:`Runner`) on :func:`corredor.ensemble.backends.task_pool`: in
    this process (``workers <= 1``), a pool of spawned processes, or the Dask cluster at
    ``scheduler`` (the scenario is sent once per worker)."""
    with task_pool(scenario, workers=workers, scheduler=scheduler, threads=threads) as pool:

        def run(
            batch: Sequence[Mapping[str, float]], budget: Budget | None = None
        ) -> list[Simulation | BaseException]:
            tasks = [_Evaluation(dict(c), seed, days, budget) for c in batch]
            try:
                return pool.map(_evaluate, tasks)
            except EnsembleError as exc:
                raise CalibrationError(f"{exc}. The study is kept: rerun with --resume") from None

        yield run


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


__all__ = ["Budget", "Runner", "Simulation", "evaluate_loss", "evaluations", "simulate"]
