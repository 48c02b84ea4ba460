"""The results store: round trip, catalogue, crash consistency."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from corredor.errors import RunError
from corredor.results import RunResult
from corredor.store import ResultsStore
from corredor.store.catalogue import COLUMNS

SRC = Path(__file__).resolve().parents[2] / "src"


def make_result(replicas: int = 2, days: int = 6, seed: int = 3) -> RunResult:
    """A small, hand-made RunResult: 4 locations (2 camps), awkward values on purpose."""
    rng = np.random.default_rng(seed)
    names = ["Kidal", "Mopti", "Mbera camp", "Abala"]
    L, C = len(names), 2
    counts = rng.integers(0, 500, size=(replicas, days, L)).astype(np.int64)
    observed = rng.uniform(0, 400, size=(days, C))
    observed[0, 1] = 0.0
    return RunResult(
        scenario="tiny",
        scenario_path=Path("/nowhere/tiny"),
        seeds=[seed + r for r in range(replicas)],
        start_date=dt.date(2012, 2, 29),
        location_names=names,
        location_kinds=["conflict_zone", "town", "camp", "camp"],
        location_countries=["Mali", "Mali", "Mauritania", "Niger"],
        lat=np.array([18.44, 14.49, 15.64, 14.95]),
        lon=np.array([1.40, -4.19, -5.75, 5.08]),
        counts=counts,
        camp_names=["Mbera camp", "Abala"],
        camp_index=np.array([2, 3], dtype=np.int64),
        observed=observed,
        observed_total=rng.uniform(0, 900, size=(replicas, days)),
        agents_total=counts.sum(axis=2),
        refugee_debt=rng.integers(0, 9, size=(replicas, days)).astype(np.int64),
        elapsed_s=rng.uniform(0.1, 2.0, size=replicas),
        agent_steps=counts.sum(axis=(1, 2)),
        settings={"move_rules": {"softening": 50.0, "camp_weight": 1.0}, "quirks": False},
    )


def assert_same(a: RunResult, b: RunResult) -> None:
    for f in dataclasses.fields(RunResult):
        if f.name == "run_id":
            continue
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert isinstance(y, np.ndarray), f.name
            assert x.dtype == y.dtype, f.name
            assert x.shape == y.shape, f.name
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert x == y, f.name


def test_round_trip(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "runs")
    result = make_result()
    run_id = store.save(result)
    assert result.run_id == run_id
    assert run_id.startswith("tiny-") and len(run_id.split("-")[-1]) == 6
    back = store.load(run_id)
    assert back.run_id == run_id
    assert_same(result, back)
    # a second store object on the same directory sees the same run
    assert_same(result, ResultsStore(tmp_path / "runs").load(run_id))


def test_files_written(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    result = make_result(replicas=3)
    run_dir = store.path(store.save(result))
    for name in [
        "daily_counts.parquet",
        "camps.parquet",
        "locations.parquet",
        "observed.parquet",
        "summary.json",
        "settings.json",
        "out.csv",
        "out_r1.csv",
        "out_r2.csv",
    ]:
        assert (run_dir / name).is_file(), name
    out = pd.read_csv(run_dir / "out.csv")
    assert list(out.columns) == list(result.camps(0).columns)
    assert len(out) == result.days
    camps = pd.read_parquet(run_dir / "camps.parquet")
    assert sorted(camps["replica"].unique()) == [0, 1, 2]
    np.testing.assert_array_equal(
        camps.loc[camps["replica"] == 1, "Abala sim"].to_numpy(), result.camp_sim()[1, :, 1]
    )
    assert not list(tmp_path.glob(".tmp-*"))


def test_list(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    assert store.list().empty
    ids = [store.save(make_result(replicas=r)) for r in (1, 2)]
    df = store.list()
    assert list(df.columns) == list(COLUMNS)
    assert list(df["run_id"]) == ids  # oldest first
    row = df.set_index("run_id").loc[ids[1]]
    assert row["replicas"] == 2 and row["days"] == 6 and row["status"] == "finished"
    assert row["seeds"] == "3,4"
    assert row["ard"] == pytest.approx(make_result(replicas=2).summary()["ard"])
    assert store.resolve("latest") == ids[-1]
    assert store.resolve(ids[0]) == ids[0]
    with pytest.raises(RunError):
        store.load("no-such-run")


def test_order_kept_within_one_second(tmp_path: Path) -> None:
    """Results saved within the same second list in the order they were made, also when the
    catalogue is rebuilt from the results' own files (ids carry a random part, so an order by
    id would shuffle them)."""
    store = ResultsStore(tmp_path)
    ids = [store.save(make_result(replicas=1, seed=s)) for s in range(6)]
    assert list(store.list()["run_id"]) == ids
    assert store.resolve("latest") == ids[-1]
    for f in tmp_path.glob("catalogue*"):
        f.unlink()
    assert list(ResultsStore(tmp_path).list()["run_id"]) == ids


def test_failed_rename_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ResultsStore(tmp_path)

    def boom(src: object, dst: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "rename", boom)
    with pytest.raises(OSError, match="disk on fire"):
        store.save(make_result())
    monkeypatch.undo()
    assert store.list().empty
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == []


def test_reopen_repairs(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    keep = store.save(make_result())
    gone = store.save(make_result())
    # a stale temporary directory (no writer holds its lock) and a row without a directory
    stale = tmp_path / ".tmp-tiny-20000101T000000-abcdef"
    stale.mkdir()
    (stale / ".writer.lock").touch()
    (stale / "daily_counts.parquet").write_bytes(b"partial")
    for f in store.path(gone).iterdir():
        f.unlink()
    store.path(gone).rmdir()
    reopened = ResultsStore(tmp_path)
    assert list(reopened.list()["run_id"]) == [keep]
    assert not stale.exists()


_KILL_SCRIPT = """
import os, signal, sys
sys.path.insert(0, {test_dir!r})
from test_store import make_result
import pandas as pd
import corredor.files.atomic as at
import corredor.store.store as st

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

where = sys.argv[2]
if where == "mid-write":
    real = pd.DataFrame.to_parquet
    calls = []
    def write_then_die(frame, path, **kwargs):
        calls.append(path)
        if len(calls) == 3:
            die()
        real(frame, path, **kwargs)
    pd.DataFrame.to_parquet = write_then_die
elif where == "before-rename":
    at.os.rename = die
elif where == "before-insert":
    st.Catalogue.insert = die
st.ResultsStore(sys.argv[1]).save(make_result())
"""


@pytest.mark.parametrize("where", ["mid-write", "before-rename", "before-insert"])
def test_killed_save(tmp_path: Path, where: str) -> None:
    root = tmp_path / "runs"
    ResultsStore(root).save(make_result(replicas=1))
    script = _KILL_SCRIPT.format(test_dir=str(Path(__file__).parent))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), *sys.path])}
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), str(root), where],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    if where != "before-insert":
        assert list(root.glob(".tmp-*")), "the kill should leave a temporary directory"
    store = ResultsStore(root)
    assert not list(root.glob(".tmp-*"))
    df = store.list()
    for run_id in df["run_id"]:
        store.load(run_id)  # every catalogued run is complete
    # killed after the atomic rename: the complete run is catalogued again
    assert len(df) == (2 if where == "before-insert" else 1)
