"""The new user's walk through one store (issue 12): a corridor run is stored, listed and
reported after the fact; a rerun never overwrites; one ``run`` for both kinds; an option that
does not apply is an error; levers and removed events change a run and are in its provenance.

On the tiny synthetic corridor (``tests/corridor_dirs.py``) and a tiny Flee scenario.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import corredor
from corredor.cli import app
from corredor.errors import ScenarioError
from corredor.results.corridor import CorridorResult
from corredor.store import ResultsStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_cli import write_tiny_scenario

from corridor_dirs import write_corridor_dir

runner = CliRunner()
DAYS = "60"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corridor_dir(tmp_path_factory.mktemp("tiny-corridor") / "c")


@pytest.fixture(scope="module")
def flee(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_scenario(tmp_path_factory.mktemp("tiny-flee") / "tiny")


def invoke(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, [*args, "--no-progress"] if args[0] == "run" else list(args))
    return res.exit_code, res.stdout, res.stderr


def run_id_of(stdout: str) -> str:
    line = next(x for x in stdout.splitlines() if x.startswith("saved run "))
    return line.split()[2]


def test_corridor_run_listed_and_reported_after_the_fact(tiny: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    code, out, err = invoke("run", str(tiny), "--days", DAYS, "--store", str(store))
    assert code == 0, err
    run_id = run_id_of(out)
    code, listed, _ = invoke("runs", "--store", str(store))
    assert code == 0 and run_id in listed and "corridor" in listed
    code, listed, _ = invoke("runs", "--store", str(store), "--kind", "flee")
    assert code == 0 and run_id not in listed
    png = str(tmp_path / "p.png")
    code, out, err = invoke("report", run_id, "--store", str(store), "--png", png)
    assert code == 0, err
    html = (store / run_id / "report.html").read_text(encoding="utf-8")
    assert "observed vs simulated" in html.lower() and "ledger" in html.lower()
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    # `latest` and a run's folder name the same run
    code, out, err = invoke("report", str(store / run_id), "-o", str(tmp_path / "again.html"))
    assert code == 0, err


def test_a_stored_corridor_run_loads_back_exactly(tiny: Path, tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    made = corredor.run(str(tiny), days=int(DAYS), seed=3, store=store)
    assert isinstance(made, CorridorResult)
    run_id = store.run_ids()[-1]
    back = store.load(run_id)
    for name in ("obs_daily", "events", "stranded", "svc_stock", "final_phase", "dest_people_fy"):
        a, b = getattr(made, name), getattr(back, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    pd.testing.assert_frame_equal(made.ledger(), back.ledger())
    pd.testing.assert_frame_equal(made.fit_table(), back.fit_table())
    pd.testing.assert_frame_equal(made.monthly(), back.monthly())
    assert (back.seed, back.days, back.agents) == (3, int(DAYS), made.agents)
    # the scenario's files changed since: the stored copy still gives the run back
    (tiny.parent / "links.csv").write_text(
        (tiny.parent / "links.csv").read_text().replace("300,great_circle", "310,great_circle")
    )
    try:
        np.testing.assert_array_equal(store.load(run_id).obs_daily, made.obs_daily)
    finally:
        (tiny.parent / "links.csv").write_text(
            (tiny.parent / "links.csv").read_text().replace("310,great_circle", "300,great_circle")
        )


def test_a_rerun_never_overwrites(tiny: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    code, out, err = invoke("run", str(tiny), "--days", DAYS, "--store", str(store))
    assert code == 0, err
    first = run_id_of(out)
    before = {p.name: p.read_bytes() for p in (store / first).iterdir()}
    code, out, err = invoke("run", str(tiny), "--days", "30", "--store", str(store))
    assert code == 0, err
    second = run_id_of(out)
    assert second != first
    assert {p.name: p.read_bytes() for p in (store / first).iterdir()} == before
    listed = ResultsStore(store).list()
    assert set(listed["run_id"]) == {first, second}
    assert ResultsStore(store).load(first).days == int(DAYS)


def test_one_run_for_both_kinds(tiny: Path, flee: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    for scenario in (str(tiny), str(flee)):
        code, _out, err = invoke("run", scenario, "--days", "5", "--store", str(store))
        assert code == 0, err
    kinds = sorted(ResultsStore(store).list()["kind"])
    assert kinds == ["corridor", "flee"]
    assert isinstance(corredor.run(str(tiny), days=5), CorridorResult)
    assert isinstance(corredor.run(str(flee), days=5), corredor.RunResult)
    assert "mexico-us" in corredor.scenarios() and "mali2012" in corredor.scenarios()
    # the corridor-only function points a Flee scenario to the one `run`
    with pytest.raises(ScenarioError, match=r"built-in Flee scenario.*corredor\.run"):
        corredor.run_corridor("mali2012", days=2)
    for name in ("run_corridor", "forecast", "ResultsStore", "scenarios"):
        assert name in dir(corredor)


def test_report_latest_is_the_newest_run_of_either_kind(
    tiny: Path, flee: Path, tmp_path: Path
) -> None:
    """A corridor run made after a Flee run is what ``report latest`` reports (it used to
    report the older Flee run), and a corridor run's report and picture are made after the fact
    and from the run's folder."""
    store = tmp_path / "store"
    code, out, err = invoke("run", str(flee), "--days", "5", "--store", str(store))
    assert code == 0, err
    older = run_id_of(out)
    code, out, err = invoke("run", str(tiny), "--days", "5", "--store", str(store))
    assert code == 0, err
    newer = run_id_of(out)
    code, out, err = invoke("report", "latest", "--store", str(store))
    assert code == 0, err
    assert (store / newer / "report.html").is_file()
    assert not (store / older / "report.html").exists()
    assert "corridor" in (store / newer / "report.html").read_text(encoding="utf-8").lower()


def test_a_flee_run_writes_the_report_and_picture_it_is_asked_for(
    flee: Path, tmp_path: Path
) -> None:
    """``--report`` and ``--png`` apply to both kinds: a Flee run writes them (they used to be
    accepted and ignored)."""
    html, png = tmp_path / "x.html", tmp_path / "x.png"
    args = ["run", str(flee), "--days", "2", "--store", str(tmp_path / "s")]
    code, _out, err = invoke(*args, "--report", str(html), "--png", str(png))
    assert code == 0, err
    assert "<html" in html.read_text(encoding="utf-8").lower()
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("which", "args", "words"),
    [
        ("tiny", ["--hasten", "2"], ["--hasten", "Flee scenarios only", "corridor scenario"]),
        ("tiny", ["--parallel"], ["--parallel", "Flee"]),
        ("tiny", ["--no-flee31-quirks"], ["--flee31-quirks", "Flee scenarios only"]),
        ("flee", ["--event", "missing.yaml"], ["--event", "corridor scenarios only"]),
        ("flee", ["--set", "speed_road=100"], ["--set", "corridor scenarios only"]),
        ("flee", ["--without-event", "x"], ["--without-event", "corridor"]),
        ("flee", ["--calibration", "none"], ["--calibration", "corridor"]),
    ],
)
def test_an_option_that_does_not_apply_exits_2(
    tiny: Path, flee: Path, tmp_path: Path, which: str, args: list[str], words: list[str]
) -> None:
    scenario = tiny if which == "tiny" else flee
    code, out, err = invoke("run", str(scenario), "--store", str(tmp_path / "s"), *args)
    assert code == 2, out + err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for word in words:
        assert word in err, err
    assert not (tmp_path / "s").exists() or ResultsStore(tmp_path / "s").list().empty


def test_set_and_without_event_change_a_run_and_are_recorded(tiny: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    base = ["run", str(tiny), "--days", DAYS, "--store", str(store)]
    code, out, err = invoke(*base)
    assert code == 0, err
    plain = run_id_of(out)
    code, out, err = invoke(*base, "--set", "dest_hazard=6", "--without-event", "expel-on")
    assert code == 0, err
    changed = run_id_of(out)
    s = ResultsStore(store)
    a, b = s.load(plain), s.load(changed)
    assert not np.array_equal(a.obs_daily, b.obs_daily)
    prov = s.record(changed).provenance
    assert prov is not None
    assert prov.overrides == {"dest_hazard": 6.0}
    assert prov.parameters["dest_hazard"] == 6.0
    assert prov.events_removed == ["expel-on"]
    assert prov.calibration is not None and prov.calibration.name == "shipped"
    assert prov.scenario_sha256 and prov.code.version == corredor.__version__
    assert prov.command is not None and "--set dest_hazard=6" in prov.command
    assert "expel-on" not in [e.id for e in b.compiled.scenario.events]
    row = json.loads(s.list().set_index("run_id").loc[changed, "provenance"])
    assert row["events_removed"] == ["expel-on"]
    # the plain run's provenance has no overrides and no removed events
    plain_prov = s.record(plain).provenance
    assert plain_prov is not None and not plain_prov.overrides and not plain_prov.events_removed
    # the same names work in Python, with the same run
    same = corredor.run(
        str(tiny), days=int(DAYS), set={"dest_hazard": 6}, without_events=["expel-on"]
    )
    assert isinstance(same, CorridorResult)
    np.testing.assert_array_equal(same.obs_daily, b.obs_daily)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--set", "dest_hazard=60"], ["dest_hazard=60", "outside its range [0, 10]"]),
        (["--set", "dest_hazardd=1"], ["dest_hazardd", "did you mean 'dest_hazard'"]),
        (["--set", "dest_hazard"], ["NAME=VALUE"]),
        (["--without-event", "expel-of"], ["expel-of", "did you mean 'expel-on'"]),
        (["--event", "nowhere.yaml"], ["nowhere.yaml", "not found"]),
        (["--calibration", "nowhere"], ["calibration 'nowhere'"]),
    ],
)
def test_bad_levers_and_events_exit_2(
    tiny: Path, tmp_path: Path, args: list[str], words: list[str]
) -> None:
    code, out, err = invoke("run", str(tiny), "--days", "5", "--store", str(tmp_path / "s"), *args)
    assert code == 2, out + err
    assert err.startswith("error: ") and "Traceback" not in err
    for word in words:
        assert word in err, err


def test_an_added_event_file_is_recorded(tiny: Path, tmp_path: Path) -> None:
    """``--event FILE`` changes the run, and the file (path, SHA-256, ids) is in its
    provenance."""
    from corridor_dirs import EXPEL_EVENT

    events = tmp_path / "later.yaml"
    later = {**EXPEL_EVENT, "id": "expel-later", "start": "2020-01-10", "end": "2020-02-01"}
    events.write_text(yaml.safe_dump([later], sort_keys=False), encoding="utf-8")
    store = tmp_path / "store"
    base = ["run", str(tiny), "--days", DAYS, "--store", str(store)]
    code, out, err = invoke(*base)
    assert code == 0, err
    plain = run_id_of(out)
    code, out, err = invoke(*base, "--event", str(events))
    assert code == 0, err
    added = run_id_of(out)
    s = ResultsStore(store)
    assert not np.array_equal(s.load(plain).obs_daily, s.load(added).obs_daily)
    prov = s.record(added).provenance
    assert prov is not None and len(prov.events_added) == 1
    (used,) = prov.events_added
    assert used.ids == ["expel-later"] and Path(used.file).name == "later.yaml"
    assert used.sha256 == hashlib.sha256(events.read_bytes()).hexdigest()


def test_calibrate_without_a_folder_writes_beside_the_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``corredor calibrate SCENARIO`` without ``--folder`` or ``--store`` writes its study
    under the working folder (``calibrations/``) and its result to the store there; the
    scenario's own folder (for a built-in scenario: the installed package) is left as it was."""
    from calibration_dirs import write_calibration_dir

    scenario = write_calibration_dir(tmp_path / "scenario", days=120)
    before = {p: p.read_bytes() for p in sorted(scenario.parent.rglob("*")) if p.is_file()}
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    args = ["calibrate", str(scenario), "--parameter", "base_departures", "--trials", "1"]
    res = runner.invoke(app, [*args, "--workers", "1", "--batch", "1", "--no-progress"])
    assert res.exit_code == 0, res.output
    after = {p: p.read_bytes() for p in sorted(scenario.parent.rglob("*")) if p.is_file()}
    assert after == before
    (fit,) = (work / "calibrations").rglob("calibrated.yaml")
    assert yaml.safe_load(fit.read_text(encoding="utf-8"))["parameters"]
    stored = ResultsStore(work / "runs").record("latest")
    assert stored.kind == "calibration" and "calibrated.yaml" in stored.files


def test_calibrate_never_touches_the_package(tmp_path: Path) -> None:
    """The command line never installs a fit; the library refuses to install one into a
    scenario shipped in the package (before any run), and the shipped file is unchanged."""
    from corredor.calibration.fit import CalibrationError, calibrate
    from corredor.scenario.corridor import builtin_corridor_scenarios

    shipped = builtin_corridor_scenarios()["mexico-us"].parent / "calibrated.yaml"
    before = shipped.read_bytes() if shipped.exists() else None
    with pytest.raises(CalibrationError, match="ships with Corredor"):
        calibrate("mexico-us", out=tmp_path / "study", trials=1, install=True)
    assert not (tmp_path / "study" / "calibrated.yaml").exists()
    assert (shipped.read_bytes() if shipped.exists() else None) == before
    from corredor.app.requests import CalibrateRequest

    assert "install" not in CalibrateRequest.model_fields  # no way to ask for it


def test_run_ids_never_collide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import corredor.store.store as store_module
    from corredor.results.record import Record

    def make_result() -> Record:
        return Record(kind="backtest", scenario="tiny")

    draws = iter(["tiny-1", "tiny-1", "tiny-1", "tiny-2", "tiny-2", "tiny-3"])
    monkeypatch.setattr(store_module, "make_run_id", lambda scenario, created: next(draws))
    store = ResultsStore(tmp_path)
    assert [store.save(make_result()) for _ in range(3)] == ["tiny-1", "tiny-2", "tiny-3"]
    assert len(store.list()) == 3
