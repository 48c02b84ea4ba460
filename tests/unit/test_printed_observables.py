"""The observables a corridor ensemble prints come from the scenario (``analysis.report.printed``,
else its charts, else its first five observables): no corridor's names in the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from corredor.app.corridor_runs import printed_observables
from corredor.errors import ScenarioError
from corredor.scenario.corridor import load_corridor_scenario
from corredor.scenario.corridor.analysis_checks import check_analysis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import write_corridor_dir


def tiny(root: Path, analysis: dict[str, Any] | None) -> Any:
    path = write_corridor_dir(root, days=30)
    if analysis is not None:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc["analysis"] = analysis
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return load_corridor_scenario(path)


def test_mexico_us_prints_the_rows_it_always_printed() -> None:
    sc = load_corridor_scenario("mexico-us")
    names = tuple(o.name for o in sc.observables)
    assert printed_observables(sc, names) == (
        "usbp_encounters_total",
        "ofo_encounters_total",
        "comar_applications",
        "inm_presented_annual",
        "mpp_enrollments",
    )
    # only those the run has
    assert printed_observables(sc, ("mpp_enrollments", "usbp_encounters_total")) == (
        "usbp_encounters_total",
        "mpp_enrollments",
    )


def test_another_corridor_prints_its_own_rows(tmp_path: Path) -> None:
    names = ("dest_apprehensions", "expulsions", "asylum_applicants")
    sc = tiny(tmp_path / "printed", {"report": {"printed": ["expulsions", "asylum_applicants"]}})
    assert check_analysis(sc) == []
    assert printed_observables(sc, names) == ("expulsions", "asylum_applicants")
    # no printed rows: the report's charts; neither: the first five observables
    sc = tiny(tmp_path / "charts", {"report": {"charts": ["asylum_applicants"]}})
    assert printed_observables(sc, names) == ("asylum_applicants",)
    sc = tiny(tmp_path / "none", None)
    assert printed_observables(sc, names) == names
    assert printed_observables(sc, tuple(f"s{i}" for i in range(7))) == tuple(
        f"s{i}" for i in range(5)
    )


def test_a_misspelt_printed_row_is_an_error_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"analysis\.report\.printed\[1\].*'expulsion'"):
        tiny(tmp_path / "bad", {"report": {"printed": ["expulsions", "expulsion"]}})
