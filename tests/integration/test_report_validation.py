"""The corridor report's Validation section: the fit statistics of the reported run (the numbers
``corredor validate-model`` prints, computed from the run) and, with ``--validation FILE``, the
back-test table that ``validate-model`` stored."""

from __future__ import annotations

import html
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from corredor.cli import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from calibration_dirs import write_calibration_dir

runner = CliRunner()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_calibration_dir(tmp_path_factory.mktemp("report") / "scenario", days=120)


@pytest.fixture(scope="module")
def backtest_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A back-test table of two cheap baselines on a made-up monthly series, saved as
    ``corredor export`` writes it from a stored back-test."""
    from corredor.validation.backtest import backtest, write_table

    index = pd.date_range("2013-01-01", "2021-09-01", freq="MS")
    month = np.arange(len(index))
    values = 1000 + 10 * month + 200 * np.sin(2 * np.pi * month / 12)
    table = backtest(
        pd.Series(values, index=index, name="usbp_encounters_total"),
        "2018-12-31",
        "2021-09-30",
        models=("persistence", "seasonal_naive"),
    )
    return write_table(table, tmp_path_factory.mktemp("val") / "backtest.csv")


def _run(scenario: Path, tmp_path: Path, *extra: str) -> str:
    report = tmp_path / "report.html"
    args = [
        "run",
        str(scenario),
        "--no-progress",
        "--store",
        str(tmp_path),
        "--report",
        str(report),
    ]
    result = runner.invoke(app, [*args, *extra])
    assert result.exit_code == 0, result.output
    return html.unescape(report.read_text(encoding="utf-8"))


def test_report_has_the_fit_statistics_of_the_run(scenario: Path, tmp_path: Path) -> None:
    from corredor.calibration.modelcheck import display_fit_table, run_statistics
    from corredor.simulation.corridor import run_corridor

    text = _run(scenario, tmp_path)
    assert "<h2 id='validation'>Validation</h2>" in text
    stats = run_statistics(run_corridor(scenario, seed=0))
    shown = display_fit_table(stats.table)
    assert {"dest_apprehensions", "mid_apprehensions"} <= set(shown["observable"])
    for row in shown.itertuples(index=False):  # every cell, as computed from the same run
        assert f"<td>{row.observable}</td>" + "".join(f"<td>{v}</td>" for v in row[1:]) in text
    assert f"Loss {stats.loss:.4f}" in text
    assert "No back-test in this report" in text


def test_report_shows_a_saved_backtest(scenario: Path, tmp_path: Path, backtest_csv: Path) -> None:
    from corredor.validation.backtest import display_table, read_table

    text = _run(scenario, tmp_path, "--validation", str(backtest_csv))
    table = read_table(backtest_csv)
    assert list(table["model"]) == ["persistence", "seasonal_naive"]
    assert str(backtest_csv) in text and "No back-test" not in text
    for row in display_table(table).itertuples(index=False):
        assert "".join(f"<td>{v}</td>" for v in row) in text
    mase = float(table.loc[table["model"] == "persistence", "mase"].iloc[0])
    assert np.isfinite(mase) and f"<td>{mase:.3f}</td>" in text


def test_validation_needs_report_and_a_backtest_table(
    scenario: Path, tmp_path: Path, backtest_csv: Path
) -> None:
    args = ["run", str(scenario), "--no-progress", "--store", str(tmp_path)]
    result = runner.invoke(app, [*args, "--validation", str(backtest_csv)])
    assert result.exit_code == 2 and "--report" in result.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    report = ["--report", str(tmp_path / "r.html")]
    result = runner.invoke(app, [*args, *report, "--validation", str(bad)])
    assert result.exit_code == 2 and "not a back-test table" in result.stderr
    result = runner.invoke(app, [*args, *report, "--validation", str(tmp_path / "none.csv")])
    assert result.exit_code == 2 and "no such file" in result.stderr
