"""Run every case of the hostile-input corpus (``tests/hostile/cases/*.yaml``) through the CLI.

Each case is a small scenario folder made by editing a known-good one, a command line, and what
must come out: the exit status, the error line's fragments and the file it names. Every case
also holds the promises of :func:`corpus.check_outcome`: bounded time and memory, no traceback,
no unfilled template, no leaked file contents, one short ``error:`` line on exit status 2.
See docs/reliability.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import BASES, SECRET, Case, apply_op, check_outcome, fill, load_cases, run_cli

CASES = load_cases()
#: the corpus holds at least this many cases (docs/reliability.md gives the count)
MINIMUM_CASES = 80


def test_corpus_size_and_categories() -> None:
    assert len(CASES) >= MINIMUM_CASES
    files = {c.source for c in CASES}
    for category in ("yaml", "csv", "paths", "sizes", "events", "cli", "flee", "store"):
        assert f"{category}.yaml" in files, f"no {category} cases"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "outside" / "secret.csv"
    outside.parent.mkdir()
    outside.write_text(f"{SECRET}\nname,kind\n", encoding="utf-8")
    folder = BASES[case.base](tmp_path / "case")
    for op in case.ops:
        apply_op(folder, op, outside)
    out = tmp_path / "out"
    args = [fill(a, folder, out, outside) for a in case.args]
    monkeypatch.chdir(tmp_path)
    outcome = run_cli(args, {k: fill(v, folder, out, outside) for k, v in case.env.items()})
    problems = list(check_outcome(case, outcome))
    assert not problems, f"{case.id} ({case.source}): " + "; ".join(problems)
