"""Built-in corridor scenarios (``corredor/data/corridor/<name>/scenario.yaml``)."""

from __future__ import annotations

from pathlib import Path

from corredor.errors import ScenarioError
from corredor.scenario.builtin import (
    SCENARIO_FILE,
    builtin_corridor_scenarios,
    builtin_flee_scenarios,
)


def resolve_corridor_scenario(path_or_name: str | Path) -> Path:
    """A YAML file, a folder holding ``scenario.yaml``, or a built-in name → the YAML path."""
    path = Path(path_or_name)
    if path.is_file():
        return path
    if path.is_dir():
        if (path / SCENARIO_FILE).is_file():
            return path / SCENARIO_FILE
        if (path / "input_csv").is_dir():
            raise ScenarioError(
                path,
                "is a Flee scenario directory, not a corridor scenario",
                fix="run it with `corredor run`, which checks its files as it loads them",
            )
        raise ScenarioError(path, f"folder has no {SCENARIO_FILE}", fix="give the YAML file itself")
    builtin = builtin_corridor_scenarios()
    if str(path_or_name) in builtin:
        return builtin[str(path_or_name)]
    if str(path_or_name) == path.name and path.name in builtin_flee_scenarios():
        raise ScenarioError(
            str(path_or_name),
            "is a built-in Flee scenario, not a corridor scenario",
            fix="run it with `corredor run` or `corredor.run`, which take both kinds",
        )
    names = ", ".join(builtin) or "none"
    raise ScenarioError(
        str(path_or_name),
        "no such scenario file or built-in corridor scenario",
        fix=f"give the path of a scenario YAML file or one of: {names}",
    )
