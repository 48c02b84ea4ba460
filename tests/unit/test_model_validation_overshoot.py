"""The overshoot table of docs/validation.md (scripts/make_model_validation_tables.py): each
series pushed past the data by the level fit, with its own lever's move, the Central American
departures' move, their product and the rest that the model's interactions add."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    sys.path.insert(0, str(SCRIPTS))
    try:
        spec = importlib.util.spec_from_file_location(
            "make_model_validation_tables", SCRIPTS / "make_model_validation_tables.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(SCRIPTS))
    return module


def _table(ratios: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"observable": list(ratios), "ratio": list(ratios.values())})


DEFAULTS = {
    "base_departures_gtm": 100.0,
    "base_departures_hnd": 100.0,
    "base_departures_slv": 50.0,
    "apply_comar_propensity": 0.005,
    "inm_hazard_per_agent": 1e-5,
    "mpp_enrollment_share": 0.3,
}


def test_overshoots_with_the_moves_behind_them(script: ModuleType) -> None:
    cal = {
        **DEFAULTS,
        "base_departures_gtm": 200.0,
        "base_departures_hnd": 200.0,
        "base_departures_slv": 100.0,  # the three origins ×2
        "inm_hazard_per_agent": 4e-5,  # ×4
        "apply_comar_propensity": 0.01,  # ×2
    }
    hand = _table({"comar_applications": 0.5, "inm_presented_annual": 0.25, "mpp_enrollments": 2})
    fitted = _table(
        {"comar_applications": 3.0, "inm_presented_annual": 2.0, "mpp_enrollments": 1.2}
    )
    rows = script.overshoot_markdown(hand, fitted, DEFAULTS, cal).splitlines()[2:]
    cells = {r.split(" | ")[0].strip("| "): r.strip("| ").split(" | ") for r in rows}
    assert set(cells) == {"comar_applications", "inm_presented_annual"}  # MPP is under 1.33
    # COMAR: 0.5 × 2 (propensity) × 2 (departures) = 2.00; 3.0 / 2.0 = 1.50 from the rest
    assert cells["comar_applications"][1:] == [
        "0.50", "3.00", "6.0", "`apply_comar_propensity`", "2.00", "2.00", "2.00", "1.50"
    ]  # fmt: skip
    # INM: 0.25 × 4 × 2 = 2.00, the moves account for all of it
    assert cells["inm_presented_annual"][-3:] == ["2.00", "2.00", "1.00"]


def test_no_overshoot_is_said(script: ModuleType) -> None:
    hand = _table({"comar_applications": 0.5})
    text = script.overshoot_markdown(hand, _table({"comar_applications": 1.0}), DEFAULTS, DEFAULTS)
    assert text.startswith("No series of comar_applications, inm_presented_annual")
