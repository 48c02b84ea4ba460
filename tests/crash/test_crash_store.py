"""Crash safety of the results store (issue 16 §5): a child process saving results is killed
with SIGKILL (by the test, from outside) at each instrumented point of a save and at seeded
random moments of a stream of saves; the next open repairs the store and every run it lists is
complete. ``docs/reliability.md`` lists these tests."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from harness import (
    check_record,
    check_store,
    kill_when,
    killed_after,
    load_all,
    make_record,
    pause_env,
)

from corredor.store import ResultsStore

SAVE_ONE = """
import sys
from harness import make_record
from corredor.store import ResultsStore
ResultsStore(sys.argv[1]).save(make_record(int(sys.argv[2]), rows=50_000))
"""

SAVE_MANY = """
import sys
from pathlib import Path
from harness import make_record
from corredor.store import ResultsStore
root, ready = sys.argv[1], Path(sys.argv[2])
ResultsStore(root)
ready.write_text("ok")
for i in range(1, 1000):
    ResultsStore(root).save(make_record(i, rows=20_000))
"""

#: Where a save is killed, and whether the result is then listed (complete once renamed).
POINTS = {
    "tmp-created": False,
    "mid-write": False,
    "before-rename": False,
    "before-insert": True,
    "before-unlock": True,
}


@pytest.mark.parametrize("point", list(POINTS))
def test_save_killed_at_each_point(tmp_path: Path, point: str) -> None:
    root = tmp_path / "runs"
    ResultsStore(root).save(make_record(0))
    marker = tmp_path / "reached"
    kill_when(marker, SAVE_ONE, str(root), "1", env=pause_env(point, marker))
    # the killed writer's lock is free now, but its folder is still there before the repair
    left = [p.name for p in root.iterdir() if p.name.startswith(".tmp-")]
    assert bool(left) == (point in ("tmp-created", "mid-write", "before-rename"))
    df = check_store(root)
    labels = sorted(df["label"])
    assert labels == (["r0", "r1"] if POINTS[point] else ["r0"])
    for record in load_all(root).values():
        check_record(record)
    # the store takes new results afterwards
    ResultsStore(root).save(make_record(2))
    assert len(check_store(root)) == len(df) + 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_saves_killed_at_random_moments(tmp_path: Path, seed: int) -> None:
    root = tmp_path / "runs"
    ready = tmp_path / "ready"
    with killed_after(ready, SAVE_MANY, str(root), str(ready)):
        time.sleep(random.Random(seed).uniform(0.1, 1.0))
    df = check_store(root)
    stored = load_all(root)
    for record in stored.values():
        check_record(record)
    # the saves are in order: the listed ones are the first n, none skipped
    assert sorted(stored) == sorted(f"r{i}" for i in range(1, len(df) + 1))
