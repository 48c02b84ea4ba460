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

from corredor.policy import PolicyTimeline
from corredor.scenario.corridor import CorridorScenario, Param, parameter_index
from corredor.scenario.corridor.runcheck import check_run

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
    #: what the run check says the run does that a user should know (one line each)
    warnings: tuple[str, ...] = ()

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
    """The calibration (``calibration`` over the scenario's defaults; the rules read no file, so
    no ``calibrated.yaml`` in between), the policy timeline with ``extra_events`` added, and the
    daily values over ``days`` (default: the scenario's). Everything is checked first by the
    one validation of ``corredor validate`` and of every run
    (:func:`corredor.scenario.corridor.runcheck.check_run`: known calibration names, every
    parameter inside its bounds on every day, sizes); it raises a ``ScenarioError``."""
    check = check_run(
        scenario, calibration, days=days, extra_events=extra_events, calibrated_file=False
    )
    start = scenario.start
    daily = check.timeline.daily(start, start + dt.timedelta(days=check.days))
    return DailyParameters(
        scenario=scenario,
        calibration=check.calibration,
        start=start,
        days=check.days,
        timeline=check.timeline,
        daily=daily,
        index=parameter_index(scenario),
        touched={c.parameter for e in check.timeline.events for c in e.changes},
        warnings=check.warnings,
    )
