"""Corridor runs and ensembles, stored or not: the corridor side of the use cases ``run`` and
``ensemble`` (:mod:`corredor.app.simulation` dispatches on the scenario's kind).

Kept apart so that a Flee run, stored or not, loads none of the corridor machinery (the
corridor model and its inputs, the ensembles, their records, pandas).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from corredor.app.baseline import Prewarmed, keep_states, run_from_baseline
from corredor.app.codecs import ensemble_to_record
from corredor.app.common import (
    OnStart,
    Progress,
    Stored,
    running,
    task_progress,
)
from corredor.app.inputs import (
    NONE,
    SHIPPED,
    CorridorInputs,
    added_events,
    corridor_provenance,
    inputs_of,
    load_events,
)
from corredor.app.kinds import scenario_kind
from corredor.app.members import run_members
from corredor.app.requests import (
    EnsembleRequest,
    RequestError,
    RunRequest,
    Sets,
    applies_to,
)
from corredor.ensemble.corridor import run_corridor_ensemble
from corredor.ensemble.models import set_numba_threads
from corredor.ensemble.parameter_sets import ParameterSet, thin_sets
from corredor.results.provenance import Provenance
from corredor.simulation.corridor import run_corridor

if TYPE_CHECKING:
    from corredor.ensemble.corridor_results import CorridorEnsemble
    from corredor.results.corridor import CorridorResult
    from corredor.scenario.corridor.model import CorridorScenario
    from corredor.store import ResultsStore

__all__ = [
    "as_ensemble",
    "digest",
    "ensemble",
    "is_ensemble",
    "parameter_sets",
    "prewarm",
    "printed_observables",
    "provenance_before",
    "run",
    "run_ensemble_inputs",
    "simulate",
]


def run(
    request: RunRequest,
    store: ResultsStore,
    progress: Progress | None = None,
    *,
    command: str | None = None,
    on_start: OnStart | None = None,
) -> Stored:
    """Run the corridor scenario of ``request`` (checked by
    :func:`corredor.app.simulation.run`) and store the result: one run, or an ensemble of the
    calibration's point fit with several replicas, workers or a scheduler."""
    if is_ensemble(request):
        return ensemble(
            as_ensemble(request),
            store,
            progress,
            command=command,
            origin=request,
            on_start=on_start,
        )
    inputs = inputs_of(request, store)  # every input checked before the run is catalogued
    asked = provenance_before(request, inputs)
    with running(
        store,
        "corridor",
        inputs.scenario.name,
        request,
        command=command,
        provenance=asked,
        on_start=on_start,
    ) as run_id:
        result, provenance, notes = _run_corridor(request, progress, command, store, inputs)
        store.save(result, provenance=provenance, run_id=run_id)
    return Stored(run_id, "corridor", result, store.path(run_id), notes=notes)


def simulate(
    request: RunRequest, progress: Progress | None = None, *, store: ResultsStore | None = None
) -> CorridorResult | CorridorEnsemble:
    """Run the corridor scenario of ``request`` without storing it (``store`` is only read)."""
    if is_ensemble(request):
        ens = as_ensemble(request)  # no counterfactual: one variant, nothing stored
        inputs, sets, _, _, _ = _ensemble_plan(ens, store)
        return run_ensemble_inputs(
            inputs,
            sets,
            seed=ens.seed,
            replicas=ens.replicas,
            days=ens.days,
            workers=ens.workers,
            scheduler=ens.scheduler,
            progress=progress,
        )
    return _run_corridor(request, progress, None, store)[0]


def digest(request: RunRequest | EnsembleRequest, store: ResultsStore) -> tuple[str, str] | None:
    """``(inputs digest, kind)`` of what ``request`` (a corridor one) would store, known before
    it runs."""
    asked: RunRequest | EnsembleRequest = request
    if isinstance(request, RunRequest):
        applies_to(request, "corridor", request.scenario)
        if not is_ensemble(request):
            provenance = provenance_before(request, inputs_of(request, store))
            assert provenance.inputs_sha256 is not None
            return provenance.inputs_sha256, "corridor"
        ens = as_ensemble(request)
    else:
        ens = request
    inputs, sets, _, _, _ = _ensemble_plan(ens, store)
    provenance = _ensemble_provenance(ens, asked, inputs, sets, None)
    assert provenance.inputs_sha256 is not None
    return provenance.inputs_sha256, "corridor-ensemble"


def _ensemble_provenance(
    request: EnsembleRequest,
    asked: RunRequest | EnsembleRequest,
    inputs: CorridorInputs,
    sets: list[ParameterSet],
    command: str | None,
) -> Provenance:
    """The provenance an ensemble of ``request`` (its history variant) will have."""
    days = request.days if request.days is not None else inputs.scenario.days
    return corridor_provenance(
        "corridor-ensemble",
        inputs,
        seeds=list(range(request.seed, request.seed + request.replicas)),
        days=days,
        request=asked,
        command=command,
        parameters={"sets": [s.as_dict() for s in sets]},
    )


def provenance_before(request: RunRequest, inputs: CorridorInputs) -> Provenance:
    """The provenance a corridor run of ``request`` will have (its inputs digest included),
    known before it runs."""
    days = request.days if request.days is not None else inputs.scenario.days
    return corridor_provenance("corridor", inputs, seeds=[request.seed], days=days, request=request)


def is_ensemble(request: RunRequest) -> bool:
    return request.replicas > 1 or request.workers is not None or request.scheduler is not None


def as_ensemble(request: RunRequest) -> EnsembleRequest:
    """A corridor run with several replicas: an ensemble of the calibration's point fit."""
    sets: Sets = "uncalibrated" if request.calibration == NONE else "point"
    if request.people_per_agent is not None or request.max_agents is not None:
        raise RequestError(
            "--people-per-agent and --max-agents go with a single corridor run; drop "
            "--replicas, --workers and --scheduler"
        )
    if request.reuse_baseline or request.set_from is not None:
        raise RequestError(
            "--reuse-baseline and --set-from go with a single corridor run; drop --replicas, "
            "--workers and --scheduler"
        )
    return EnsembleRequest(
        scenario=request.scenario,
        seed=request.seed,
        replicas=request.replicas,
        days=request.days,
        workers=request.workers,
        scheduler=request.scheduler,
        sets=sets,
        calibration=SHIPPED if request.calibration == NONE else request.calibration,
        set=request.set,
        without_events=request.without_events,
        events=request.events,
    )


# ------------------------------------------------------------------------------- corridor
def _run_corridor(
    request: RunRequest,
    progress: Progress | None,
    command: str | None,
    store: ResultsStore | None,
    inputs: CorridorInputs | None = None,
) -> tuple[CorridorResult, Provenance, list[str]]:
    if inputs is None:
        inputs = inputs_of(request, store)
    if request.people_per_agent is not None:
        inputs.scenario = inputs.scenario.model_copy(
            update={"people_per_agent": request.people_per_agent}
        )
    set_numba_threads(request.threads)
    common: dict[str, Any] = {
        "calibration": inputs.calibration,
        "seed": request.seed,
        "days": request.days,
        "extra_events": inputs.extra_events,
        "max_agents": request.max_agents,
        "progress": None if progress is None else lambda d, n: progress(d + 1, n, "days"),
    }
    branched = None
    if request.reuse_baseline:
        base = _baseline_inputs(request, store)
        result, branched = run_from_baseline(
            inputs.scenario, base.scenario, baseline_calibration=base.calibration, **common
        )
    else:
        result = run_corridor(inputs.scenario, **common)
    provenance = corridor_provenance(
        "corridor",
        inputs,
        seeds=[request.seed],
        days=result.days,
        request=request,
        command=command,
    )
    notes = [*inputs.notes, *result.warnings]
    if branched is not None:
        provenance.reused_baseline = branched.as_json()
        notes.append(branched.note())
    return result, provenance, notes


def _baseline_inputs(request: RunRequest, store: ResultsStore | None) -> CorridorInputs:
    """The inputs of ``request``'s baseline: the same request without its levers and events."""
    base = inputs_of(
        request.model_copy(
            update={"set": {}, "without_events": [], "events": [], "set_from": None}
        ),
        store,
    )
    if request.people_per_agent is not None:
        base.scenario = base.scenario.model_copy(
            update={"people_per_agent": request.people_per_agent}
        )
    return base


def prewarm(
    request: RunRequest,
    store: ResultsStore | None = None,
    *,
    stop: Callable[[], bool] | None = None,
) -> Prewarmed:
    """Keep, in this process, the states of ``request``'s baseline (the same request without
    levers and events) at the start of each day on which a policy event of the scenario or of
    its shipped counterfactuals starts — the days on which a run that leaves one out, adds one,
    or moves a lever one of them reads branches from it — so that such a run with
    ``reuse_baseline`` starts from a kept state (:func:`corredor.app.baseline.keep_states`: the
    baseline run once; ``stop()`` asked before every day, and a call stopped goes on where it
    stopped when called again). The web service's preview workers call it at start."""
    base = _baseline_inputs(request, store)
    sc = base.scenario
    events = [*sc.events, *(a.event for a in added_events(sc).values())]
    return keep_states(
        sc,
        calibration=base.calibration,
        on=[(e.start - sc.start).days for e in events],
        seed=request.seed,
        days=request.days,
        max_agents=request.max_agents,
        stop=stop,
    )


# ------------------------------------------------------------------------------- ensembles
def parameter_sets(
    inputs: CorridorInputs, sets: str, max_sets: int | None, seed: int
) -> tuple[list[ParameterSet], list[str]]:
    """The parameter sets of an ensemble, each a complete calibration (defaults < the chosen
    calibration's point fit or member < the levers set), and notes to show."""
    cal = inputs.calibrated
    notes: list[str] = []
    if sets == "uncalibrated":
        if inputs.used.name not in (SHIPPED, NONE):
            raise RequestError(
                "sets 'uncalibrated' runs the hand-set defaults: it does not take a calibration "
                f"({inputs.used.file or inputs.used.name})"
            )
        chosen = [ParameterSet(inputs.values({}), 1.0, "scenario defaults (uncalibrated)")]
    elif cal is None:
        notes.extend(inputs.notes)
        chosen = [ParameterSet(inputs.values({}), 1.0, "scenario defaults")]
    elif sets == "point" or not cal.ensemble:
        if sets != "point":
            notes.append("the calibrated file has no ensemble: using its point fit")
        chosen = [ParameterSet(inputs.values(), 1.0, f"point fit (calibrated v{cal.version})")]
    else:
        chosen = [
            ParameterSet(inputs.values(cal.member(i)), m.weight, f"member {i}")
            for i, m in enumerate(cal.ensemble)
        ]
    if max_sets is not None:
        chosen = thin_sets(chosen, max_sets, seed)
    return chosen, notes


def run_ensemble_inputs(
    inputs: CorridorInputs,
    sets: list[ParameterSet],
    *,
    seed: int,
    replicas: int,
    days: int | None,
    workers: int | None,
    scheduler: str | None,
    progress: Progress | None,
    extra: tuple[Any, ...] = (),
) -> CorridorEnsemble:
    """Run the ensemble of ``sets`` × seeds on ``inputs`` (no store)."""
    return run_corridor_ensemble(
        inputs.scenario,
        seeds=range(seed, seed + replicas),
        parameter_sets=sets,
        days=days,
        extra_events=(*inputs.extra_events, *extra),
        workers=workers,
        scheduler=scheduler,
        progress=task_progress(progress, len(sets) * replicas),
    )


def printed_observables(
    scenario: CorridorScenario, observables: tuple[str, ...]
) -> tuple[str, ...]:
    """The observables an ensemble of ``scenario`` prints, among ``observables`` (those it
    has): the scenario's ``analysis.report.printed``, else its report charts; none of them:
    the first five."""
    report = scenario.analysis_settings().report
    wanted = report.printed or report.charts
    return tuple(o for o in wanted if o in observables) or observables[:5]


def _ensemble_plan(
    request: EnsembleRequest, store: ResultsStore | None
) -> tuple[CorridorInputs, list[ParameterSet], list[str], list[tuple[str, tuple[Any, ...]]], Any]:
    """What an ensemble runs: its inputs, parameter sets, notes, and its variants
    ``(label, extra events)`` (history, and the counterfactual when asked), checked before
    anything runs."""
    if scenario_kind(request.scenario) != "corridor":
        raise RequestError(
            f"{request.scenario} is a Flee scenario: run its replicas with "
            "`corredor run SCENARIO --replicas N`"
        )
    inputs = inputs_of(request, store)
    sets, notes = parameter_sets(inputs, request.sets, request.max_sets, request.seed)
    cf_events, cf_files = load_events(
        inputs.scenario, request.counterfactual, flag="--counterfactual"
    )
    variants: list[tuple[str, tuple[Any, ...]]] = [("history" if cf_events else "", ())]
    if cf_events:
        variants.append(("counterfactual", tuple(cf_events)))
    return inputs, sets, notes, variants, cf_files


def ensemble(
    request: EnsembleRequest,
    store: ResultsStore,
    progress: Progress | None = None,
    *,
    command: str | None = None,
    origin: RunRequest | None = None,
    on_start: OnStart | None = None,
) -> Stored:
    """Run a corridor ensemble and store it; with ``counterfactual`` events, also the
    counterfactual ensemble (same sets and seeds), stored as its child (``children``:
    ``{"counterfactual": run_id}``), paired with it by ``corredor compare``. ``extra``:
    ``printed``, the observables a summary shows (:func:`printed_observables`), and
    ``counterfactual``, the counterfactual ensemble.

    The ensemble is ``running`` from its start (``on_start(run_id)``); the counterfactual is
    catalogued ``running`` as its child when it starts, and stored before the history
    ensemble is: a ``finished`` ensemble with a counterfactual always has it. Each member
    (parameter set × seed) is stored as it finishes (:mod:`corredor.app.members`): the same
    request after a kill reuses them and runs only the missing ones, bit for bit; they are
    removed once the ensemble is stored."""
    inputs, sets, notes, variants, cf_files = _ensemble_plan(request, store)
    asked = origin if origin is not None else request
    seeds = range(request.seed, request.seed + request.replicas)
    made: list[tuple[str, CorridorEnsemble, Provenance]] = []
    children: dict[str, str] = {}
    reused = 0
    members: list[str] = []

    def variant(label: str, extra: tuple[Any, ...], run_id: str) -> None:
        nonlocal reused
        provenance = _ensemble_provenance(request, asked, inputs, sets, command)
        if extra:
            provenance.events_added = [*provenance.events_added, *cf_files]
            provenance.inputs_sha256 = provenance.digest()
        ens, n, ids = run_members(
            inputs.scenario,
            sets,
            seeds=seeds,
            days=request.days,
            extra_events=(*inputs.extra_events, *extra),
            workers=request.workers,
            scheduler=request.scheduler,
            progress=task_progress(progress, len(sets) * request.replicas),
            store=store,
            provenance=provenance,
            parent=run_id,
        )
        reused += n
        members.extend(ids)
        made.append((label, ens, provenance))

    # the ensemble, and its counterfactual as its child: catalogued alike
    catalogue = functools.partial(
        running, store, "corridor-ensemble", inputs.scenario.name, asked, command=command
    )
    with catalogue(
        provenance=_ensemble_provenance(request, asked, inputs, sets, command),
        label=variants[0][0],
        on_start=on_start,
    ) as run_id:
        for label, extra in variants:
            if not extra:
                variant(label, extra, run_id)
                continue
            with catalogue(parent=run_id, label=label) as child:
                variant(label, extra, child)
                store.save(ensemble_to_record(made[-1][1], made[-1][2]), run_id=child)
                children[label] = child
        _, ens, prov = made[0]
        store.save(ensemble_to_record(ens, prov), run_id=run_id)
    for member in members:  # checkpoints: the stored ensembles hold all their numbers
        store.delete(member)
    notes = [*notes, *ens.warnings]
    if reused:
        total = len(sets) * request.replicas * len(variants)
        notes.append(f"resumed: {reused} of {total} member run(s) were in the store")
    out = Stored(run_id, "corridor-ensemble", ens, store.path(run_id), notes=notes)
    out.children.update(children)
    out.extra["printed"] = printed_observables(inputs.scenario, ens.observables)
    if len(made) > 1:
        out.extra["counterfactual"] = made[1][1]
    return out
