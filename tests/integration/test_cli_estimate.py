"""The line a multi-run command prints before its runs (issue 16 §6): their number and the
expected time, from the store's finished runs; none for a single run or refused input."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from corredor.cli import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from forecast_dirs import write_forecast_dir

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_forecast_dir(tmp_path_factory.mktemp("tiny-estimate-cli"))


def _estimate_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("estimate:")]


def test_ensemble_prints_its_runs_and_time_before_they_run(tiny: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "runs")
    args = ["--days", "20", "--no-progress", "--store", store]
    first = runner.invoke(app, ["ensemble", str(tiny), "--replicas", "2", *args])
    assert first.exit_code == 0, first.output
    assert _estimate_lines(first.stderr) == [
        "estimate: 2 runs of tiny-test-corridor over 20 days: no time estimate (no finished run "
        "like it in the store, no measured cost of tiny-test-corridor)"
    ]
    # now the store has a finished ensemble like it: its time prices the next one
    again = runner.invoke(app, ["run", str(tiny), "--replicas", "3", "--seed", "4", *args])
    assert again.exit_code == 0, again.output
    (line,) = _estimate_lines(again.stderr)
    assert line.startswith("estimate: 3 runs of tiny-test-corridor over 20 days: about ")
    assert "on 1 worker (estimate from 2 finished runs like it in the store)" in line
    assert line.endswith("--workers N, --max-sets N or --replicas N to shorten")
    assert "saved run" in again.stdout and "estimate:" not in again.stdout


def test_no_line_for_one_run_or_refused_input(tiny: Path, tmp_path: Path) -> None:
    store = ["--no-progress", "--store", str(tmp_path / "runs")]
    one = runner.invoke(app, ["run", str(tiny), "--days", "10", *store])
    assert one.exit_code == 0, one.output
    assert _estimate_lines(one.stderr) == []
    refused = runner.invoke(app, ["forecast", str(tiny), "--until", "2020-03", *store])
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: ") and refused.stderr.count("\n") == 1
