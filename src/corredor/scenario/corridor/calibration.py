"""Named calibration parameters: every number that data do not give (which calibration a run
uses is :func:`corredor.scenario.corridor.calibrated.resolve_calibration`)."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from corredor.scenario.corridor.base import Strict, Text


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
