"""Resumable corridor ensembles. An ensemble runs through the results store: each finished
member (one parameter set × seed) is stored as it arrives (kind ``ensemble-member``, labelled
with the ensemble's inputs digest and its task number); an ensemble asked again with the same
inputs — after a kill, say — reuses the stored members and runs only the missing ones, and the
assembled ensemble is the uninterrupted one, bit for bit (tests/crash/test_crash_resume.py).
Once the ensemble is stored, its member records are removed: it holds all their numbers.

A member's tables are its monthly observables and yearly ledger (float64, exact through
Parquet); its document holds the task, set, seed, agents and column names."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from corredor.ensemble.corridor import CorridorReplica, assemble, prepare_corridor
from corredor.ensemble.runner import choose_backend, execute
from corredor.results.record import Record

if TYPE_CHECKING:
    from corredor.ensemble.corridor_results import CorridorEnsemble
    from corredor.ensemble.parameter_sets import ParameterSet
    from corredor.policy.events import PolicyEvent
    from corredor.results.provenance import Provenance
    from corredor.scenario.corridor import CorridorScenario
    from corredor.store import ResultsStore

__all__ = ["MEMBER_KIND", "member_label", "run_members", "stored_members"]

MEMBER_KIND = "ensemble-member"
_DIGEST_CHARS = 32


def member_label(digest: str, task: int) -> str:
    """The label of member ``task`` of the ensemble whose inputs digest is ``digest``."""
    return f"{digest[:_DIGEST_CHARS]}:{task}"


def _to_record(
    out: CorridorReplica, scenario: str, days: int, digest: str, provenance: Provenance
) -> Record:
    monthly = pd.DataFrame(out.monthly, columns=[f"c{i}" for i in range(out.monthly.shape[1])])
    ledger = pd.DataFrame(out.ledger, columns=[f"c{i}" for i in range(out.ledger.shape[1])])
    return Record(
        kind=MEMBER_KIND,
        scenario=scenario,
        seeds=(int(out.seed),),
        days=days,
        summary={"task": int(out.task), "seconds": float(out.seconds)},
        tables={"monthly": monthly, "ledger": ledger},
        documents={
            "member": {
                "digest": digest,
                "task": int(out.task),
                "set_index": int(out.set_index),
                "seed": int(out.seed),
                "agents": int(out.agents),
                "seconds": float(out.seconds),
                "warnings": list(out.warnings),
                "monthly_columns": list(out.monthly_columns),
                "ledger_columns": list(out.ledger_columns),
                "years": list(out.years),
            }
        },
        provenance=provenance,
    )


def _from_record(record: Record) -> CorridorReplica:
    doc = record.documents["member"]
    return CorridorReplica(
        task=int(doc["task"]),
        set_index=int(doc["set_index"]),
        seed=int(doc["seed"]),
        monthly=np.ascontiguousarray(record.tables["monthly"].to_numpy(dtype=np.float64)),
        monthly_columns=tuple(str(c) for c in doc["monthly_columns"]),
        ledger=np.ascontiguousarray(record.tables["ledger"].to_numpy(dtype=np.float64)),
        ledger_columns=tuple(str(c) for c in doc["ledger_columns"]),
        years=tuple(int(y) for y in doc["years"]),
        agents=int(doc["agents"]),
        seconds=float(doc["seconds"]),
        warnings=tuple(str(w) for w in doc["warnings"]),
    )


def stored_members(
    store: ResultsStore, digest: str, tasks: int
) -> dict[int, tuple[str, CorridorReplica]]:
    """The finished members of the ensemble with this inputs digest in the store, by task:
    ``(run id, member)``."""
    df = store.list(kind=MEMBER_KIND, status="finished")
    prefix = member_label(digest, 0)[:-1]
    found: dict[int, tuple[str, CorridorReplica]] = {}
    for run_id, label in zip(df["run_id"], df["label"], strict=True):
        rest = str(label)[len(prefix) :] if str(label).startswith(prefix) else ""
        if not rest.isdigit() or int(rest) >= tasks or int(rest) in found:
            continue
        record = store.record(str(run_id))
        if record.documents["member"].get("digest") == digest:
            found[int(rest)] = (str(run_id), _from_record(record))
    return found


def run_members(
    scenario: CorridorScenario,
    sets: list[ParameterSet],
    *,
    seeds: range,
    days: int | None,
    extra_events: tuple[PolicyEvent, ...],
    workers: int | None,
    scheduler: str | None,
    progress: Any,
    store: ResultsStore,
    provenance: Provenance,
    parent: str,
) -> tuple[CorridorEnsemble, int, list[str]]:
    """Run the ensemble's members that the store lacks, storing each as it arrives (child of
    ``parent``, the ensemble's running row), and assemble all of them; returns the ensemble,
    the number of members reused and the run ids of every member record (the caller removes
    them once the ensemble is stored: it holds all their numbers). ``provenance`` is the
    ensemble's (its inputs digest keys the members); ``progress(task, day, days)`` as in
    ``run_corridor_ensemble`` (``(first task to run, -1, days)`` as the runs start)."""
    digest = provenance.inputs_sha256
    assert digest is not None
    prepared, chosen_sets = prepare_corridor(
        scenario, seeds=seeds, parameter_sets=sets, days=days, extra_events=extra_events
    )
    found = stored_members(store, digest, prepared.tasks)
    outputs = {k: member for k, (_, member) in found.items()}
    member_ids = [run_id for run_id, _ in found.values()]
    reused = len(outputs)
    n_days = prepared.n_days
    if progress is not None:
        for k in outputs:
            progress(k, n_days - 1, n_days)
    todo = [k for k in range(prepared.tasks) if k not in outputs]
    t0 = time.perf_counter()
    if todo:
        backend, n_workers = choose_backend(None, workers, scheduler, None, len(todo))
        if progress is not None:
            progress(todo[0], -1, n_days)  # the runs start: a bar and its clock from now

        def on_result(_position: int, out: CorridorReplica) -> None:
            outputs[out.task] = out
            record = _to_record(out, scenario.name, n_days, digest, provenance)
            member_ids.append(
                store.save(record, parent=parent, label=member_label(digest, out.task))
            )
            if progress is not None and backend != "serial":
                progress(out.task, n_days - 1, n_days)

        def on_day(position: int, d: int) -> None:
            if progress is not None:
                progress(todo[position], d, n_days)

        execute(
            prepared,
            todo,
            backend=backend,
            workers=n_workers,
            scheduler=scheduler,
            threads=None,
            connect_timeout=None,
            on_result=on_result,
            on_day=on_day,
        )
    done = [outputs[k] for k in range(prepared.tasks)]
    ens = assemble(prepared, chosen_sets, done, wall_seconds=time.perf_counter() - t0)
    return ens, reused, member_ids
