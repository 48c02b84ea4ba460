"""Time one run of the peer Flee 3.1 (PyPI ``flee==3.1``) on a scenario directory.

Runs under the Flee interpreter (``pip install flee==3.1 mpich``), never Corredor's::

    python benchmarks/peers/flee31_run.py SCENARIO_DIR [--seed 0] [--hasten 1] [--days N] \
        [--out-csv out.csv] [--flee-log flee.log]

The scenario is copied to a temporary directory with ``optimisations: hasten:`` set (default 1,
i.e. full scale), then 3.1's ``run.py`` loop is rebuilt in this process through Flee's public API
(``scripts/_flee31_driver.py``) with ``random`` and ``numpy.random`` seeded. Flee's own chatter is
discarded (or sent to ``--flee-log``) and exactly one JSON line is printed on stdout::

    {"wall_s", "loop_s", "agent_steps", "agent_steps_per_s", "peak_rss_mib", "days",
     "agents_final", ...}

``wall_s`` covers reading the inputs, placing the initial agents and the daily loop (not the
interpreter start-up, imports of this script or the scenario copy); ``loop_s`` the daily loop only;
``agent_steps`` = Σ over days of the number of agents at the end of the day;
``agent_steps_per_s`` = agent_steps / loop_s; ``peak_rss_mib`` is this process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import _flee31_driver as driver


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path, help="Flee scenario directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hasten", type=int, default=1)
    parser.add_argument("--days", type=int, default=None, help="override the period length")
    parser.add_argument("--out-csv", type=Path, default=None, help="keep Flee's out.csv here")
    parser.add_argument("--flee-log", type=Path, default=None, help="Flee's own output")
    args = parser.parse_args(argv)

    scenario = args.scenario.resolve()
    log_path = args.flee_log.resolve() if args.flee_log else Path(os.devnull)
    keep_csv = args.out_csv.resolve() if args.out_csv else None
    with tempfile.TemporaryDirectory(prefix="flee31_bench_") as tmp:
        work = driver.prepare_scenario_copy(scenario, Path(tmp) / "scenario", args.hasten)
        out_csv = keep_csv or Path(tmp) / "out.csv"
        with log_path.open("w", encoding="utf-8") as log, driver.redirect_flee_output(log):
            stats = driver.run_flee(work, out_csv, seed=args.seed, days=args.days)
        os.chdir(Path(tmp).parent)  # leave the directory before it is removed

    result = {
        "peer": "flee",
        "flee_version": driver.flee_version(),
        "scenario": scenario.name,
        "seed": args.seed,
        "hasten": stats["hasten"],
        "wall_s": round(stats["wall_s"], 3),
        "setup_s": round(stats["setup_s"], 3),
        "loop_s": round(stats["loop_s"], 3),
        "agent_steps": stats["agent_steps"],
        "agent_steps_per_s": round(stats["agent_steps_per_s"], 1),
        "peak_rss_mib": round(stats["peak_rss_mib"], 1),
        "days": stats["days"],
        "agents_initial": stats["agents_initial"],
        "agents_final": stats["agents_final"],
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
