"""Dump Flee 3.1's candidate routes per location, for tests/unit/test_routes.py.

Run with the Flee interpreter (never Corredor's); it does not import ``corredor``::

    /work/flee-ref/venv/bin/python scripts/check_routes_against_flee.py \
        /work/shared/flee-scenarios/mali2012 tests/fixtures/flee31_routes_mali2012.json

For each awareness level (default 1 and 2) the scenario's geography is built through Flee's public
API (docs/flee-notes.md §1: ``SimulationSettings.ReadFromYML`` first, then ``InputGeography``)
with every link open (closures are read but never enacted), one ``Person`` is placed at each
location, and ``moving.selectRoute(person, time=0, return_all_routes=True)`` gives the candidate
routes in Flee's crawl order; each route is the list of location names, origin first. Output
JSON::

    {"flee_version": "3.1", "scenario": "mali2012",
     "routes": {"1": {"Kidal": [["Kidal", "Bourem"], ...], ...}, "2": {...}}}
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any


def flee_routes(scenario: Path, awareness: int) -> dict[str, list[list[str]]]:
    """Flee 3.1's candidate routes (location names, origin first) per location."""
    from flee import InputGeography, flee, moving
    from flee.SimulationSettings import SimulationSettings

    cwd = Path.cwd()
    os.chdir(scenario)
    try:
        SimulationSettings.ReadFromYML("simsetting.yml")
        SimulationSettings.move_rules["AwarenessLevel"] = awareness
        conflicts = os.path.join("input_csv", "conflicts.csv")
        SimulationSettings.ConflictInputFile = conflicts
        e = flee.Ecosystem()
        ig = InputGeography.InputGeography()
        ig.ReadConflictInputCSV(conflicts)
        ig.ReadLocationsFromCSV(os.path.join("input_csv", "locations.csv"))
        ig.ReadLinksFromCSV(os.path.join("input_csv", "routes.csv"))
        ig.ReadClosuresFromCSV(os.path.join("input_csv", "closures.csv"))  # read, never enacted
        e, _lm = ig.StoreInputGeographyInEcosystem(e)
        out: dict[str, list[list[str]]] = {}
        for loc in e.locations:
            person = flee.Person(loc, {})
            _weights, routes = moving.selectRoute(person, time=0, return_all_routes=True)
            out[loc.name] = [list(r) for r in routes]
        return out
    finally:
        os.chdir(cwd)


def _compact_json(result: dict[str, Any]) -> str:
    """JSON with one line per location (readable diffs, small file)."""
    head = {k: v for k, v in result.items() if k != "routes"}
    lines = [json.dumps(head)[:-1] + ', "routes": {']
    levels = list(result["routes"].items())
    for i, (level, per_loc) in enumerate(levels):
        lines.append(f"  {json.dumps(level)}: {{")
        items = list(per_loc.items())
        for j, (name, routes) in enumerate(items):
            comma = "," if j < len(items) - 1 else ""
            lines.append(f"    {json.dumps(name)}: {json.dumps(routes)}{comma}")
        lines.append("  }" + ("," if i < len(levels) - 1 else ""))
    lines.append("}}")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--awareness", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    scenario = args.scenario.resolve()
    result: dict[str, Any] = {
        "flee_version": metadata.version("flee"),
        "scenario": scenario.name,
        "routes": {},
    }
    for level in args.awareness:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            result["routes"][str(level)] = flee_routes(scenario, level)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        fh.write(_compact_json(result))
    counts = {lvl: sum(map(len, r.values())) for lvl, r in result["routes"].items()}
    print(f"wrote {args.out}: routes per awareness level {counts}")


if __name__ == "__main__":
    main()
