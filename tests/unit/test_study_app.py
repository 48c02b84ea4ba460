"""Studies through the app layer and the command line (corredor.app.study, ``corredor study``):
the built-in list, bad study files (one error line naming the file and the line, exit 2), a
study stored with its tasks and report, and a study killed half-way that resumes from the store
to exactly the numbers of an uninterrupted one."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from corredor.app import ReportRequest, StudyRequest, report
from corredor.app.study import STUDY_KIND, TASK_KIND, list_studies, study
from corredor.cli import app
from corredor.store import ResultsStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from study_dirs import study_document, write_study_dir


def test_list_studies() -> None:
    df = list_studies()
    assert {"containment-2019", "room-to-manoeuvre"} <= set(df["study"])
    assert set(df["kind"]) == {"counterfactual", "room"}
    out = CliRunner().invoke(app, ["study", "--list"])
    assert out.exit_code == 0, out.output
    assert "containment-2019" in out.output and "room-to-manoeuvre" in out.output


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"variants": []}, "at least two variants"),
        ({"baseline": "nope"}, "baseline 'nope' is not a variant"),
    ],
)
def test_bad_study_file_one_error_line_exit_2(
    tmp_path: Path, change: dict[str, object], words: str
) -> None:
    path = write_study_dir(tmp_path, study=study_document("corridor/scenario.yaml", **change))
    result = subprocess.run(
        [sys.executable, "-m", "corredor", "study", str(path), "--store", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert str(path) in lines[0] and "line" in lines[0] and words in lines[0]
    assert "Traceback" not in result.stderr


def test_unknown_study_exit_2() -> None:
    out = CliRunner().invoke(app, ["study", "no-such-study"])
    assert out.exit_code == 2


def test_a_study_through_the_store(tmp_path: Path) -> None:
    path = write_study_dir(tmp_path / "d")
    store = ResultsStore(tmp_path / "store")
    stored = study(StudyRequest(study=str(path), runs=2, report=str(tmp_path / "rep")), store)
    assert stored.kind == STUDY_KIND
    assert len(store.list(kind=TASK_KIND)) == 2
    record = store.record(stored.run_id)
    assert set(record.tables) >= {"differences", "absolute", "per_run"}
    assert (stored.path / "report.html").is_file() and (stored.path / "summary.es.md").is_file()
    assert (tmp_path / "rep" / "report.md").is_file()
    # corredor report of a stored study: the report it was made with
    page = report(ReportRequest(run=stored.run_id, output=str(tmp_path / "r.html")), store)
    assert page.html.read_bytes() == (stored.path / "report.html").read_bytes()
    # the same request again: every task comes from the store, the numbers are the same
    again = study(StudyRequest(study=str(path), runs=2), store)
    assert any("resumed: 2 of 2" in n for n in again.notes)
    assert np.array_equal(again.result.values, stored.result.values, equal_nan=True)
    assert len(store.list(kind=TASK_KIND)) == 2


def test_a_killed_study_resumes_from_the_store(tmp_path: Path) -> None:
    path = write_study_dir(tmp_path / "d")
    whole = study(StudyRequest(study=str(path), runs=3), ResultsStore(tmp_path / "whole"))
    store_dir = tmp_path / "store"
    cmd = [
        sys.executable,
        "-m",
        "corredor",
        "study",
        str(path),
        "--runs",
        "3",
        "--store",
        str(store_dir),
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300

    def tasks_written() -> int:  # read the folders: opening the store would repair it
        return sum(
            '"study-task"' in p.read_text(encoding="utf-8")
            for p in store_dir.glob("*/summary.json")
            if not p.parent.name.startswith(".")  # a folder still being written (.tmp-…)
        )

    while tasks_written() < 1:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = ResultsStore(store_dir)
    assert 1 <= len(store.list(kind=TASK_KIND)) < 3
    # the killed study is catalogued failed (its writer died), never as a result
    assert list(store.list(kind=STUDY_KIND)["status"]) == ["failed"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "resumed" in done.stdout
    run_id = str(store.list(kind=STUDY_KIND, status="finished")["run_id"].iloc[-1])
    resumed = store.record(run_id).table("per_run")
    expect = whole.result.per_run()
    pd.testing.assert_frame_equal(resumed.reset_index(drop=True), expect.reset_index(drop=True))


def test_a_study_reports_within_a_task_and_stops_there(tmp_path: Path) -> None:
    """In this process a task reports its simulated days as a fraction of a run, so a caller
    that stops at a progress report (the web's cancel) stops inside the first task; the study
    is then catalogued failed and no task is stored."""
    path = write_study_dir(tmp_path / "d")
    store = ResultsStore(tmp_path / "store")
    seen: list[float] = []

    class StopError(Exception):
        pass

    def progress(done: float, total: float, what: str) -> None:
        seen.append(done)
        if 0 < done < 1:
            raise StopError

    with pytest.raises(StopError):
        study(StudyRequest(study=str(path), runs=2), store, progress=progress)
    assert seen[0] == 0 and 0 < seen[-1] < 1
    assert store.list(kind=TASK_KIND).empty
    assert list(store.list(kind=STUDY_KIND)["status"]) == ["failed"]
