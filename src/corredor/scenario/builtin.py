"""Built-in scenarios of both kinds shipped inside the package (``corredor/data``).

Flee ones (``flee/<name>/``) and corridor ones (``corridor/<name>/scenario.yaml``), listed
without importing either kind's machinery.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from corredor.errors import ScenarioError

_FLEE_DIR = "flee"
_CORRIDOR_DIR = "corridor"
SCENARIO_FILE = "scenario.yaml"


def _data_root() -> Path:
    return Path(str(resources.files("corredor") / "data"))


def builtin_flee_scenarios() -> dict[str, Path]:
    """Flee scenarios shipped with Corredor (published by the Flee team, BSD-3-Clause)."""
    root = _data_root() / _FLEE_DIR
    return {p.name: p for p in sorted(root.iterdir()) if (p / "input_csv").is_dir()}


def builtin_corridor_scenarios() -> dict[str, Path]:
    """Name → path of the ``scenario.yaml`` of every built-in corridor scenario."""
    root = _data_root() / _CORRIDOR_DIR
    if not root.is_dir():
        return {}
    return {
        p.name: p / SCENARIO_FILE for p in sorted(root.iterdir()) if (p / SCENARIO_FILE).is_file()
    }


def scenarios() -> list[str]:
    """Names accepted by ``corredor.run`` in place of a path."""
    return list(builtin_flee_scenarios())


def resolve_scenario(scenario: str | Path) -> Path:
    """Turn a built-in name or a path into an existing scenario directory."""
    path = Path(scenario)
    if path.exists():
        return path
    builtin = builtin_flee_scenarios()
    if str(scenario) in builtin:
        return builtin[str(scenario)]
    names = ", ".join(builtin)
    raise ScenarioError(
        str(scenario),
        "no such scenario directory or built-in scenario",
        fix=f"give the path of a Flee scenario directory or one of: {names}",
    )
