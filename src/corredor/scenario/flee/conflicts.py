"""``conflicts.csv``: which location is a conflict zone on which day, as Flee 3.1 reads it.

Mirrors ``InputGeography.ReadConflictInputCSV``: the first line is the header whatever it
starts with (its first field, the day column, is ignored; names are stripped); every later row
appends ``float(value.strip())`` to the list of the column it sits in; the day column's values
are never read, so day ``t`` is simply the ``t``-th data row (``AddNewConflictZones`` indexes the
lists by day and fails past their end).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from corredor.errors import ScenarioError
from corredor.files.read import excerpt
from corredor.scenario.flee._csv import Row, parse_float, read_rows

#: 3.1's threshold for "in conflict" (``> 0.000001``).
CONFLICT_EPSILON = 0.000001


@dataclass
class Conflicts:
    """Conflict intensities: ``values[t, k]`` for day ``t`` and column ``names[k]``.

    ``values`` has one row per day row of the file (the shortest column if rows are ragged).
    """

    names: list[str]
    index: npt.NDArray[np.int32]
    values: npt.NDArray[np.float64]
    warnings: list[str] = field(default_factory=list)


def _closest(name: str, names: list[str]) -> str:
    close = difflib.get_close_matches(name, names, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _header_columns(
    header: list[str], display: str
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """An empty column per named location of the header, and its 1-based position."""
    columns: dict[str, list[float]] = {}
    position: dict[str, int] = {}
    for i, name in enumerate(header[1:], start=2):
        if name in columns:
            raise ScenarioError(
                display,
                f"location {excerpt(name)} has two columns "
                "(Flee 3.1 would interleave their values)",
                line=1,
                column=i,
                expected="one column per location",
            )
        if name:
            columns[name] = []
            position[name] = i
    return columns, position


def _read_values(
    rows: list[Row], header: list[str], columns: dict[str, list[float]], display: str
) -> None:
    """Append each day row's values to the columns of the header."""
    for row in rows:
        f = row.fields
        for i in range(1, len(f)):
            if i >= len(header):
                raise ScenarioError(
                    display,
                    f"has {len(f)} columns but the header has {len(header)}",
                    line=row.line,
                    expected=f"{len(header)} columns per row",
                )
            if not header[i]:
                raise ScenarioError(
                    display,
                    "a value sits under a header column without a name",
                    line=row.line,
                    column=i + 1,
                    fix="name the column in the header or remove the trailing comma",
                )
            columns[header[i]].append(
                parse_float(f[i].strip(), display, row.line, header[i], "a conflict intensity")
            )


def read_conflicts(
    path: Path, display: str, names: list[str], length: int, *, root: Path | None = None
) -> Conflicts:
    """Read ``conflicts.csv``; it needs at least ``length`` day rows for every column.

    A column naming no location is an error, except when all its values within the simulated
    period are 0: 3.1 then never looks the name up, so the column is dropped with a warning.
    """
    rows = read_rows(path, display=display, root=root)
    if not rows or rows[0].is_blank():
        raise ScenarioError(
            display, "the first line must be the header `#Day,<location>,…`", line=1
        )
    header = [h.strip() for h in rows[0].fields]
    columns, position = _header_columns(header, display)
    _read_values(rows[1:], header, columns, display)

    index = {name: i for i, name in enumerate(names)}
    kept: list[str] = []
    warnings: list[str] = []
    for name, column in columns.items():
        if len(column) < length:
            raise ScenarioError(
                display,
                f"column {excerpt(name)} has {len(column)} day rows but the simulation runs "
                f"{length} days; Flee 3.1 reads this file by day index (row t = day t) and "
                "fails past its end",
                column=name,
                expected=f"at least {length} rows after the header",
                fix="add rows for the missing days or shorten the period",
            )
        if name in index:
            kept.append(name)
            continue
        if np.any(np.asarray(column) > CONFLICT_EPSILON):
            # a misspelt location would silently lose its conflict (within the period Flee 3.1
            # stops on it; after it, a longer --days would) — refused wherever it has one
            raise ScenarioError(
                display,
                f"column {position[name]} ({excerpt(name)}) is not a location in locations.csv",
                line=1,
                column=name,
                expected="a location name from the first column of locations.csv",
                fix=f"correct the name{_closest(name, names)}, or remove the column",
            )
        warnings.append(
            f"{display}: column {position[name]} ({excerpt(name)}) names no location; its values "
            "are all 0, so Flee 3.1 never uses it"
        )
    days_in_file = min((len(columns[name]) for name in kept), default=length)
    values = np.zeros((days_in_file, len(kept)), dtype=np.float64)
    for k, name in enumerate(kept):
        values[:, k] = columns[name][:days_in_file]
    idx = np.array([index[name] for name in kept], dtype=np.int32)
    return Conflicts(kept, idx, values, warnings)
