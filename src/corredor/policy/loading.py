"""Reading policy events from YAML or CSV, with errors that name file, line, field and fix.

* **YAML**: a list of events (or a mapping whose only key is ``events``), each a mapping of the
  :class:`~corredor.policy.events.PolicyEvent` fields with its ``changes`` inline.
* **CSV**: one row per event (columns: the event fields except ``changes``; ``origin`` is
  ``all`` or origins separated by ``;``; an empty cell means "not given"), and optionally a
  second, long CSV of changes, one row per change: ``event_id, parameter, op, value[,
  ramp_days]``, applied in file order.

Every problem is a :class:`~corredor.errors.ScenarioError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from corredor.errors import ScenarioError
from corredor.files.read import excerpt, load_yaml, read_csv
from corredor.policy._dates import DayLike
from corredor.policy.events import ParameterChange, PolicyEvent
from corredor.policy.timeline import (
    PolicyTimeline,
    first_unknown_parameter,
    unknown_parameter_error,
)

EVENT_REQUIRED = (
    "id", "name", "country", "policy_area", "tool", "target_group",
    "direction", "magnitude", "start", "source",
)  # fmt: skip
EVENT_OPTIONAL = ("origin", "end", "notes", "implemented_share")
CHANGE_REQUIRED = ("event_id", "parameter", "op", "value")
CHANGE_OPTIONAL = ("ramp_days",)

_FIXES = {
    "id": "give a short id of letters, digits, '_', '.', ':' or '-' (no spaces)",
    "direction": "write -1 (less restrictive), 0 or +1 (more restrictive), as DEMIG POLICY does",
    "magnitude": "write one of fine-tuning, minor, mid-level, major (DEMIG POLICY)",
    "policy_area": "write one of border_land_control, legal_entry_stay, integration, exit",
    "start": "write the date as YYYY-MM-DD",
    "end": "write the date as YYYY-MM-DD, on or after start; leave it empty if still in force",
    "source": "give a URL or a citation for the event",
    "origin": 'write "all" or origin countries separated by ";"',
    "implemented_share": "give the share of the stated change actually deployed, from 0 to 1",
    "op": "write set, multiply or add",
    "value": "write a finite number",
    "ramp_days": "write a whole number of days, 0 for an immediate change",
    "parameter": "write a dotted parameter name such as services.comar_tapachula.capacity",
    "changes": "give a list of {parameter, op, value, ramp_days} mappings",
}
_EXPECTED_BY_TYPE = {
    "date_parsing": "a date written as YYYY-MM-DD",
    "date_from_datetime_parsing": "a date written as YYYY-MM-DD",
    "date_from_datetime_inexact": "a date written as YYYY-MM-DD",
    "date_type": "a date written as YYYY-MM-DD",
    "float_parsing": "a finite number",
    "float_type": "a finite number",
    "finite_number": "a finite number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "string_too_short": "a non-empty text",
    "string_type": "a text",
    "tuple_type": "a list",
    "model_type": "a mapping",
}


Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class _Where:
    """Where something was read: for error messages."""

    file: str | None
    line: int | None = None
    column: str | None = None
    field: str | None = None

    def error(self, message: str, **kwargs: Any) -> ScenarioError:
        return ScenarioError(
            self.file, message, line=self.line, column=self.column, field=self.field, **kwargs
        )


@dataclass(slots=True)
class _Loaded:
    events: list[PolicyEvent]
    change_where: list[list[_Where]]  # one per change of each event


# ---------------------------------------------------------------------- public API
def load_events(
    path: str | Path, *, changes: str | Path | None = None, root: str | Path | None = None
) -> list[PolicyEvent]:
    """The policy events of a ``.yaml``/``.yml`` or ``.csv`` file, in file order.

    ``changes`` is the long CSV of parameter changes that goes with an events CSV. ``root``: the
    folder the files must stay inside (a scenario's own events); ``None``: paths the user chose.
    """
    return _load(Path(path), None if changes is None else Path(changes), root).events


def load_timeline(
    path: str | Path,
    base_parameters: Mapping[str, float],
    *,
    changes: str | Path | None = None,
    day0: DayLike | None = None,
    root: str | Path | None = None,
) -> PolicyTimeline:
    """:func:`load_events` then :class:`PolicyTimeline`, with errors pointing into the files."""
    loaded = _load(Path(path), None if changes is None else Path(changes), root)
    bad = first_unknown_parameter(loaded.events, base_parameters)
    if bad is not None:
        i, j = bad
        at = loaded.change_where[i][j]
        raise unknown_parameter_error(
            loaded.events[i],
            j,
            base_parameters,
            file=at.file,
            line=at.line,
            column=at.column,
            field=at.field,
        )
    return PolicyTimeline(loaded.events, base_parameters, day0=day0, file=str(path))


def change_line(
    path: str | Path, event_id: str, index: int, *, root: str | Path | None = None
) -> int | None:
    """The line of change ``index`` of the event ``event_id`` in an events file (YAML: the line
    of its ``parameter``), for messages about a change found wrong later; ``None`` if unknown."""
    try:
        loaded = _load(Path(path), None, root)
    except ScenarioError:
        return None
    for event, wheres in zip(loaded.events, loaded.change_where, strict=True):
        if event.id == event_id and 0 <= index < len(wheres):
            return wheres[index].line
    return None


def parse_events(
    data: object, *, file: str | Path | None = None, field: str | None = None
) -> list[PolicyEvent]:
    """Policy events from already-parsed YAML/JSON data: a list of mappings.

    ``field`` is the dotted path of ``data`` in its document (for error messages), for example
    ``"policy_events"`` when the list is embedded in a scenario file.
    """
    prefix: Loc = tuple(field.split(".")) if field else ()
    name = None if file is None else str(file)
    return _from_data(data, name, prefix, {}).events


# ---------------------------------------------------------------------- dispatch
def _load(path: Path, changes: Path | None, root: str | Path | None = None) -> _Loaded:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        if changes is not None:
            raise ScenarioError(
                str(changes),
                "a separate changes table goes only with an events CSV",
                fix="write the changes inline under each event's `changes:` in the YAML file",
            )
        return _load_yaml(path, root)
    if suffix == ".csv":
        return _load_csv(path, changes, root)
    raise ScenarioError(
        str(path),
        "is not a policy-event file ("
        + (f"its suffix is {excerpt(path.suffix)}" if path.suffix else "it has no suffix")
        + ")",
        expected="a .yaml, .yml or .csv file",
        fix="give a file of policy events ending in .yaml, .yml or .csv",
    )


# ---------------------------------------------------------------------- YAML
def _load_yaml(path: Path, root: str | Path | None) -> _Loaded:
    name = str(path)
    data, line_map = load_yaml(path, root=root, display=name, what="policy events file")
    if data is None:
        raise ScenarioError(name, "is empty", expected="a list of policy events")
    lines: Mapping[Loc, int] = line_map.lines
    prefix: Loc = ()
    if isinstance(data, dict):
        if set(data) != {"events"}:
            raise ScenarioError(
                name,
                f"has the top-level keys {excerpt(sorted(map(str, data)))}",
                line=1,
                expected="a list of policy events, or a mapping with the single key `events`",
            )
        data, prefix = data["events"], ("events",)
    return _from_data(data, name, prefix, lines)


def _from_data(data: object, file: str | None, prefix: Loc, lines: Mapping[Loc, int]) -> _Loaded:
    def where(path: Loc) -> _Where:
        return _Where(file, _line_of(lines, path), field=_format_path(path))

    if not isinstance(data, list):
        raise where(prefix).error(
            f"holds a {type(data).__name__}", expected="a list of policy events"
        )
    out = _Loaded([], [])
    seen: dict[str, int | None] = {}
    for i, item in enumerate(data):
        path = (*prefix, i)
        if not isinstance(item, dict):
            raise where(path).error(
                f"policy event {i} is a {type(item).__name__}",
                expected="a mapping of the policy event fields",
            )
        try:
            event = PolicyEvent.model_validate(item)
        except ValidationError as exc:
            ident = item.get("id") if isinstance(item.get("id"), str) else None
            raise _validation_error(exc, PolicyEvent, ident, _at_path(where, path)) from None
        at_id = where((*path, "id"))
        _check_duplicate(event, seen, at_id)
        seen[event.id] = at_id.line
        out.events.append(event)
        out.change_where.append(
            [where((*path, "changes", j, "parameter")) for j in range(len(event.changes))]
        )
    return out


def _at_path(where: Callable[[Loc], _Where], path: Loc) -> Callable[[Loc], _Where]:
    return lambda loc: where((*path, *loc))


def _at_row(file: str, line: int) -> Callable[[Loc], _Where]:
    return lambda loc: _Where(file, line, column=str(loc[0]) if loc else None)


def _line_of(lines: Mapping[Loc, int], path: Loc) -> int | None:
    for n in range(len(path), -1, -1):
        line = lines.get(path[:n])
        if line is not None:
            return line
    return None


def _format_path(path: Loc) -> str | None:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or None


# ---------------------------------------------------------------------- CSV
@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    cells: dict[str, str]  # non-empty, stripped cells by column


def _read_csv(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...], root: str | Path | None
) -> list[_Row]:
    name = str(path)
    header: list[str] | None = None
    rows: list[_Row] = []
    for record in read_csv(path, root=root, display=name):
        line = record.line
        cells = [f.strip() for f in record.fields]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if header is None:
            header = _check_header(cells, name, line, required, optional)
            continue
        if len(cells) > len(header):
            raise ScenarioError(
                name,
                f"has {len(cells)} fields but the header has {len(header)}",
                line=line,
                fix="quote cells that contain commas",
            )
        row = {col: cell for col, cell in zip(header, cells, strict=False) if cell != ""}
        rows.append(_Row(line, row))
    if header is None:
        raise ScenarioError(name, "is empty", expected=f"a header row: {', '.join(required)}")
    return rows


def _check_header(
    cells: list[str], name: str, line: int, required: tuple[str, ...], optional: tuple[str, ...]
) -> list[str]:
    header = [c.lower() for c in cells]
    allowed = (*required, *optional)
    for col in header:
        if col not in allowed:
            fix = "remove the column or fix its name"
            if col == "changes":
                fix = (
                    "put the changes in a separate CSV (event_id, parameter, op, value, ramp_days)"
                )
            raise ScenarioError(
                name,
                f"has the unknown column {excerpt(col)}",
                line=line,
                column=col,
                expected=f"columns among {', '.join(allowed)}",
                fix=fix,
            )
        if header.count(col) > 1:
            raise ScenarioError(name, f"has the column {excerpt(col)} twice", line=line, column=col)
    missing = [c for c in required if c not in header]
    if missing:
        raise ScenarioError(
            name,
            f"lacks the column(s) {', '.join(missing)}",
            line=line,
            expected=f"the columns {', '.join(required)}",
            fix="add the missing columns to the header row",
        )
    return header


def _load_csv(path: Path, changes_path: Path | None, root: str | Path | None) -> _Loaded:
    name = str(path)
    by_event: dict[str, list[tuple[_Where, ParameterChange]]] = {}
    if changes_path is not None:
        cname = str(changes_path)
        for row in _read_csv(changes_path, CHANGE_REQUIRED, CHANGE_OPTIONAL, root):
            cells = dict(row.cells)
            event_id = cells.pop("event_id", "")
            at = _Where(cname, row.line, column="parameter")
            if not event_id:
                raise _Where(cname, row.line, column="event_id").error(
                    "has no event id", fix="name the event this change belongs to"
                )
            try:
                change = ParameterChange.model_validate(cells)
            except ValidationError as exc:
                where = _at_row(cname, row.line)
                raise _validation_error(exc, ParameterChange, event_id, where) from None
            by_event.setdefault(event_id, []).append((at, change))
    out = _Loaded([], [])
    seen: dict[str, int | None] = {}
    for row in _read_csv(path, EVENT_REQUIRED, EVENT_OPTIONAL, root):
        ident = row.cells.get("id")
        own = by_event.get(ident, []) if ident is not None else []
        data: dict[str, object] = dict(row.cells)
        data["changes"] = tuple(change for _, change in own)
        try:
            event = PolicyEvent.model_validate(data)
        except ValidationError as exc:
            raise _validation_error(exc, PolicyEvent, ident, _at_row(name, row.line)) from None
        _check_duplicate(event, seen, _Where(name, row.line, column="id"))
        seen[event.id] = row.line
        out.events.append(event)
        out.change_where.append([at for at, _ in own])
    for event_id, own in by_event.items():
        if event_id not in seen:
            known = ", ".join(sorted(seen)) or "none"
            raise _Where(own[0][0].file, own[0][0].line, column="event_id").error(
                f"refers to the policy event {excerpt(event_id)}, which {name} does not define",
                expected=f"one of the event ids: {known}",
                fix="fix the event id, or add the event to the events table",
            )
    return out


# ---------------------------------------------------------------------- errors
def _check_duplicate(event: PolicyEvent, seen: Mapping[str, int | None], at: _Where) -> None:
    if event.id in seen:
        first_line = seen[event.id]
        where_first = f" (first on line {first_line})" if first_line is not None else ""
        raise at.error(
            f"the policy event id {excerpt(event.id)} is used twice{where_first}",
            fix="give every policy event its own id",
        )


def _validation_error(
    exc: ValidationError,
    model: type[BaseModel],
    ident: str | None,
    where: Callable[[Loc], _Where],
) -> ScenarioError:
    """The first pydantic error as a ScenarioError; ``where(loc)`` places it."""
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    at = where(loc)
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    in_change = model is ParameterChange or "changes" in loc
    owner = "a parameter change" if in_change else "a policy event"
    kind = err["type"]
    ctx = err.get("ctx") or {}
    expected: str | None = _EXPECTED_BY_TYPE.get(kind)
    if kind == "missing":
        message = f"{field} is missing"
    elif kind == "extra_forbidden":
        fields = ", ".join((ParameterChange if in_change else PolicyEvent).model_fields)
        message = f"{excerpt(field)} is not a field of {owner}"
        expected = f"fields among {fields}"
    elif kind == "literal_error":
        message = f"{field} is {excerpt(err.get('input'))}"
        expected = str(ctx.get("expected", ""))
    elif kind == "value_error":
        text = str(ctx.get("error", err["msg"]))
        message = text if text.startswith(f"{field} ") else f"{field}: {text}"
    else:
        message = f"{field} is not valid: {err['msg']} (found {excerpt(err.get('input'))})"
    if ident:
        message = f"policy event {excerpt(ident)}: {message}"
    more = len(exc.errors()) - 1
    if more:
        message += f" ({more} more problem{'s' if more > 1 else ''} in this record)"
    return at.error(message, expected=expected or None, fix=_FIXES.get(field))
