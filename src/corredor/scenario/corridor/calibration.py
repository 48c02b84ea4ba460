"""Named calibration parameters (every number that data do not give), and which calibration a
run uses (:func:`resolve_calibration`)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from corredor.scenario.corridor.base import Strict, Text
from corredor.scenario.corridor.calibrated import load_calibrated, read_calibrated

if TYPE_CHECKING:
    from corredor.scenario.corridor.model import CorridorScenario

#: :func:`resolve_calibration`'s name for the scenario's defaults (no calibrated values).
UNCALIBRATED = "uncalibrated"


class CalibrationParameter(Strict):
    """A parameter the calibration may fit: its default, plausible range and why.

    ``status`` is ``hand-set`` until a calibration has fitted it (then ``calibrated`` and
    ``source`` names the fit); ``lever`` marks a policy lever that only counterfactual events
    use (its default is the size of the counterfactual policy; never fitted). ``source`` may
    also cite the data a hand-set default was derived from.
    """

    default: float = Field(allow_inf_nan=False)
    range: tuple[float, float]
    description: Text
    status: Literal["hand-set", "calibrated", "lever"]
    unit: str = ""
    source: str | None = None

    @model_validator(mode="after")
    def _check_range(self) -> CalibrationParameter:
        low, high = self.range
        if not (math.isfinite(low) and math.isfinite(high)) or low > high:
            raise ValueError(f"range [{low:g}, {high:g}] must be two finite numbers, low <= high")
        if not low <= self.default <= high:
            raise ValueError(
                f"default {self.default:g} is outside its range [{low:g}, {high:g}]; "
                "change the default or widen the range"
            )
        return self


@dataclass(frozen=True)
class ResolvedCalibration:
    """The calibration a run uses: what to record in its provenance, and its values.

    ``values`` are the calibrated parameter values a run puts on top of the scenario's
    ``calibration:`` defaults (empty: the defaults, the hand-set model). ``name`` is
    ``"calibrated.yaml, version N"`` for the scenario's own file, ``"uncalibrated"`` for the
    defaults, or the path of another calibrated file; ``path`` and ``sha256`` (of the file's
    bytes) are None without a file.
    """

    name: str
    values: dict[str, float] = field(default_factory=dict)
    path: Path | None = None
    sha256: str | None = None
    version: int | None = None


def resolve_calibration(
    scenario: CorridorScenario, source: str | Path | None = None
) -> ResolvedCalibration:
    """Which calibration a run of ``scenario`` uses, and its values.

    ``source`` None: the scenario's own calibrated file (``calibrated.yaml`` next to its YAML;
    the one shipped with a built-in scenario) if there is one, else the defaults;
    ``"uncalibrated"``: the defaults; anything else: the path of a calibrated file made for this
    scenario. The file is checked against the scenario (names, ranges, data horizon): a bad
    file raises :class:`~corredor.errors.ScenarioError` naming it.
    """
    if source is None:
        cal = load_calibrated(scenario)
        if cal is None:
            return ResolvedCalibration(UNCALIBRATED)
        name = f"{cal.path.name if cal.path else 'calibrated.yaml'}, version {cal.version}"
    elif str(source) == UNCALIBRATED:
        return ResolvedCalibration(UNCALIBRATED)
    else:
        cal = read_calibrated(source, scenario)
        name = str(source)
    assert cal.path is not None
    return ResolvedCalibration(
        name=name,
        values=dict(cal.parameters),
        path=cal.path,
        sha256=hashlib.sha256(cal.path.read_bytes()).hexdigest(),
        version=cal.version,
    )
