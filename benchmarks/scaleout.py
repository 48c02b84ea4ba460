"""The timing harness of the scale-out benchmarks (``ensemble_bench.py`` for Flee scenarios,
``corridor_ensemble_bench.py`` for corridor scenarios): both time the same ensemble serially and
on other backends, check that every backend returned the same bits, and print (and optionally
save) the figures as JSON.

A benchmark script imports this module first (it sits next to them, on ``sys.path`` when a
script runs): :func:`setup` puts ``src/`` on ``sys.path`` and shares the numba cache of
``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]

R = TypeVar("R")


def setup() -> None:
    """Import Corredor from this checkout and reuse its compiled kernels."""
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba-cache"))


def arguments(doc: str | None, runs: int = 64) -> argparse.ArgumentParser:
    """A parser with the options every scale-out benchmark takes: --runs, --workers, --json."""
    ap = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=runs)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    return ap


def load() -> float:
    """The 1-minute load average (a busy machine makes the figures meaningless)."""
    return os.getloadavg()[0]


def announce(what: str, workers: int) -> None:
    cpus = os.cpu_count()
    print(f"{what}, {workers} workers, {cpus} CPUs, load average {load():.2f}", flush=True)


def timed(
    label: str, fn: Callable[[], R], per_run: Callable[[R], float], unit: str = "run"
) -> tuple[float, R]:
    """Run ``fn`` once; print and return its wall time (and its result). ``per_run``: the mean
    seconds of one run inside the result, printed next to the wall time."""
    before = load()
    t0 = time.perf_counter()
    res = fn()
    secs = time.perf_counter() - t0
    print(
        f"{label:>22}: {secs:8.2f} s wall, {per_run(res):.3f} s per {unit} "
        f"(load average before: {before:.2f})",
        flush=True,
    )
    return secs, res


def finish(figures: dict[str, Any], summary: str, json_path: Path | None) -> None:
    """Print the summary line and the figures (JSON), save them to ``json_path``, and exit
    with an error if ``figures["identical"]`` is false (the backends disagree)."""
    figures["load_average_after"] = load()
    print(f"{summary}; identical results: {figures['identical']}")
    print(json.dumps(figures))
    if json_path is not None:
        json_path.write_text(json.dumps(figures, indent=2) + "\n")
    if not figures["identical"]:
        sys.exit("backends disagree")
