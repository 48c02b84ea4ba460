"""The parameters a calibration fits (by default, those of the scenario's analysis settings),
their search ranges, and the error of a calibration."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corredor.errors import CorredorError, InputError

if TYPE_CHECKING:
    from corredor.scenario.corridor import CorridorScenario


class CalibrationError(CorredorError):
    """A calibration cannot start or go on (bad settings, an output folder in use, all trials
    failed)."""


class CalibrationInputError(CalibrationError, InputError):
    """A calibration refused before any trial runs (its settings, parameters, warm start or
    output folder): a use case that catalogued it ``running`` removes the row, as for any
    :class:`~corredor.errors.InputError`."""


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


def default_parameters(scenario: CorridorScenario) -> tuple[FitParameter, ...]:
    """The parameters the scenario's analysis settings fit by default (``analysis: fit:
    parameters``; :mod:`corredor.scenario.corridor.analysis`), in their order."""
    return tuple(
        FitParameter(
            p.name,
            p.low,
            p.high,
            log=p.log,
            identified_from=p.identified_from,
            why=p.why,
            scales=p.scales,
        )
        for p in scenario.analysis_settings().fit.parameters
    )


def _named(
    scenario: CorridorScenario, names: Sequence[str | FitParameter]
) -> tuple[FitParameter, ...]:
    """The parameters ``names`` asks for (see :func:`select_parameters`)."""
    declared = scenario.calibration
    unknown = [n for n in names if isinstance(n, str) and n not in declared]
    if unknown:
        raise CalibrationInputError(
            f"unknown calibration parameter(s) {', '.join(unknown)} of scenario "
            f"{scenario.name!r}; use names declared under calibration: in its YAML"
        )
    chosen = []
    known = {p.name: p for p in default_parameters(scenario)}
    for n in dict.fromkeys(names):
        if isinstance(n, FitParameter):
            chosen.append(n)
        elif n in known:  # the scenario's own search range and warm-start series
            chosen.append(known[n])
        else:
            low, high = declared[n].range
            if low == high:
                raise CalibrationInputError(
                    f"parameter {n!r} has an empty range [{low:g}, {high:g}]"
                )
            chosen.append(FitParameter(n, low, high, log=low > 0 and high / low >= 10))
    return tuple(chosen)


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
    params = _named(scenario, names) if names else default_parameters(scenario)
    if not names and not params:
        raise CalibrationInputError(
            f"scenario {scenario.name!r} has no default set of parameters to fit (analysis: "
            "fit: parameters in its YAML); name them (--parameter NAME, repeatable)"
        )
    for p in params:
        if p.name not in declared:
            raise CalibrationInputError(
                f"scenario {scenario.name!r} declares no parameter {p.name!r}"
            )
        low, high = declared[p.name].range
        if not low <= p.low < p.high <= high:
            raise CalibrationInputError(
                f"search range of {p.name!r} [{p.low:g}, {p.high:g}] is not inside its declared "
                f"range [{low:g}, {high:g}]"
            )
    if until is not None:
        params = tuple(p for p in params if p.identified_from is None or p.identified_from <= until)
    if not params:
        raise CalibrationInputError("no parameter left to fit")
    return params


def clip(p: FitParameter, value: float) -> float:
    """``value`` clipped to the search range of ``p``."""
    return min(max(float(value), p.low), p.high)


__all__ = [
    "CalibrationError",
    "CalibrationInputError",
    "FitParameter",
    "clip",
    "default_parameters",
    "select_parameters",
]
