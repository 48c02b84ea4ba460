"""Errors that users see.

Every error caused by user input says *where* (file, line, column or field path), *what* was
found and *what was expected*, so the CLI can print one line and exit with status 2 and the web
API can answer 4xx, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

#: The longest a part of an error message may be (the message, what was expected, the fix, the
#: file name); longer parts are cut in the middle. Values read from files are quoted shorter
#: still (``corredor.files.read.excerpt``): an error never floods the terminal.
MAX_PART = 400


def cap(text: str, limit: int = MAX_PART) -> str:
    """``text`` with its middle cut out if it is longer than ``limit`` characters, and
    non-printable characters (newlines, escape sequences, bidirectional overrides) escaped so it
    stays one honest line."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    if len(text) <= limit:
        return text
    keep = (limit - 20) // 2
    return f"{text[:keep]} … [{len(text) - 2 * keep:,} characters] … {text[-keep:]}"


class CorredorError(Exception):
    """Base class of every error Corredor raises on purpose."""


class ScenarioError(CorredorError):
    """A scenario (a Flee directory, a YAML file or a CSV table) is malformed.

    ``line`` is 1-based as shown by a text editor; ``column`` is a column name or a 1-based
    column number; ``field`` is a dotted path for YAML/JSON input (``move_rules.softening``).
    """

    def __init__(
        self,
        file: str | Path | None,
        message: str,
        *,
        line: int | None = None,
        column: str | int | None = None,
        field: str | None = None,
        expected: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.file = cap(str(file), 300) if file is not None else None
        self.message = cap(message)
        self.line = line
        self.column = cap(str(column), 80) if isinstance(column, str) else column
        self.field = cap(field, 200) if field is not None else None
        self.expected = cap(expected) if expected is not None else None
        self.fix = cap(fix) if fix is not None else None
        super().__init__(self.__str__())

    def location(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            parts.append(self.file)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.field is not None:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.expected:
            text += f" (expected {self.expected})"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


class InputError(CorredorError):
    """The input is refused before any work is done (exit status 2): a use case that
    catalogued its run as ``running`` removes the row, as for a :class:`ScenarioError`. Raise
    it (or a subclass) only from checks that run before any simulation."""


class RunError(CorredorError):
    """A run could not be completed (for example the results store is unusable)."""


class ReadOnlyStoreError(RunError):
    """A write (a run, a delete) asked of a results store the user may only read (exit
    status 2; HTTP 403 from the web service)."""
