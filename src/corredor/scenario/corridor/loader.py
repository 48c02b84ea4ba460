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

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from corredor.errors import ScenarioError
from corredor.scenario.corridor.bargaining_checks import check_bargaining_events
from corredor.scenario.corridor.builtin import resolve_corridor_scenario
from corredor.scenario.corridor.checks import check_references
from corredor.scenario.corridor.geography import Link, Location
from corredor.scenario.corridor.index import parameter_values
from corredor.scenario.corridor.model import CorridorScenario
from corredor.scenario.corridor.observed import check_observed
from corredor.scenario.corridor.population import DriverPoint
from corredor.scenario.corridor.problems import Problem, problems_from_validation, raise_problems
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
    scenario = scenario.model_copy(update={"events": _policy_events(scenario)})
    raise_problems(check_bargaining_events(scenario), path, lines)
    return scenario


def _with_tables(document: dict[str, Any], path: Path, lines: LineMap) -> dict[str, Any]:
    """Replace table paths by ``{file, rows, lines}`` (CSV errors are raised from here)."""
    base = path.parent
    for key, model in (("locations", Location), ("links", Link)):
        ref = document.get(key)
        if ref is None:
            continue
        if not isinstance(ref, str):
            raise_problems(
                [
                    Problem(
                        (key,), f"{key} must be the path of a CSV table", fix=f"{key}: {key}.csv"
                    )
                ],
                path,
                lines,
            )
        rows, row_lines = read_table(base / str(ref), model, str(base / str(ref)))
        document[key] = {"file": ref, "rows": rows, "lines": row_lines}
    origins = document.get("origins")
    if isinstance(origins, list):
        document["origins"] = [_with_series(o, base) for o in origins]
    return document


def _with_series(origin: Any, base: Path) -> Any:
    if not isinstance(origin, dict) or not isinstance(origin.get("driver_series"), str):
        return origin
    file = base / origin["driver_series"]
    rows, _ = read_table(file, DriverPoint, str(file))
    return {**origin, "series": rows}


def _policy_events(scenario: CorridorScenario) -> tuple[Any, ...]:
    """The events of ``policy_events``, each change checked against the scenario's parameters."""
    if scenario.policy_events is None:
        return ()
    file = scenario.base_dir / scenario.policy_events
    if not file.is_file():
        raise ScenarioError(
            scenario.path,
            f"policy events file {scenario.policy_events!r} not found",
            field="policy_events",
            fix=f"put it in {scenario.base_dir} or correct the path",
        )
    return load_scenario_events(scenario, file)


def load_scenario_events(scenario: CorridorScenario, file: str | Path) -> tuple[Any, ...]:
    """Policy events from ``file`` (YAML or CSV, ``docs/policy.md``) for this scenario — e.g. a
    counterfactual (``counterfactuals/*.yaml`` of the built-in scenario) or a forecast — each
    change checked against the scenario's parameters; a relative path that does not exist is
    also looked up in the scenario's folder. Errors name the file, the line and the fix."""
    from corredor.policy import load_events, load_timeline

    path = Path(file)
    if not path.is_file() and not path.is_absolute() and (scenario.base_dir / path).is_file():
        path = scenario.base_dir / path
    if not path.is_file():
        raise ScenarioError(
            path,
            "policy events file not found",
            fix=f"give an existing YAML or CSV file (built-in ones are in {scenario.base_dir})",
        )
    load_timeline(path, parameter_values(scenario), day0=scenario.start)  # checks every change
    # kept as written: a `$name` value is resolved when the run's calibration is known
    return tuple(load_events(path))
