"""Scenarios of both kinds: what ``validate`` and ``scenario show`` report, and the tables of
a corridor scenario's events and levers. Which kind a name or path is and the list of built-in
scenarios live in :mod:`corredor.app.kinds` (re-exported here).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from corredor.app.inputs import added_events
from corredor.app.kinds import BuiltinScenario, builtin_scenarios, scenario_kind
from corredor.app.requests import ScenarioKind
from corredor.errors import RunError
from corredor.files.read import read_text
from corredor.scenario.builtin import resolve_scenario
from corredor.scenario.corridor import (
    load_corridor_scenario,
    summary_rows,
)
from corredor.scenario.corridor.calibrated import calibrated_parameters
from corredor.scenario.flee.loader import load_flee_scenario
from corredor.scenario.validate import validate_scenario

__all__ = [
    "BuiltinScenario",
    "ScenarioSummary",
    "builtin_scenarios",
    "describe",
    "events",
    "levers",
    "scenario_kind",
]


# ------------------------------------------------------------------------------- use cases
@dataclass
class ScenarioSummary:
    """What ``validate`` and ``scenario show`` report of a scenario of either kind."""

    name: str
    kind: ScenarioKind
    path: Path
    line: str
    rows: list[tuple[str, str]]
    yaml: str | None = None
    warnings: list[str] = field(default_factory=list)


def describe(scenario: str | Path) -> ScenarioSummary:
    """Check a scenario of either kind as a run would before it starts
    (:func:`corredor.scenario.validate.validate_scenario`: errors name the file, line and fix)
    and summarise it: ``validate`` prints ``line`` and the warnings, ``scenario show`` the
    ``rows``."""
    kind = scenario_kind(scenario)
    found = validate_scenario(scenario)
    if kind == "corridor":
        sc = load_corridor_scenario(scenario)
        assert sc.path is not None
        rows = summary_rows(sc)
        rows.insert(-2, ("levers", _lever_counts(sc)))
        text = read_text(sc.path, what="scenario")
        return ScenarioSummary(
            sc.name, kind, Path(sc.path), found.summary, rows, text, list(found.warnings)
        )

    fs = load_flee_scenario(resolve_scenario(scenario))
    end = fs.start_date + dt.timedelta(days=fs.length - 1)
    kinds = Counter(fs.kind)
    rows = [
        ("name", fs.name),
        ("kind", "Flee scenario (Flee 3.1 format)"),
        ("folder", str(fs.path)),
        ("period", f"{fs.start_date} – {end} ({fs.length} days)"),
        (
            "locations",
            f"{len(fs.names)}: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())),
        ),
        ("links", str(len(fs.link_a))),
        ("camps with data", ", ".join(fs.camp_names) or "none"),
        ("conflict zones", str(int(sum(1 for k in fs.kind if k.startswith("conflict"))))),
    ]
    return ScenarioSummary(
        fs.name, kind, Path(fs.path), found.summary, rows, None, list(found.warnings)
    )


def _lever_counts(sc: Any) -> str:
    groups = getattr(sc, "levers", {}) or {}
    n = sum(len(g.parameters) for g in groups.values())
    if not groups:
        return f"none grouped; {len(sc.calibration)} parameters can be set"
    return f"{n} in {len(groups)} groups ({', '.join(g.title for g in groups.values())})"


def _corridor(scenario: str | Path, what: str) -> Any:

    if scenario_kind(scenario) != "corridor":
        raise RunError(f"{scenario} is a Flee scenario: it has no {what} (corridor scenarios do)")
    return load_corridor_scenario(scenario)


def events(scenario: str | Path) -> pd.DataFrame:
    """The policy events of a corridor scenario: its own, in date order (``counterfactual``
    empty; leave one out of a run with ``--without-event ID``), then those it ships for adding
    to a run (``counterfactual``: the name of the counterfactual they belong to; add one with
    ``--event ID``, or all of a counterfactual's with ``--event NAME``). Columns: ``id``,
    ``counterfactual``, ``start``, ``end``, ``name``, ``country``, ``policy_area``,
    ``direction``, ``magnitude``, ``changes`` (what they change), ``source``."""
    sc = _corridor(scenario, "policy events")
    own = [("", e) for e in sorted(sc.events, key=lambda e: (e.start, e.id))]
    shipped = [(a.counterfactual, a.event) for a in added_events(sc).values()]
    rows = []
    for counterfactual, e in [*own, *shipped]:
        changes = "; ".join(
            f"{c.parameter} {c.op} {c.value}" + (f" over {c.ramp_days} days" if c.ramp_days else "")
            for c in e.changes
        )
        rows.append(
            {
                "id": e.id,
                "counterfactual": counterfactual,
                "start": e.start,
                "end": e.end,
                "name": e.name,
                "country": e.country,
                "policy_area": e.policy_area,
                "direction": e.direction,
                "magnitude": e.magnitude,
                "changes": changes,
                "source": e.source,
            }
        )
    return pd.DataFrame(rows)


def levers(scenario: str | Path, *, everything: bool = False) -> pd.DataFrame:
    """The levers of a corridor scenario: ``group``, ``name``, ``meaning``, ``unit``,
    ``historical`` (the value a run uses by default: the shipped calibration's, else the
    default), ``low``, ``high``, ``status`` and ``source``. Grouped levers first; with
    ``everything``, every other calibration parameter after them (group ``other``)."""
    sc = _corridor(scenario, "levers")
    fitted = calibrated_parameters(sc)
    rows = []

    def row(group: str, name: str, unit: str | None, meaning: str | None) -> dict[str, Any]:
        p = sc.calibration[name]
        return {
            "group": group,
            "name": name,
            "meaning": meaning or p.description,
            "unit": unit or p.unit,
            "historical": float(fitted.get(name, p.default)),
            "low": float(p.range[0]),
            "high": float(p.range[1]),
            "status": "calibrated" if name in fitted else p.status,
            "source": p.source or p.description,
        }

    listed = set()
    for group in (getattr(sc, "levers", {}) or {}).values():
        for ref in group.parameters:
            rows.append(row(group.title, ref.name, ref.unit, ref.meaning))
            listed.add(ref.name)
    if everything or not listed:
        for name in sc.calibration:
            if name not in listed:
                rows.append(row("other parameters", name, None, None))
    return pd.DataFrame(rows)
