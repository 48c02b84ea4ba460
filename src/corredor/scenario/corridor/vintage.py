"""What a scenario's data files may hold, and the scenario as it could be known on a date.

Two rules of out-of-sample discipline (``docs/validation.md``, the protocol):

* **The horizon guard** (:func:`check_data_horizon`): no row of any data file a scenario ships
  — ``observed/``, ``drivers/`` and ``sources/``, every CSV below them — describes a period
  that ends after the scenario's ``calibration_horizon``. The loader calls it, so a scenario
  with a later row does not load (one error naming the file, the line and the fix).
* **A scenario as of a date** (:func:`as_of`): the same scenario with every driver point whose
  period ends after the date, and every caravan that left after it, removed. A fit to data up
  to a date (``corredor calibrate --until``) and the back-test run on it: beyond the cut the
  engine holds each driver at its last value, as a forecast does past the horizon.

The period a row describes is read from its columns, in this order: ``period_end``;
``end_date``; ``as_of``;
a ``period`` of the form ``YYYY``, ``YYYY-MM``, ``YYYY-YYYY``, ``a..b`` or ``2013-2019Aug``
(with a ``year``: ``full_year``, ``Jan-Oct``, ...); ``year`` alone (31 December);
``fiscal_year`` alone (30 September); ``date`` (a month's first day describes the month when
the file has no other period column). A row none of these date is refused by the guard: a
data file must say what period each value describes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from corredor.scenario.corridor.model import CorridorScenario
from corredor.scenario.corridor.problems import Problem
from corredor.scenario.corridor.tables import read_csv_records

#: Folders of a scenario that hold data files (every CSV below them is checked).
DATA_FOLDERS = ("observed", "drivers", "sources")

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _end_month(m: re.Match[str]) -> dt.date:  # YYYY-MM
    return _month_end(int(m[1]), int(m[2]))


def _end_named_month(m: re.Match[str]) -> dt.date:  # 2019Aug, 2013-2019Aug, 2021Jan-Oct
    return _month_end(int(m["y"]), _MONTHS[m["m"].lower()])


#: Period forms (regular expression -> its last day), tried in order.
_FORMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], dt.date]], ...] = (
    (re.compile(r"\d{4}-(?P<y>\d{4})(?P<m>[A-Za-z]{3})"), _end_named_month),
    (re.compile(r"(?P<y>\d{4})(?P<m>[A-Za-z]{3})"), _end_named_month),
    (re.compile(r"(?P<y>\d{4})\s*[A-Za-z]{3}-(?P<m>[A-Za-z]{3})"), _end_named_month),
    (re.compile(r"\d{4}-(\d{4})"), lambda m: dt.date(int(m[1]), 12, 31)),
    (
        re.compile(r"(\d{4})-(\d{2})-(\d{2})(T.*)?"),
        lambda m: dt.date(int(m[1]), int(m[2]), int(m[3])),
    ),
    (re.compile(r"(\d{4})-(\d{2})"), _end_month),
    (re.compile(r"FY(\d{4})"), lambda m: dt.date(int(m[1]), 9, 30)),
    (re.compile(r"(\d{4})"), lambda m: dt.date(int(m[1]), 12, 31)),
)


def end_of_text(text: str) -> dt.date | None:
    """The last day of the period a cell names (``None`` if it names none)."""
    t = text.strip()
    if ".." in t:
        t = t.split("..")[-1].strip()
    for pattern, end in _FORMS:
        if m := pattern.fullmatch(t):
            return end(m)
    return None


def row_end(row: dict[str, str]) -> dt.date | None:
    """The last day of the period a data row describes (module docstring)."""
    cell = {k: (v or "").strip() for k, v in row.items() if k}
    return next((e for e in _candidates(cell) if e is not None), None)


def _candidates(cell: dict[str, str]) -> Iterator[dt.date | None]:
    for column in ("period_end", "end_date", "as_of"):
        yield end_of_text(cell.get(column, ""))
    year, period = cell.get("year", ""), cell.get("period", "")
    if period:
        yield end_of_text(period)
    if year:
        m = re.fullmatch(r"[A-Za-z]{3}-([A-Za-z]{3})", period)
        yield _month_end(int(year), _MONTHS[m[1].lower()]) if year.isdigit() and m else None
        yield end_of_text(year)
        return
    date, fy = cell.get("date", ""), cell.get("fiscal_year", "")
    if fy.isdigit() and not date:
        yield dt.date(int(fy), 9, 30)
    if m := re.fullmatch(r"(\d{4})-(\d{2})-01", date):  # a month's first day: the month
        yield _end_month(m)
    yield end_of_text(date)


def data_files(scenario: CorridorScenario) -> list[Path]:
    """Every CSV file below the scenario's data folders (:data:`DATA_FOLDERS`)."""
    base = scenario.base_dir
    return sorted(p for f in DATA_FOLDERS if (base / f).is_dir() for p in (base / f).rglob("*.csv"))


def check_data_horizon(scenario: CorridorScenario) -> list[Problem]:
    """Rows of the scenario's data files that end after its ``calibration_horizon`` (or name
    no period); one problem per file, at its first such row. No horizon: nothing to check."""
    horizon = scenario.calibration_horizon
    if horizon is None:
        return []
    problems: list[Problem] = []
    for path in data_files(scenario):
        # the one reader: inside the scenario folder, a regular file, capped, UTF-8
        header, records = read_csv_records(path, str(path), root=scenario.base_dir)
        for line, fields in records:
            row = dict(zip(header, (f.strip() for f in fields), strict=False))
            end = row_end(row)
            if end is None:
                problem = "the row names no period (period_end, as_of, period, year or date)"
            elif end > horizon:
                problem = f"the row describes a period ending {end}, after the calibration "
                problem += f"horizon {horizon}"
            else:
                continue
            problems.append(
                Problem(
                    ("calibration_horizon",),
                    f"{path.relative_to(scenario.base_dir)}: {problem}",
                    fix="remove the row: nothing after the horizon may be read (the months "
                    "after it are the out-of-sample test)",
                    file=path,
                    line=line,
                )
            )
            break
    return problems


def as_of(scenario: CorridorScenario, until: dt.date | str) -> CorridorScenario:
    """The scenario as it could be known on ``until``: driver points whose period ends after it
    and caravans that left after it are removed (the engine holds each driver at its last
    value). Policy events are kept: a fit or back-test is conditional on the policy path."""
    cut = until if isinstance(until, dt.date) else dt.date.fromisoformat(str(until))
    origins = [
        o.model_copy(
            update={"series": tuple(p for p in o.series if (p.period_end or p.date) <= cut)}
        )
        for o in scenario.origins
    ]
    caravans = tuple(k for k in scenario.caravans if k.date <= cut)
    return scenario.model_copy(update={"origins": tuple(origins), "caravans": caravans})
