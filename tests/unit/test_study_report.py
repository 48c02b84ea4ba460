"""Study results and reports (corredor.studies.result, corredor.report.study): bands of paired
differences, and reports whose numbers come from the result — HTML, Markdown and the one-page
summaries in English and Spanish."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from corredor.ensemble.parameter_sets import ParameterSet
from corredor.report.study import (
    FIRST_SCREEN_LINES,
    difference_cell,
    fmt,
    headline_outputs,
    study_html,
    study_markdown,
    summary_markdown,
    unit_text,
    write_study_report,
)
from corredor.studies import StudyResult, load_study
from corredor.studies.outputs import OutputColumn
from corredor.studies.runner import CalibrationInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from study_dirs import write_study_dir


@pytest.fixture
def result(tmp_path: Path) -> StudyResult:
    """A hand-made result: 2 variants, 1 set × 4 seeds, 2 outputs."""
    study = load_study(write_study_dir(tmp_path)).model_copy(update={"headline": ["encounters"]})
    values = np.zeros((4, 1, 4, 2))
    values[0, 0, :, 0] = [100, 110, 120, 130]  # history: encounters
    values[1, 0, :, 0] = [90, 99, 108, 117]  # no-deploy: 10 % fewer, run by run
    values[2, 0, :, 0] = [100, 111, 119, 130]  # no-mpp: -1, 0, +1 around 0
    values[3, 0, :, 0] = [100, 110, 120, 130]
    values[:, 0, :, 1] = 5.0
    return StudyResult(
        study=study,
        digest="0" * 64,
        scenario="tiny",
        calibration=CalibrationInfo("none", None, None, None, False, "no calibration"),
        variants=("history", "no-deploy", "no-mpp", "asylum"),
        labels=("History", "No deployment", "No MPP", "Asylum officers"),
        base=0,
        columns=(
            OutputColumn("encounters", "encounters", "encounters", "events", None, "encuentros"),
            OutputColumn("wait", "wait", "mean wait", "days"),
        ),
        sets=(ParameterSet({}, 1.0, "defaults"),),
        seeds=(5, 6, 7, 8),
        values=values,
        branch_days=np.zeros((1, 4, 4), dtype=np.int64),
        seconds=np.ones((1, 4)),
    )


def test_paired_differences_and_their_bands(result: StudyResult) -> None:
    d = result.differences().set_index(["variant", "output"])
    row = d.loc[("no-deploy", "encounters")]
    assert np.array_equal(result.paired("no-deploy", "encounters"), [-10, -11, -12, -13])
    assert row["median"] == pytest.approx(-11.5)
    assert row["p05"] == pytest.approx(np.quantile([-10, -11, -12, -13], 0.05))
    assert row["p95"] == pytest.approx(np.quantile([-10, -11, -12, -13], 0.95))
    assert row["sign"] == "-" and row["share_lower"] == 1.0
    assert row["baseline_median"] == pytest.approx(115.0)
    assert row["relative"] == pytest.approx(-11.5 / 115.0)
    assert d.loc[("no-mpp", "encounters"), "sign"] == "0"
    assert d.loc[("asylum", "wait"), "median"] == 0


def test_absolute_bands_and_per_run_table(result: StudyResult) -> None:
    ab = result.absolute().set_index(["variant", "output"])
    assert ab.loc[("history", "encounters"), "median"] == pytest.approx(115.0)
    assert bool(ab.loc[("history", "encounters"), "baseline"])
    runs = result.per_run()
    assert len(runs) == 4 * 1 * 4 * 2
    got = runs[(runs["variant"] == "no-deploy") & (runs["output"] == "encounters")]
    assert list(got["value"]) == [90, 99, 108, 117] and list(got["seed"]) == [5, 6, 7, 8]


def test_formatting() -> None:
    assert fmt(1234567) == "1,230,000"
    assert fmt(-0.012345) == "−0.0123"
    assert fmt(12.0, signed=True) == "+12.0"
    assert fmt(float("nan")) == "–"
    assert fmt(0) == "0"


def test_markdown_report_carries_the_numbers_and_the_limits(result: StudyResult) -> None:
    md = study_markdown(result)
    assert "# A study of the tiny corridor" in md
    assert "no calibration" in md and "4 runs per variant" in md
    assert "| encounters | events | 115 | 104 | −11.5 | −12.8 to −10.2 |" in md
    assert "| mean wait | days | 5.00 |" in md  # every number with its unit
    assert "harm per person-day" in md and "no sourced rate" in md
    assert "corredor study tiny-study" in md


def test_summaries_in_english_and_spanish(result: StudyResult) -> None:
    en = summary_markdown(result, "en")
    es = summary_markdown(result, "es")
    assert "| **No deployment** | −11.5 (−12.8 to −10.2) |" in en
    assert "| **No MPP** | ≈ 0 (−0.850 to +0.850) |" in en  # the band includes 0
    assert "| **No deployment** | −11.5 (−12.8 a −10.2) |" in es
    assert "encuentros (eventos)" in es and "encounters (events)" in en
    assert "Lo que el modelo no puede decir" in es and "What the model cannot say" in en
    assert "Un estudio de prueba." in es
    assert "Left out, no sourced figure: harm per person-day (no sourced rate)" in en
    assert len(en.splitlines()) < 60  # one page


def first_screen(text: str) -> str:
    return "\n".join(text.splitlines()[:FIRST_SCREEN_LINES])


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_answer_is_on_the_first_screen(result: StudyResult, lang: str) -> None:
    """Every headline number of every variant, with its band and unit, and the calibration
    status are among the first lines a reader sees."""
    spanish = lang == "es"
    text = summary_markdown(result, lang)
    top = first_screen(text)
    diff = result.differences()
    for v in ("no-deploy", "no-mpp", "asylum"):
        for name in headline_outputs(result):
            row = diff[(diff["variant"] == v) & (diff["output"] == name)].iloc[0]
            assert difference_cell(row, spanish) in top, (v, name)
            col = result.columns[result.column(name)]
            assert f"({unit_text(col.unit, spanish)})" in top
    assert ("Sin calibrar" if spanish else "Uncalibrated") in top
    assert "90 %" in top
    # the question and the limits come after the answer
    assert text.index("## ") > text.index("| **No deployment** |")


def test_a_long_question_does_not_push_the_answer_down(result: StudyResult) -> None:
    study = result.study.model_copy(update={"question": "why? " * 400, "summary": None})
    text = summary_markdown(dataclasses.replace(result, study=study), "en")
    assert "| **No deployment** | −11.5 (−12.8 to −10.2) |" in first_screen(text)


def test_html_report_is_self_contained(result: StudyResult, tmp_path: Path) -> None:
    page = study_html(result)
    assert page.startswith("<!doctype html>") and "data:image/png;base64," in page
    assert "http://" not in page and "https://" not in page
    files = write_study_report(result, tmp_path / "out")
    assert files.html.read_text(encoding="utf-8") == page
    diffs = pd.read_csv(tmp_path / "out" / "differences.csv")
    assert set(diffs["variant"]) == {"no-deploy", "no-mpp", "asylum"}
    assert (tmp_path / "out" / "summary.es.md").is_file()
