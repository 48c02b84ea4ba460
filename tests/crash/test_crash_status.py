"""Run status across a kill (issue 12, issue 16 §5): a run is catalogued ``running`` with its
writer's process id while it works; when the writer is killed (SIGKILL, by its pid) the next
open of the store marks it ``failed`` — or ``finished`` if its folder had been renamed into
place — and never lists half-written results. A use case killed mid-run likewise.
``docs/reliability.md`` lists these tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import check_record, check_store, killed_after, load_all, make_record, pause_env

from corredor.store import ResultsStore

BEGUN = """
import sys
from pathlib import Path
from harness import make_record, wait_to_be_killed
from corredor.store import ResultsStore
root, marker, point = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
store = ResultsStore(root)
with store.running("forecast", "crash", request={"i": 1}) as run_id:
    if point == "running":
        wait_to_be_killed(marker, run_id)
    store.save(make_record(1, rows=50_000), run_id=run_id)
"""

#: Where a begun run is killed, and its status afterwards.
POINTS = {
    "running": "failed",
    "tmp-created": "failed",
    "mid-write": "failed",
    "before-rename": "failed",
    "before-insert": "finished",
    "before-unlock": "finished",
}


@pytest.mark.parametrize("point", list(POINTS))
def test_killed_running_run_is_settled(tmp_path: Path, point: str) -> None:
    root = tmp_path / "runs"
    first = ResultsStore(root).save(make_record(0))
    marker = tmp_path / "reached"
    env = {} if point == "running" else pause_env(point, marker)
    with killed_after(marker, BEGUN, str(root), str(marker), point, env=env) as proc:
        df = ResultsStore(root).list()  # opening repairs: a live writer's run stays running
        live = df[df["run_id"] != first]
        # (killed before the unlock, the catalogue says finished already)
        state = "finished" if point == "before-unlock" else "running"
        assert list(live["status"]) == [state] and int(live["pid"].iloc[0]) == proc.pid
        run_id = str(live["run_id"].iloc[0])
    check_store(root)
    st = ResultsStore(root).status(run_id)
    assert st.status == POINTS[point] and st.pid == proc.pid
    if st.status == "failed":
        assert (
            st.error
            == f"the process that ran it (pid {proc.pid} on {st.host}) stopped before it finished"
        )
        assert sorted(load_all(root)) == ["r0"]
    else:
        records = load_all(root)
        assert sorted(records) == ["r0", "r1"]
        check_record(records["r1"])
    assert not list((root / ".running").glob("*.lock"))
    ResultsStore(root).save(make_record(2))  # the store takes new results afterwards


RUN = """
import sys
from pathlib import Path
from harness import wait_to_be_killed
from corredor.app import RunRequest, run
from corredor.store import ResultsStore
root, marker, scenario = sys.argv[1], Path(sys.argv[2]), sys.argv[3]

def progress(done, total, what):
    if done >= 5 and not marker.exists():
        wait_to_be_killed(marker, "5")

run(RunRequest(scenario=scenario, days=40, seed=1), ResultsStore(root), progress)
"""


def test_killed_corridor_run_is_failed_not_half_stored(tmp_path: Path) -> None:
    from corridor_dirs import write_corridor_dir

    scenario = write_corridor_dir(tmp_path / "c")
    root = tmp_path / "runs"
    marker = tmp_path / "reached"
    with killed_after(marker, RUN, str(root), str(marker), str(scenario)):
        assert list(ResultsStore(root).list()["status"]) == ["running"]
    assert check_store(root).empty
    df = ResultsStore(root).list()
    assert list(df["status"]) == ["failed"] and list(df["kind"]) == ["corridor"]
    assert "stopped before it finished" in str(df["error"].iloc[0])


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("point", ["before-rename", "before-insert"])
def test_a_read_only_store_shows_a_dead_writers_run_as_a_repair_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    """A writer killed with its folder complete (before its catalogue row said so), then the
    store read by someone who may not write it: the run is shown ``finished`` (listed, its
    status, resolved and loaded) exactly as the repair of a writable store then records it;
    killed before its folder was in place, ``failed``. Nothing in the store changes."""
    import corredor.store.store as module

    root = tmp_path / "runs"
    ResultsStore(root).save(make_record(0))
    marker = tmp_path / "reached"
    with killed_after(marker, BEGUN, str(root), str(marker), point, env=pause_env(point, marker)):
        pass
    before = _tree(root)
    with monkeypatch.context() as m:
        m.setattr(module, "_may_write", lambda root: False)
        store = ResultsStore(root)
        assert not store.writable
        seen = store.list()
        run_id = str(seen["run_id"].iloc[-1])
        status = store.status(run_id)
        assert status.status == POINTS[point] and list(seen["status"])[-1] == POINTS[point]
        if POINTS[point] == "finished":
            assert store.run_ids()[-1] == run_id and store.resolve("latest") == run_id
            check_record(store.record(run_id))
        else:
            assert run_id not in store.run_ids()
        assert _tree(root) == before  # the catalogue and the lock files untouched
    repaired = ResultsStore(root)  # writable: the repair records what was shown
    after = repaired.list()
    assert list(after["status"]) == list(seen["status"])
    assert repaired.status(run_id).status == status.status
    if status.status == "finished":
        same = ["run_id", "kind", "status", "days", "pid", "host", "started", "finished"]
        assert after[same].astype(str).equals(seen[same].astype(str))
