"""The Python API: ``corredor.run`` for scenarios of both kinds, and ``corredor.scenarios``.

>>> import corredor
>>> corredor.scenarios()                                        # doctest: +SKIP
['mexico-us', 'burundi2015', 'mali2012', ...]
>>> result = corredor.run("mali2012", seed=1, replicas=4)       # doctest: +SKIP
>>> result.summary()["ard_rescaled"]                            # doctest: +SKIP
>>> mx = corredor.run("mexico-us", days=365, set={"usbp_hazard": 4.0},
...                   without_events=["mx-gn-south-2019"])      # doctest: +SKIP
>>> mx.ledger()                                                 # doctest: +SKIP

Every keyword is a field of :class:`corredor.app.RunRequest` (the command line's ``corredor
run`` options have the same names): it is validated, and an option that does not apply to the
scenario's kind is an error (:class:`corredor.app.InapplicableOptionError`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corredor.app.flee import run_flee_request
from corredor.app.kinds import builtin_scenarios, scenario_kind
from corredor.app.requests import RunRequest, applies_to

if TYPE_CHECKING:
    from corredor.store import ResultsStore

ProgressCallback = Callable[[float, float, str], None]
"""Called as the run advances with ``(done, total, what)``, e.g. ``(120, 365, "days")``."""


def scenarios() -> list[str]:
    """The names of the built-in scenarios of both kinds (corridor and Flee)."""
    return [s.name for s in builtin_scenarios()]


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
    calibration: str = "shipped",
    set: Mapping[str, float] | None = None,
    without_events: Sequence[str] = (),
    events: Sequence[str | Path] = (),
    store: str | Path | ResultsStore | None = None,
) -> Any:
    """Run a scenario of either kind and return its results.

    Args:
        scenario: a built-in scenario name (``corredor.scenarios()`` lists them), a corridor
            scenario YAML file (or its folder), or a Flee scenario folder.
        seed: seed of the first replica; replica ``k`` uses ``seed + k``.
        replicas: number of independent replicas. A corridor scenario with several replicas
            runs as an ensemble (a ``CorridorEnsemble``, with bands).
        days: simulate this many days instead of the scenario's period.
        hasten: Flee only: divide populations, capacities and data by this integer.
        flee31_quirks: Flee only: reproduce Flee 3.1's known bugs (default: the scenario's).
        threads: numba threads; results do not depend on it.
        parallel: Flee only: every decision in a movement pass sees the location counts at the
            start of the pass (Flee's MPI semantics).
        progress: ``progress(done, total, what)`` as the run advances.
        workers: run the replicas on this many local worker processes (same results).
        scheduler: run the replicas on the Dask cluster at this address (``tcp://HOST:PORT``).
        calibration: corridor only: ``"shipped"`` (the scenario's calibrated file), ``"none"``
            (hand-set defaults), a calibrated file or folder, or a stored calibration run id.
        set: corridor only: levers and parameters to set, ``{name: value}``, each checked
            against its range (``corredor scenario levers SCENARIO`` lists them).
        without_events: corridor only: ids of the scenario's policy events to leave out.
        events: corridor only: files of policy events to add (e.g. a counterfactual).
        store: also save the result in this results store (a folder or a ``ResultsStore``)
            with its provenance; its run id is then ``result.run_id`` (Flee) or in the store's
            catalogue.

    Returns:
        a ``RunResult`` (Flee), a ``CorridorResult`` (one corridor run) or a
        ``CorridorEnsemble`` (several).
    """
    request = RunRequest(
        scenario=str(scenario),
        seed=seed,
        replicas=replicas,
        days=days,
        hasten=hasten,
        flee31_quirks=flee31_quirks,
        threads=threads,
        parallel=parallel,
        workers=workers,
        scheduler=scheduler,
        calibration=calibration,
        set=dict(set or {}),
        without_events=list(without_events),
        events=[str(e) for e in events],
    )
    if store is None:
        kind = scenario_kind(request.scenario)
        if kind == "flee":  # the Flee engine only: no corridor machinery, no store
            applies_to(request, kind, request.scenario)
            return run_flee_request(request, progress)
        # a corridor run loads the corridor machinery (and a Flee run does not)
        from corredor.app.simulation import simulate  # noqa: PLC0415

        return simulate(request, progress)

    # only a stored run loads the store (DuckDB, pandas)
    from corredor.app.simulation import run as run_and_store  # noqa: PLC0415
    from corredor.store import ResultsStore  # noqa: PLC0415

    target = store if isinstance(store, ResultsStore) else ResultsStore(store)
    return run_and_store(request, target, progress).result
