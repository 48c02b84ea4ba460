"""Check the observed series an observable points to: file, columns, rows, sources, horizon.

Observed data are what the model is fitted to, so a scenario may declare a
``calibration_horizon``: any selected row whose period ends after it is an error (the months
after it are the out-of-sample test and must not be used for fitting).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from corredor.scenario.corridor.model import CorridorScenario
from corredor.scenario.corridor.observables import Observable
from corredor.scenario.corridor.problems import Problem
from corredor.scenario.corridor.tables import read_csv_records

Records = tuple[list[str], list[tuple[int, list[str]]]]


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def check_observed(scenario: CorridorScenario) -> list[Problem]:
    """Problems with the observed data of every observable (each file is read once)."""
    cache: dict[Path, Records] = {}
    problems: list[Problem] = []
    for i, ob in enumerate(scenario.observables):
        if ob.data is None:
            continue
        path = scenario.base_dir / ob.data.file
        if path not in cache:
            if not path.is_file():
                problems.append(
                    Problem(
                        ("observables", i, "data", "file"),
                        f"observed data file {ob.data.file!r} not found",
                        fix=f"put the file in {scenario.base_dir} or correct the path",
                    )
                )
                continue
            cache[path] = read_csv_records(path, str(path))
        problems.extend(_check_one(scenario, i, ob, path, cache[path]))
    return problems


def _check_one(
    scenario: CorridorScenario, i: int, ob: Observable, path: Path, records: Records
) -> list[Problem]:
    assert ob.data is not None
    data = ob.data
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
        return [
            Problem(
                (*where, *key.split(".")),
                f"{data.file} has no column {column!r}",
                fix=f"use one of its columns: {', '.join(header)}",
            )
        ]
    col = {name: header.index(name) for name in header}
    selected = [
        (line, f)
        for line, f in rows
        if len(f) == len(header) and all(f[col[c]].strip() == v for c, v in data.filter.items())
    ]
    if not selected:
        return [
            Problem(
                (*where, "filter"),
                f"no row of {data.file} matches the filter {data.filter}",
                fix="check the filter values against the file",
            )
        ]
    horizon = scenario.calibration_horizon
    for line, f in selected:
        start = _date(f[col[data.period_start_column]])
        end = _date(f[col[data.period_end_column]])
        text = f[col[data.value_column]].strip()
        problem: str | None = None
        try:
            value_ok = math.isfinite(float(text))
        except ValueError:
            value_ok = False
        if not value_ok:
            problem = f"value {text!r} is not a number"
        elif start is None or end is None or end < start:
            problem = "period_start/period_end must be dates (YYYY-MM-DD) with start <= end"
        elif not f[col["source"]].strip():
            problem = "the row has no source"
        elif horizon is not None and end > horizon:
            problem = f"the row's period ends {end}, after the calibration horizon {horizon}"
        if problem is not None:
            fix = "correct or remove the row (data after the horizon must not be used for fitting)"
            return [Problem(where, problem, fix=fix, file=path, line=line)]
    return []
