"""What every use case shares: the progress callback, what a use case returns, the request as
JSON for the provenance (a light module: the faces import it at start)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corredor.app.requests import RequestError
from corredor.errors import ScenarioError

if TYPE_CHECKING:
    from corredor.app.requests import Request
    from corredor.results.provenance import Provenance
    from corredor.store import ResultsStore

__all__ = ["OnStart", "Progress", "Stored", "request_json", "running"]

Progress = Callable[[float, float, str], None]
"""Called as work advances with ``(done, total, what)``: e.g. ``(120, 3195, "days")`` or
``(3.5, 8, "runs")``; ``total`` may change once (when it becomes known)."""


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
    when the input is refused (a :class:`~corredor.errors.ScenarioError` or
    :class:`~corredor.app.requests.RequestError`, exit status 2): nothing ran, and the row is
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
        except (ScenarioError, RequestError):
            store.forget(run_id)
            raise
