"""What every use case shares: the progress callback, what a use case returns, the request as
JSON for the provenance (a light module: the faces import it at start)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from corredor.app.requests import Request

__all__ = ["Progress", "Stored", "request_json"]

Progress = Callable[[float, float, str], None]
"""Called as work advances with ``(done, total, what)``: e.g. ``(120, 3195, "days")`` or
``(3.5, 8, "runs")``; ``total`` may change once (when it becomes known)."""


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
