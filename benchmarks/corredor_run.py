"""Run Corredor once on a scenario and print one JSON line (called by benchmarks/run.py).

python benchmarks/corredor_run.py SCENARIO [--seed 0] [--quirks] [--parallel] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import resource
import time

T_START = time.perf_counter()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("--quirks", action="store_true", help="Flee 3.1's rule set, bugs included")
    ap.add_argument("--parallel", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    import numba

    numba.set_num_threads(args.threads)
    from corredor.simulation.flee import load_flee, simulate

    sc = load_flee(args.scenario, args.days)
    # warm-up: one day of a tiny built-in scenario loads the compiled kernels from numba's cache,
    # so the loop figure below is the simulation alone (the process wall time includes it)
    warm = load_flee("mali2012", 1, 1000)
    simulate(warm, seed=args.seed, quirks=args.quirks, live=not args.parallel)
    del warm
    _, tracked, loop_s = simulate(sc, seed=args.seed, quirks=args.quirks, live=not args.parallel)
    steps = int(tracked.agents.sum())
    wall = time.perf_counter() - T_START
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "wall_s": wall,
                "loop_s": loop_s,
                "agent_steps": steps,
                "agent_steps_per_s": steps / loop_s,
                "peak_rss_mib": peak_kib / 1024,
                "days": sc.length,
                "agents_final": int(tracked.agents[-1]),
                "threads": args.threads,
            }
        )
    )


if __name__ == "__main__":
    main()
