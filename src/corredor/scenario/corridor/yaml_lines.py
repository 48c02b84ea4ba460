"""Read YAML into plain Python objects and remember the line of every key and item.

PyYAML's ``compose`` gives the node tree with start marks; the values are built from it with
the safe constructor (so ``2013-01-01`` is a date and ``1e-3`` a float as usual), and the line of
each node is stored under its path: ``("services", 3, "outcomes")`` → 42. Errors found after
pydantic validation can then point at the line a user should edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from corredor.errors import ScenarioError

PathKey = tuple[str | int, ...]


@dataclass
class LineMap:
    """1-based line of each YAML node, keyed by its path from the document root."""

    lines: dict[PathKey, int] = field(default_factory=dict)

    def line(self, path: PathKey) -> int | None:
        """The line of ``path`` or, if it is not in the file, of its nearest ancestor."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return None


def load_yaml_with_lines(path: Path, display: str | None = None) -> tuple[Any, LineMap]:
    """Parse ``path``; return the document and the line map (syntax errors → ScenarioError)."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(name, "file not found", fix="check the path") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            name, f"is not valid UTF-8 text (byte {exc.start})", fix="save the file as UTF-8"
        ) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines = LineMap()
        data = None if node is None else _build(loader, node, (), lines, name)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ScenarioError(
            name,
            f"is not valid YAML: {exc.problem or exc.context}",
            line=None if mark is None else mark.line + 1,
            fix="correct the YAML syntax (indentation, colons, quotes)",
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(name, f"is not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    return data, lines


def _build(
    loader: yaml.SafeLoader, node: yaml.Node, path: PathKey, lines: LineMap, name: str
) -> Any:
    lines.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves YAML merge keys (<<: *anchor)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str | int | float | bool):
                raise ScenarioError(name, f"mapping key {key!r} is not a plain value", line=line)
            if key in out:
                raise ScenarioError(
                    name,
                    f"key {key!r} appears twice in the same mapping",
                    line=line,
                    fix="keep one of the two entries",
                )
            child = (*path, str(key))
            lines.lines[child] = line
            out[key] = _build(loader, value_node, child, lines, name)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), lines, name) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
