"""Read YAML into plain Python objects and remember the line of every key and item.

The reading itself is :func:`corredor.files.read.load_yaml` (the one reader: paths, size, UTF-8
with or without a byte-order mark, safe YAML with limits on depth and aliases); this module keeps
the names the corridor loader has always used. The line of each node is stored under its path:
``("services", 3, "outcomes")`` → 42, so errors found after pydantic validation can point at the
line a user should edit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from corredor.files.read import LineMap, PathKey, load_yaml


def load_yaml_with_lines(
    path: Path, display: str | None = None, *, root: Path | None = None
) -> tuple[Any, LineMap]:
    """Parse ``path``; return the document and the line map (every problem → ScenarioError).
    ``root``: the folder ``path`` must stay inside (``None``: a path the user gave)."""
    return load_yaml(path, root=root, display=display or str(path))


__all__ = ["LineMap", "PathKey", "load_yaml_with_lines"]
