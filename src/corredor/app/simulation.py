"""Use case ``run``: run a scenario of either kind and store the result (``simulate``: without
storing it; ``find``/``lookup``: an identical run already stored or running).

>>> from corredor.app import RunRequest, run
>>> from corredor.store import ResultsStore
>>> stored = run(RunRequest(scenario="mexico-us", days=30), ResultsStore("runs"))  # doctest: +SKIP
>>> stored.run_id, stored.kind                                                     # doctest: +SKIP
('mexico-us-20261201T101500-ab12cd', 'corridor')

``run`` takes a Flee scenario (one or several replicas; with ``workers``/``scheduler`` on
several processes or a Dask cluster) or a corridor scenario (one run; with ``replicas > 1``,
``workers`` or ``scheduler`` a corridor ensemble of the calibration's point fit). Options that do
not apply to the scenario's kind raise :class:`~corredor.app.requests.InapplicableOptionError`.
A Flee run is run here; a corridor one, and the use case ``ensemble``, in
:mod:`corredor.app.corridor_runs`, imported when a corridor run starts (so that a Flee run loads
none of the corridor machinery).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from corredor.app.common import (
    OnStart,
    Progress,
    Stored,
    request_json,
    running,
)
from corredor.app.flee import run_flee_request
from corredor.app.kinds import scenario_kind
from corredor.app.requests import (
    EnsembleRequest,
    RunRequest,
    applies_to,
)
from corredor.results.provenance import Provenance
from corredor.scenario.builtin import resolve_scenario
from corredor.store.flee import scenario_sha256

if TYPE_CHECKING:
    from corredor.results import RunResult
    from corredor.store import ResultsStore
    from corredor.store.store import RunStatus

__all__ = ["find", "lookup", "run", "simulate"]


def run(
    request: RunRequest,
    store: ResultsStore,
    progress: Progress | None = None,
    *,
    command: str | None = None,
    on_start: OnStart | None = None,
) -> Stored:
    """Run the scenario of ``request`` and store the result with its provenance. The run is
    catalogued ``running`` from its start (``on_start(run_id)`` is called then), ``finished``
    once stored, ``failed`` with the error line if it raises."""
    kind = scenario_kind(request.scenario)
    applies_to(request, kind, request.scenario)
    if kind != "flee":
        # a corridor run loads the corridor machinery; a Flee run does not (issue 12)
        from corredor.app import corridor_runs  # noqa: PLC0415

        return corridor_runs.run(request, store, progress, command=command, on_start=on_start)
    name = resolve_scenario(request.scenario).name  # fails fast on a bad name or path
    with running(store, kind, name, request, command=command, on_start=on_start) as run_id:
        result, provenance, notes = _run_flee(request, progress, command)
        store.save(result, provenance=provenance, run_id=run_id)
    return Stored(run_id, kind, result, store.path(run_id), notes=notes)


def simulate(
    request: RunRequest, progress: Progress | None = None, *, store: ResultsStore | None = None
) -> Any:
    """Run the scenario of ``request`` and return the result without storing it (the Python
    API's ``corredor.run``): a ``RunResult``, a ``CorridorResult`` or a ``CorridorEnsemble``.
    ``store`` is only read (a calibration stored there)."""
    kind = scenario_kind(request.scenario)
    applies_to(request, kind, request.scenario)
    if kind == "flee":
        return run_flee_request(request, progress)  # no provenance: nothing is stored
    # a corridor run loads the corridor machinery; a Flee run does not (issue 12)
    from corredor.app import corridor_runs  # noqa: PLC0415

    return corridor_runs.simulate(request, progress, store=store)


def find(request: RunRequest | EnsembleRequest, store: ResultsStore) -> str | None:
    """The stored corridor run or ensemble that ``request`` would make again (same scenario
    content, parameter values, events, seeds, days and options; workers, scheduler and threads
    aside), or None: a service can answer an identical request from the store. Flee runs:
    None."""
    found = _digest(request, store)
    return None if found is None else store.find(found[0], kind=found[1])


def lookup(request: RunRequest | EnsembleRequest, store: ResultsStore) -> RunStatus | None:
    """Where an identical corridor run or ensemble stands (:func:`find`), running ones
    included: the latest finished one of exactly these inputs or, when none has finished, the
    latest one running (:class:`corredor.store.RunStatus`); None when there is neither (failed
    ones do not count): a service answers an identical request from the store, or follows the
    run already under way instead of starting another."""
    found = _digest(request, store)
    if found is None:
        return None
    run_id = store.find(found[0], running=True, kind=found[1])
    return None if run_id is None else store.status(run_id)


def _digest(request: RunRequest | EnsembleRequest, store: ResultsStore) -> tuple[str, str] | None:
    """``(inputs digest, kind)`` of what ``request`` would store, known before it runs; None
    for a Flee run."""
    if scenario_kind(request.scenario) != "corridor":
        return None
    from corredor.app import corridor_runs  # noqa: PLC0415 - the corridor kind's machinery

    return corridor_runs.digest(request, store)


# ----------------------------------------------------------------------------------- Flee
def _run_flee(
    request: RunRequest, progress: Progress | None, command: str | None
) -> tuple[RunResult, Provenance, list[str]]:
    path = resolve_scenario(request.scenario)  # fails fast on a bad name or path
    result = run_flee_request(request, progress)
    provenance = Provenance(
        kind="flee",
        scenario=result.scenario,
        scenario_path=str(result.scenario_path),
        scenario_sha256=scenario_sha256(path),
        parameters=dict(result.settings),
        seeds=[int(s) for s in result.seeds],
        days=result.days,
        request=request_json(request),
        command=command,
    )
    provenance.inputs_sha256 = provenance.digest()
    return result, provenance, list(result.warnings)


def describe(stored: Stored) -> dict[str, Any]:
    """A JSON summary of what a use case stored (for the web service)."""
    return {
        "run_id": stored.run_id,
        "kind": stored.kind,
        "path": str(stored.path),
        "notes": list(stored.notes),
        "children": dict(stored.children),
    }
