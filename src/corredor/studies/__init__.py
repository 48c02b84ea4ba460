"""Studies: the questions Corredor exists to answer, asked as files and answered with bands.

A study file (``docs/studies.md``) names a scenario and its calibration, policy variants (the
``--set`` / ``--without-event`` / ``--event`` vocabulary), a period and the outputs wanted;
:func:`run_study` runs every variant with the same parameter sets and seeds (common random
numbers) and returns a :class:`StudyResult` with each output's absolute values and each
variant's paired difference from the baseline, with 90 % bands. A room-for-manoeuvre study
(a ``bargaining:`` block) plays the threat game on the simulation instead
(:func:`corredor.studies.room.run_room`).

>>> from corredor.studies import builtin_studies, load_study, run_study
>>> sorted(builtin_studies())                                            # doctest: +SKIP
['containment-2019', 'room-to-manoeuvre']
>>> result = run_study(load_study("containment-2019"), replicas=2)       # doctest: +SKIP
>>> result.differences()                                                 # doctest: +SKIP

The command line (``corredor study FILE``) and the web service run studies through the store
(:func:`corredor.app.run_study`), which makes them resumable.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corredor.studies.builtin import builtin_studies, resolve_study
from corredor.studies.checkpoint import Checkpoint
from corredor.studies.result import StudyResult, assemble
from corredor.studies.runner import (
    CalibrationInfo,
    PreparedStudy,
    Progress,
    StudyTask,
    prepare_study,
    run_tasks,
)
from corredor.studies.schema import Study, load_study

__all__ = [
    "CalibrationInfo",
    "PreparedStudy",
    "Study",
    "StudyResult",
    "StudyTask",
    "assemble",
    "builtin_studies",
    "load_study",
    "prepare_study",
    "resolve_study",
    "run_study",
    "run_tasks",
]


def run_study(
    study: Study | str,
    *,
    replicas: int | None = None,
    max_sets: int | None = None,
    seed: int | None = None,
    people_per_agent: int | None = None,
    done: Mapping[int, StudyTask] | None = None,
    on_task: Any = None,
    checkpoint: str | Path | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    progress: Progress | None = None,
) -> StudyResult:
    """Run a counterfactual study (a :class:`Study`, a file or a built-in name) and return its
    result (nothing stored: ``corredor.app.run_study`` stores and resumes). ``replicas``,
    ``max_sets``, ``seed`` and ``people_per_agent`` override the study's ensemble. With
    ``checkpoint`` (a folder) each finished task is written there as it arrives and a rerun
    picks up the tasks already there (:mod:`corredor.studies.checkpoint`)."""
    s = study if isinstance(study, Study) else load_study(study)
    t0 = time.perf_counter()
    prepared = prepare_study(
        s, replicas=replicas, max_sets=max_sets, seed=seed, people_per_agent=people_per_agent
    )
    have = dict(done or {})
    save = on_task
    if checkpoint is not None:
        folder = Checkpoint(checkpoint, prepared.digest())
        have.update(folder.tasks())

        def save(task: StudyTask) -> None:
            folder.save(task)
            if on_task is not None:
                on_task(task)

    tasks = run_tasks(
        prepared,
        done=have,
        on_task=save,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
    )
    return assemble(prepared, tasks, wall_seconds=time.perf_counter() - t0)
