"""CSV tables of a corridor scenario: locations, links and driver series.

A table has a header row; blank lines and lines starting with ``#`` are skipped; other columns
than the known ones are allowed and ignored (keep notes and identifiers there); a blank cell is
an absent value. Every row is validated by its pydantic model, and any failure (unreadable file,
bad CSV, missing column, a bad cell) becomes a :class:`ScenarioError` naming file, line and
column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from corredor.errors import ScenarioError
from corredor.files.atomic import write_text
from corredor.files.read import csv_records, read_text
from corredor.scenario.corridor.geography import Link, Location
from corredor.scenario.corridor.params import Param
from corredor.scenario.corridor.population import DriverPoint
from corredor.scenario.corridor.problems import problem_from_pydantic

RowT = TypeVar("RowT", bound=BaseModel)

LOCATION_COLUMNS = (
    "name",
    "kind",
    "country",
    "lat",
    "lon",
    "population",
    "shelter_capacity",
    "source",
    "note",
)
LINK_COLUMNS = (
    "from",
    "to",
    "km",
    "km_type",
    "mode",
    "speed",
    "risk",
    "enforcement_exposure",
    "directed",
    "source",
    "note",
)
DRIVER_COLUMNS = ("date", "period_end", "driver", "value", "value_type", "source", "note")

_REQUIRED: dict[type[BaseModel], tuple[str, ...]] = {
    Location: ("name", "kind", "country", "source"),
    Link: ("from", "to", "km", "mode", "speed", "risk", "source"),
    DriverPoint: ("date", "driver", "value", "source"),
}
COLUMNS: dict[type[BaseModel], tuple[str, ...]] = {
    Location: LOCATION_COLUMNS,
    Link: LINK_COLUMNS,
    DriverPoint: DRIVER_COLUMNS,
}


def read_csv_records(
    path: Path, display: str, *, root: Path | None = None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the (line, fields) records of a CSV file; comments and blanks skipped.

    Read by the one reader (:mod:`corredor.files.read`): ``path`` relative to ``root`` must stay
    inside it; UTF-8 with or without a byte-order mark; size capped."""
    text = read_text(path, root=root, display=display, what="table")
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    for record in csv_records(text, display, strict=True):
        fields = record.fields
        if not fields or all(f.strip() == "" for f in fields):
            continue
        if fields[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [f.strip() for f in fields]
            continue
        records.append((record.line, fields))
    if header is None:
        raise ScenarioError(display, "is empty (no header row)", fix="add a header row")
    return header, records


def _check_header(header: list[str], required: Sequence[str], display: str) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen and name:
            raise ScenarioError(
                display, f"column {name!r} appears twice in the header", line=1, fix="rename one"
            )
        seen.add(name)
    missing = [c for c in required if c not in seen]
    if missing:
        raise ScenarioError(
            display,
            f"missing column(s): {', '.join(missing)}",
            line=1,
            expected=f"a header with at least {', '.join(required)}",
            fix=f"add the column(s) {', '.join(missing)} to the header",
        )


def read_table(
    path: Path, model: type[RowT], display: str | None = None, *, root: Path | None = None
) -> tuple[tuple[RowT, ...], tuple[int, ...]]:
    """Rows of a CSV table validated by ``model`` (Location, Link or DriverPoint), and lines.
    ``root``: the scenario folder ``path`` must stay inside (``None``: a path the user gave)."""
    name = display or str(path)
    header, records = read_csv_records(path, name, root=root)
    _check_header(header, _REQUIRED[model], name)
    known = set(COLUMNS[model])
    rows: list[RowT] = []
    lines: list[int] = []
    for line, fields in records:
        if len(fields) != len(header):
            raise ScenarioError(
                name,
                f"row has {len(fields)} fields but the header has {len(header)}",
                line=line,
                fix="quote cells that contain commas, and give every row the header's columns",
            )
        cells = {
            col: value.strip()
            for col, value in zip(header, fields, strict=True)
            if col in known and value.strip() != ""
        }
        try:
            rows.append(model.model_validate(cells))
        except ValidationError as exc:
            problem = problem_from_pydantic(exc.errors(include_url=False)[0])
            column = str(problem.path[0]) if problem.path else None
            raise ScenarioError(
                name,
                problem.message,
                line=line,
                column=column,
                expected=problem.expected,
                fix=problem.fix,
            ) from None
        lines.append(line)
    return tuple(rows), tuple(lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Param):
        value = value.dump()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        raise ValueError("a CSV cell cannot hold {value, source}; use the row's source column")
    return str(value)


def table_text(rows: Iterable[BaseModel], columns: Sequence[str]) -> str:
    """The CSV text of ``rows`` with ``columns`` (the inverse of :func:`read_table`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        data = row.model_dump(by_alias=True)
        writer.writerow([_cell(data.get(c)) for c in columns])
    return out.getvalue()


def write_table(path: Path, rows: Iterable[BaseModel], model: type[BaseModel]) -> None:

    write_text(path, table_text(rows, COLUMNS[model]))
