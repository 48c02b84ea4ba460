"""CSV reading shared by the Flee loaders: Python's ``csv`` module, as Flee 3.1 uses it.

Every row comes with the 1-based line number where it starts, so that errors can point at it.
Numbers are parsed with Python's ``int``/``float`` (the functions Flee calls), and every failure
becomes a :class:`~corredor.errors.ScenarioError` naming file, line and column.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from corredor.errors import ScenarioError

BOM = "\ufeff"


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


def read_rows(path: Path, *, display: str | None = None, allow_bom: bool = False) -> list[Row]:
    """All records of ``path`` (blank lines included as empty rows), read as Flee reads them.

    ``display`` is the name used in error messages (defaults to the path). A UTF-8 byte-order
    mark is rejected unless ``allow_bom``: Flee 3.1 opens files as ``utf-8`` (not ``utf-8-sig``),
    so the mark becomes part of the first field and breaks the first name or date.
    """
    name = display or str(path)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return list(_records(fh, name, allow_bom))
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            name,
            f"is not valid UTF-8 text (byte {exc.start})",
            fix="save the file as UTF-8",
        ) from None
    except csv.Error as exc:
        raise ScenarioError(name, f"is not a valid CSV file: {exc}") from None


def _records(fh: object, name: str, allow_bom: bool) -> Iterator[Row]:
    reader = csv.reader(fh)  # type: ignore[arg-type]
    prev = 0
    for fields in reader:
        start = prev + 1
        prev = reader.line_num
        if start == 1 and fields and fields[0].startswith(BOM):
            if not allow_bom:
                raise ScenarioError(
                    name,
                    "starts with a UTF-8 byte-order mark, which Flee 3.1 reads as part of the "
                    "first field",
                    line=1,
                    fix="save the file as UTF-8 without BOM",
                )
            fields[0] = fields[0][len(BOM) :]
        yield Row(start, fields)


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
            file, f"cannot read {text!r} as an integer", line=line, column=column, expected=expected
        ) from None


def parse_float(text: str, file: str, line: int, column: str | int, expected: str) -> float:
    """``float(text)`` as Flee calls it, or a ScenarioError."""
    try:
        return float(text)
    except ValueError:
        raise ScenarioError(
            file, f"cannot read {text!r} as a number", line=line, column=column, expected=expected
        ) from None


def parse_date(text: str, file: str, line: int, column: str | int) -> dt.date:
    """``datetime.strptime(text, "%Y-%m-%d")`` as Flee calls it, or a ScenarioError."""
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise ScenarioError(
            file,
            f"cannot read {text!r} as a date",
            line=line,
            column=column,
            expected="a date written YYYY-MM-DD, without spaces",
        ) from None
