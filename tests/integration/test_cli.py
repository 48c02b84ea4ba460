"""The ``corredor`` command line: scenarios, run, runs, report, and its exit codes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import corredor.app.simulation
from corredor.cli import app
from corredor.errors import ScenarioError
from corredor.results import RunResult
from corredor.scenario.builtin import scenarios
from corredor.store import ResultsStore

SRC = Path(__file__).resolve().parents[2] / "src"
runner = CliRunner()

SIMSETTING = """\
log_levels:
  agent: 0
  link: 0
  camp: 0
  init: 0
spawn_rules:
  take_from_population: False
  conflict_spawn_decay: [1.0, 1.0, 1.0, 0.5, 0.1]
move_rules:
  max_move_speed: 360
  max_walk_speed: 35
  softening: 10
  distance_power: 1.0
  default_movechance: 0.3
  camp_weight: 2.0
  conflict_weight: 0.25
"""


def write_tiny_scenario(root: Path, days: int = 10) -> Path:
    """A 4-location Flee scenario: one conflict zone, two towns, one camp, with UNHCR data."""
    inp, src = root / "input_csv", root / "source_data"
    inp.mkdir(parents=True)
    src.mkdir()
    (root / "simsetting.yml").write_text(SIMSETTING)
    (inp / "locations.csv").write_text(
        "#name,region,country,latitude,longitude,location_type,conflict_date,population\n"
        "Alpha,North,Xland,12.0,1.0,conflict_zone,0,20000\n"
        "Beta,North,Xland,11.5,1.5,town,,8000\n"
        "Gamma,South,Xland,11.0,0.5,town,,5000\n"
        "Delta,Border,Yland,10.5,2.0,camp,,3000\n"
    )
    (inp / "routes.csv").write_text(
        "#name1,name2,distance,forced_redirection\n"
        "Alpha,Beta,60,0\nAlpha,Gamma,90,0\nBeta,Delta,80,0\nGamma,Delta,120,0\n"
    )
    (inp / "closures.csv").write_text("#closure_type,name1,name2,closure_start,closure_end\n")
    (inp / "registration_corrections.csv").write_text("")
    (inp / "conflicts.csv").write_text("#Day,Alpha\n" + "".join(f"{d},1\n" for d in range(days)))
    (inp / "sim_period.csv").write_text(f"StartDate,2013-03-01\nLength,{days}\n")
    (src / "data_layout.csv").write_text("total,refugees.csv\nDelta,delta.csv\n")
    (src / "refugees.csv").write_text("2013-03-01,0\n2013-03-05,400\n2013-03-20,900\n")
    (src / "delta.csv").write_text("2013-03-01,0\n2013-03-05,350\n2013-03-20,800\n")
    return root


def fake_result(replicas: int = 2, days: int = 5) -> RunResult:
    counts = np.arange(replicas * days * 3, dtype=np.int64).reshape(replicas, days, 3)
    observed = np.linspace(1.0, 50.0, days)[:, None]
    return RunResult(
        scenario="fake",
        scenario_path=Path("/nowhere/fake"),
        seeds=[0 + r for r in range(replicas)],
        start_date=dt.date(2013, 3, 1),
        location_names=["Alpha", "Beta", "Delta"],
        location_kinds=["conflict_zone", "town", "camp"],
        location_countries=["Xland", "Xland", "Yland"],
        lat=np.array([12.0, 11.5, 10.5]),
        lon=np.array([1.0, 1.5, 2.0]),
        counts=counts,
        camp_names=["Delta"],
        camp_index=np.array([2], dtype=np.int64),
        observed=observed,
        observed_total=np.tile(observed[:, 0], (replicas, 1)),
        agents_total=counts.sum(axis=2),
        refugee_debt=np.zeros((replicas, days), dtype=np.int64),
        elapsed_s=np.full(replicas, 0.25),
        agent_steps=counts.sum(axis=(1, 2)),
        settings={"fake": True},
    )


# --------------------------------------------------------------------- without the engine
def test_scenarios_lists_builtins() -> None:
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    kinds = {name: kind for name, kind, _ in rows}
    assert {n for n, k in kinds.items() if k == "flee"} == set(scenarios())
    assert kinds["mexico-us"] == "corridor"


def test_python_m_corredor() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), *sys.path])}
    proc = subprocess.run(
        [sys.executable, "-m", "corredor", "scenarios"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "mali2012" in proc.stdout.split()
    assert "mexico-us" in proc.stdout.split()


@pytest.mark.parametrize("args", [["scenarios"], ["scenario", "show", "mexico-us"]])
def test_a_reader_that_stops_first_ends_the_command_quietly(args: list[str]) -> None:
    # `corredor scenarios | head -1`: the pipe's reader is gone before the command writes
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), *sys.path])}
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "corredor", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            check=False,
        )
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr) == (1, "")


def test_an_ensembles_ledger_rows_follow_the_scenarios_labels() -> None:
    from corredor.cli.run import printed_ledger

    # a scenario whose transit state and destination are labelled meridia and austral
    entries = [
        "stranded_person_days",
        "expulsions",
        "court_backlog_austral_end",
        "asylum_backlog_meridia_end",
        "stranded_end_of_year",
        "deportations_without_screening",
    ]
    assert printed_ledger(entries) == (
        "stranded_end_of_year",
        "asylum_backlog_meridia_end",
        "court_backlog_austral_end",
        "deportations_without_screening",
        "expulsions",
    )


def test_unknown_scenario_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(tmp_path / "nope"), "--store", str(tmp_path / "runs")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "nope" in result.stderr
    assert "Traceback" not in result.output


def test_usage_error_exits_2() -> None:
    assert runner.invoke(app, ["run"]).exit_code == 2
    assert runner.invoke(app, ["run", "mali2012", "--replicas", "0"]).exit_code == 2
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2


def test_run_with_fake_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def fake_run(request: Any, progress: Any = None) -> RunResult:
        calls.append({**request.model_dump(), "progress": progress})
        for r in range(request.replicas):
            for t in range(5):
                if progress is not None:
                    progress(r * 5 + t + 1, 5 * request.replicas, f"replica {r + 1}")
        return fake_result(replicas=request.replicas)

    monkeypatch.setattr(corredor.app.simulation, "run_flee_request", fake_run)
    store = tmp_path / "runs"
    args = ["run", "mali2012", "--replicas", "2", "--seed", "7", "--store", str(store)]
    result = runner.invoke(app, [*args, "--days", "5", "--no-flee31-quirks", "--threads", "1"])
    assert result.exit_code == 0, result.output
    assert calls[0]["seed"] == 7 and calls[0]["days"] == 5 and calls[0]["threads"] == 1
    assert calls[0]["flee31_quirks"] is False and calls[0]["hasten"] is None
    assert callable(calls[0]["progress"])
    for word in ("fake", "ARD", "rescaled ARD", "agents at end", "±", "saved run"):
        assert word in result.stdout, word
    runs = ResultsStore(store).list()
    assert len(runs) == 1
    run_dir = Path(runs["path"][0])
    assert str(run_dir.name) in result.stdout
    assert (run_dir / "out.csv").is_file()

    listed = runner.invoke(app, ["runs", "--store", str(store)])
    assert listed.exit_code == 0 and run_dir.name[:20] in listed.stdout

    reported = runner.invoke(
        app, ["report", "latest", "--store", str(store), "-o", str(tmp_path / "r.html")]
    )
    assert reported.exit_code == 0, reported.output
    assert "<svg" in (tmp_path / "r.html").read_text()
    by_dir = runner.invoke(app, ["report", str(run_dir), "--png", str(tmp_path / "c.png")])
    assert by_dir.exit_code == 0, by_dir.output
    assert (run_dir / "report.html").is_file()
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"

    quiet = runner.invoke(app, [*args, "--no-progress"])
    assert quiet.exit_code == 0 and calls[-1].get("progress") is None


def test_errors_from_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def bad_input(request: Any, progress: Any = None) -> RunResult:
        raise ScenarioError("x/input_csv/routes.csv", "unknown location 'Zeta'", line=4)

    def bug(request: Any, progress: Any = None) -> RunResult:
        raise RuntimeError("kaboom")

    args = ["run", "mali2012", "--no-progress", "--store", str(tmp_path / "runs")]
    monkeypatch.setattr(corredor.app.simulation, "run_flee_request", bad_input)
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "error: x/input_csv/routes.csv, line 4: unknown location 'Zeta'" in result.stderr
    assert "Traceback" not in result.output

    monkeypatch.setattr(corredor.app.simulation, "run_flee_request", bug)
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "kaboom" in result.stderr and "bug" in result.stderr
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["--debug", *args])
    assert isinstance(result.exception, RuntimeError)


def test_report_unknown_run(tmp_path: Path) -> None:
    ResultsStore(tmp_path / "runs")
    result = runner.invoke(app, ["report", "nope", "--store", str(tmp_path / "runs")])
    assert result.exit_code == 2
    assert "no run 'nope'" in result.stderr


def test_runs_empty(tmp_path: Path) -> None:
    result = runner.invoke(app, ["runs", "--store", str(tmp_path / "none")])
    assert result.exit_code == 0
    assert "no runs" in result.stdout
    result = runner.invoke(app, ["runs", "--store", str(tmp_path)])
    assert result.exit_code == 0 and "no runs" in result.stdout
    assert not (tmp_path / "catalogue.duckdb").exists()  # listing creates nothing
    result = runner.invoke(app, ["report", "latest", "--store", str(tmp_path)])
    assert result.exit_code == 2 and "no results store" in result.stderr


# ------------------------------------------------------------------------ with the engine
def test_malformed_scenario_names_file_and_line(tmp_path: Path) -> None:
    scenario = write_tiny_scenario(tmp_path / "broken")
    locations = scenario / "input_csv" / "locations.csv"
    lines = locations.read_text().splitlines()
    lines[2] = "Beta,North,Xland,north,1.5,town,,8000"  # line 3: latitude is not a number
    locations.write_text("\n".join(lines) + "\n")
    result = runner.invoke(
        app, ["run", str(scenario), "--no-progress", "--store", str(tmp_path / "runs")]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert "locations.csv" in result.stderr
    assert "line 3" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "runs").exists() or ResultsStore(tmp_path / "runs").list().empty


def test_run_tiny_scenario(tmp_path: Path) -> None:
    scenario = write_tiny_scenario(tmp_path / "tiny")
    store = tmp_path / "runs"
    result = runner.invoke(
        app, ["run", str(scenario), "--replicas", "2", "--no-progress", "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    assert "tiny" in result.stdout and "saved run" in result.stdout
    runs = ResultsStore(store).list()
    assert len(runs) == 1
    assert runs["replicas"][0] == 2 and runs["days"][0] == 10
    run_dir = Path(runs["path"][0])
    out = pd.read_csv(run_dir / "out.csv")
    assert len(out) == 10
    assert {"Delta sim", "Delta data", "Delta error"} <= set(out.columns)
    assert (run_dir / "out_r1.csv").is_file()
    loaded = ResultsStore(store).load(runs["run_id"][0])
    assert loaded.days == 10 and loaded.replicas == 2
    assert loaded.location_names == ["Alpha", "Beta", "Gamma", "Delta"]

    report = runner.invoke(app, ["report", "latest", "--store", str(store)])
    assert report.exit_code == 0, report.output
    assert "4 links drawn" in (run_dir / "report.html").read_text()


def test_show_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = write_tiny_scenario(tmp_path / "tiny")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", str(scenario), "--show-plan"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()
    assert not (tmp_path / "runs").exists()  # --show-plan runs and saves nothing


def test_serve_options_are_checked_before_the_service_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``corredor serve``: a bad option is one ``error:`` line and exit status 2; good options
    reach the service's settings unchanged (the service itself is not started here)."""
    import importlib

    service = importlib.import_module("corredor.web.serve")  # the module (the package's
    started: list[Any] = []  # attribute of that name is its function)
    monkeypatch.setattr(service, "serve", started.append)
    for args, words in (
        (["--workers", "0"], "--workers"),
        (["--port", "70000"], "--port"),
        (["--token", "short"], "--token"),
        (["--preview-people-per-agent", "1"], "--preview-people-per-agent"),
    ):
        result = runner.invoke(app, ["serve", *args])
        assert result.exit_code == 2, result.output
        assert words in result.output and "Traceback" not in result.output
    assert not started
    args = ["serve", "--port", "0", "--store", "somewhere", "--workers", "2", "--max-days", "30"]
    result = runner.invoke(app, args, env={"CORREDOR_TOKEN": "t" * 20})
    assert result.exit_code == 0, result.output
    (settings,) = started
    assert settings.port == 0 and settings.workers == 2 and settings.max_days == 30
    assert str(settings.store) == "somewhere" and settings.token == "t" * 20


def test_serve_on_port_0_prints_the_port_it_listens_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--port 0`` asks the system for a free port: the address printed, and the one uvicorn
    listens on, carry that port (it printed ``http://127.0.0.1:0/``, where nobody listens)."""
    import uvicorn

    from corredor.web.serve import serve
    from corredor.web.settings import ServeSettings

    listened: list[int] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: listened.append(kw["port"]))
    serve(ServeSettings(store=tmp_path / "runs", port=0, warm=False, prewarm=False))
    (port,) = listened
    assert 0 < port < 65536
    assert f"serving on http://127.0.0.1:{port}/ " in capsys.readouterr().out
