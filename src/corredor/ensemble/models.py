"""What an ensemble runs: a *prepared* scenario that can run one replica per seed.

The ensemble backends know nothing about Flee. They need a picklable object, built once from
``(scenario, run options)`` in the calling process and shipped once to every worker, that

* runs one replica from a seed (:meth:`PreparedScenario.run_replica`), returning a small,
  picklable :class:`ReplicaOutput`; a replica is a pure function of (scenario, settings, seed)
  thanks to the counter-based random streams, so it does not matter where it runs;
* turns the replicas, in seed order, into the same :class:`~corredor.results.RunResult` that
  ``corredor.run`` returns (:meth:`PreparedScenario.assemble`).

The Flee rule set is the only implementation today (:class:`FleeEnsemble`); the corridor model
plugs in by adding its own prepared class and a branch in :func:`prepare`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from corredor.ensemble.backends import set_numba_threads
from corredor.scenario.builtin import resolve_scenario
from corredor.scenario.flee import load_flee_scenario
from corredor.simulation.flee import flee_result, simulate

if TYPE_CHECKING:
    from corredor.results import RunResult
    from corredor.scenario.flee import FleeScenario

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ReplicaOutput:
    """What one replica sends back: its tracker outputs (one row per day) and its cost."""

    seed: int
    counts: IntArray  # (T, L) agents at each location at the end of each day
    agents_total: IntArray  # (T,)
    observed_total: IntArray  # (T,) Flee's raw UNHCR count as the run saw it
    refugee_debt: IntArray  # (T,)
    elapsed_s: float
    agent_steps: int


class PreparedScenario(Protocol):
    """A scenario loaded once, with its run options, ready to run replicas anywhere."""

    @property
    def days(self) -> int:
        """Number of simulated days of every replica."""
        ...

    def run_replica(
        self,
        seed: int,
        *,
        threads: int | None = None,
        on_day: Callable[[int], None] | None = None,
    ) -> ReplicaOutput:
        """Run the replica with this seed (``threads``: numba threads, None = leave as is)."""
        ...

    def assemble(self, outputs: Sequence[ReplicaOutput]) -> RunResult:
        """The ``RunResult`` of these replicas, in the order given."""
        ...


@dataclass(frozen=True)
class FleeEnsemble:
    """A Flee scenario loaded once (``days``/``hasten`` applied) plus the rule options."""

    scenario: FleeScenario
    quirks: bool
    parallel: bool

    @property
    def days(self) -> int:
        return int(self.scenario.length)

    def run_replica(
        self,
        seed: int,
        *,
        threads: int | None = None,
        on_day: Callable[[int], None] | None = None,
    ) -> ReplicaOutput:

        set_numba_threads(threads)
        _, tracked, secs = simulate(
            self.scenario, seed=seed, quirks=self.quirks, live=not self.parallel, on_day=on_day
        )
        return ReplicaOutput(
            seed=seed,
            counts=tracked.counts,
            agents_total=tracked.agents,
            observed_total=tracked.raw,
            refugee_debt=tracked.debt,
            elapsed_s=float(secs),
            agent_steps=int(tracked.agents.sum()),
        )

    def assemble(self, outputs: Sequence[ReplicaOutput]) -> RunResult:
        """Same fields, dtypes and values as ``corredor.simulation.flee.run_flee``."""

        return flee_result(
            self.scenario,
            quirks=self.quirks,
            parallel=self.parallel,
            seeds=[o.seed for o in outputs],
            counts=[o.counts for o in outputs],
            agents_total=[o.agents_total for o in outputs],
            observed_total=[o.observed_total for o in outputs],
            refugee_debt=[o.refugee_debt for o in outputs],
            elapsed_s=[o.elapsed_s for o in outputs],
            agent_steps=[o.agent_steps for o in outputs],
        )


def prepare(
    scenario: str | Path,
    *,
    days: int | None = None,
    hasten: int | None = None,
    flee31_quirks: bool | None = None,
    parallel: bool = False,
) -> PreparedScenario:
    """Load ``scenario`` once and bind the run options (the arguments of ``corredor.run``).

    Raises the loader's ``ScenarioError`` on bad input, in the calling process, before any worker
    is started.
    """

    sc = load_flee_scenario(resolve_scenario(scenario), hasten=hasten, days=days)
    quirks = bool(sc.settings.corredor.flee31_quirks) if flee31_quirks is None else flee31_quirks
    return FleeEnsemble(scenario=sc, quirks=bool(quirks), parallel=bool(parallel))


__all__ = ["FleeEnsemble", "PreparedScenario", "ReplicaOutput", "prepare", "set_numba_threads"]
