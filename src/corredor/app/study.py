"""Use case ``study``: run a study through the results store, resumably, and write its report.

>>> from corredor.app import StudyRequest, study
>>> from corredor.store import ResultsStore
>>> stored = study(StudyRequest(study="containment-2019"), ResultsStore("runs"))  # doctest: +SKIP
>>> stored.result.differences()                                                   # doctest: +SKIP

A study is made of *tasks* (one parameter set × seed, every variant or every export share:
:mod:`corredor.studies`). Each finished task is stored as it arrives (kind ``study-task``,
labelled ``<study digest>:<task>``), so a study that is killed resumes from the tasks it had
finished when the same request is made again; tasks are deterministic, so the numbers are those
of an uninterrupted run. The finished study is stored (kind ``study``) with its tables and its
report (``report.html``, ``report.md``, ``summary.en.md``, ``summary.es.md``, CSV tables); with
``report`` the report is also written into that folder.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from corredor.app.common import OnStart, Progress, Stored, request_json, running
from corredor.app.requests import StudyRequest
from corredor.report.room import room_report_files
from corredor.report.study import study_report_files, write_report_files
from corredor.results.provenance import Provenance
from corredor.results.record import Record
from corredor.studies import (
    assemble,
    builtin_studies,
    load_study,
    prepare_study,
    run_tasks,
)
from corredor.studies import room as room_study
from corredor.studies import runner as study_runner

__all__ = ["STUDY_KIND", "TASK_KIND", "list_studies", "study"]

TASK_KIND = "study-task"
STUDY_KIND = "study"


def list_studies() -> pd.DataFrame:
    """The built-in studies: ``study``, ``kind`` (counterfactual or room), ``scenario``,
    ``title``, ``file``."""
    rows = []
    for name, path in builtin_studies().items():
        s = load_study(path)
        rows.append(
            {
                "study": name,
                "kind": "room" if s.bargaining is not None else "counterfactual",
                "scenario": s.scenario,
                "title": s.title,
                "file": str(path),
            }
        )
    return pd.DataFrame(rows, columns=["study", "kind", "scenario", "title", "file"])


def _label(digest: str, k: int) -> str:
    return f"{digest[:32]}:{k}"


def stored_tasks(
    store: Any, digest: str, n: int, decode: Callable[[dict[str, Any]], Any]
) -> dict[int, Any]:
    """The tasks of the study with this digest already in the store, by task number."""
    found = store.list(kind=TASK_KIND, status="finished")
    out: dict[int, Any] = {}
    prefix = digest[:32] + ":"
    for run_id, label in zip(found["run_id"], found["label"], strict=True):
        if not str(label).startswith(prefix):
            continue
        k = int(str(label).rsplit(":", 1)[1])
        if k >= n or k in out:
            continue
        doc = store.record(str(run_id)).documents["task"]
        if doc.get("digest") == digest:
            out[k] = decode(doc)
    return out


def _provenance(
    kind: str,
    s: Any,
    scenario: Any,
    digest: str,
    request: StudyRequest,
    command: str | None,
    seeds: list[int],
) -> Provenance:
    prov = Provenance(
        kind=kind,
        scenario=str(scenario.name),
        scenario_path=str(scenario.path),
        seeds=seeds,
        request=request_json(request),
        command=command,
        parameters={"study": s.study, "study_file": str(s.path), "digest": digest},
    )
    prov.inputs_sha256 = prov.digest()
    return prov


def study(
    request: StudyRequest,
    store: Any,
    progress: Progress | None = None,
    *,
    command: str | None = None,
    on_start: OnStart | None = None,
) -> Stored:
    """Run a study through the store (module docstring) and return the stored study (catalogued
    ``running`` from its start: ``on_start(run_id)``)."""
    s = load_study(request.study)
    if request.runs is not None:
        s = s.model_copy(update={"ensemble": s.ensemble.model_copy(update={"runs": request.runs})})
    t0 = time.perf_counter()
    if s.bargaining is not None:
        prepared: Any = room_study.prepare_room(s, max_sets=request.max_sets)
        encode: Any = room_study.task_to_json
        decode: Any = room_study.task_from_json
        scenario = prepared.scenario

        def finish(tasks: list[Any]) -> tuple[Any, dict[str, pd.DataFrame], dict[str, str]]:
            r = room_study.assemble_room(prepared, tasks, wall_seconds=time.perf_counter() - t0)
            return r, {"game": r.game_table(), "outcomes": r.outcome_table()}, room_report_files(r)
    else:
        prepared = prepare_study(s, max_sets=request.max_sets, seed=request.seed)
        encode = study_runner.task_to_json
        decode = study_runner.task_from_json
        scenario = prepared.variants[prepared.base].scenario

        def finish(
            tasks: list[Any],
        ) -> tuple[Any, dict[str, pd.DataFrame], dict[str, str]]:
            r = assemble(prepared, tasks, wall_seconds=time.perf_counter() - t0)
            tables = {
                "differences": r.differences(),
                "absolute": r.absolute(),
                "per_run": r.per_run(),
                "runs": r.runs_table(),
            }
            return r, tables, study_report_files(r)

    return _run(
        request,
        store,
        progress,
        command,
        s,
        prepared,
        scenario,
        finish,
        encode,
        decode,
        on_start,
    )


def _run(
    request: StudyRequest,
    store: Any,
    progress: Progress | None,
    command: str | None,
    s: Any,
    prepared: Any,
    scenario: Any,
    finish: Any,
    encode: Any,
    decode: Any,
    on_start: OnStart | None,
) -> Stored:
    digest = prepared.digest()
    done = stored_tasks(store, digest, prepared.tasks, decode)
    notes = list(prepared.notes)
    if done:
        notes.append(f"resumed: {len(done)} of {prepared.tasks} task(s) were in the store")

    def save(task: Any) -> None:
        record = Record(
            kind=TASK_KIND,
            scenario=str(scenario.name),
            seeds=(int(task.seed),),
            days=int(prepared.days),
            documents={"task": {**encode(task), "digest": digest}},
            summary={"study": s.study, "task": int(task.task), "seconds": float(task.seconds)},
            provenance=_provenance(
                TASK_KIND, s, scenario, digest, request, command, [int(task.seed)]
            ),
        )
        store.save(record, label=_label(digest, int(task.task)))

    with running(
        store,
        STUDY_KIND,
        str(scenario.name),
        request,
        command=command,
        label=s.study,
        on_start=on_start,
    ) as run_id:
        tasks = run_tasks(
            prepared,
            done=done,
            on_task=save,
            workers=request.workers,
            scheduler=request.scheduler,
            progress=progress,
        )
        result, tables, files = finish(tasks)
        seeds = [int(x) for x in result.seeds]
        record = Record(
            kind=STUDY_KIND,
            scenario=str(scenario.name),
            seeds=tuple(seeds),
            replicas=len(seeds),
            days=int(prepared.days),
            summary={"study": s.study, "runs": int(result.runs), "digest": digest[:16]},
            meta={
                "digest": digest,
                "study": s.study,
                "calibration": result.calibration.describe(),
                "notes": list(result.notes),
            },
            tables=tables,
            files={name: text.encode("utf-8") for name, text in files.items()},
            provenance=_provenance(STUDY_KIND, s, scenario, digest, request, command, seeds),
        )
        store.save(record, run_id=run_id)
    stored = Stored(run_id, STUDY_KIND, result, store.path(run_id), notes=notes)
    if request.report is not None:
        written = write_report_files(files, Path(request.report))
        stored.extra["report"] = str(written.html.parent)
    return stored
