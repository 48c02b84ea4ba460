"""The flagship corridor run: full ``mexico-us`` (2013-01-01 – 2021-09-30, one agent per person).

    python benchmarks/corridor_bench.py [--scenario mexico-us] [--repeats 3] [--cores 0,1]
                                        [--json out.json]

Each repeat runs ``corredor run SCENARIO --no-progress`` in a fresh process pinned to two cores
(``taskset``; issue 3's target: under 60 s and under 2 GB peak memory on 2 cores) and reports
the wall time of the whole process (start-up, imports, scenario, simulation, writing results),
the simulation time the run reports itself, the agents created, and the peak resident memory of
the process (``ru_maxrss`` of the child). There is no peer for this scenario (Flee has no
institutions or policies), so the numbers are absolute; the 1-minute load average before each
repeat is printed so that a busy machine shows. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(scenario: str, cores: str) -> dict[str, float]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(ROOT / ".numba-cache")}
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    out = Path(tempfile.mkdtemp(prefix="corridor-bench-"))
    cmd = [sys.executable, "-m", "corredor", "run", scenario, "--no-progress", "--store", str(out)]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", cores, *cmd]
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    text = proc.stdout
    agents = re.search(r"agents \(people\): ([\d,]+)", text)
    secs = re.search(r"wall time: ([\d.]+) s", text)
    return {
        "load_before": load,
        "wall_s": wall,
        "simulation_s": float(secs.group(1)) if secs else float("nan"),
        "agents": float(agents.group(1).replace(",", "")) if agents else float("nan"),
        # ru_maxrss of children is the largest child so far: valid when it grows or repeats
        "peak_rss_mib": max(peak_kib, before) / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="mexico-us")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cores", default="0,1", help="taskset core list (2 cores by default)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    rows = []
    for k in range(args.repeats):
        r = one_run(args.scenario, args.cores)
        rows.append(r)
        print(
            f"repeat {k}: load {r['load_before']:.2f}, wall {r['wall_s']:.1f} s, "
            f"simulation {r['simulation_s']:.1f} s, agents {r['agents']:,.0f}, "
            f"peak RSS {r['peak_rss_mib']:,.0f} MiB",
            flush=True,
        )
    best = min(rows, key=lambda r: r["wall_s"])
    print(
        f"best of {len(rows)}: wall {best['wall_s']:.1f} s (target < 60 s), "
        f"peak RSS {max(r['peak_rss_mib'] for r in rows):,.0f} MiB (target < 2048 MiB)"
    )
    if args.json is not None:
        args.json.write_text(json.dumps({"scenario": args.scenario, "runs": rows}, indent=2))


if __name__ == "__main__":
    main()
