"""Turn pydantic validation errors and failed checks into one :class:`ScenarioError`.

A field path is written the way a user finds it in the YAML: ``services[3].outcomes.default``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from corredor.errors import ScenarioError
from corredor.files.read import LineMap, PathKey, excerpt
from corredor.scenario.corridor.base import SCENARIO_NAME_PATTERN

_PARAM_FIX = "write a number (covered by a source), {value: <number>, source: <text>} or $name"


def field_path(path: PathKey) -> str:
    """``("services", 3, "outcomes")`` → ``services[3].outcomes``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, before it becomes a ScenarioError."""

    path: PathKey
    message: str
    expected: str | None = None
    fix: str | None = None
    file: str | Path | None = None
    line: int | None = None
    column: str | None = None


def raise_problems(problems: Sequence[Problem], file: str | Path, lines: LineMap | None) -> None:
    """Raise the first problem as a ScenarioError (saying how many more there are)."""
    if not problems:
        return
    first = problems[0]
    message = first.message
    if len(problems) > 1:
        more = len(problems) - 1
        message += f" [and {more} more problem{'s' if more > 1 else ''}]"
    line = first.line
    if line is None and first.file is None and lines is not None:
        line = lines.line(first.path)
    raise ScenarioError(
        first.file if first.file is not None else file,
        message,
        line=line,
        column=first.column,
        field=field_path(first.path) or None,
        expected=first.expected,
        fix=first.fix,
    )


def _clean_loc(loc: tuple[int | str, ...]) -> PathKey:
    """Drop pydantic's internal markers (``[key]``, function names) from a location."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (part.startswith("function-") or part == "[key]"):
            continue
        out.append(part)
    return tuple(out)


def problem_from_pydantic(error: Any, prefix: PathKey = ()) -> Problem:
    """One pydantic error dictionary → a Problem with a message, the expectation and a fix."""
    raw_loc = tuple(error.get("loc", ()))
    path = (*prefix, *_clean_loc(raw_loc))
    kind = "key" if "[key]" in raw_loc else error.get("type", "")
    special = _SPECIAL.get(kind)
    if special is not None:
        last = path[-1] if path else ""
        return special(path, last, error, error.get("ctx") or {})
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    found = error.get("input")
    if kind not in ("value_error", "assertion_error") and not isinstance(found, dict | list):
        message += f" (found {excerpt(found)})"
    return Problem(path, message, fix=_generic_fix(kind))


def _key(path: PathKey, last: object, error: Any, ctx: Any) -> Problem:
    return Problem(
        path,
        f"invalid key {excerpt(last)}: {error.get('msg', '')}",
        fix="rename the key (names are letters, digits and underscores)",
    )


def _missing(path: PathKey, last: object, error: Any, ctx: Any) -> Problem:
    return Problem(path, f"required field {excerpt(last)} is missing", fix=f"add {excerpt(last)}")


def _extra(path: PathKey, last: object, error: Any, ctx: Any) -> Problem:
    return Problem(
        path,
        f"unknown field {excerpt(last)}",
        fix="remove it or correct its spelling (see docs/scenario-format.md)",
    )


def _literal(path: PathKey, last: object, error: Any, ctx: Any) -> Problem:
    expected = str(ctx.get("expected", ""))
    return Problem(
        path,
        f"{excerpt(error.get('input'))} is not allowed here",
        expected=f"one of {expected}",
        fix=f"use one of {expected}",
    )


def _param(path: PathKey, last: object, error: Any, ctx: Any) -> Problem:
    message = str(error.get("msg"))
    _, sep, bounds = message.partition(" is outside ")
    if sep:  # a number out of its field's range: the fix is the range, not the syntax
        return Problem(path, message, fix=f"write a number inside {bounds}")
    return Problem(path, message, fix=_PARAM_FIX)


def _pattern(path: PathKey, last: object, error: Any, ctx: Any) -> Problem:
    if ctx.get("pattern") == SCENARIO_NAME_PATTERN:
        return Problem(
            path,
            f"{excerpt(error.get('input'))} is not a valid scenario name (it becomes part of "
            "output folder names)",
            expected="one path component of at most 64 characters",
            fix="use letters, digits, '_', '-' and '.', starting with a letter or digit "
            "(no '/', no '..', no spaces)",
        )
    return Problem(
        path,
        f"{excerpt(error.get('input'))} is not a valid name or code",
        expected=f"text matching {ctx.get('pattern', '')}",
        fix="use letters, digits and underscores (codes: capitals), starting with a letter",
    )


_SPECIAL = {
    "key": _key,
    "missing": _missing,
    "extra_forbidden": _extra,
    "literal_error": _literal,
    "corridor_param": _param,
    "string_pattern_mismatch": _pattern,
}
_FIXES = (
    (("float", "int"), "write a number"),
    (("date",), "write the date as YYYY-MM-DD"),
    (("bool",), "write true or false"),
    (("tuple_type", "list_type"), "write a list"),
    (("dict_type", "model_type", "model_attributes_type"), "write a mapping (key: value lines)"),
    (("string",), "write text (quote words YAML reads otherwise: yes, no, on, off, null)"),
    (("value_error", "assertion_error"), "correct the value as the message says"),
    (("greater_than", "less_than"), "give a value within the bounds the message states"),
)


def _generic_fix(kind: str) -> str | None:
    return next((fix for prefixes, fix in _FIXES if kind.startswith(prefixes)), None)


def problems_from_validation(exc: ValidationError, prefix: PathKey = ()) -> list[Problem]:
    return [problem_from_pydantic(e, prefix) for e in exc.errors(include_url=False)]
