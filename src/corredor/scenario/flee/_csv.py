"""CSV reading shared by the Flee loaders: Python's ``csv`` module, as Flee 3.1 uses it.

Every row comes with the 1-based line number where it starts, so that errors can point at it.
Numbers are parsed with Python's ``int``/``float`` (the functions Flee calls), and every failure
becomes a :class:`~corredor.errors.ScenarioError` naming file, line and column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from corredor.errors import ScenarioError
from corredor.files.read import excerpt, read_csv


@dataclass(frozen=True, slots=True)
class Row:
    """One parsed CSV record and the 1-based line on which it starts."""

    line: int
    fields: list[str]

    def is_blank(self) -> bool:
        return len(self.fields) == 0

    def is_comment(self) -> bool:
        """Flee's test ``row[0][0] == "#"`` (after csv unquoting)."""
        return len(self.fields) > 0 and self.fields[0].startswith("#")


def read_rows(path: Path, *, display: str | None = None, root: Path | None = None) -> list[Row]:
    """All records of ``path`` (blank lines included as empty rows), parsed as Flee parses them
    (Python's ``csv`` module), read by the one reader (:mod:`corredor.files.read`): ``path``
    must stay inside ``root`` (the scenario folder; ``None``: a path the user gave), be a
    regular file within the size cap, and be UTF-8. A byte-order mark is dropped, as everywhere
    in Corredor (Flee 3.1 would read it as part of the first field and fail on the first name
    or date; docs/flee-compatibility.md).

    ``display`` is the name used in error messages (defaults to the path).
    """
    name = display or str(path)
    return [Row(r.line, r.fields) for r in read_csv(path, root=root, display=name)]


def require_columns(row: Row, n: int, file: str, names: str) -> None:
    """Raise unless ``row`` has at least ``n`` fields (Flee indexes them positionally)."""
    if len(row.fields) < n:
        raise ScenarioError(
            file,
            f"has {len(row.fields)} column(s) but Flee 3.1 needs at least {n} ({names})",
            line=row.line,
            expected=f"{n} comma-separated columns",
        )


def parse_int(text: str, file: str, line: int, column: str | int, expected: str) -> int:
    """``int(text)`` as Flee calls it (surrounding blanks allowed), or a ScenarioError."""
    try:
        return int(text)
    except ValueError:
        raise ScenarioError(
            file,
            f"cannot read {excerpt(text)} as an integer",
            line=line,
            column=column,
            expected=expected,
        ) from None


def parse_float(text: str, file: str, line: int, column: str | int, expected: str) -> float:
    """``float(text)`` as Flee calls it, or a ScenarioError."""
    try:
        return float(text)
    except ValueError:
        raise ScenarioError(
            file,
            f"cannot read {excerpt(text)} as a number",
            line=line,
            column=column,
            expected=expected,
        ) from None


def parse_date(text: str, file: str, line: int, column: str | int) -> dt.date:
    """``datetime.strptime(text, "%Y-%m-%d")`` as Flee calls it, or a ScenarioError."""
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise ScenarioError(
            file,
            f"cannot read {excerpt(text)} as a date",
            line=line,
            column=column,
            expected="a date written YYYY-MM-DD, without spaces",
        ) from None
