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
from corredor.scenario.corridor import load_corridor_scenario
from corredor.studies import load_study
from corredor.studies.runner import calibration_of, scenario_of

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
    report = (folder / "report.md").read_text(encoding="utf-8")
    # the default ensemble: its runs spread over the calibration's sets (rounded up per set)
    m = re.search(
        r"- \*\*runs\*\*: (\d+) runs per variant \((\d+) parameter sets? × (\d+) seeds", report
    )
    assert m is not None, "report.md states its runs as N runs per variant (S parameter sets × K"
    runs, sets, seeds = (int(g) for g in m.groups())
    assert set(diff["runs"]) == {runs} and runs == sets * seeds
    assert s.ensemble.max_sets is None or sets <= s.ensemble.max_sets
    assert seeds == -(-s.ensemble.runs // sets)
    top = _top(folder / f"summary.{lang}.md")
    for v in s.variants[1:]:
        for name in s.headline:
            row = diff[(diff["variant"] == v.name) & (diff["output"] == name)].iloc[0]
            assert difference_cell(row, lang == "es") in top, (v.name, name)


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


@pytest.mark.parametrize("study", ["containment-2019", "room-to-manoeuvre"])
def test_committed_reports_rest_on_the_calibration_the_study_uses(study: str) -> None:
    """A report made before the calibration its study now uses was installed (or replaced)
    fails here: regenerate it (docs/studies.md)."""
    s = load_study(study)
    _, info = calibration_of(s, scenario_of(s, load_corridor_scenario))
    line = next(
        ln
        for ln in (DOCS / study / "report.md").read_text(encoding="utf-8").splitlines()
        if ln.startswith("- **calibration**:")
    )
    if info.installed:
        assert f"calibration version {info.version} (" in line, line
        assert f"sha256 {str(info.sha256)[:12]}" in line, line
    else:
        assert info.note in line, line


def test_docs_quote_the_committed_answers() -> None:
    """docs/studies.md copies the containment answer table and the room's 2019 line from the
    summaries: a regenerated report with other numbers fails here until the copy is updated."""
    doc = (DOCS.parent / "studies.md").read_text(encoding="utf-8")
    summary = (DOCS / "containment-2019" / "summary.en.md").read_text(encoding="utf-8")
    rows = [ln for ln in summary.splitlines()[:FIRST_SCREEN_LINES] if ln.startswith("| **")]
    assert rows and all(r in doc for r in rows)
    spec = load_study("room-to-manoeuvre").bargaining
    assert spec is not None
    history = f"- At {100 * spec.history_exposure:g} % (the 2019 figure)"
    room = (DOCS / "room-to-manoeuvre" / "summary.en.md").read_text(encoding="utf-8")
    line = next(ln for ln in room.splitlines() if ln.startswith(history))
    assert line[2:] in doc
