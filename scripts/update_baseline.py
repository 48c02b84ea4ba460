"""Regenerate the exact regression baseline (tests/fixtures/baseline.json).

Updating the baseline is a deliberate act: run this only when a change of results is intended,
and say why in the commit message.

    python scripts/update_baseline.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import corredor

BASELINE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "baseline.json"

CASES: dict[str, dict[str, Any]] = {
    "mali2012-default": {"scenario": "mali2012", "seed": 7, "days": 120, "hasten": 20},
    "mali2012-quirks-parallel": {
        "scenario": "mali2012",
        "seed": 7,
        "days": 120,
        "hasten": 20,
        "flee31_quirks": True,
        "parallel": True,
    },
    "burundi2015-quirks": {
        "scenario": "burundi2015",
        "seed": 3,
        "days": 150,
        "hasten": 20,
        "flee31_quirks": True,
    },
}


def summarise(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The numbers the baseline pins: camp series on a few days, totals and ARD."""
    r = corredor.run(**kwargs)
    sim = r.camp_sim()[0]
    days = [0, r.days // 4, r.days // 2, r.days - 1]
    return {
        "camps": r.camp_names,
        "days": days,
        "camp_counts": {str(d): [int(x) for x in sim[d]] for d in days},
        "location_count_sum": int(r.counts.sum()),
        "agents_final": int(r.agents_total[0, -1]),
        "agent_steps": int(r.agent_steps[0]),
        "ard": round(float(r.ard[0]), 10),
        "ard_rescaled": round(float(r.ard_rescaled[0]), 10),
    }


def compute() -> dict[str, Any]:
    return {name: {"run": kw, "summary": summarise(kw)} for name, kw in CASES.items()}


if __name__ == "__main__":
    BASELINE.write_text(json.dumps(compute(), indent=1) + "\n")
    print(f"wrote {BASELINE}")
