"""The committed reports of the built-in studies (docs/studies/) agree with their own tables and
with the study files: made with the default ensemble, the answer with its bands on the first
screen of each summary, in English and Spanish. A report edited by hand, regenerated in part or
made with fewer runs than the study file asks for fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from corredor.report.study import FIRST_SCREEN_LINES, difference_cell
from corredor.studies import load_study

DOCS = Path(__file__).resolve().parents[2] / "docs" / "studies"


def _top(path: Path) -> str:
    return "\n".join(path.read_text(encoding="utf-8").splitlines()[:FIRST_SCREEN_LINES])


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


@pytest.mark.parametrize("lang", ["en", "es"])
def test_containment_summary_matches_its_table(lang: str) -> None:
    s = load_study("containment-2019")
    folder = DOCS / "containment-2019"
    diff = pd.read_csv(folder / "differences.csv", dtype={"sign": str})
    assert set(diff["runs"]) == {s.ensemble.runs}  # the default ensemble
    top = _top(folder / f"summary.{lang}.md")
    for v in s.variants[1:]:
        for name in s.headline:
            row = diff[(diff["variant"] == v.name) & (diff["output"] == name)].iloc[0]
            assert difference_cell(row, lang == "es") in top, (v.name, name)
    assert f"{s.ensemble.runs} runs per variant" in (folder / "report.md").read_text("utf-8")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_room_summary_matches_its_table(lang: str) -> None:
    s = load_study("room-to-manoeuvre")
    spec = s.bargaining
    assert spec is not None
    folder = DOCS / "room-to-manoeuvre"
    game = pd.read_csv(folder / "game.csv")
    row = game[
        (game["exposure"] == spec.history_exposure)
        & (game["credibility"] == spec.outcome_credibility)
        & (game["field"] == "feasible_share")
    ].iloc[0]
    joint = " a " if lang == "es" else " to "
    cell = f"{_pct(row['median'])} ({_pct(row['p05'])}{joint}{_pct(row['p95'])})"
    assert cell in _top(folder / f"summary.{lang}.md")
    report = (folder / "report.md").read_text(encoding="utf-8")
    # the study's runs, spread over the calibration's parameter sets (rounded up per set)
    m = re.search(r"- \*\*runs\*\*: (\d+) \((\d+) parameter set\(s\) × (\d+) seeds", report)
    assert m is not None, "report.md states its runs as N (S parameter set(s) × K seeds"
    runs, sets, seeds = (int(g) for g in m.groups())
    assert runs == sets * seeds and runs >= s.ensemble.runs
    assert s.ensemble.max_sets is None or sets <= s.ensemble.max_sets
    assert seeds == -(-s.ensemble.runs // sets)


#: an absolute path of the machine that made a report (``/home/…``, ``/work/…``): a slash
#: not preceded by a word character, a dot, a colon or a slash (URLs and relative paths pass)
_ABSOLUTE = re.compile(r"(?<![\w.:/])/[\w.-]+/[\w./-]+")


@pytest.mark.parametrize("study", ["containment-2019", "room-to-manoeuvre"])
def test_committed_reports_name_no_path_of_the_machine_that_made_them(study: str) -> None:
    for path in sorted((DOCS / study).glob("*.md")):
        text = path.read_text(encoding="utf-8")
        found = _ABSOLUTE.search(text)
        assert found is None and "site-packages" not in text, (path.name, found)
