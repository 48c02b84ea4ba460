"""The rule that every number has a source or is a named calibration parameter.

* a bare number must sit inside an object (service, zone, origin, groups, decisions...) that has
  a non-empty ``source``, or be written ``{value, source}``;
* a ``$name`` must be declared under ``calibration:``, and its default and range must lie within
  the bounds of every field that uses it (a probability parameter cannot range up to 2).
"""

from __future__ import annotations

import difflib
import math

from corredor.scenario.corridor.index import iter_params
from corredor.scenario.corridor.model import CorridorScenario
from corredor.scenario.corridor.params import Param
from corredor.scenario.corridor.problems import Problem
from corredor.scenario.corridor.yaml_lines import PathKey

_NO_SOURCE_FIX = (
    "add a source: line to the enclosing block, write {value: <number>, source: <text>}, "
    "or declare a named calibration parameter and write $name"
)


def _bounds(p: Param) -> str:
    low = "-inf" if p.low == -math.inf else f"{p.low:g}"
    high = "inf" if p.high == math.inf else f"{p.high:g}"
    return f"[{low}, {high}]"


def check_ref(
    scenario: CorridorScenario,
    p: Param,
    path: PathKey,
    file: str | None = None,
    line: int | None = None,
    column: str | None = None,
) -> Problem | None:
    """A problem if ``p`` refers to an undeclared parameter or one whose range does not fit."""
    assert p.ref is not None
    cal = scenario.calibration.get(p.ref)
    if cal is None:
        close = difflib.get_close_matches(p.ref, list(scenario.calibration), n=3)
        fix = f"did you mean ${close[0]}?" if close else f"declare {p.ref} under calibration:"
        message = f"unknown calibration parameter ${p.ref}"
        return Problem(path, message, fix=fix, file=file, line=line, column=column)
    low, high = cal.range
    if low < p.low or high > p.high:
        message = (
            f"calibration parameter {p.ref} ranges over [{low:g}, {high:g}], outside the "
            f"bounds {_bounds(p)} of this field"
        )
        fix = f"narrow calibration.{p.ref}.range to {_bounds(p)}"
        return Problem(path, message, fix=fix, file=file, line=line, column=column)
    return None


def check_sources(scenario: CorridorScenario) -> list[Problem]:
    """Problems with unsourced numbers and calibration references (YAML and link table)."""
    problems: list[Problem] = []
    for site in iter_params(scenario):
        p = site.param
        if p.ref is not None:
            problem = check_ref(scenario, p, site.path)
            if problem is not None:
                problems.append(problem)
        elif p.is_bare and site.covering_source is None:
            problems.append(
                Problem(
                    site.path,
                    f"the number {p.value:g} has no source and is not a calibration parameter",
                    fix=_NO_SOURCE_FIX,
                )
            )
    links = scenario.links
    for link, line in zip(links.rows, links.lines, strict=False):
        for column, p in (("km", link.km), ("speed", link.speed), ("risk", link.risk)):
            if p.ref is not None and p.ref in scenario.calibration:
                problem = check_ref(
                    scenario, p, (), str(scenario.base_dir / links.file), line, column
                )
                if problem is not None:
                    problems.append(problem)
    return problems
