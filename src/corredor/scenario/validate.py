"""``corredor validate``: check a scenario of either kind without running it.

A corridor scenario (a YAML file, a folder with ``scenario.yaml``, a built-in name) is checked by
:func:`corredor.scenario.corridor.validate_corridor_scenario`; a Flee scenario directory (or a
built-in Flee name) by :func:`corredor.scenario.flee.load_flee_scenario`, which refuses what a
run would not survive or would do silently (no routes, a ``hasten`` that leaves no agent, more
agents than memory holds, settings out of range). Runs do the same checks before they start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from corredor.scenario.builtin import builtin_flee_scenarios, resolve_scenario
from corredor.scenario.corridor import summary_line, validate_corridor_scenario
from corredor.scenario.flee.loader import expected_flee_agents, load_flee_scenario


@dataclass(frozen=True)
class Validation:
    """What validation found: one summary line and the warnings (one line each)."""

    kind: str
    summary: str
    warnings: tuple[str, ...] = ()


def is_flee_scenario(path_or_name: str | Path) -> bool:
    """A Flee scenario directory (with ``input_csv/``) or a built-in Flee name."""
    path = Path(path_or_name)
    if (path / "input_csv").is_dir():
        return True
    return not path.exists() and str(path_or_name) in builtin_flee_scenarios()


def validate_scenario(
    path_or_name: str | Path, *, days: int | None = None, hasten: int | None = None
) -> Validation:
    """Check a scenario of either kind (module docstring); raise a ScenarioError or return what
    ``corredor validate`` prints."""
    if is_flee_scenario(path_or_name):
        sc = load_flee_scenario(resolve_scenario(path_or_name), days=days, hasten=hasten)
        agents = expected_flee_agents(sc)
        size = "" if agents is None else f", about {agents:,.0f} agents"
        summary = (
            f"{sc.name}: {sc.n_locations} locations, {sc.n_links} links, {sc.n_camps} camps, "
            f"{sc.length} days from {sc.start_date}{size}"
        )
        return Validation("flee", summary, tuple(sc.warnings))
    scenario, check = validate_corridor_scenario(path_or_name, days=days)
    summary = f"{summary_line(scenario)}; about {check.agents:,.0f} agents"
    return Validation("corridor", summary, check.warnings)
