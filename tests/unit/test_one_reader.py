"""Every file Corredor reads goes through the one reader, ``corredor.files.read``.

The source is scanned for the ways Python reads a file by itself (``open`` for reading,
``Path.read_text``/``read_bytes``/``open``, ``json.load``, ``yaml.load``/``safe_load``,
``pandas.read_*``, ``numpy.load*``, ``pyarrow`` readers): outside ``corredor/files/`` each must be
listed below with the reason it is not an input read. A new reader that bypasses the boundary
(no size cap, no path check, another decoding) fails here, naming the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "corredor"

#: Methods and functions that read a file (or parse text outside the reader's YAML limits).
READ_METHODS = {"read_text", "read_bytes"}
READ_FUNCTIONS = {
    ("json", "load"),
    ("yaml", "load"),
    ("yaml", "safe_load"),
    ("yaml", "full_load"),
    ("yaml", "unsafe_load"),
    ("np", "load"),
    ("np", "loadtxt"),
    ("np", "genfromtxt"),
    ("pd", "read_parquet"),
    ("pd", "read_json"),
    ("pd", "read_excel"),
    ("pq", "read_table"),
}

#: (file relative to src/corredor, what it reads) → why it is not an input read. Each entry
#: must still match a read in that file (a stale entry fails too).
ALLOWED: dict[tuple[str, str], str] = {
    ("store/layout.py", "pd.read_parquet"): "stored run tables written by Corredor itself",
    ("store/catalogue.py", "open"): "the first bytes of the store's own catalogue (DuckDB magic)",
    ("web/jobs.py", "read_text"): "the service's own job journal",
    ("report/html.py", "read_text"): "the report's template, a package resource",
    ("scenario/corridor/calibrated.py", "yaml.safe_load"): "re-parses its own dump (no file)",
}


def _name(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


def _write_mode(call: ast.Call, position: int) -> bool:
    """``open(..., "w")``, ``path.open("wb")``: a write, not a read."""
    mode: ast.expr | None = call.args[position] if len(call.args) > position else None
    for kw in call.keywords:
        if kw.arg == "mode":
            mode = kw.value
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
        return any(c in mode.value for c in "wax")
    return False


def _from_text(call: ast.Call) -> bool:
    """``pd.read_csv(io.StringIO(text))``: parses text the one reader returned."""
    first = call.args[0] if call.args else None
    if not isinstance(first, ast.Call):
        return False
    f = first.func
    return (isinstance(f, ast.Attribute) and f.attr in ("StringIO", "BytesIO")) or (
        isinstance(f, ast.Name) and f.id in ("StringIO", "BytesIO")
    )


def reads(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) of every file read in a module."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open" and not _write_mode(node, 1):
            found.append((node.lineno, "open"))
        elif isinstance(func, ast.Attribute):
            owner = _name(func.value)
            if (owner, func.attr) in READ_FUNCTIONS:
                found.append((node.lineno, f"{owner}.{func.attr}"))
            elif owner == "pd" and func.attr == "read_csv" and not _from_text(node):
                found.append((node.lineno, "pd.read_csv"))
            elif func.attr in READ_METHODS:
                found.append((node.lineno, func.attr))
            elif (
                func.attr == "open"
                and owner not in ("os", "tarfile", "zipfile")
                and not _write_mode(node, 0)
            ):
                found.append((node.lineno, "open"))
    return found


def test_every_read_goes_through_the_one_reader() -> None:
    unlisted: list[str] = []
    used: set[tuple[str, str]] = set()
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("files/"):
            continue
        for line, what in reads(ast.parse(path.read_text(encoding="utf-8"))):
            if (rel, what) in ALLOWED:
                used.add((rel, what))
            else:
                unlisted.append(f"src/corredor/{rel}:{line}: {what}")
    assert not unlisted, (
        "files read without corredor.files.read (use read_text/read_bytes/load_yaml/read_csv, "
        "or list the read in ALLOWED with the reason it is not an input): " + "; ".join(unlisted)
    )
    stale = sorted(set(ALLOWED) - used)
    assert not stale, f"ALLOWED lists reads that are gone: {stale}"


def test_the_scan_finds_reads() -> None:
    """The scan itself: each way of reading is found, writes are not."""
    code = """
open(p)
open(p, "w")
open(p, mode="rb")
path.read_text(encoding="utf-8")
path.open("w")
path.open()
json.load(fh)
yaml.safe_load(text)
pd.read_csv(p)
pd.read_csv(io.StringIO(text))
pd.read_parquet(p)
os.open(p, flags)
"""
    found = [what for _, what in reads(ast.parse(code))]
    assert found == [
        "open",
        "open",
        "read_text",
        "open",
        "json.load",
        "yaml.safe_load",
        "pd.read_csv",
        "pd.read_parquet",
    ]
