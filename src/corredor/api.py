"""The Python API: ``corredor.run`` and friends.

>>> import corredor
>>> result = corredor.run("mali2012", seed=1, replicas=4)      # doctest: +SKIP
>>> result.summary()["ard_rescaled"]                            # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from corredor.results import RunResult

ProgressCallback = Callable[[int, int, int], None]
"""Called after each simulated day with (replica, day, days)."""


def run(
    scenario: str | Path,
    *,
    seed: int = 0,
    replicas: int = 1,
    days: int | None = None,
    hasten: int | None = None,
    flee31_quirks: bool | None = None,
    threads: int | None = None,
    parallel: bool = False,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> RunResult:
    """Run a scenario and return its results.

    Args:
        scenario: a Flee scenario directory, or the name of a built-in scenario
            (``corredor.scenarios()`` lists them).
        seed: seed of the first replica; replica ``k`` uses ``seed + k``.
        replicas: number of independent replicas.
        days: simulate this many days instead of the scenario's period.
        hasten: divide populations, capacities and data by this integer (Flee's ``hasten``).
        flee31_quirks: reproduce Flee 3.1's known bugs (default: the scenario's setting, False).
        threads: numba threads for the parallel kernels (default: all cores); results do not
            depend on it.
        parallel: let every decision in a movement pass see the location counts at the start
            of the pass (Flee's MPI semantics) so that agents move in parallel; the default
            updates counts as each agent moves (Flee's serial semantics).
        progress: optional callback after each day (with several workers: once per replica,
            as it finishes).
        workers: run the replicas on this many local worker processes (when > 1 and there are
            several replicas); the results are identical. See ``corredor.ensemble``.
        scheduler: run the replicas on the Dask cluster at this address (``tcp://HOST:PORT``).
    """
    if scheduler is not None or (workers is not None and workers > 1 and replicas > 1):
        from corredor.ensemble import run_ensemble

        return run_ensemble(
            scenario,
            seeds=range(seed, seed + max(replicas, 0)),
            backend="dask" if scheduler is not None else "processes",
            workers=workers,
            scheduler=scheduler,
            days=days,
            hasten=hasten,
            flee31_quirks=flee31_quirks,
            threads=threads,
            parallel=parallel,
            progress=progress,
        )
    from corredor.simulation.flee import run_flee

    return run_flee(
        scenario,
        seed=seed,
        replicas=replicas,
        days=days,
        hasten=hasten,
        flee31_quirks=flee31_quirks,
        threads=threads,
        parallel=parallel,
        progress=progress,
    )
