"""Who travels: origins with their departure drivers, and the nationality × demographic groups."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
from pydantic import Field

from corredor.scenario.corridor.base import (
    DEMOGRAPHICS,
    Demographic,
    Name,
    NationalityCode,
    Strict,
    Text,
)
from corredor.scenario.corridor.params import NonNeg, Param, ProbOrRest, Real


class DriverPoint(Strict):
    """One row of a driver series: the value of ``driver`` on ``date``.

    ``period_end`` is the last day of the period the value describes (a calendar-year value
    dated 1 July ends on 31 December); without it, ``date``. A fit or back-test cut at a date
    reads only the points whose period ends by then (``corredor.scenario.corridor.vintage``).
    ``value_type`` says whether the value is observed or was filled in (``interpolated``,
    ``held_constant``); ``source`` is where the observed value, or the values it was filled
    from, come from.
    """

    date: dt.date
    period_end: dt.date | None = None
    driver: Text
    value: float = Field(allow_inf_nan=False)
    value_type: str = ""
    source: Text
    note: str = ""


class Origin(Strict):
    """A place where agents of one nationality start.

    Daily departures = ``base_daily_departures`` × ``share`` × Π over drivers of
    (driver value today / driver value on the scenario's start date) ^ elasticity. ``share``
    splits one nationality's departures between several origin places.
    """

    name: Name
    location: Text
    nationality: NationalityCode
    base_daily_departures: NonNeg
    share: ProbOrRest | None = None
    driver_series: str | None = None
    drivers: dict[Name, Real] = Field(default_factory=dict)
    source: str | None = None
    note: str = ""
    series: tuple[DriverPoint, ...] = Field(default=(), exclude=True)

    def driver_names(self) -> set[str]:
        return {p.driver for p in self.series}

    def driver_daily(
        self, driver: str, dates: npt.NDArray[np.datetime64]
    ) -> npt.NDArray[np.float64]:
        """The value of ``driver`` on each of ``dates`` (``datetime64[D]``): linear between its
        points, held beyond the ends; 1 where the series has no point of it."""
        pts = sorted((p.date, p.value) for p in self.series if p.driver == driver)
        if not pts:
            return np.ones(dates.shape[0])
        x = np.array([np.datetime64(d, "D").astype(np.int64) for d, _ in pts], dtype=np.float64)
        y = np.array([v for _, v in pts])
        out: npt.NDArray[np.float64] = np.interp(dates.astype(np.int64).astype(np.float64), x, y)
        return out


class Groups(Strict):
    """Agent groups: the demographics used and their shares per nationality (sum to 1)."""

    demographics: tuple[Demographic, ...] = DEMOGRAPHICS
    shares: dict[NationalityCode, dict[Demographic, ProbOrRest]]
    source: str | None = None
    note: str = ""

    def share_params(self) -> dict[tuple[str, str], Param]:
        return {(n, d): p for n, table in self.shares.items() for d, p in table.items()}


class Caravan(Strict):
    """A group departure (a caravan): ``people`` leave ``origin`` spread evenly over ``days``
    days from ``date`` and travel together: while on the way their apprehension hazard is
    multiplied by ``hazard_multiplier`` (safety in numbers, visibility, accompaniment), and they
    head for ``target`` (a border city) if given, else each chooses its border city as anyone
    else does. The caravan ends for an agent at its border city or at its first service."""

    name: Name
    origin: Name
    date: dt.date
    people: NonNeg
    days: int = Field(default=1, ge=1)
    target: Text | None = None
    hazard_multiplier: NonNeg
    source: str | None = None
    note: str = ""
