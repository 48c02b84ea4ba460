"""Read a Flee 3.1 scenario directory exactly as Flee 3.1 does (docs/flee-notes.md §2)."""

from corredor.scenario.flee.geography import Closure
from corredor.scenario.flee.loader import FleeScenario, load_flee_scenario
from corredor.scenario.flee.population import AgentsCsv, CodedColumn, Demographic
from corredor.scenario.flee.settings import FleeSettings, load_settings

__all__ = [
    "AgentsCsv",
    "Closure",
    "CodedColumn",
    "Demographic",
    "FleeScenario",
    "FleeSettings",
    "load_flee_scenario",
    "load_settings",
]
