"""The hostile-input corpus: cases as data, the folders they start from, and how they are run.

A case (``tests/hostile/cases/*.yaml``) is a mapping::

    - id: csv-bom-observed              # unique
      base: tiny                         # tiny (the docs' corridor example), flee (a small Flee
                                         # scenario) or none (an empty folder)
      ops:                               # edits of the copy, in order (OPS below)
        - prepend: {file: observed.csv, latin1: "\\xef\\xbb\\xbf"}
      args: [validate, "{dir}"]          # the command line; {dir}, {scenario}, {out},
                                         # {outside} (a file outside holding SECRET) are filled
      env: {CORREDOR_MAX_INPUT_MB: "0.001"}   # optional environment for the command
      exit: 0                            # expected exit status
      error: [fragment, ...]             # optional: fragments of the one `error:` line
      file: observed.csv                 # optional: the error line names this file
      output: [fragment, ...]            # optional: fragments of stdout/stderr

Every case, whatever it expects, must also: finish within :data:`SECONDS`, raise the process'
peak memory by less than :data:`MEMORY_MB`, print no traceback, no unfilled message template,
nothing of the secret file, and — when it exits 2 — exactly one ``error:`` line of at most
:data:`MAX_ERROR_LINE` characters.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import resource
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
DOCS = TESTS.parent / "docs" / "scenario-format.md"
SECONDS = 60.0
MEMORY_MB = 600
MAX_ERROR_LINE = 1200
SECRET = "root:x:0:0:SECRET-CONTENT-0123"
#: A message template printed as is: ``{found!r}``, ``{{value, source}}``, ``{name}``.
UNFILLED = re.compile(
    r"\{\{[A-Za-z_][A-Za-z0-9_, ]*\}\}"  # {{value, source}}
    r"|\{[A-Za-z_][A-Za-z0-9_]*(![rsa])?(:[^}\s]*)?\}"  # {found!r}, {name}, {x:>5}
)


@dataclass(frozen=True)
class Case:
    id: str
    base: str
    ops: tuple[Mapping[str, Any], ...]
    args: tuple[str, ...]
    exit: int
    error: tuple[str, ...] = ()
    file: str | None = None
    output: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    source: str = ""


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted((HERE / "cases").glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append(
                Case(
                    id=raw["id"],
                    base=raw.get("base", "tiny"),
                    ops=tuple(raw.get("ops", ())),
                    args=tuple(str(a) for a in raw["args"]),
                    exit=int(raw["exit"]),
                    error=tuple(raw.get("error", ())),
                    file=raw.get("file"),
                    output=tuple(raw.get("output", ())),
                    env={k: str(v) for k, v in (raw.get("env") or {}).items()},
                    source=path.name,
                )
            )
    ids = [c.id for c in cases]
    dupes = {i for i in ids if ids.count(i) > 1}
    assert not dupes, f"duplicate case ids: {dupes}"
    return cases


# ----------------------------------------------------------------------------- bases
def doc_example() -> dict[str, str]:
    """The files of the complete example in docs/scenario-format.md."""
    text = DOCS.read_text(encoding="utf-8")
    found = re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", text, flags=re.S)
    return dict(found)


def write_tiny(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in doc_example().items():
        (folder / name).write_text(body, encoding="utf-8")
    return folder


def write_flee(folder: Path) -> Path:
    import sys

    sys.path.insert(0, str(TESTS))
    from flee_dirs import loc, write_flee_dir

    return write_flee_dir(
        folder,
        locations=[
            loc("Zone", "conflict_zone", 20000),
            loc("Town", "town", 5000),
            loc("Camp", "camp", 0, country="Yland"),
        ],
        routes=[("Zone", "Town", 50), ("Town", "Camp", 80)],
        days=5,
        start=dt.date(2020, 1, 1),
        total=[0, 100, 200, 300, 400],
        camps={"Camp": [0, 50, 100, 150, 200]},
    )


BASES = {"tiny": write_tiny, "flee": write_flee, "none": lambda f: f.mkdir(parents=True) or f}


# ----------------------------------------------------------------------------- ops
def _bytes(spec: Mapping[str, Any], outside: Path) -> bytes:
    if "latin1" in spec:
        return str(spec["latin1"]).encode("latin-1")
    return str(spec.get("text", "")).replace("{outside}", str(outside)).encode("utf-8")


def _generated(kind: str, n: int) -> str:
    if kind == "alias_bomb":
        lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
        for i in range(1, n):
            lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
        return "\n".join(lines) + "\n"
    if kind == "alias_bomb_list":  # a list of events whose first item is a bomb
        body = _generated("alias_bomb", n).replace("\n", "\n  ")
        return "- bomb:\n  " + body
    if kind == "deep_flow":
        return "[" * n + "]" * n + "\n"
    if kind == "deep_block":
        return "".join(" " * i + "- \n" for i in range(n))
    if kind == "many_aliases":
        return "a: &a 1\nb: [" + ",".join(["*a"] * n) + "]\n"
    if kind == "long_line":
        return "x" * n
    raise ValueError(kind)


Spec = Mapping[str, Any]


def _op_write(folder: Path, path: Path, spec: Spec, outside: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_bytes(spec, outside))


def _op_append(folder: Path, path: Path, spec: Spec, outside: Path) -> None:
    with path.open("ab") as fh:
        fh.write(_bytes(spec, outside))


def _op_prepend(folder: Path, path: Path, spec: Spec, outside: Path) -> None:
    path.write_bytes(_bytes(spec, outside) + path.read_bytes())


def _op_replace(folder: Path, path: Path, spec: Spec, outside: Path) -> None:
    text = path.read_text(encoding="utf-8")
    old, new = str(spec["old"]), str(spec["new"]).replace("{outside}", str(outside))
    if "repeat" in spec:  # a long value without writing it out
        new += str(spec["repeat"]["text"]) * int(spec["repeat"]["n"])
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, int(spec.get("count", -1))), encoding="utf-8")


def _op_generate(folder: Path, path: Path, spec: Spec, outside: Path) -> None:
    text = str(spec.get("prefix", "")) + _generated(str(spec["kind"]), int(spec.get("n", 10)))
    if spec.get("mode", "write") == "append":
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8")


def _op_copy(folder: Path, path: Path, spec: Spec, outside: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder / str(spec["source"]), path)


def _op_delete(folder: Path, path: Path, spec: Spec, outside: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _op_symlink(folder: Path, path: Path, spec: Spec, outside: Path) -> None:
    target = str(spec["target"]).replace("{outside}", str(outside))
    if path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(target)


def _op_mkfifo(folder: Path, path: Path, spec: Spec, outside: Path) -> None:
    if path.exists():
        path.unlink()
    os.mkfifo(path)


def _op_mkdir(folder: Path, path: Path, spec: Spec, outside: Path) -> None:
    if path.exists():
        path.unlink()
    path.mkdir()


def _op_yaml_set(folder: Path, path: Path, spec: Spec, outside: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    node = data
    keys = list(spec["path"])
    for key in keys[:-1]:
        node = node[key]
    if spec.get("delete"):
        del node[keys[-1]]
    else:
        node[keys[-1]] = spec["value"]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


#: The edits a case may make (its ``ops``), by name.
OPS: dict[str, Callable[[Path, Path, Spec, Path], None]] = {
    "write": _op_write,
    "append": _op_append,
    "prepend": _op_prepend,
    "replace": _op_replace,
    "generate": _op_generate,
    "copy": _op_copy,
    "delete": _op_delete,
    "symlink": _op_symlink,
    "mkfifo": _op_mkfifo,
    "mkdir": _op_mkdir,
    "yaml_set": _op_yaml_set,
}


def apply_op(folder: Path, op: Mapping[str, Any], outside: Path) -> None:
    ((name, spec),) = op.items()
    if name not in OPS:
        raise ValueError(f"unknown op {name}")
    OPS[name](folder, folder / str(spec.get("file", "")), spec, outside)


# ----------------------------------------------------------------------------- running
@dataclass
class Outcome:
    exit: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float
    exception: BaseException | None


def fill(arg: str, folder: Path, out: Path, outside: Path) -> str:
    return (
        arg.replace("{dir}", str(folder))
        .replace("{scenario}", str(folder / "scenario.yaml"))
        .replace("{out}", str(out))
        .replace("{outside}", str(outside))
    )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_cli(args: list[str], env: Mapping[str, str]) -> Outcome:
    from click.testing import CliRunner

    from corredor.cli import app

    runner = CliRunner()
    before = _peak_mb()
    t0 = time.perf_counter()
    result = runner.invoke(app, args, env=dict(env), catch_exceptions=True)
    seconds = time.perf_counter() - t0
    exc = result.exception if not isinstance(result.exception, SystemExit) else None
    return Outcome(
        result.exit_code, result.stdout, result.stderr, seconds, _peak_mb() - before, exc
    )


def check_outcome(case: Case, o: Outcome) -> Iterator[str]:
    """Every broken promise of the outcome (empty: the case holds)."""
    yield from _common_promises(o)
    if o.exit != case.exit:
        yield f"exit {o.exit}, expected {case.exit}"
    errors = [line for line in o.stderr.splitlines() if line.startswith("error:")]
    if o.exit == 2:
        if len(errors) != 1:
            yield f"{len(errors)} error lines, expected 1: {o.stderr[:500]!r}"
        if any(len(line) > MAX_ERROR_LINE for line in errors):
            yield f"an error line of {max(len(x) for x in errors)} characters"
    line = errors[0] if errors else ""
    for fragment in case.error:
        if fragment not in line:
            yield f"the error line lacks {fragment!r}: {line[:600]!r}"
    if case.file is not None and case.file not in line:
        yield f"the error line does not name {case.file!r}: {line[:600]!r}"
    text = o.stdout + o.stderr
    for fragment in case.output:
        if fragment not in text:
            yield f"the output lacks {fragment!r}: {text[:600]!r}"


def _common_promises(o: Outcome) -> Iterator[str]:
    """What every case must hold, whatever it expects."""
    text = o.stdout + o.stderr
    if o.exception is not None:
        yield f"raised {type(o.exception).__name__}: {o.exception}"
    if "Traceback" in text:
        yield "printed a traceback"
    if SECRET.rsplit(":", maxsplit=1)[-1] in text or "root:x:0:0" in text:
        yield "printed the contents of a file it was not asked to show"
    unfilled = UNFILLED.search(o.stderr)
    if unfilled:
        yield f"printed an unfilled template {unfilled.group(0)!r}"
    if o.seconds > SECONDS:
        yield f"took {o.seconds:.1f} s"
    if o.peak_mb > MEMORY_MB:
        yield f"raised the peak memory by {o.peak_mb:.0f} MB"
