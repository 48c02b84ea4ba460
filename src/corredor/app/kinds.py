"""Which kind a scenario is (corridor or Flee), and the list of built-in ones.

A **corridor** scenario is a YAML file, a folder holding ``scenario.yaml`` or the name of a
built-in one (``mexico-us``); a **Flee** scenario is a folder in Flee's format (``input_csv/``,
``source_data/``) or the name of a built-in one (``mali2012``). Every use case asks
:func:`scenario_kind` first, so a name is resolved once and an unknown one gets one error that
lists the scenarios of both kinds. Kept apart from :mod:`corredor.app.scenarios` (tables of
events and levers, with pandas and the calibration) so that a Flee run loads neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from corredor.app.requests import ScenarioKind
from corredor.errors import ScenarioError
from corredor.files.read import load_yaml
from corredor.scenario.builtin import builtin_corridor_scenarios, builtin_flee_scenarios

__all__ = ["BuiltinScenario", "builtin_scenarios", "scenario_kind"]


@dataclass(frozen=True)
class BuiltinScenario:
    """A scenario shipped with Corredor."""

    name: str
    kind: ScenarioKind
    path: Path
    description: str


def builtin_scenarios() -> list[BuiltinScenario]:
    """Every built-in scenario, corridor ones first, each with a one-line description."""
    out = []
    for name, path in builtin_corridor_scenarios().items():
        out.append(BuiltinScenario(name, "corridor", path, _corridor_description(path)))
    for name, path in builtin_flee_scenarios().items():
        out.append(BuiltinScenario(name, "flee", path, "Flee scenario (Flee 3.1 format)"))
    return out


def _corridor_description(path: Path) -> str:
    """The first sentence of a corridor scenario's ``description:`` (read without validating
    the whole scenario, so that listing stays fast)."""
    try:
        doc, _ = load_yaml(path, what="scenario")
    except ScenarioError:
        return "corridor scenario"
    text = str(doc.get("description", "")) if isinstance(doc, dict) else ""
    first = text.split(". ")[0].split(" (")[0].strip()
    return first or "corridor scenario"


def scenario_kind(scenario: str | Path) -> ScenarioKind:
    """``"corridor"`` or ``"flee"`` for a built-in name or a path; a
    :class:`~corredor.errors.ScenarioError` listing the built-in scenarios otherwise."""
    name = str(scenario)
    corridor, flee = builtin_corridor_scenarios(), builtin_flee_scenarios()
    if name in corridor:
        return "corridor"
    if name in flee:
        return "flee"
    path = Path(scenario)
    if path.is_file():
        if path.suffix in (".yaml", ".yml"):
            return "corridor"
        raise ScenarioError(
            path,
            "is not a scenario",
            fix="give a corridor scenario YAML file, a scenario folder or a built-in name",
        )
    if path.is_dir():
        if (path / "scenario.yaml").is_file():
            return "corridor"
        if (path / "input_csv").is_dir():
            return "flee"
        raise ScenarioError(
            path,
            "folder is neither a corridor scenario (scenario.yaml) nor a Flee scenario "
            "(input_csv/)",
            fix="give the scenario's YAML file, or a Flee scenario folder",
        )
    raise ScenarioError(
        name,
        "no such scenario file, folder or built-in scenario",
        fix="use one of: " + ", ".join([*corridor, *flee]) + " (corredor scenarios), or a path",
    )
