"""``corredor calibrate`` and ``corredor validate-model``: bad input exits 2 with one error line
naming what is wrong; a small calibration of the tiny corridor runs end to end."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from corredor.cli import app
from corredor.store import ResultsStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from calibration_dirs import write_calibration_dir

runner = CliRunner()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_calibration_dir(tmp_path_factory.mktemp("cli") / "scenario", days=120)


def _error(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    # one error line; only a failure after the trials started may follow the expected-time line
    lines = result.stderr.splitlines()
    assert [ln for ln in lines if ln.startswith("error: ")] == [lines[-1]], result.stderr
    assert all(ln.startswith("estimate: ") for ln in lines[:-1]), result.stderr
    assert "Traceback" not in result.output
    return result.stderr


def test_unknown_scenario() -> None:
    assert "no-such-corridor" in _error(["calibrate", "no-such-corridor"])


def _where(tmp_path: Path) -> list[str]:
    return ["--folder", str(tmp_path / "study"), "--store", str(tmp_path / "runs")]


def test_until_after_the_horizon(scenario: Path, tmp_path: Path) -> None:
    err = _error(["calibrate", str(scenario), "--until", "2021-10-31", *_where(tmp_path)])
    assert "2021-09-30" in err


def test_until_not_a_date(scenario: Path, tmp_path: Path) -> None:
    err = _error(["calibrate", str(scenario), "--until", "soon", *_where(tmp_path)])
    assert "--until 'soon'" in err and "YYYY-MM" in err


def test_an_earlier_until_has_a_folder_of_its_own() -> None:
    from corredor.app.requests import CalibrateRequest
    from corredor.app.studies import _folder

    full = _folder(CalibrateRequest(scenario="x"), "x")
    early = _folder(CalibrateRequest(scenario="x", until="2018-12"), "x")
    assert full.name == "x" and early != full and early.parent == full.parent


def test_unknown_parameter(scenario: Path, tmp_path: Path) -> None:
    err = _error(["calibrate", str(scenario), "--parameter", "nope", *_where(tmp_path)])
    assert "nope" in err and "calibration:" in err


def test_no_default_parameter_set(scenario: Path, tmp_path: Path) -> None:
    assert "--parameter" in _error(["calibrate", str(scenario), *_where(tmp_path)])


def test_calibrate_then_resume_and_refuse_reuse(scenario: Path, tmp_path: Path) -> None:
    out, store = tmp_path / "study", tmp_path / "runs"
    args = ["calibrate", str(scenario), "--parameter", "base_departures", "--folder", str(out)]
    args += ["--store", str(store)]
    result = runner.invoke(app, [*args, "--trials", "3", "--workers", "1", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "base_departures" in result.stdout and "plausible parameter sets" in result.stdout
    doc = yaml.safe_load((out / "calibrated.yaml").read_text())
    assert doc["command"] == (
        f"corredor calibrate {scenario} --folder {out} --parameter base_departures "
        "--trials 3 --workers 1"
    )
    assert not (scenario.parent / "calibrated.yaml").exists()  # never installed
    stored = ResultsStore(store).record("latest")
    assert stored.kind == "calibration" and "calibrated.yaml" in stored.files
    report = runner.invoke(app, ["report", str(stored.run_id), "--store", str(store)])
    assert report.exit_code == 0, report.output
    html = (store / str(stored.run_id) / "report.html").read_text(encoding="utf-8")
    assert "Calibration study" in html and "base_departures" in html
    # a run with the stored calibration names it in its provenance
    run = ["run", str(scenario), "--days", "5", "--store", str(store), "--no-progress"]
    result = runner.invoke(app, [*run, "--calibration", str(stored.run_id)])
    assert result.exit_code == 0, result.output
    prov = ResultsStore(store).record("latest").provenance
    assert prov is not None and prov.calibration is not None
    assert (prov.calibration.name, prov.calibration.run_id) == ("run", stored.run_id)
    assert prov.parameters["base_departures"] == doc["parameters"]["base_departures"]
    err = _error([*args, "--trials", "3", "--workers", "1", "--no-progress"])
    assert "--resume" in err
    result = runner.invoke(
        app, [*args, "--trials", "4", "--workers", "1", "--no-progress", "--resume"]
    )
    assert result.exit_code == 0, result.output
    assert "resumed a study with 3 complete trials" in result.stdout


def test_a_calibration_whose_trials_all_fail_stops(tmp_path: Path) -> None:
    """A scenario that ends with its spin-up scores no observed value: every trial's loss is
    not finite, and the calibration stops with an error after a few trials (it used to ask for
    new trials forever)."""
    short = write_calibration_dir(tmp_path / "short", days=60)
    args = ["calibrate", str(short), "--parameter", "base_departures", *_where(tmp_path)]
    err = _error([*args, "--trials", "2", "--workers", "1", "--batch", "1", "--no-progress"])
    assert "trials failed" in err and "0 observed values scored" in err, err


def test_bad_calibrated_file_stops_a_run(scenario: Path, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    folder.mkdir()
    for f in scenario.parent.rglob("*"):
        if f.is_file() and f.name != "calibrated.yaml":
            target = folder / f.relative_to(scenario.parent)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.read_bytes())
    bad = folder / "calibrated.yaml"
    bad.write_text(
        "version: 1\ncreated: x\ncommand: x\ndata_until: 2020-01-31\nloss: 1\n"
        "parameters: {base_departures: 99999}\n"
    )
    err = _error(
        [
            "run",
            str(folder / "scenario.yaml"),
            "--days",
            "5",
            "--no-progress",
            "--store",
            str(tmp_path),
        ]
    )
    assert str(bad) in err and "parameters.base_departures" in err and "range" in err


def test_validate_model_backtest_folder_must_hold_a_calibration(
    scenario: Path, tmp_path: Path
) -> None:
    from corredor.calibration.modelcheck import backtest_calibration
    from corredor.errors import CorredorError
    from corredor.scenario.corridor import load_corridor_scenario
    from corredor.scenario.corridor.analysis import AnalysisSettings, BacktestSettings

    sc = load_corridor_scenario(scenario)
    with pytest.raises(CorredorError, match=r"no calibrated\.yaml"):
        backtest_calibration(tmp_path, sc)
    (tmp_path / "calibrated.yaml").write_text(
        "version: 1\ncreated: x\ncommand: x\ndata_until: 2020-03-31\nloss: 1\n"
        "parameters: {base_departures: 40}\n"
    )
    with pytest.raises(CorredorError, match="no back-test protocol"):
        backtest_calibration(tmp_path, sc)
    protocol = BacktestSettings(
        fit_end="2020-02-29", horizon_end="2020-04-30", series=("dest_apprehensions",)
    )
    sc = sc.model_copy(update={"analysis": AnalysisSettings(backtest=protocol)})
    with pytest.raises(CorredorError, match="2020-02-29"):  # fitted past the fit end
        backtest_calibration(tmp_path, sc)


def test_validate_model_on_the_tiny_corridor(scenario: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["validate-model", str(scenario), "--calibration", "none", "--store", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "dest_apprehensions" in result.stdout and "no back-test" in result.stdout
    record = ResultsStore(tmp_path).record("latest")
    assert record.kind == "backtest" and "dest_apprehensions" in set(
        record.table("fit_statistics")["observable"]
    )
    report = runner.invoke(app, ["report", "latest", "--store", str(tmp_path)])
    assert report.exit_code == 0, report.output
    assert "Fit and back-test" in (tmp_path / str(record.run_id) / "report.html").read_text()


def test_fit_in_stages_with_from(scenario: Path, tmp_path: Path) -> None:
    from corredor.scenario.corridor.calibrated import read_calibrated

    one, two = tmp_path / "one", tmp_path / "two"
    common = ["--trials", "2", "--workers", "1", "--batch", "1", "--no-progress"]
    common += ["--store", str(tmp_path / "runs")]
    args = ["calibrate", str(scenario), "--parameter", "base_departures", "--folder", str(one)]
    assert runner.invoke(app, [*args, *common]).exit_code == 0
    first = read_calibrated(one / "calibrated.yaml")
    args = ["calibrate", str(scenario), "--parameter", "mid_hazard", "--folder", str(two)]
    result = runner.invoke(app, [*args, "--from", str(one / "calibrated.yaml"), *common])
    assert result.exit_code == 0, result.output
    second = read_calibrated(two / "calibrated.yaml")
    # the file holds both stages; the first stage's values are kept, not refitted
    assert second.parameters["base_departures"] == first.parameters["base_departures"]
    assert set(second.parameters) == {"base_departures", "mid_hazard"}
    assert all("base_departures" in m.parameters for m in second.ensemble)
    assert f"--from {one / 'calibrated.yaml'}" in second.command
    assert second.study["base"]["command"] == first.command
    assert second.loss <= first.loss  # trial 0 of the second stage is the first's point fit
