"""Days and dates: the policy layer accepts a date, an ISO date string or a simulation day."""

from __future__ import annotations

import datetime as dt

import numpy as np

#: A date, a ``YYYY-MM-DD`` string, or an integer day counted from the timeline's ``day0``.
DayLike = dt.date | str | int


def to_date(day: DayLike, day0: dt.date | None = None) -> dt.date:
    """``day`` as a :class:`datetime.date` (a datetime, such as a pandas Timestamp, loses its time).

    An integer is a simulation day: ``day0 + day`` days. It needs ``day0``.
    """
    if isinstance(day, bool):
        raise TypeError(f"expected a date, an ISO date string or an integer day, not {day!r}")
    if isinstance(day, dt.datetime):
        return day.date()
    if isinstance(day, dt.date):
        return day
    if isinstance(day, np.integer):
        day = int(day)
    if isinstance(day, str):
        try:
            return dt.date.fromisoformat(day.strip())
        except ValueError:
            raise ValueError(f"{day!r} is not a date written as YYYY-MM-DD") from None
    if isinstance(day, int):
        if day0 is None:
            raise ValueError(
                f"day {day} is a simulation day, but the timeline has no day0; "
                "pass day0=<date of day 0> to PolicyTimeline or give a date"
            )
        return day0 + dt.timedelta(days=day)
    raise TypeError(f"expected a date, an ISO date string or an integer day, not {day!r}")
