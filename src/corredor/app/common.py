"""What every use case shares: the progress callback, what a use case returns, provenance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corredor.results.provenance import Provenance

if TYPE_CHECKING:
    from corredor.app.inputs import CorridorInputs
    from corredor.app.requests import Request

__all__ = ["Progress", "Stored", "corridor_provenance", "request_json"]

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


def corridor_provenance(
    kind: str,
    inputs: CorridorInputs,
    *,
    seeds: list[int],
    days: int | None,
    request: Request | None = None,
    command: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> Provenance:
    """The provenance of a corridor result made from ``inputs``."""
    from corredor.store.corridor import scenario_sha256

    sc = inputs.scenario
    provenance = Provenance(
        kind=kind,
        scenario=sc.name,
        scenario_path=str(sc.path),
        scenario_sha256=scenario_sha256(sc),
        parameters=dict(inputs.calibration if parameters is None else parameters),
        overrides=dict(inputs.overrides),
        calibration=inputs.used,
        events_added=list(inputs.events_added),
        events_removed=list(inputs.removed),
        seeds=seeds,
        days=days,
        request=None if request is None else request_json(request),
        command=command,
    )
    provenance.inputs_sha256 = provenance.digest()
    return provenance
