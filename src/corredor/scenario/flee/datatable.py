"""Validation series (``source_data/``) read exactly as Flee 3.1's ``DataTable`` reads them.

Mirrors ``flee/datamanager/DataTable.py`` and ``handle_refugee_data.RefugeeTable``:

* ``data_layout.csv``: one row ``name,file[,file2,…]`` per series (rows with one field are
  skipped, ``#`` rows skipped); the files of one row are combined with ``AddCSVTables`` (which is
  not a plain sum: see :func:`add_tables`);
* each series file: ``YYYY-MM-DD,count`` rows; a *first* row whose first field is ``Date`` or
  ``DateTime`` (or empty) is skipped; ``#`` rows, rows with fewer than two fields and rows with an
  empty count are skipped; a table row is ``[days since start, int(count) / hasten]`` (float);
* ``registration_corrections.csv`` (``name,YYYY-MM-DD``, no comment lines): every observation
  before the one on that date is multiplied by (value on that date / previous value);
* :func:`interpolate` is ``get_interpolated_data``: linear between observations, held constant
  before the first and after the last, truncated with ``int()``.

A table is an ``(n, 2)`` float64 array ``[day, value]`` in file order, as in Flee (not sorted).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from corredor.errors import ScenarioError
from corredor.files.read import checked_path, excerpt
from corredor.scenario.flee._csv import Row, parse_date, parse_int, read_rows

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SKIPPED_FIRST_FIELDS = ("DateTime", "Date")


def _empty_table() -> FloatArray:
    return np.zeros((0, 2), dtype=np.float64)


def read_series_file(
    path: Path, display: str, start: dt.date, hasten: int, *, root: Path | None = None
) -> FloatArray:
    """``ConvertCsvFileToNumPyTable(data_type="int")``: the ``[day, count/hasten]`` table."""
    rows = read_rows(path, display=display, root=root)
    if not rows:
        raise ScenarioError(
            display,
            "is empty; Flee 3.1 fails on an empty series file",
            fix=f"add at least one observation, e.g. `{start.isoformat()},0`",
        )
    entries: list[tuple[float, float]] = []
    first = rows[0].fields
    if len(first) > 1 and len(first[0]) > 0 and first[0] not in SKIPPED_FIRST_FIELDS:
        _process_entry(rows[0], display, start, hasten, entries)
    for row in rows[1:]:
        _process_entry(row, display, start, hasten, entries)
    if not entries:
        return _empty_table()
    return np.array(entries, dtype=np.float64)


def _process_entry(
    row: Row, display: str, start: dt.date, hasten: int, entries: list[tuple[float, float]]
) -> None:
    """``DataTable._processEntry`` for one row (appends to ``entries`` or skips the row)."""
    fields = row.fields
    if len(fields) < 2:
        return
    if fields[0] == "":
        raise ScenarioError(
            display, "the date is empty", line=row.line, column="date", expected="YYYY-MM-DD,count"
        )
    if fields[0][0] == "#" or fields[1] == "":
        return
    day = (parse_date(fields[0], display, row.line, "date") - start).days
    count = parse_int(fields[1], display, row.line, "count", "an integer count of people")
    entries.append((float(day), count / hasten))


class AddTablesError(Exception):
    """Where 3.1's ``AddCSVTables`` fails with ``IndexError``."""


def add_tables(table1: FloatArray, table2: FloatArray) -> FloatArray:
    """``AddCSVTables`` transliterated: how 3.1 combines several files on one layout row.

    Walks ``table2``; entries of ``table1`` dated before the current ``table2`` entry are added
    to the *previous* ``table2`` value; entries of ``table1`` after the last ``table2`` date are
    dropped, and once ``table1`` is exhausted its last entry is repeated for each later
    ``table2`` entry. Raises :class:`AddTablesError` where 3.1 raises ``IndexError``: when
    ``table1`` is empty (and ``table2`` is not), and when ``table1`` has an entry dated before
    the first entry of ``table2`` (3.1's initial "previous value" is a (1, 2) array, so reading
    its element 1 fails).
    """
    out: list[tuple[float, float]] = []
    if len(table2) == 0:
        return _empty_table()
    if len(table1) == 0:
        raise AddTablesError("the first file has no observations")
    offset = 0
    last_c2: FloatArray | None = None
    for c2 in table2:
        while c2[0] > table1[offset][0]:
            if last_c2 is None:
                raise AddTablesError(
                    "the first file has an observation dated before the first observation of "
                    "the added file"
                )
            out.append((table1[offset][0], last_c2[1] + table1[offset][1]))
            if offset < len(table1) - 1:
                offset += 1
            else:
                break
        if c2[0] == table1[offset][0]:
            out.append((c2[0], c2[1] + table1[offset][1]))
            if offset < len(table1) - 1:
                offset += 1
            last_c2 = c2
            continue
        if c2[0] < table1[offset][0]:
            out.append((c2[0], c2[1] + table1[offset][1]))
            last_c2 = c2
            continue
    return np.array(out, dtype=np.float64) if out else _empty_table()


def interpolate(table: FloatArray, days: npt.ArrayLike) -> FloatArray:
    """``get_interpolated_data`` before the final ``int()``, vectorised over ``days``.

    For day ``d``: the first value if ``d <= day_0``; else, with ``i`` the first index ≥ 1
    whose day exceeds ``d``, ``v[i-1] + f·(v[i] − v[i-1])`` where
    ``f = (d − day[i-1]) / (day[i] − day[i-1])``; the last value if there is no such ``i``.
    Exact for unsorted tables too (the first exceeding index is found through the running
    maximum of the days). 3.1's ``fraction > 1`` branch cannot be reached and is omitted.
    """
    d = np.asarray(days, dtype=np.float64)
    t = table[:, 0]
    v = table[:, 1]
    out = np.full(d.shape, v[-1], dtype=np.float64)
    before = d <= t[0]
    out[before] = v[0]
    if len(t) > 1:
        running_max = np.maximum.accumulate(t[1:])
        i = np.searchsorted(running_max, d, side="right") + 1
        inside = ~before & (i < len(t))
        j = i[inside]
        old_day = t[j - 1]
        old_val = v[j - 1]
        fraction = (d[inside] - old_day) / (t[j] - old_day)
        with np.errstate(invalid="ignore", over="ignore"):  # callers check finiteness
            out[inside] = old_val + fraction * (v[j] - old_val)
    return out


def truncate(values: FloatArray) -> IntArray:
    """Python's ``int()`` of each value (toward zero); callers check finiteness first."""
    return np.trunc(values).astype(np.int64)


@dataclass
class DataLayout:
    """The series of ``data_layout.csv`` in file order (duplicates: the first name wins)."""

    names: list[str]
    tables: list[FloatArray]
    lines: list[int]
    files: list[list[str]]
    display: str

    def index(self, name: str) -> int | None:
        """``DataTable._find_headerindex`` (first match), ``None`` where 3.1 would exit."""
        try:
            return self.names.index(name)
        except ValueError:
            return None

    def field(self, name: str, length: int) -> IntArray:
        """``[get_field(name, t) for t in range(length)]`` (int values, as 3.1 returns them)."""
        k = self.index(name)
        if k is None:
            raise KeyError(name)
        table = self.tables[k]
        where = f"the series `{name}` ({', '.join(self.files[k])})"
        if len(table) == 0:
            raise ScenarioError(
                self.display,
                f"{where} has no observations; Flee 3.1 fails on an empty series",
                line=self.lines[k],
                fix="add at least one `YYYY-MM-DD,count` row to the file",
            )
        raw = interpolate(table, np.arange(length))
        bad = np.flatnonzero(~np.isfinite(raw))
        if len(bad):
            raise ScenarioError(
                self.display,
                f"{where} is not a finite number on day {int(bad[0])}: a registration "
                "correction divided by an observation of 0",
                line=self.lines[k],
                fix="correct registration_corrections.csv or the observation before that date",
            )
        return truncate(raw)


def read_data_layout(
    source_dir: Path, start: dt.date, hasten: int, *, root: Path | None = None
) -> DataLayout:
    """Read ``source_dir/data_layout.csv`` and every series file it names (which must lie in
    ``root``, the scenario folder, or in ``source_dir`` itself when ``root`` is not given)."""
    layout_path = source_dir / "data_layout.csv"
    display = f"{source_dir.name}/data_layout.csv"
    inside = root if root is not None else source_dir
    if not layout_path.exists():
        raise ScenarioError(
            layout_path,
            "file not found",
            fix="create it with a row `total,refugees.csv` and one row `<camp>,<file>.csv` "
            "per camp",
        )
    layout = DataLayout([], [], [], [], display)
    for row in read_rows(layout_path, display=display, root=root):
        fields = row.fields
        if len(fields) <= 1:
            continue
        if fields[0] == "":
            raise ScenarioError(display, "the series name is empty", line=row.line, column="name")
        if fields[0][0] == "#":
            continue
        table: FloatArray | None = None
        for col, file_name in enumerate(fields[1:], start=2):
            if file_name == "":
                raise ScenarioError(
                    display,
                    "empty file name (a trailing comma?)",
                    line=row.line,
                    column=col,
                    expected="a CSV file name in the same folder",
                )
            path = source_dir / file_name
            shown = f"{source_dir.name}/{file_name}"
            try:
                checked_path(path, root=inside, display=display, what="series file")
            except ScenarioError as exc:
                raise ScenarioError(
                    display, exc.message, line=row.line, column=col, fix=exc.fix
                ) from None
            if not path.exists():
                raise ScenarioError(
                    display,
                    f"names {excerpt(shown)}, which does not exist",
                    line=row.line,
                    column=col,
                    fix="add the file or correct the file name",
                )
            part = read_series_file(path, shown, start, hasten, root=inside)
            if table is None:
                table = part
                continue
            try:
                table = add_tables(table, part)
            except AddTablesError as exc:
                raise ScenarioError(
                    display,
                    f"Flee 3.1 cannot add {file_name} to {', '.join(fields[1 : col - 1])}: {exc}",
                    line=row.line,
                    column=col,
                    fix="start every file of the row on the same date (add `YYYY-MM-DD,0` rows)",
                ) from None
        assert table is not None
        layout.names.append(fields[0])
        layout.tables.append(table)
        layout.lines.append(row.line)
        layout.files.append(fields[1:])
    return layout


def apply_registration_corrections(
    layout: DataLayout, path: Path, display: str, start: dt.date, *, root: Path | None = None
) -> None:
    """``RefugeeTable.ReadL1Corrections`` (in place). A missing file means no corrections."""
    if not path.exists() and not path.is_symlink():
        return
    for row in read_rows(path, display=display, root=root):
        if len(row.fields) <= 1:
            continue
        name, date_text = row.fields[0], row.fields[1]
        k = layout.index(name)
        if k is None:
            raise ScenarioError(
                display,
                f"names {name!r}, which has no row in {layout.display}"
                + (" (3.1 does not skip comment lines here)" if name.startswith("#") else ""),
                line=row.line,
                column="camp",
                expected="a camp name from data_layout.csv",
            )
        days = (parse_date(date_text, display, row.line, "date") - start).days
        table = layout.tables[k]
        applied = False
        for i in range(len(table)):
            if int(table[i][0]) == int(days) and i > 0:
                with np.errstate(divide="ignore", invalid="ignore"):
                    table[0:i, 1] *= table[i, 1] / table[i - 1, 1]
                applied = True
        if not applied:
            raise ScenarioError(
                display,
                f"{date_text} is not the date of an observation (other than the first) in the "
                f"series `{name}`; Flee 3.1 fails here",
                line=row.line,
                column="date",
                expected=f"a date listed in {', '.join(layout.files[k])}",
            )
