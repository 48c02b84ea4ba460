"""A folder of finished study tasks, which makes a study run without a store resumable.

``Checkpoint(folder, digest)`` keeps each finished task as ``<folder>/<digest[:16]>/
task-<k>.json`` (written by the one atomic writer, :func:`corredor.files.atomic.write_text`,
so a killed run leaves complete files only). A rerun of the same study (the same digest: the
same inputs) reads them back and runs only the tasks missing; tasks are deterministic, so the
numbers are those of an uninterrupted run. A study with other inputs gets another sub-folder.
"""

from __future__ import annotations

import json
from pathlib import Path

from corredor.errors import CorredorError
from corredor.files.atomic import write_text
from corredor.files.read import read_text
from corredor.studies.runner import StudyTask, task_from_json, task_to_json

__all__ = ["Checkpoint"]


class Checkpoint:
    """Finished tasks of one study (module docstring)."""

    def __init__(self, folder: str | Path, digest: str) -> None:
        self.folder = Path(folder) / digest[:16]
        self.digest = digest

    def tasks(self) -> dict[int, StudyTask]:
        """The tasks finished so far (files of another digest or unreadable ones ignored)."""
        out: dict[int, StudyTask] = {}
        if not self.folder.is_dir():
            return out
        for f in sorted(self.folder.glob("task-*.json")):
            try:
                doc = json.loads(read_text(f, root=self.folder, what="study task"))
            except (CorredorError, ValueError, RecursionError):
                continue
            if not isinstance(doc, dict) or doc.get("digest") != self.digest:
                continue
            task = task_from_json(doc)
            out[task.task] = task
        return out

    def save(self, task: StudyTask) -> Path:
        """Write one finished task atomically."""
        doc = {**task_to_json(task), "digest": self.digest}
        return write_text(self.folder / f"task-{task.task:05d}.json", json.dumps(doc))
