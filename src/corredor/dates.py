"""The one reading of every ``--until`` (``until=``): ``YYYY-MM`` or ``YYYY-MM-DD``.

The request layer checks a request's ``until`` with it when the request is made, and the
forecast reads its last month with it; each turns a bad value into its own error class.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from corredor.errors import CorredorError

__all__ = ["last_day_of_month", "parse_until"]

_UNTIL = re.compile(r"\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*")


def last_day_of_month(day: dt.date) -> dt.date:
    """The last day of the month of ``day``."""
    return dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def parse_until(
    text: str | dt.date,
    *,
    month_end: bool = True,
    error: type[CorredorError] = CorredorError,
) -> dt.date:
    """``YYYY-MM`` (the month's last day) or ``YYYY-MM-DD`` (with ``month_end``, the last day
    of its month; without, that day); a date is taken as a day. A bad value raises ``error``
    with a message that names ``--until`` and the fix."""
    if isinstance(text, dt.date):
        day, whole_month = text, False
    else:
        m = _UNTIL.fullmatch(str(text))
        if m is None:
            raise error(
                f"--until {text!r}: not a month or a date; write YYYY-MM (for example 2024-09) "
                "or YYYY-MM-DD"
            )
        try:
            day = dt.date(int(m[1]), int(m[2]), int(m[3] or 1))
        except ValueError as exc:
            raise error(f"--until {text!r} is not a valid date ({exc})") from None
        whole_month = m[3] is None
    if whole_month or month_end:
        return last_day_of_month(day)
    return day
