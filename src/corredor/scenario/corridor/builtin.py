"""Built-in corridor scenarios (``corredor/data/corridor/<name>/scenario.yaml``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from corredor.errors import ScenarioError

SCENARIO_FILE = "scenario.yaml"


def _root() -> Path:
    return Path(str(resources.files("corredor") / "data" / "corridor"))


def builtin_corridor_scenarios() -> dict[str, Path]:
    """Name → path of the ``scenario.yaml`` of every built-in corridor scenario."""
    root = _root()
    if not root.is_dir():
        return {}
    return {
        p.name: p / SCENARIO_FILE for p in sorted(root.iterdir()) if (p / SCENARIO_FILE).is_file()
    }


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
    if str(path_or_name) == path.name and (_root().parent / "flee" / path.name).is_dir():
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
