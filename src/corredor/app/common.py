"""What every use case shares: the progress callback, what a use case returns, the request as
JSON for the provenance (a light module: the faces import it at start)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corredor.app.requests import RequestError
from corredor.errors import InputError, ScenarioError, cap
from corredor.files.read import special_kind

if TYPE_CHECKING:
    from corredor.app.requests import Request
    from corredor.results.provenance import Provenance
    from corredor.store import ResultsStore

__all__ = [
    "OnStart",
    "Progress",
    "Stored",
    "check_output",
    "request_json",
    "running",
    "task_progress",
]

Progress = Callable[[float, float, str], None]
"""Called as work advances with ``(done, total, what)``: e.g. ``(120, 3195, "days")`` or
``(3.5, 8, "runs")``; ``total`` may change once (when it becomes known)."""


def task_progress(progress: Progress | None, tasks: int) -> Any:
    """The per-task callback ``(task, day, days)`` of an ensemble's runner, fed to ``progress``
    as runs done (a run half through its days counts one half), out of ``tasks``."""
    if progress is None:
        return None
    done: dict[int, float] = {}

    def callback(task: int, day: int, days: int) -> None:
        done[task] = max(done.get(task, 0.0), (day + 1) / days)
        progress(sum(done.values()), tasks, "runs")

    return callback


OnStart = Callable[[str], None]
"""Called once with the run id when a use case has catalogued its run as ``running`` (before
the work): a service can show the run, its status and progress while it runs."""


@dataclass
class Stored:
    """What a use case returns: the id of what it stored, its kind, the result itself, and
    notes for the user (a calibration that is missing, a warning of the model)."""

    run_id: str
    kind: str
    result: Any
    path: Path
    notes: list[str] = field(default_factory=list)
    children: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def request_json(request: Request) -> dict[str, Any]:
    """The request as plain JSON, for the provenance."""
    data: dict[str, Any] = request.model_dump(mode="json")
    data["request"] = type(request).__name__
    return data


@contextmanager
def running(
    store: ResultsStore,
    kind: str,
    scenario: str,
    request: Request,
    *,
    command: str | None = None,
    provenance: Provenance | None = None,
    parent: str | None = None,
    label: str = "",
    on_start: OnStart | None = None,
) -> Iterator[str]:
    """``with running(store, kind, scenario, request) as run_id:`` the use case's run is
    catalogued ``running`` (its request, or its provenance when known before the work, in the
    row), ``finished`` once saved with ``store.save(..., run_id=run_id)``, ``failed`` with the
    error line if the block raises (:meth:`corredor.store.ResultsStore.running`) — except
    when the input is refused (a :class:`~corredor.errors.ScenarioError`,
    :class:`~corredor.app.requests.RequestError` or :class:`~corredor.errors.InputError` such as
    a sensitivity's or a forecast's own checks, exit status 2): nothing ran, and the row is
    removed (``ResultsStore.forget``)."""
    asked = request_json(request)
    if command is not None:
        asked["command"] = command
    with store.running(
        kind,
        scenario,
        provenance=provenance,
        request=asked,
        parent=parent,
        label=label,
    ) as run_id:
        if on_start is not None:
            on_start(run_id)
        try:
            yield run_id
        except (ScenarioError, RequestError, InputError):
            store.forget(run_id)
            raise


def check_output(path: str | Path | None, flag: str, *, folder: bool = False) -> None:
    """Refuse, before any work is done, an output path (a ``--report``, ``--png`` or ``--output``
    file, or with ``folder`` a folder) that cannot be written: a folder where a file is asked
    for (or a file where a folder is), a file standing where a parent folder would be made, or
    a parent without write permission. ``None`` (no output asked for) passes."""
    if path is None:
        return
    target = Path(path)
    shown = f"{flag} {cap(str(path), 200)}"
    if not folder and target.is_dir():
        example = target / ("figure.png" if flag == "--png" else "report.html")
        raise RequestError(
            f"{shown}: is a folder, not a file. Fix: give a file name, such as "
            f"{cap(str(example), 200)}"
        )
    if folder and target.exists() and not target.is_dir():
        raise RequestError(f"{shown}: is a file, not a folder. Fix: give a folder")
    if not folder and target.exists() and not target.is_file():
        raise RequestError(
            f"{shown}: is {special_kind(target)}, not a regular file; nothing is written over "
            "it. Fix: give a new file name"
        )
    existing = target.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise RequestError(
            f"{shown}: {cap(str(existing), 200)} is a file, so no folder can be made there. "
            "Fix: give a path whose folders are folders"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise RequestError(
            f"{shown}: cannot write in {cap(str(existing), 200)} (permission denied). Fix: give "
            "a path in a folder you may write in"
        )
