"""Crash safety of the app's use cases (issue 16 §5): an ensemble and a calibration study run in
a child process through :mod:`corredor.app` (computing, then storing) and are killed with
SIGKILL by the test at a seeded random moment; the store is then whole, and running the same
request again (the ensemble) or resuming the study (the calibration) stores exactly the
numbers of an uninterrupted run."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from harness import check_store, killed_after, pause_env, run_to_end

from calibration_dirs import complete_trials, write_calibration_dir
from corredor.store import ResultsStore

DAYS = 150
ENSEMBLE_DAYS = 60
TRIALS = 4

ENSEMBLE = f"""
import sys
from pathlib import Path
from corredor.app import EnsembleRequest, ensemble
from corredor.store import ResultsStore
root, scenario, ready = sys.argv[1], sys.argv[2], Path(sys.argv[3])
store = ResultsStore(root)
ready.write_text("ok")
request = EnsembleRequest(scenario=scenario, calibration="none", replicas=2, days={ENSEMBLE_DAYS})
ensemble(request, store)
"""

CALIBRATE = f"""
import sys
from pathlib import Path
from corredor.app import CalibrateRequest, calibrate
from corredor.store import ResultsStore
root, scenario, folder, ready = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
store = ResultsStore(root)
ready.write_text("ok")
request = CalibrateRequest(scenario=scenario, trials={TRIALS}, folder=folder, workers=1,
                           batch=1, parameters=["base_departures", "mid_hazard"])
calibrate(request, store)
"""


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_calibration_dir(tmp_path_factory.mktemp("crash-app") / "scenario", days=DAYS)


def _tables(store: ResultsStore, run_id: str) -> dict[str, pd.DataFrame]:
    record = store.record(run_id)
    return {name: record.tables[name] for name in record.tables}


#: Columns that time a run (wall-clock seconds differ between runs by nature).
TIMINGS = ("seconds", "elapsed_s", "wall_seconds")


def _same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame], skip: set[str]) -> None:
    assert set(a) == set(b)
    for name, frame in a.items():  # skip: columns left out
        drop = [c for c in (*TIMINGS, *skip) if c in frame]
        pd.testing.assert_frame_equal(
            frame.drop(columns=drop), b[name].drop(columns=drop), obj=name
        )


@pytest.mark.parametrize("when", ["mid-write"])
def test_killed_ensemble_then_run_again(scenario: Path, tmp_path: Path, when: str) -> None:
    root, ready = tmp_path / "runs", tmp_path / "ready"
    env = pause_env("mid-write", tmp_path / "reached") if when == "mid-write" else None
    marker = tmp_path / "reached" if when == "mid-write" else ready
    with killed_after(marker, ENSEMBLE, str(root), str(scenario), str(ready), env=env):
        if when != "mid-write":
            time.sleep(random.Random(7).uniform(0.0, 2.0))
    before = check_store(root)
    assert len(before) <= 1
    # run it again (a new process), and once uninterrupted in another store
    (tmp_path / "ready").unlink(missing_ok=True)
    run_to_end(ENSEMBLE, str(root), str(scenario), str(tmp_path / "ready2"))
    run_to_end(ENSEMBLE, str(tmp_path / "straight"), str(scenario), str(tmp_path / "ready3"))
    df = check_store(root)
    assert len(df) == len(before) + 1
    store, straight = ResultsStore(root), ResultsStore(tmp_path / "straight")
    again = _tables(store, str(df["run_id"].iloc[-1]))
    _same_tables(again, _tables(straight, straight.resolve("latest")), skip=set())


def test_killed_calibration_resumes_to_the_same_numbers(scenario: Path, tmp_path: Path) -> None:
    from corredor.app import CalibrateRequest, calibrate

    root, folder, ready = tmp_path / "runs", tmp_path / "study", tmp_path / "ready"
    with killed_after(ready, CALIBRATE, str(root), str(scenario), str(folder), str(ready)) as proc:
        deadline = time.monotonic() + 240
        while complete_trials(folder) < 1:
            assert proc.poll() is None, "the calibration ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(random.Random(11).uniform(0.0, 0.5))
    assert check_store(root).empty
    assert complete_trials(folder) < TRIALS

    def request(folder: Path, resume: bool) -> CalibrateRequest:
        return CalibrateRequest(
            scenario=str(scenario),
            trials=TRIALS,
            folder=str(folder),
            workers=1,
            batch=1,
            parameters=["base_departures", "mid_hazard"],
            resume=resume,
        )

    resumed = calibrate(request(folder, True), ResultsStore(root))
    straight = calibrate(request(tmp_path / "straight", False), ResultsStore(tmp_path / "other"))
    df = check_store(root)
    assert list(df["run_id"]) == [resumed.run_id]
    a, b = (
        _tables(ResultsStore(root), resumed.run_id),
        _tables(ResultsStore(tmp_path / "other"), straight.run_id),
    )
    # trial numbers included (a half-drawn trial is drawn again under its number)
    _same_tables(a, b, skip=set())

    def fitted(store: ResultsStore, run_id: str) -> dict[str, object]:
        doc = yaml.safe_load(store.record(run_id).files["calibrated.yaml"])
        return {k: doc.get(k) for k in ("loss", "parameters", "ensemble", "data_until")}

    assert fitted(ResultsStore(root), resumed.run_id) == fitted(
        ResultsStore(tmp_path / "other"), straight.run_id
    )
