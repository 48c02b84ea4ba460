"""The observed series of the observables: read once, checked once, used by everyone.

:func:`observed_rows` is the only reader of observed data: validation (:func:`check_observed`),
a run's comparison with the data (``CorridorResult.observed_vs_simulated``) and the calibration
loss (``corredor.calibration.loss.Targets``) all take their rows from it, so they can never
disagree on which rows exist (a byte-order mark, a stray space or a malformed row cannot make
one of them drop data the others keep).

Observed data are what the model is fitted to, so a scenario may declare a
``calibration_horizon``: any selected row whose period ends after it is an error (the months
after it are the out-of-sample test and must not be used for fitting).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from corredor.errors import ScenarioError
from corredor.files.read import cache_key, checked_path, excerpt
from corredor.scenario.corridor.model import CorridorScenario
from corredor.scenario.corridor.observables import Observable, ObservedData
from corredor.scenario.corridor.problems import Problem, raise_problems
from corredor.scenario.corridor.tables import read_csv_records

Records = tuple[list[str], list[tuple[int, list[str]]]]


@dataclass(frozen=True, slots=True)
class ObservedRow:
    """One observed data row selected by an observable's filter."""

    line: int
    start: dt.date
    end: dt.date
    value: float
    value_type: str
    source: str


#: Parsed files by (real path, modification time, size): a run reads each file once.
_CACHE: dict[tuple[str, int, int], Records] = {}


def _records(scenario: CorridorScenario, file: str) -> tuple[Path, Records]:
    display = str(scenario.base_dir / file)
    key = cache_key(scenario.base_dir / file, root=scenario.base_dir, what="observed data file")
    if key is not None and key in _CACHE:
        return Path(display), _CACHE[key]
    records = read_csv_records(scenario.base_dir / file, display, root=scenario.base_dir)
    if key is not None:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = records
    return Path(display), records


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _select(
    scenario: CorridorScenario, i: int, data: ObservedData, path: Path, records: Records
) -> tuple[list[ObservedRow], Problem | None]:
    """The rows of ``data`` and the first problem with them (``None``: all good)."""
    header, rows = records
    where = ("observables", i, "data")
    needed = {
        "value_column": data.value_column,
        "period_start_column": data.period_start_column,
        "period_end_column": data.period_end_column,
    }
    missing = {k: c for k, c in needed.items() if c not in header}
    missing.update({f"filter.{c}": c for c in data.filter if c not in header})
    if "source" not in header:
        missing["file"] = "source"
    if missing:
        key, column = next(iter(missing.items()))
        shown = ", ".join(excerpt(h, 30) for h in header[:12])
        more = f", … ({len(header) - 12} more)" if len(header) > 12 else ""
        return [], Problem(
            (*where, *key.split(".")),
            f"{data.file} has no column {excerpt(column)}",
            fix=f"use one of its columns: {shown}{more}",
        )
    col = {name: header.index(name) for name in header}
    out: list[ObservedRow] = []
    horizon = scenario.calibration_horizon
    fix = "correct or remove the row (data after the horizon must not be used for fitting)"
    for line, f in rows:
        if len(f) != len(header):
            message = f"the row has {len(f)} fields but the header has {len(header)}"
            return out, Problem(
                where, message, fix="quote cells that contain commas", file=path, line=line
            )
        if not all(f[col[c]].strip() == v.strip() for c, v in data.filter.items()):
            continue
        start = _date(f[col[data.period_start_column]])
        end = _date(f[col[data.period_end_column]])
        text = f[col[data.value_column]].strip()
        source = f[col["source"]].strip()
        value, problem = _count(text)
        column = data.value_column
        if problem is not None:  # the value first, then the period, the source, the horizon
            return out, Problem(where, problem, fix=fix, file=path, line=line, column=column)
        if start is None or end is None or end < start:
            column = data.period_start_column if start is None else data.period_end_column
            problem = "period_start/period_end must be dates (YYYY-MM-DD) with start <= end"
        elif not source:
            problem, column = "the row has no source", "source"
        elif horizon is not None and end > horizon:
            column = data.period_end_column
            problem = f"the row's period ends {end}, after the calibration horizon {horizon}"
        if problem is not None:
            return out, Problem(where, problem, fix=fix, file=path, line=line, column=column)
        assert value is not None and start is not None and end is not None
        vtype = f[col["value_type"]].strip() if "value_type" in col else ""
        out.append(ObservedRow(line, start, end, value, vtype, source))
    if not out:
        return out, Problem(
            (*where, "filter"),
            f"no row of {data.file} matches the filter {excerpt(data.filter)}",
            fix="check the filter values against the file",
        )
    return out, None


def check_observed(scenario: CorridorScenario) -> list[Problem]:
    """Problems with the observed data of every observable (each file is read once)."""
    problems: list[Problem] = []
    for i, ob in enumerate(scenario.observables):
        if ob.data is None:
            continue
        field = ("observables", i, "data", "file")
        try:
            real = checked_path(
                scenario.base_dir / ob.data.file, root=scenario.base_dir, what="observed data file"
            )
        except ScenarioError as exc:
            problems.append(Problem(field, exc.message, expected=exc.expected, fix=exc.fix))
            continue
        if not real.exists():
            problems.append(
                Problem(
                    field,
                    f"observed data file {excerpt(ob.data.file)} not found",
                    fix=f"put the file in {scenario.base_dir} or correct the path",
                )
            )
            continue
        path, records = _records(scenario, ob.data.file)
        _, problem = _select(scenario, i, ob.data, path, records)
        if problem is not None:
            problems.append(problem)
    return problems


def _count(text: str) -> tuple[float | None, str | None]:
    """An observed value and, if it is none, why: observables count events or people."""
    try:
        value = float(text)
    except ValueError:
        return None, f"value {excerpt(text)} is not a number"
    if not math.isfinite(value):
        return None, f"value {excerpt(text)} is not a number"
    if value < 0:
        return None, f"value {excerpt(text)} is negative (an observable counts events or people)"
    return value, None


def observed_rows(scenario: CorridorScenario, observable: Observable | int) -> list[ObservedRow]:
    """The observed rows of an observable (by index or object), in file order; ``[]`` without
    data. Any problem with them raises the :class:`ScenarioError` validation raises."""
    if isinstance(observable, int):
        i, ob = observable, scenario.observables[observable]
    else:
        ob = observable
        i = next(k for k, o in enumerate(scenario.observables) if o is ob or o == ob)
    if ob.data is None:
        return []
    path, records = _records(scenario, ob.data.file)
    rows, problem = _select(scenario, i, ob.data, path, records)
    if problem is not None:
        raise_problems([problem], scenario.path or path, None)
    return rows
