"""Read YAML into plain Python objects and remember the line of every key and item.

PyYAML's ``compose`` gives the node tree with start marks; the values are built from it with
the safe constructor (so ``2013-01-01`` is a date and ``1e-3`` a float as usual) while mapping
keys stay the text written (a nationality code ``NO`` is not YAML 1.1's false), and the line of
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
        _check_duplicates(node, name)
        loader.flatten_mapping(node)  # resolves YAML merge keys (<<: *anchor); own keys win
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise ScenarioError(
                    name,
                    "a mapping key is not a plain name",
                    line=line,
                    fix="write the key as a name followed by a colon (name: value)",
                )
            key = str(key_node.value)  # as written: the key NO stays "NO", not False
            child = (*path, key)
            lines.lines[child] = line
            out[key] = _build(loader, value_node, child, lines, name)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), lines, name) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:  # e.g. 2013-13-01 looks like a date but is not one: let pydantic say so
        return str(node.value)


def _check_duplicates(node: yaml.MappingNode, name: str) -> None:
    """A key written twice in one mapping is an error (YAML forbids it; PyYAML keeps the last)."""
    seen: set[str] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
            continue
        key = str(key_node.value)
        if key in seen:
            raise ScenarioError(
                name,
                f"key {key!r} appears twice in the same mapping",
                line=key_node.start_mark.line + 1,
                fix="keep one of the two entries",
            )
        seen.add(key)
