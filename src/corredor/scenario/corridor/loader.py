"""``load_corridor_scenario``: YAML + CSV tables → a checked :class:`CorridorScenario`.

Steps, each failing with a :class:`~corredor.errors.ScenarioError` that names the file, the line
and field path (or CSV column) and a fix:

1. read the YAML, remembering the line of every key (:mod:`.yaml_lines`);
2. read the CSV tables it references (locations, links, each origin's driver series);
3. validate the whole document with pydantic;
4. check cross-references, sums and sources (:mod:`.checks`, :mod:`.sources`) and the observed
   data of the observables (:mod:`.observed`);
5. read the policy events with ``corredor.policy`` and check every parameter they change exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from corredor.errors import ScenarioError
from corredor.files.read import PathKey, checked_path, excerpt
from corredor.policy import load_events, load_timeline
from corredor.scenario.corridor.bargaining_checks import check_bargaining_events
from corredor.scenario.corridor.builtin import resolve_corridor_scenario
from corredor.scenario.corridor.checks import check_references
from corredor.scenario.corridor.geography import Link, Location
from corredor.scenario.corridor.index import parameter_values
from corredor.scenario.corridor.model import CorridorScenario
from corredor.scenario.corridor.observed import check_observed
from corredor.scenario.corridor.population import DriverPoint
from corredor.scenario.corridor.problems import Problem, problems_from_validation, raise_problems
from corredor.scenario.corridor.runcheck import RunCheck, check_run
from corredor.scenario.corridor.sources import check_sources
from corredor.scenario.corridor.tables import read_table
from corredor.scenario.corridor.vintage import check_data_horizon
from corredor.scenario.corridor.yaml_lines import LineMap, load_yaml_with_lines


def load_corridor_scenario(path_or_name: str | Path) -> CorridorScenario:
    """Read and check a corridor scenario: a YAML file, a folder with ``scenario.yaml``, or the
    name of a built-in scenario (``mexico-us``)."""
    path = resolve_corridor_scenario(path_or_name)
    raw, lines = load_yaml_with_lines(path)
    if not isinstance(raw, dict):
        raise ScenarioError(
            path,
            "a corridor scenario must be a YAML mapping (name:, start:, locations:, ...)",
            fix="see docs/scenario-format.md for a complete example",
        )
    document = _with_tables(dict(raw), path, lines)
    document["path"] = path
    try:
        scenario = CorridorScenario.model_validate(document)
    except ValidationError as exc:
        raise_problems(problems_from_validation(exc), path, lines)
        raise  # unreachable: raise_problems raised
    problems = [*check_references(scenario), *check_sources(scenario)]
    if not problems:
        problems = [*check_observed(scenario), *check_data_horizon(scenario)]
    raise_problems(problems, path, lines)
    scenario = scenario.model_copy(update={"events": _policy_events(scenario, lines)})
    raise_problems(check_bargaining_events(scenario), path, lines)
    return scenario


def validate_corridor_scenario(
    path_or_name: str | Path,
    calibration: Mapping[str, float] | None = None,
    *,
    days: int | None = None,
    extra_events: Sequence[Any] = (),
) -> tuple[CorridorScenario, RunCheck]:
    """What ``corredor validate`` does: load the scenario (every file, reference, sum and
    source) and check what a run of it would use (:func:`~corredor.scenario.corridor.runcheck.
    check_run`: calibration values, every parameter on every day of the policy timeline, sizes).
    Every run does the same check before it starts, so a scenario that passes here does not
    fail there. Returns the scenario and the check (its ``warnings``, agents and memory)."""
    scenario = load_corridor_scenario(path_or_name)
    return scenario, check_run(scenario, calibration, days=days, extra_events=extra_events)


def _reference(
    ref: object, field: PathKey, base: Path, path: Path, lines: LineMap, what: str
) -> str:
    """A file named in the YAML: text, inside the scenario folder, existing; else an error at
    the YAML line that names it."""
    if not isinstance(ref, str) or not ref.strip():
        fix = f"write the path of the {what}, relative to {path.name}"
        raise_problems([Problem(field, f"must be the path of a {what}", fix=fix)], path, lines)
        raise AssertionError  # unreachable: raise_problems raised
    try:
        real = checked_path(base / ref, root=base, what=what)
    except ScenarioError as exc:
        problem = Problem(field, exc.message, expected=exc.expected, fix=exc.fix)
        raise_problems([problem], path, lines)
        raise  # unreachable
    if not real.exists():
        fix = f"put it in {base} or correct the path"
        problem = Problem(field, f"{what} {excerpt(ref)} not found", fix=fix)
        raise_problems([problem], path, lines)
    return ref


def _with_tables(document: dict[str, Any], path: Path, lines: LineMap) -> dict[str, Any]:
    """Replace table paths by ``{file, rows, lines}`` (CSV errors are raised from here)."""
    base = path.parent
    for key, model in (("locations", Location), ("links", Link)):
        ref = document.get(key)
        if ref is None:
            continue
        file = _reference(ref, (key,), base, path, lines, "CSV table")
        rows, row_lines = read_table(base / file, model, str(base / file), root=base)
        document[key] = {"file": file, "rows": rows, "lines": row_lines}
    if isinstance(document.get("analysis"), str):  # the file of analysis settings
        _reference(document["analysis"], ("analysis",), base, path, lines, "analysis settings file")
    origins = document.get("origins")
    if isinstance(origins, list):
        document["origins"] = [_with_series(o, i, path, lines) for i, o in enumerate(origins)]
    return document


def _with_series(origin: Any, i: int, path: Path, lines: LineMap) -> Any:
    if not isinstance(origin, dict) or origin.get("driver_series") is None:
        return origin
    base = path.parent
    field = ("origins", i, "driver_series")
    file = _reference(origin["driver_series"], field, base, path, lines, "driver series")
    rows, row_lines = read_table(base / file, DriverPoint, str(base / file), root=base)
    used = origin.get("drivers")
    used = set(used) if isinstance(used, dict) else set()
    for row, line in zip(rows, row_lines, strict=True):
        if row.driver in used and row.value <= 0:
            # departures scale with (value today / value at start) ^ elasticity: a value of 0 or
            # below has no ratio (a run would clip it to 1e-12)
            raise ScenarioError(
                str(base / file),
                f"driver {excerpt(row.driver)} is {row.value:g} on {row.date}; an elasticity "
                "needs values above 0",
                line=line,
                column="value",
                fix="give the driver a positive value (a rate, a count, an amount)",
            )
    return {**origin, "series": rows}


def _policy_events(scenario: CorridorScenario, lines: LineMap) -> tuple[Any, ...]:
    """The events of ``policy_events``, each change checked against the scenario's parameters."""
    if scenario.policy_events is None:
        return ()
    assert scenario.path is not None
    base = scenario.base_dir
    file = _reference(
        scenario.policy_events, ("policy_events",), base, scenario.path, lines, "policy events file"
    )
    return _events_of(scenario, base / file, root=base)


def load_scenario_events(scenario: CorridorScenario, file: str | Path) -> tuple[Any, ...]:
    """Policy events from ``file`` (YAML or CSV, ``docs/policy.md``) for this scenario — e.g. a
    counterfactual (``counterfactuals/*.yaml`` of the built-in scenario) or a forecast — each
    change checked against the scenario's parameters; a relative path that does not exist is
    also looked up in the scenario's folder. Errors name the file, the line and the fix.

    ``file`` is a path the user chose (``--event FILE``): it is read wherever it is."""
    path = Path(file)
    if not path.exists() and not path.is_absolute() and (scenario.base_dir / path).exists():
        path = scenario.base_dir / path
    if not path.exists():
        raise ScenarioError(
            excerpt(str(path), 200)[1:-1],
            "policy events file not found",
            fix=f"give an existing YAML or CSV file (built-in ones are in {scenario.base_dir})",
        )
    return _events_of(scenario, path, root=None)


def _events_of(scenario: CorridorScenario, path: Path, *, root: Path | None) -> tuple[Any, ...]:
    # checks every change: its parameter exists, its value stays in range on every day
    load_timeline(path, parameter_values(scenario), day0=scenario.start, root=root)
    # kept as written: a `$name` value is resolved when the run's calibration is known
    return tuple(load_events(path, root=root))
