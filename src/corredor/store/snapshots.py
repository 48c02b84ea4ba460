"""The store's copies of corridor scenarios (``.scenarios/<digest>/``, written by
:func:`corredor.store.corridor.write_snapshot`): their folder, and the removal of what a killed
writer left there. Apart from the corridor codec, so that opening a store loads no corridor
model.
"""

from __future__ import annotations

from pathlib import Path

from corredor.files.atomic import TMP_MARK, discard, process_alive

SNAPSHOTS = ".scenarios"


def repair_snapshots(store_root: Path) -> None:
    """Remove the temporary folders of snapshots whose writer is dead (their names carry its
    process id: ``.<digest>.tmp-<pid>-<hex>``)."""
    folder = store_root / SNAPSHOTS
    if not folder.is_dir():
        return
    for entry in folder.glob(f".*{TMP_MARK}*"):
        pid = entry.name.rpartition(TMP_MARK)[2].split("-")[0]
        if pid.isdigit() and not process_alive(int(pid)):
            discard(entry)
