"""Write a corridor scenario back to YAML + CSV tables (the inverse of the loader)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from corredor.files.atomic import write_bytes, write_text
from corredor.files.read import read_bytes
from corredor.scenario.corridor.geography import Link, Location
from corredor.scenario.corridor.model import CorridorScenario
from corredor.scenario.corridor.population import DriverPoint
from corredor.scenario.corridor.tables import write_table

SCENARIO_FILE = "scenario.yaml"


def scenario_document(scenario: CorridorScenario) -> dict[str, Any]:
    """The YAML document of ``scenario`` (tables as paths; defaults left out)."""
    data: dict[str, Any] = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return data


def scenario_yaml(scenario: CorridorScenario) -> str:
    return yaml.safe_dump(
        scenario_document(scenario), sort_keys=False, allow_unicode=True, width=100
    )


def write_corridor_scenario(scenario: CorridorScenario, directory: str | Path) -> Path:
    """Write ``scenario.yaml``, its CSV tables and driver series into ``directory``; copy the
    observed data, policy and analysis-settings files it references from where the scenario was
    read."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    write_table(out / scenario.locations.file, scenario.locations.rows, Location)
    write_table(out / scenario.links.file, scenario.links.rows, Link)
    for origin in scenario.origins:
        if origin.driver_series is not None:
            write_table(out / origin.driver_series, origin.series, DriverPoint)
    copies = [ob.data.file for ob in scenario.observables if ob.data is not None]
    if scenario.policy_events is not None:
        copies.append(scenario.policy_events)
    if isinstance(scenario.analysis, str):
        copies.append(scenario.analysis)
    if scenario.path is not None:
        for rel in dict.fromkeys(copies):
            src, dst = scenario.base_dir / rel, out / rel
            if src.is_file() and src.resolve() != dst.resolve():
                write_bytes(dst, read_bytes(src, root=scenario.base_dir))
    return write_text(out / SCENARIO_FILE, scenario_yaml(scenario))
