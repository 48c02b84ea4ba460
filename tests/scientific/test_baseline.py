"""Exact regression baseline: small canonical runs whose summaries must not change.

If a change of results is intended, regenerate with ``python scripts/update_baseline.py`` and
explain the change in the commit message; otherwise a failure here is a regression.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASELINE = json.loads((ROOT / "tests" / "fixtures" / "baseline.json").read_text())

_spec = importlib.util.spec_from_file_location(
    "update_baseline", ROOT / "scripts" / "update_baseline.py"
)
assert _spec is not None and _spec.loader is not None
update_baseline = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(update_baseline)


@pytest.mark.parametrize("name", sorted(BASELINE))
def test_run_matches_baseline_exactly(name: str) -> None:
    case = BASELINE[name]
    assert case["run"] == update_baseline.CASES[name], "baseline cases and script disagree"
    assert update_baseline.summarise(case["run"]) == case["summary"]
