"""Whether every parameter stays within its bounds on every day of a policy timeline.

A policy event can set a probability to 5, an effort to −1e12 or a capacity to infinity; an event
that multiplies can push a value past its bounds only after a ramp, or only in combination with
another event. :func:`first_violation` finds the first day on which any named series leaves its
bounds (or stops being a finite number) and the event responsible, so that validation can refuse
the scenario before a run silently clips the value.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from corredor.policy.events import PolicyEvent
from corredor.policy.timeline import PolicyTimeline

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Violation:
    """The first day a series leaves ``[low, high]``: its value, and the event whose change was
    applied last to that parameter on that day (``None``: the base value itself)."""

    parameter: str
    day: dt.date
    value: float
    low: float
    high: float
    event: PolicyEvent | None
    change: int | None

    def bounds_text(self) -> str:
        low = "-inf" if self.low == -math.inf else f"{self.low:g}"
        high = "inf" if self.high == math.inf else f"{self.high:g}"
        return f"[{low}, {high}]"


def first_bad_day(values: FloatArray, low: float, high: float) -> int | None:
    """Index of the first value that is not finite or lies outside ``[low, high]``."""
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(values) | (values < low) | (values > high)
    if not bad.any():
        return None
    return int(np.argmax(bad))


def responsible(
    timeline: PolicyTimeline, parameter: str, day: dt.date
) -> tuple[PolicyEvent | None, int | None]:
    """The last change (event, index of the change) applied to ``parameter`` on ``day``."""
    found: tuple[PolicyEvent | None, int | None] = (None, None)
    for event in timeline.active_events(day):
        for j, change in enumerate(event.changes):
            if change.parameter == parameter:
                found = (event, j)
    return found


def first_violation(
    timeline: PolicyTimeline,
    series: Mapping[str, FloatArray],
    bounds: Mapping[str, tuple[float, float]],
    start: dt.date,
    *,
    cause: Mapping[str, str] | None = None,
) -> Violation | None:
    """The earliest day on which a series of ``series`` (day 0 = ``start``) leaves the bounds
    ``bounds[name]``. ``cause[name]`` is the parameter whose events make that series (a site
    that follows its calibration parameter: ``calibration.<name>``)."""
    best: Violation | None = None
    for name, (low, high) in bounds.items():
        values = series.get(name)
        if values is None:
            continue
        i = first_bad_day(np.asarray(values, dtype=np.float64), low, high)
        if i is None or (best is not None and start + dt.timedelta(days=i) >= best.day):
            continue
        day = start + dt.timedelta(days=i)
        event, change = responsible(timeline, (cause or {}).get(name, name), day)
        best = Violation(name, day, float(values[i]), low, high, event, change)
    return best
