"""``corredor ensemble``, ``run --replicas``, ``forecast`` and ``sensitivity`` from the command
line, on the tiny synthetic corridor with observed border series (``tests/forecast_dirs.py``):
the files they write, and exit status 2 with one ``error:`` line on bad input."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from corredor.app import load
from corredor.cli import app
from corredor.ensemble import compare_corridor
from corredor.store import ResultsStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import policy_event
from forecast_dirs import HORIZON, SERIES, write_forecast_dir

runner = CliRunner()
COLUMNS = ["date", "component", "citizenship", "demographic", "p05", "p50", "p95"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_forecast_dir(tmp_path_factory.mktemp("tinyf"))


def invoke(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, [*args, "--no-progress"])
    return res.exit_code, res.output


def assert_input_error(code: int, output: str, *words: str) -> None:
    assert code == 2, output
    assert "Traceback" not in output
    assert output.count("error:") == 1
    for w in words:
        assert w in output, output


# ------------------------------------------------------------------------------ forecast
@pytest.fixture(scope="module")
def forecast_dir(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fc")
    store, out = root / "runs", root / "forecast"
    code, output = invoke(
        "forecast", str(tiny), "--until", "2021-02", "--replicas", "3", "--store", str(store)
    )
    assert code == 0, output
    assert "FY2021" in output  # the fiscal-year table
    res = runner.invoke(app, ["export", "latest", str(out), "--store", str(store)])
    assert res.exit_code == 0, res.output
    # the stored forecast is rebuilt exactly: its bands come out the same
    fc = load(ResultsStore(store), "latest")
    stored = ResultsStore(store).record("latest").table("encounters")
    pd.testing.assert_frame_equal(fc.encounters(), stored, check_dtype=False)
    report = runner.invoke(app, ["report", "latest", "--store", str(store)])
    assert report.exit_code == 0, report.output
    return out


def test_forecast_csv_columns_categories_and_dates(forecast_dir: Path) -> None:
    with open(forecast_dir / "encounters.csv", encoding="utf-8") as fh:
        assert fh.readline().strip() == ",".join(COLUMNS)
    fc = pd.read_csv(forecast_dir / "encounters.csv", keep_default_na=False)
    # categories: the observed file's names (Title 42 slice left out) and CBP_total
    observed = {(c, cit, dem) for c, _, cit, dem, title in SERIES.values() if title == "All"}
    got = set(fc[["component", "citizenship", "demographic"]].itertuples(index=False, name=None))
    assert got == observed | {("CBP_total", "All", "All")}
    # monthly, first day of the month, from the month after the horizon to --until
    dates = sorted({dt.date.fromisoformat(d) for d in fc["date"]})
    assert dates[0] == dt.date(2020, 4, 1) and dates[-1] == dt.date(2021, 2, 1)
    assert all(d.day == 1 and d > HORIZON for d in dates)
    assert len(dates) == 11
    assert len(fc) == 11 * len(got)
    q = fc[["p05", "p50", "p95"]].to_numpy()
    assert np.all(q[:, 0] <= q[:, 1]) and np.all(q[:, 1] <= q[:, 2])
    total = fc[fc["component"] == "CBP_total"]["p50"].to_numpy()
    assert np.all(total >= fc[fc["component"] == "OFO"]["p50"].to_numpy())


def test_forecast_ledger_and_record(forecast_dir: Path) -> None:
    led = pd.read_csv(forecast_dir / "ledger_bands.csv")
    assert list(led.columns) == [
        "year",
        "period_start",
        "period_end",
        "entry",
        "p05",
        "p50",
        "p95",
    ]
    assert set(led["year"]) == {2021}  # the only calendar year wholly after the horizon
    assert set(led["period_end"]) == {"2021-02-28"}
    assert "stranded_person_days" in set(led["entry"])
    events = pd.read_csv(forecast_dir / "events.csv")
    assert list(events["id"]) == ["expel-again"]
    text = (forecast_dir / "description.txt").read_text(encoding="utf-8")
    assert "command: corredor forecast" in text
    assert "not in forecast.csv: expulsions" in text
    assert "model discrepancy: USBP / All / All: σ" in text
    assert "ships no calibrated.yaml" in text  # defaults, and it says so
    assert (forecast_dir / "fiscal_years.csv").is_file()
    provenance = json.loads((forecast_dir / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["kind"] == "forecast" and provenance["seeds"] == [0, 1, 2]
    assert provenance["events_added"][0]["ids"] == ["expel-again"]


def test_forecast_ex_ante_by_default_and_conditional_on_a_policy_path(
    forecast_dir: Path, tiny: Path, tmp_path: Path
) -> None:
    """The default forecast says it is ex ante; ``--policy-path FILE`` (a field of the request,
    generated like every option) makes it conditional on that file, and every output says so:
    the console table, the stored metadata table, the description and the reloaded result."""
    meta = pd.read_csv(forecast_dir / "metadata.csv")
    kind = dict(zip(meta["key"], meta["value"], strict=True))["forecast kind"]
    assert kind.startswith("ex ante")
    path = tiny.parent / "policy_events_forecast.yaml"
    store = tmp_path / "runs"
    code, output = invoke(
        "forecast", str(tiny), "--until", "2020-12", "--replicas", "1", "--store", str(store),
        "--policy-path", str(path),
    )  # fmt: skip
    assert code == 0, output
    assert "conditional on this policy path" in output
    record = ResultsStore(store).record("latest")
    meta = record.table("metadata")
    kind = dict(zip(meta["key"], meta["value"], strict=True))["forecast kind"]
    assert kind.startswith("conditional on this policy path")
    assert "conditional on this policy path" in str(record.documents["description"]["text"])
    assert load(ResultsStore(store), "latest").conditional
    assert record.provenance is not None
    assert record.provenance.request is not None
    assert record.provenance.request["policy_path"] == str(path)
    code, output = invoke(
        "forecast", str(tiny), "--until", "2020-12", "--store", str(store),
        "--policy-path", str(path), "--forecast-events", str(path),
    )  # fmt: skip
    assert_input_error(code, output, "--policy-path", "--forecast-events")


def test_forecast_bad_input(tiny: Path, tmp_path: Path) -> None:
    code, out = invoke("forecast", str(tiny), "--until", "2020-03", "--store", str(tmp_path / "x"))
    assert_input_error(code, out, "not after the calibration horizon")
    code, out = invoke("forecast", str(tiny), "--until", "sometime")
    assert_input_error(code, out, "YYYY-MM")
    code, out = invoke("forecast", str(tiny), "--until", "2021-13")
    assert_input_error(code, out, "not a valid date")
    code, out = invoke("forecast", str(tiny), "--until", "2020-06", "--sets", "best")
    assert_input_error(code, out, "'point', 'calibrated', 'uncalibrated'")
    code, out = invoke("forecast", str(tmp_path / "nowhere"), "--until", "2020-06")
    assert code == 2 and "Traceback" not in out
    early = tmp_path / "early.yaml"
    event = policy_event(
        [{"parameter": "calibration.base_departures", "op": "multiply", "value": 2}],
        start=dt.date(2020, 2, 1),
        event_id="known-before",
    )
    early.write_text(yaml.safe_dump([event]), encoding="utf-8")
    fc = ["forecast", str(tiny), "--until", "2020-06"]
    code, out = invoke(*fc, "--forecast-events", str(early))
    assert_input_error(code, out, "known-before", "not after the calibration horizon")
    code, out = invoke(*fc, "--forecast-events", "nope.yaml")
    assert_input_error(code, out, "not found")


# ------------------------------------------------------------------------------ ensembles
def test_run_with_replicas_writes_bands(tiny: Path, tmp_path: Path) -> None:
    code, out = invoke(
        "run", str(tiny), "--replicas", "2", "--days", "30", "--store", str(tmp_path), "--seed", "4"
    )
    assert code == 0, out
    store = ResultsStore(tmp_path)
    runs = store.list()
    assert list(runs["kind"]) == ["corridor-ensemble"] and runs["seeds"][0] == "4,5"
    bands = store.record("latest").table("bands_monthly")
    assert {"month", "observable", "p05", "p25", "median", "p75", "p95"} <= set(bands.columns)


def test_ensemble_with_a_counterfactual_reports_the_paired_difference(
    tiny: Path, tmp_path: Path
) -> None:
    cf = tmp_path / "cf.yaml"
    event = policy_event(
        [{"parameter": "services.processing.outcomes.default.expel.p", "op": "set", "value": 1}],
        start=dt.date(2020, 1, 1),
        event_id="expel-all",
    )
    cf.write_text(yaml.safe_dump([event]), encoding="utf-8")
    code, out = invoke(
        "ensemble",
        str(tiny),
        "--replicas",
        "2",
        "--days",
        "30",
        "--counterfactual",
        str(cf),
        "--store",
        str(tmp_path),
        "--sets",
        "uncalibrated",
    )
    assert code == 0, out
    assert "Counterfactual − history" in out
    store = ResultsStore(tmp_path)
    runs = store.list().set_index("label")
    history, counterfactual = runs.loc["history", "run_id"], runs.loc["counterfactual", "run_id"]
    assert runs.loc["counterfactual", "parent"] == history
    assert store.children(history) == [counterfactual]
    ens_a, ens_b = load(store, history), load(store, counterfactual)
    diff = compare_corridor(ens_a, ens_b).bands("monthly")
    ex = diff[diff["observable"] == "expulsions"]
    assert (ex["p05"] > 0).all()
    assert "bands_ledger" in store.record(counterfactual).tables


def test_ensemble_prints_the_rows_its_scenario_names(tmp_path: Path) -> None:
    path = write_forecast_dir(tmp_path / "sc")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["analysis"] = {"report": {"printed": ["expulsions"]}}
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    code, out = invoke(
        "ensemble", str(path), "--days", "30", "--sets", "uncalibrated", "--store",
        str(tmp_path / "store"),
    )  # fmt: skip
    assert code == 0, out
    table = out.split("per year")[1].split("Human-cost ledger")[0]
    assert "expulsions" in table
    assert "dest_apprehensions" not in table  # printed without the analysis block


def test_ensemble_bad_input(tiny: Path, tmp_path: Path) -> None:
    code, out = invoke("ensemble", str(tiny), "--counterfactual", str(tmp_path / "none.yaml"))
    assert_input_error(code, out, "not found")
    code, out = invoke("ensemble", str(tiny), "--sets", "all")
    assert_input_error(code, out, "--sets")


def test_unreachable_scheduler_exits_2(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import corredor.ensemble.runner

    monkeypatch.setattr(corredor.ensemble.runner, "DEFAULT_CONNECT_TIMEOUT", 1.0)
    code, out = invoke(
        "ensemble", str(tiny), "--days", "5", "--scheduler", "tcp://127.0.0.1:9", "--store",
        str(tmp_path),
    )  # fmt: skip
    assert_input_error(code, out, "cannot connect to the Dask scheduler")


# ------------------------------------------------------------------------------ sensitivity
def test_sensitivity_command(tiny: Path, tmp_path: Path) -> None:
    code, out = invoke(
        "sensitivity",
        str(tiny),
        "--parameter",
        "base_departures",
        "--parameter",
        "w_ties",
        "--measure",
        "dest_apprehensions",
        "--measure",
        "ledger.stranded_person_days",
        "--trajectories",
        "2",
        "--days",
        "20",
        "--png",
        str(tmp_path / "s.png"),
        "--store",
        str(tmp_path / "s"),
    )
    assert code == 0, out
    assert "mu_star" in out
    record = ResultsStore(tmp_path / "s").record("latest")
    idx = record.table("indices")
    assert set(idx["output"]) == {"dest_apprehensions", "ledger.stranded_person_days"}
    assert (tmp_path / "s.png").stat().st_size > 1000
    assert len(record.table("samples")) == 6
    assert len(load(ResultsStore(tmp_path / "s"), "latest").x) == 6
    res = runner.invoke(app, ["report", "latest", "--store", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "s" / record.run_id / "report.html").read_text(encoding="utf-8")
    assert "Sensitivity analysis" in html and "mu_star" in html and "data:image/png" in html


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--method", "fast"], ["'morris', 'sobol'"]),
        (["--parameter", "base_departures", "--parameter", "nope"], ["nope"]),
        (["--parameter", "base_departures"], ["at least two"]),
        (["--measure", "nothing"], ["unknown output", "nothing"]),
        (["--method", "sobol", "--trajectories", "6"], ["power of 2"]),
        (["--levels", "3"], ["even"]),
    ],
)
def test_sensitivity_bad_input(
    tiny: Path, tmp_path: Path, args: list[str], words: list[str]
) -> None:
    base = ["sensitivity", str(tiny), "--days", "5", "--store", str(tmp_path)]
    if "--parameter" not in args:
        base += ["--parameter", "base_departures", "--parameter", "w_ties"]
    code, out = invoke(*base, *args)
    assert_input_error(code, out, *words)
