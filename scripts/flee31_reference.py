"""Seeded reference runs of the peer Flee 3.1 (PyPI ``flee==3.1``) for Corredor's fixtures.

Usage (with the Flee interpreter, never Corredor's)::

    python scripts/flee31_reference.py SCENARIO_DIR --seeds 0-9 --hasten 10 --out DIR \
        [--days N] [--jobs 1]

For every seed the scenario is copied to a temporary directory, ``optimisations: hasten:`` is
set in the copy's ``simsetting.yml`` (other keys kept), and one fresh subprocess
(``scripts/_flee31_driver.py``) seeds ``random`` and ``numpy.random`` with the seed, rebuilds 3.1's
``runscripts/run.py`` loop through Flee's public API (docs/flee-notes.md §1) and writes 3.1's
out.csv.

Outputs in ``DIR``:

* ``seed_<s>.csv``: that run's out.csv without the per-camp ``<camp> error`` columns (``Day``,
  ``Date``, ``<camp> sim``, ``<camp> data`` per camp, ``Total error``,
  ``refugees in camps (UNHCR)``, ``total refugees (simulation)``, ``raw UNHCR refugee count``,
  ``refugees in camps (simulation)``, ``refugee_debt``);
* ``summary.json``: Flee version, exact command line, scenario, hasten, days, camp names and per
  seed: ARD and rescaled ARD (computed as Flee's ``postprocessing/plot_flee_output.py`` does, see
  ``_flee31_driver.validation_errors``), wall/setup/loop seconds, agent-steps (Σ over days of
  ``e.numAgents()`` at the end of the day), peak RSS (MiB) of the run's process; plus the mean and
  standard deviation of the two ARDs over seeds.

Re-running from scratch (Flee's wheel needs an MPI library at import time)::

    python3.11 -m venv flee-venv
    flee-venv/bin/pip install flee==3.1 mpich
    flee-venv/bin/python scripts/flee31_reference.py src/corredor/data/flee/mali2012 \
        --seeds 0-9 --hasten 10 --out tests/fixtures/flee31/mali2012_h10

Runs are reproducible for a given seed, Flee version and scenario (Flee itself never seeds; the
driver seeds both generators before the ecosystem is built). ``--jobs`` > 1 runs seeds in
parallel processes; timings are only comparable with ``--jobs 1`` on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _flee31_driver as driver

DRIVER = Path(driver.__file__).resolve()


def parse_seeds(text: str) -> list[int]:
    """Parse ``"0-9"``, ``"3"`` or ``"0,2,5-7"`` into a sorted list of distinct seeds."""
    seeds: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            seeds.update(range(int(lo), int(hi) + 1))
        else:
            seeds.add(int(part))
    if not seeds:
        raise argparse.ArgumentTypeError(f"no seeds in {text!r}")
    return sorted(seeds)


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the per-camp ``<camp> error`` columns of a 3.1 out.csv table."""
    keep = [c for c in frame.columns if not (c.endswith(" error") and c != "Total error")]
    return frame[keep]


def run_seed(
    scenario: Path, seed: int, hasten: int, days: int | None, out_dir: Path
) -> dict[str, Any]:
    """One seeded Flee run in a fresh subprocess on a temporary copy of ``scenario``."""
    with tempfile.TemporaryDirectory(prefix=f"flee31_s{seed}_") as tmp:
        work = driver.prepare_scenario_copy(scenario, Path(tmp) / "scenario", hasten)
        out_csv = Path(tmp) / "out.csv"
        stats_json = Path(tmp) / "stats.json"
        flee_log = Path(tmp) / "flee.log"
        cmd = [
            sys.executable,
            str(DRIVER),
            str(work),
            "--seed",
            str(seed),
            "--out-csv",
            str(out_csv),
            "--stats",
            str(stats_json),
            "--flee-log",
            str(flee_log),
        ]
        if days is not None:
            cmd += ["--days", str(days)]
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            tail = flee_log.read_text(errors="replace")[-3000:] if flee_log.exists() else ""
            raise RuntimeError(
                f"seed {seed}: Flee run failed (rc={proc.returncode})\n{proc.stderr[-3000:]}\n"
                f"--- flee log tail ---\n{tail}"
            )
        stats = json.loads(stats_json.read_text(encoding="utf-8"))
        frame = pd.read_csv(out_csv)
        stats.update(driver.validation_errors(frame, stats["camps"]))
        compact(frame).to_csv(out_dir / f"seed_{seed}.csv", index=False)
    return stats


def summarise(values: Sequence[float]) -> dict[str, float]:
    """Mean, sample standard deviation, min and max."""
    vals = list(values)
    return {
        "mean": statistics.fmean(vals),
        "std": statistics.stdev(vals) if len(vals) > 1 else 0.0,
        "min": min(vals),
        "max": max(vals),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path, help="Flee scenario directory")
    parser.add_argument("--seeds", type=parse_seeds, default=[0], help="e.g. 0-9 or 0,3,5-7")
    parser.add_argument("--hasten", type=int, default=1, help="population scale-down factor")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--days", type=int, default=None, help="override the period length")
    parser.add_argument("--jobs", type=int, default=1, help="parallel seeds (default 1)")
    args = parser.parse_args(argv)

    scenario = args.scenario.resolve()
    out_dir = args.out.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    argv_used = list(sys.argv if argv is None else [sys.argv[0], *argv])
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

    runs: dict[int, dict[str, Any]] = {}

    def one(seed: int) -> None:
        stats = run_seed(scenario, seed, args.hasten, args.days, out_dir)
        runs[seed] = stats
        print(
            f"seed {seed}: ARD {stats['ard']:.4f} rescaled {stats['ard_rescaled']:.4f} "
            f"wall {stats['wall_s']:.1f}s agent-steps {stats['agent_steps']} "
            f"RSS {stats['peak_rss_mib']:.0f} MiB",
            flush=True,
        )

    if args.jobs > 1:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            list(pool.map(one, args.seeds))
    else:
        for seed in args.seeds:
            one(seed)

    first = runs[args.seeds[0]]
    per_seed = {
        str(s): {
            k: runs[s][k]
            for k in (
                "ard",
                "ard_rescaled",
                "wall_s",
                "setup_s",
                "loop_s",
                "agent_steps",
                "agent_steps_per_s",
                "peak_rss_mib",
                "agents_initial",
                "agents_final",
            )
        }
        for s in args.seeds
    }
    summary = {
        "peer": "flee",
        "flee_version": driver.flee_version(),
        "python": sys.version.split()[0],
        "command": shlex.join([sys.executable, *argv_used]),
        "argv": argv_used,
        "cwd": str(Path.cwd()),
        "started_utc": started,
        "scenario": scenario.name,
        "scenario_path": str(scenario),
        "hasten": args.hasten,
        "days": first["days"],
        "start_date": first["start_date"],
        "camps": first["camps"],
        "seeds": args.seeds,
        "jobs": args.jobs,
        "metric": (
            "ARD(t) = sum_c |sim_c - data_c| / max(sum_c data_c, 1); rescaled: sim_c * "
            "sum data / sum sim when sum sim > 0; mean over days (flee plot_flee_output.py)"
        ),
        "ard": summarise([runs[s]["ard"] for s in args.seeds]),
        "ard_rescaled": summarise([runs[s]["ard_rescaled"] for s in args.seeds]),
        "runs": per_seed,
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
