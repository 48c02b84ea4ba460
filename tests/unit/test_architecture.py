"""The architecture's rules that import-linter does not check (``make test`` runs the layer
contracts of pyproject.toml with ``lint-imports``): no private name crosses a package, and
``data/`` holds no code."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "corredor"

#: Private names still imported across packages from files other helpers own
#: (importer module, imported module, name).
KNOWN: set[tuple[str, str, str]] = set()


def package_of(module: str) -> str:
    """The package a module belongs to: ``corredor.X`` (``corredor.rules.X`` for the two
    independent rule sets), or the module itself at the top."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[1] == "rules":
        return ".".join(parts[:3])
    return ".".join(parts[:2])


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def cross_package_private_imports(importer: str, code: str) -> list[tuple[str, str, str]]:
    """``(importer, imported module, name)`` for every private name (or private module) of
    another package imported by the module ``importer`` of source ``code``, including
    ``alias._name`` uses of an imported module."""
    tree = ast.parse(code)
    found: list[tuple[str, str, str]] = []
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("corredor"):
            if package_of(node.module) == package_of(importer):
                continue
            for part in node.module.split("."):
                if private(part):
                    found.append((importer, node.module, part))
            for alias in node.names:
                if private(alias.name):
                    found.append((importer, node.module, alias.name))
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("corredor") and alias.asname:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and private(node.attr)
            and package_of(aliases[node.value.id]) != package_of(importer)
        ):
            found.append((importer, aliases[node.value.id], node.attr))
    return found


def test_no_private_name_crosses_a_package() -> None:
    found = {
        hit
        for path in SRC.rglob("*.py")
        for hit in cross_package_private_imports(module_name(path), path.read_text("utf-8"))
    }
    assert sorted(found - KNOWN) == []
    assert sorted(KNOWN - found) == [], "a known exception is gone: remove it from KNOWN"


def test_the_checker_sees_a_private_import() -> None:
    code = (
        "from corredor.ensemble.backends import _PARALLEL_LOCK\n"
        "from corredor.engine import services as sv\n"
        "x = sv._EPS\n"
        "from corredor.calibration.loss import _own\n"
    )
    assert cross_package_private_imports("corredor.calibration.probe", code) == [
        ("corredor.calibration.probe", "corredor.ensemble.backends", "_PARALLEL_LOCK"),
        ("corredor.calibration.probe", "corredor.engine.services", "_EPS"),
    ]


def test_data_holds_no_code() -> None:
    assert sorted(p.relative_to(SRC) for p in (SRC / "data").rglob("*.py")) == []


def test_architecture_doc_is_current() -> None:
    """docs/architecture.md's generated part matches the tree (rerun
    ``python scripts/architecture_doc.py`` after changing a package, a docstring or a contract)."""
    import importlib.util

    script = SRC.parents[1] / "scripts" / "architecture_doc.py"
    spec = importlib.util.spec_from_file_location("architecture_doc", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = module.DOC.read_text(encoding="utf-8")
    assert module.render(current) == current, "run python scripts/architecture_doc.py"


def test_shipped_docs_cite_no_unshipped_notes() -> None:
    """The docs a user gets cite only what ships: no design note outside the repository."""
    root = SRC.parents[1]
    docs = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        for name in ("shared/", "MODEL.md", "STYLE.md", "FLEE.md"):
            assert name not in text, f"{doc.name} cites {name}"


def test_shipped_code_and_data_cite_no_unshipped_notes() -> None:
    """Docstrings, error messages and the package's data files (what a user reads through
    `help()`, an `error:` line or a data file's source column) cite the shipped docs, not the
    design notes or the data compilation that stay outside the repository."""
    for path in sorted(SRC.rglob("*")):
        if path.suffix not in {".py", ".yaml", ".csv", ".md", ".json"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for name in ("MODEL.md", "STYLE.md", "FLEE.md", "shared/data", "../shared"):
            assert name not in text, f"{path.relative_to(SRC)} cites {name}"


def test_a_newcomer_finds_the_folder_of_each_part() -> None:
    """docs/architecture.md's "where things live" table names an existing folder or module for
    each part a newcomer asks about first."""
    doc = (SRC.parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = doc[doc.index("## Where things live") : doc.index("## Layers")]
    rows = {
        row.split("|")[1].strip(): row.split("|")[2]
        for row in table.splitlines()
        if row.startswith("| ") and "---" not in row
    }
    for what, folder in (
        ("the day loop", "engine/"),
        ("a process (changes state)", "rules/corridor/"),
        ("a tracker (observes)", "trackers/"),
        ("the store", "store/"),
        ("a request (typed use case)", "app/"),
        ("the CLI", "cli/"),
        ("the web service", "web/"),
    ):
        assert folder in rows[what], (what, rows[what])
        assert "not in this tree" not in rows[what], what
    assert "(web)" not in doc  # the web service is a layer of this tree, not a future one
