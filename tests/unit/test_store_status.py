"""Run status in the one store: a run is ``running`` from its start (with its writer's process
and start time), ``finished`` once saved, ``failed`` with its error line when it raises; a
failed or running run is never loaded as a result; ``latest`` skips them; identical requests
are looked up with their status; deletion goes through the app layer. (A writer killed while
running: tests/crash/test_crash_status.py.)"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from corredor import app
from corredor.app import DeleteRequest, EnsembleRequest, ListRequest, RunRequest
from corredor.errors import InputError, RunError
from corredor.store import ResultsStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_store import make_result

from corridor_dirs import write_corridor_dir

DAYS = 30


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corridor_dir(tmp_path_factory.mktemp("status") / "c")


def test_running_then_finished(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "runs")
    with store.running("flee", "tiny", request={"days": 6}) as run_id:
        seen = store.status(run_id)
        assert seen.status == "running" and seen.path is None
        assert seen.pid == os.getpid() and seen.host == socket.gethostname()
        assert seen.provenance == {"request": {"days": 6}}
        assert list(store.list(status="running")["run_id"]) == [run_id]
        assert not store.path(run_id).exists()
        with pytest.raises(RunError, match="is running, not a finished result"):
            store.record(run_id)
        # another store object (a service's reader, a repair) leaves a live run alone
        other = ResultsStore(tmp_path / "runs")
        assert other.status(run_id).status == "running"
        with pytest.raises(RunError, match="is running"):
            other.delete(run_id)
        with pytest.raises(RunError, match="is running"):
            other.fail(run_id, "no")
        assert store.save(make_result(replicas=1), run_id=run_id) == run_id
    done = ResultsStore(tmp_path / "runs").status(run_id)
    assert done.status == "finished" and done.error is None
    assert done.started is not None and done.finished is not None
    assert done.started <= done.finished and done.pid == os.getpid()
    assert done.path == store.path(run_id).resolve() and (done.path / "summary.json").is_file()
    assert store.resolve("latest") == run_id
    assert not list((tmp_path / "runs" / ".running").iterdir())


def test_raising_marks_failed_with_its_error(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "runs")
    kept = store.save(make_result(replicas=1))
    with pytest.raises(ValueError, match="boom"), store.running("forecast", "tiny") as run_id:
        raise ValueError("boom\nsecond line " + "x" * 2000)
    st = store.status(run_id)
    assert st.status == "failed" and st.path is None
    assert st.error is not None and st.error.startswith("ValueError: boom second line")
    assert "\n" not in st.error and len(st.error) <= 500
    assert store.resolve("latest") == kept  # latest: finished results only
    with pytest.raises(RunError, match="is failed, not a finished result: ValueError: boom"):
        store.record(run_id)
    assert store.run_ids() == [kept]
    assert dict(zip(store.list()["run_id"], store.list()["status"], strict=True)) == {
        kept: "finished",
        run_id: "failed",
    }
    # a block that ends without saving is not left running
    with store.running("forecast", "tiny") as other:
        pass
    assert store.status(other).error == "the work ended without saving a result"
    assert store.delete(run_id) == [run_id]
    assert set(store.list()["run_id"]) == {kept, other}


def test_use_case_status_lookup_and_delete(tiny: Path, tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "runs")
    request = RunRequest(scenario=str(tiny), days=DAYS, seed=4)
    assert app.lookup(request, store) is None
    started: list[str] = []
    seen: list[str] = []

    def progress(done: float, total: float, what: str) -> None:
        if started and not seen:
            seen.append(app.status(store, started[0]).status)

    stored = app.run(request, store, progress, on_start=started.append)
    assert started == [stored.run_id] and seen == ["running"]
    st = app.status(store, stored.run_id)
    assert st.status == "finished" and st.provenance is not None
    assert st.provenance["inputs_sha256"] == app.lookup(request, store).provenance["inputs_sha256"]  # type: ignore[union-attr]
    assert app.find(request, store) == stored.run_id
    assert st.as_json()["status"] == "finished"
    listed = app.list_runs(ListRequest(status="finished"), store)
    assert list(listed["run_id"]) == [stored.run_id]

    # a run that fails is catalogued failed with its error, and never found as a result
    bad = RunRequest(scenario=str(tiny), days=DAYS, seed=5, max_agents=1)
    with pytest.raises(Exception, match="over the budget 1"):
        app.run(bad, store)
    failed = app.list_runs(ListRequest(status="failed"), store)
    assert len(failed) == 1 and "over the budget 1" in str(failed["error"][0])
    assert app.find(bad, store) is None and app.lookup(bad, store) is None

    # an identical request while the first is running is looked up as running
    assert app.delete(DeleteRequest(run=str(failed["run_id"][0])), store)
    with store.running("corridor", "tiny", provenance=_provenance(request, store)) as run_id:
        found = app.lookup(request, store)
        assert found is not None and found.run_id == stored.run_id  # a finished one first
        assert app.delete(DeleteRequest(run=stored.run_id), store) == [stored.run_id]
        assert not store.path(stored.run_id).exists()
        found = app.lookup(request, store)
        assert found is not None and (found.run_id, found.status) == (run_id, "running")
        assert app.find(request, store) is None
    assert list(store.list()["run_id"]) == [run_id]  # failed: it ended without saving
    assert app.lookup(request, store) is None


def _provenance(request: RunRequest, store: ResultsStore):  # type: ignore[no-untyped-def]
    from corredor.app.corridor_runs import provenance_before
    from corredor.app.inputs import inputs_of

    return provenance_before(request, inputs_of(request, store))


def test_catalogue_of_version_2_migrates(tmp_path: Path) -> None:
    """Rows of a store written before run status (``complete``) read as ``finished``."""
    import duckdb

    store = ResultsStore(tmp_path / "runs")
    run_id = store.save(make_result(replicas=1))
    con = duckdb.connect(str(tmp_path / "runs" / "catalogue.duckdb"))
    for column in ("pid", "host", "started", "finished", "error"):
        con.execute(f"ALTER TABLE runs DROP COLUMN {column}")
    con.execute("UPDATE runs SET status = 'complete'")
    con.execute("UPDATE store_meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    st = ResultsStore(tmp_path / "runs").status(run_id)
    assert st.status == "finished" and st.finished is not None


def test_refused_input_leaves_no_row(tmp_path: Path) -> None:
    """A use case whose input is refused inside its run (exit status 2: nothing ran) leaves no
    row; any other error leaves a failed one."""
    from corredor.app.common import running
    from corredor.errors import ScenarioError

    store = ResultsStore(tmp_path / "runs")
    request = RunRequest(scenario="mali2012", days=3)
    started: list[str] = []
    with (
        pytest.raises(ScenarioError),
        running(store, "flee", "mali2012", request, on_start=started.append),
    ):
        assert list(store.list()["status"]) == ["running"]
        raise ScenarioError("x.csv", "bad")
    assert len(started) == 1 and store.list().empty
    assert not list((tmp_path / "runs" / ".running").iterdir())
    with pytest.raises(RuntimeError), running(store, "flee", "mali2012", request):
        raise RuntimeError("internal")
    assert list(store.list()["error"]) == ["RuntimeError: internal"]
    assert store.status(str(store.list()["run_id"][0])).provenance == {
        "request": {**request.model_dump(mode="json"), "request": "RunRequest"}
    }


@pytest.mark.parametrize(
    "request_",
    [
        app.SensitivityRequest(scenario="{tiny}", levels=3),
        app.SensitivityRequest(scenario="{tiny}", method="sobol", trajectories=3),
        app.ForecastRequest(scenario="mexico-us", until="2019-01"),
    ],
    ids=["morris-levels", "sobol-size", "forecast-until"],
)
def test_options_refused_by_a_use_case_leave_no_row(
    tiny: Path, tmp_path: Path, request_: app.Request
) -> None:
    """A sensitivity's or a forecast's own checks refuse the request (exit status 2) before
    any run: the store is left as it was, no ``failed`` row."""
    store = ResultsStore(tmp_path / "runs")
    if getattr(request_, "scenario", "") == "{tiny}":
        request_ = request_.model_copy(update={"scenario": str(tiny)})
    use_case = app.sensitivity if isinstance(request_, app.SensitivityRequest) else app.forecast
    with pytest.raises(InputError):
        use_case(request_, store)  # type: ignore[arg-type]
    assert store.list().empty
    assert not list((tmp_path / "runs" / ".running").iterdir())


@pytest.mark.parametrize("scheduler", ["garbage", "tcp://127.0.0.1:1"], ids=["form", "dead"])
def test_an_ensemble_refused_before_any_member_leaves_no_row(
    tiny: Path, tmp_path: Path, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``--scheduler`` that is no address, or where no scheduler listens, stops an ensemble
    before any member runs (exit status 2): no ``failed`` row is left (both left one)."""
    from corredor.ensemble import runner

    monkeypatch.setattr(runner, "DEFAULT_CONNECT_TIMEOUT", 1.0)  # a refused port: no wait
    store = ResultsStore(tmp_path / "runs")
    request = EnsembleRequest(
        scenario=str(tiny), days=DAYS, replicas=2, sets="uncalibrated", scheduler=scheduler
    )
    with pytest.raises(InputError, match="scheduler"):
        app.ensemble(request, store)
    assert store.list().empty
    assert not list((tmp_path / "runs" / ".running").iterdir())


def test_a_calibration_refused_before_any_trial_leaves_no_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A calibration whose folder holds another study (no ``--resume``), or resumed with other
    settings, is refused inside its run but before any trial: no ``failed`` row is left (one
    was)."""
    import functools

    from calibration_dirs import write_calibration_dir
    from corredor.calibration import evaluate
    from corredor.calibration.study import JOURNAL_FILE

    # a refused port: no need to wait 30 s for it
    monkeypatch.setattr(evaluate, "task_pool", functools.partial(evaluate.task_pool, timeout=1.0))
    scenario = write_calibration_dir(tmp_path / "scenario", days=120)
    store = ResultsStore(tmp_path / "runs")
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / JOURNAL_FILE).write_text("")  # a study was started here
    (folder / "study.json").write_text("{}")
    request = app.CalibrateRequest(
        scenario=str(scenario), parameters=["base_departures"], folder=str(folder), trials=1
    )
    with pytest.raises(InputError, match="already holds a calibration study"):
        app.calibrate(request, store)
    with pytest.raises(InputError, match="other settings"):
        app.calibrate(request.model_copy(update={"resume": True}), store)
    assert store.list().empty
    assert not list((tmp_path / "runs" / ".running").iterdir())
    assert sorted(p.name for p in folder.iterdir()) == [JOURNAL_FILE, "study.json"]
    # a scheduler nobody listens at: no row, and no study left in the folder, which a second
    # try without --resume found in its way ("already holds a calibration study")
    elsewhere = tmp_path / "study-2"
    dead = request.model_copy(update={"folder": str(elsewhere), "scheduler": "tcp://127.0.0.1:1"})
    with pytest.raises(InputError, match="cannot connect to the Dask scheduler"):
        app.calibrate(dead, store)
    assert store.list().empty and not elsewhere.exists()


def test_identical_ensemble_is_found(tiny: Path, tmp_path: Path) -> None:
    """find/lookup answer an identical ensemble request too (workers aside), never with one of
    its member checkpoints."""
    store = ResultsStore(tmp_path / "runs")
    request = EnsembleRequest(scenario=str(tiny), days=DAYS, replicas=2, sets="uncalibrated")
    assert app.find(request, store) is None and app.lookup(request, store) is None
    seen: list[object] = []
    stored = app.ensemble(
        request, store, on_start=lambda run_id: seen.append(app.lookup(request, store))
    )
    (under_way,) = seen  # while it ran, an identical request found it running
    assert under_way is not None and (under_way.run_id, under_way.status) == (  # type: ignore[attr-defined]
        stored.run_id,
        "running",
    )
    assert app.find(request, store) == stored.run_id
    assert app.find(request.model_copy(update={"workers": 2}), store) == stored.run_id
    assert app.find(request.model_copy(update={"seed": 9}), store) is None
    found = app.lookup(request, store)
    assert found is not None and (found.run_id, found.status) == (stored.run_id, "finished")
    via_run = RunRequest(scenario=str(tiny), days=DAYS, replicas=2, calibration="none")
    assert app.find(via_run, store) is None  # another request: its own digest
    again = app.run(via_run, store)
    assert again.kind == "corridor-ensemble" and app.find(via_run, store) == again.run_id
    assert app.find(RunRequest(scenario="mali2012", days=3), store) is None  # Flee: never


def test_a_scenario_is_loaded_once_while_unchanged(tiny: Path) -> None:
    """corredor.app keeps a loaded scenario while no file of its folder changes (a web
    worker pays the load once), and loads it again when one does."""
    import os

    from corredor.app.inputs import corridor_inputs, load_scenario

    first = load_scenario(str(tiny))
    assert load_scenario(str(tiny)) is first
    assert corridor_inputs(str(tiny)).scenario is first
    links = tiny.parent / "links.csv"
    st = links.stat()
    os.utime(links, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    again = load_scenario(str(tiny))
    assert again is not first and again.name == first.name and again.events == first.events
    assert load_scenario(str(tiny)) is again


def _free_port() -> int:
    """A port nobody listens at (bound, then closed: connections to it are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_dead_scheduler_is_refused_at_once(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--scheduler`` where nothing listens: calibrate, ensemble and the CLI say so with one
    ``error:`` line (exit status 2) without asking Dask, which retried until its timeout (30 s
    for a calibration, 10 s for an ensemble); no ``failed`` row, no study left."""
    import distributed
    from click.testing import CliRunner

    from calibration_dirs import write_calibration_dir
    from corredor.cli import app as cli

    asked: list[object] = []
    monkeypatch.setattr(distributed, "Client", lambda *a, **k: asked.append(a) or 1 / 0)
    dead = f"tcp://127.0.0.1:{_free_port()}"
    store = ResultsStore(tmp_path / "runs")
    scenario = write_calibration_dir(tmp_path / "scenario", days=120)
    folder = tmp_path / "study"
    calibrate = app.CalibrateRequest(
        scenario=str(scenario), parameters=["base_departures"], folder=str(folder), trials=1,
        scheduler=dead,
    )  # fmt: skip
    with pytest.raises(InputError, match=r"Connection ?[Rr]efused") as got:
        app.calibrate(calibrate, store)
    assert f"cannot connect to the Dask scheduler at '{dead}'" in str(got.value)
    ensemble = EnsembleRequest(
        scenario=str(tiny), days=DAYS, replicas=2, sets="uncalibrated", scheduler=dead
    )
    with pytest.raises(InputError, match=r"Connection ?[Rr]efused"):
        app.ensemble(ensemble, store)
    out = CliRunner().invoke(
        cli,
        ["calibrate", str(scenario), "--parameter", "base_departures", "--trials", "1",
         "--folder", str(folder), "--scheduler", dead, "--store", str(store.root)],
    )  # fmt: skip
    lines = [x for x in out.output.splitlines() if x.startswith("error:")]
    assert out.exit_code == 2 and len(lines) == 1, out.output
    assert "Connection" in lines[0] and "Traceback" not in out.output
    for address in ("tcp://127.0.0.1:0", "tcp://127.0.0.1:70000"):
        bad = ensemble.model_copy(update={"scheduler": address})
        with pytest.raises(InputError, match="is not a scheduler address"):
            app.ensemble(bad, store)
    assert asked == [] and store.list().empty and not folder.exists()
