"""Two writers and a reader on one store, in three processes (issue 16 §5): no record is lost,
the catalogue stays whole, and the reader — which opens the store again and again, so that its
repair runs while the writers write — never lists a run that is not complete.

The catalogue file is opened by one process at a time (DuckDB's own file lock; every
operation opens and closes its connection and waits while another process holds it), and a
writer holds the lock of its run folder's ``.writer.lock`` until its catalogue row is in, so a
repair never catalogues a run twice or removes a live writer's folder."""

from __future__ import annotations

import json
from pathlib import Path

from harness import check_record, check_store, load_all, spawn

SAVES = 8

WRITER = """
import sys
from harness import make_record
from corredor.store import ResultsStore
root, first, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(first, first + n):
    ResultsStore(root).save(make_record(i, rows=2_000))  # a fresh open (and repair) each time
"""

READER = """
import json, sys, time
from pathlib import Path
from harness import check_record
from corredor.store import ResultsStore
from corredor.store.layout import read_metadata
root, stop, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
seen, rounds, errors = set(), 0, []
while True:
    last = stop.exists()
    store = ResultsStore(root)
    for run_id in store.run_ids():
        try:
            read_metadata(store.path(run_id))
            check_record(store.record(run_id))
            seen.add(run_id)
        except Exception as exc:
            errors.append(f"{run_id}: {type(exc).__name__}: {exc}")
    rounds += 1
    if last:
        break
out.write_text(json.dumps({"seen": sorted(seen), "rounds": rounds, "errors": errors}))
"""


def test_two_writers_and_a_reader(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    stop, report = tmp_path / "stop", tmp_path / "reader.json"
    reader = spawn(READER, str(root), str(stop), str(report))
    writers = [spawn(WRITER, str(root), str(first), str(SAVES)) for first in (0, 1000)]
    try:
        for w in writers:
            _, err = w.communicate(timeout=240)
            assert w.returncode == 0, err
    finally:
        stop.write_text("stop")
        _, err = reader.communicate(timeout=240)
    assert reader.returncode == 0, err
    seen = json.loads(report.read_text())
    assert seen["errors"] == []
    assert seen["rounds"] >= 2

    df = check_store(root)
    assert len(df) == 2 * SAVES
    stored = load_all(root)
    expected = {f"r{i}" for i in [*range(SAVES), *range(1000, 1000 + SAVES)]}
    assert set(stored) == expected
    for record in stored.values():
        check_record(record)
    assert set(seen["seen"]) == set(df["run_id"])  # its last round saw every run
