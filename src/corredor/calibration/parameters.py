"""The parameters a calibration fits, their search ranges, and the error of a calibration."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corredor.errors import CorredorError

if TYPE_CHECKING:
    from corredor.scenario.corridor import CorridorScenario


class CalibrationError(CorredorError):
    """A calibration cannot start or go on (bad settings, an output folder in use, all trials
    failed)."""


# ----------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class FitParameter:
    """A fitted parameter and its search range (inside the scenario's declared range).

    ``log``: sampled log-uniformly (scale parameters spanning orders of magnitude);
    ``identified_from``: the first day data can inform it (a policy lever that starts later is
    left at its default when fitting to data that end before it); ``scales``: an observable
    roughly proportional to the parameter, for the warm start (module docstring)."""

    name: str
    low: float
    high: float
    log: bool = False
    identified_from: dt.date | None = None
    why: str = ""
    #: an observable roughly proportional to the parameter (used for the warm start)
    scales: str | None = None


#: The 13 parameters fitted for ``mexico-us`` (docs/calibration.md gives the reasons).
MEXICO_US_PARAMETERS: tuple[FitParameter, ...] = (
    *(
        FitParameter(
            f"base_departures_{o}",
            lo,
            hi,
            log=True,
            why="level of the USBP encounters of the nationality",
            scales=f"usbp_encounters_{o}",
        )
        for o, lo, hi in (
            ("gtm", 79.0, 1263.0),
            ("hnd", 72.0, 1157.0),
            ("slv", 38.0, 611.0),
            ("mex", 166.0, 2649.0),
            ("oth", 44.0, 701.0),
        )
    ),
    FitParameter(
        "elasticity_homicide", -1.0, 2.0, why="trend of Central American departures (violence)"
    ),
    FitParameter(
        "elasticity_remittances", -2.0, 2.0, why="trend of departures (networks, means to pay)"
    ),
    FitParameter(
        "usbp_hazard", 0.5, 20.0, log=True, why="share of crossers caught: level of encounters"
    ),
    FitParameter(
        "reattempt_share_border",
        0.0,
        1.0,
        why="repeat crossings after a return to a border city (Mexicans, Title 42)",
    ),
    FitParameter(
        "inm_hazard_per_agent",
        1e-6,
        1e-3,
        log=True,
        why="INM presentations (apprehensions in Mexico)",
        scales="inm_presented_annual",
    ),
    FitParameter(
        "openness_elasticity",
        0.0,
        3.0,
        why="departures' response to recent outcomes: the 2019 rise and fall",
    ),
    FitParameter(
        "asylum_network_people",
        100.0,
        1e5,
        log=True,
        why="growth of COMAR applications (word of the procedure among co-nationals)",
    ),
    FitParameter(
        "apply_comar_propensity",
        1e-4,
        1.0,
        log=True,
        why="COMAR applications",
        scales="comar_applications",
    ),
    FitParameter(
        "mpp_enrollment_share",
        0.01,
        1.0,
        log=True,
        identified_from=dt.date(2019, 1, 29),
        why="MPP enrolments (from 29 January 2019)",
        scales="mpp_enrollments",
    ),
    FitParameter(
        "title42_expulsion_share",
        0.0,
        1.0,
        identified_from=dt.date(2020, 3, 21),
        why="Title 42 expulsions and repeat encounters (from 21 March 2020)",
    ),
)

#: Default fitted parameters by scenario name.
DEFAULT_PARAMETERS: dict[str, tuple[FitParameter, ...]] = {"mexico-us": MEXICO_US_PARAMETERS}


def select_parameters(
    scenario: CorridorScenario,
    names: Sequence[str | FitParameter] | None = None,
    *,
    until: dt.date | None = None,
) -> tuple[FitParameter, ...]:
    """The parameters to fit: ``names`` (a name of the scenario's default set keeps its search
    range and warm-start series; other names are searched over their declared ranges,
    log-uniformly when the range is positive and spans a factor 10 or more;
    :class:`FitParameter` entries as given), or the scenario's default set. With
    ``until``, parameters only identified by data after it are dropped (left at defaults)."""
    declared = scenario.calibration
    if names:
        unknown = [n for n in names if isinstance(n, str) and n not in declared]
        if unknown:
            raise CalibrationError(
                f"unknown calibration parameter(s) {', '.join(unknown)} of scenario "
                f"{scenario.name!r}; use names declared under calibration: in its YAML"
            )
        chosen = []
        known = {p.name: p for p in DEFAULT_PARAMETERS.get(scenario.name, ())}
        for n in dict.fromkeys(names):
            if isinstance(n, FitParameter):
                chosen.append(n)
                continue
            if n in known:  # the scenario's own search range and warm-start series
                chosen.append(known[n])
                continue
            low, high = declared[n].range
            if low == high:
                raise CalibrationError(f"parameter {n!r} has an empty range [{low:g}, {high:g}]")
            chosen.append(FitParameter(n, low, high, log=low > 0 and high / low >= 10))
        params: tuple[FitParameter, ...] = tuple(chosen)
    elif scenario.name in DEFAULT_PARAMETERS:
        params = DEFAULT_PARAMETERS[scenario.name]
    else:
        raise CalibrationError(
            f"scenario {scenario.name!r} has no default set of parameters to fit; name them "
            "(--parameter NAME, repeatable)"
        )
    for p in params:
        if p.name not in declared:
            raise CalibrationError(f"scenario {scenario.name!r} declares no parameter {p.name!r}")
        low, high = declared[p.name].range
        if not low <= p.low < p.high <= high:
            raise CalibrationError(
                f"search range of {p.name!r} [{p.low:g}, {p.high:g}] is not inside its declared "
                f"range [{low:g}, {high:g}]"
            )
    if until is not None:
        params = tuple(p for p in params if p.identified_from is None or p.identified_from <= until)
    if not params:
        raise CalibrationError("no parameter left to fit")
    return params


def clip(p: FitParameter, value: float) -> float:
    """``value`` clipped to the search range of ``p``."""
    return min(max(float(value), p.low), p.high)


__all__ = [
    "DEFAULT_PARAMETERS",
    "MEXICO_US_PARAMETERS",
    "CalibrationError",
    "FitParameter",
    "clip",
    "select_parameters",
]
