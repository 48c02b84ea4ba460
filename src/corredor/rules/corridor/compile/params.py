"""Compile step: the calibration over the scenario's defaults, the policy timeline, and every
parameter's daily values (``docs/model.md`` §3.3.1).

A parameter written ``$name`` follows ``calibration.<name>`` on every day unless a policy event
changes the site itself, so an event on a calibration parameter changes all its uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from corredor.errors import ScenarioError
from corredor.policy import PolicyTimeline
from corredor.scenario.corridor import CorridorScenario, Param, parameter_index, parameter_values

FloatArray = npt.NDArray[np.float64]


@dataclass
class DailyParameters:
    """What every compile step reads: the scenario, the calibration values, the days, and the
    daily value of every parameter (policy events applied)."""

    scenario: CorridorScenario
    calibration: dict[str, float]
    start: dt.date
    days: int
    timeline: PolicyTimeline
    daily: Mapping[str, Any]
    index: dict[str, Param]
    touched: set[str]

    def series(self, dotted: str) -> FloatArray:
        """A site's daily values: the site's own changes, else its calibration parameter's."""
        p = self.index.get(dotted)
        if p is not None and p.ref is not None and dotted not in self.touched:
            return np.asarray(self.daily[f"calibration.{p.ref}"])
        if dotted in self.daily:
            return np.asarray(self.daily[dotted])
        raise KeyError(dotted)

    def has(self, dotted: str) -> bool:
        """Whether the scenario has the parameter ``dotted``."""
        return dotted in self.index or dotted in self.daily

    def const(self, p: Param) -> float:
        """A parameter that has no daily values (a CSV cell): its value."""
        v = p.default(self.calibration)
        if v is None:
            raise ValueError("rest is only allowed in outcome tables")
        return float(v)

    @property
    def people_per_agent(self) -> int:
        return int(self.scenario.people_per_agent)


def daily_parameters(
    scenario: CorridorScenario,
    calibration: Mapping[str, float] | None,
    days: int | None,
    extra_events: tuple[Any, ...],
) -> DailyParameters:
    """The calibration (``calibration`` over the scenario's defaults; unknown names are an
    error), the policy timeline with ``extra_events`` added, and the daily values over ``days``
    (default: the scenario's)."""
    cal = {**scenario.calibration_defaults(), **dict(calibration or {})}
    unknown = sorted(set(calibration or {}) - set(scenario.calibration))
    if unknown:
        raise ScenarioError(
            scenario.path,
            f"unknown calibration parameter(s): {', '.join(unknown)}",
            field="calibration",
            fix="use names declared under calibration: " + ", ".join(sorted(scenario.calibration)),
        )
    T = scenario.days if days is None else int(days)
    if T < 1:
        raise ValueError("days must be >= 1")
    start = scenario.start
    base = parameter_values(scenario, cal)
    timeline = PolicyTimeline(
        (*scenario.events, *extra_events), base, day0=start, file=scenario.path
    )
    daily = timeline.daily(start, start + dt.timedelta(days=T))
    return DailyParameters(
        scenario=scenario,
        calibration=cal,
        start=start,
        days=T,
        timeline=timeline,
        daily=daily,
        index=parameter_index(scenario),
        touched={c.parameter for e in timeline.events for c in e.changes},
    )
