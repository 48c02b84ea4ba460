"""Where a corridor day's time goes: CPU milliseconds per simulated day, step by step.

Runs one corridor scenario (default ``mexico-us``, seed 3, 400 days) with every step of the day
plan (``corredor run SCENARIO --show-plan`` lists them) timed with ``time.process_time`` (the
CPU of every thread of the process, so a parallel kernel's threads count), after a 2-day run
that loads the compiled kernels. Prints one JSON line: the run's wall and CPU seconds, the
people created, the agent-days, and the CPU and wall ms per day of each step, largest first
(``--threads 1``: numba's kernels on one thread; the default is numba's, the machine's cores).
``--people-per-agent 50 --days 3195`` times the web's reduced-scale preview of the whole period.
``--block 400`` also prints, every 400 days, one JSON line with the agents created so far, the
mean agents active, the CPU nanoseconds per active agent-day of the block (in all and per step)
and the peak memory so far: whether a day's cost grows with the agents in motion or with every
agent ever created (issue 16 §6).

Compare two code versions side by side (same machine, same minute), e.g. a branch and ``main``::

    python benchmarks/day_steps_bench.py --days 400
    PYTHONPATH=/path/to/main/src NUMBA_CACHE_DIR=/path/to/main/.numba-cache \\
        python benchmarks/day_steps_bench.py --days 400

Not a timed test: the numbers go in docs/benchmarks.md with the command and the machine's load.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import time
from typing import Any


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", default="mexico-us")
    ap.add_argument("--days", type=int, default=400)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument(
        "--people-per-agent", type=int, default=None, help="e.g. 50: the web's preview scale"
    )
    ap.add_argument(
        "--threads", type=int, default=None, help="numba threads (default: numba's, the cores)"
    )
    ap.add_argument(
        "--block", type=int, default=0, help="print a line every BLOCK days (0: only the total)"
    )
    args = ap.parse_args()

    import numba

    import corredor
    from corredor.engine.plan import DayPlan

    if args.threads is not None:
        numba.set_num_threads(args.threads)

    scenario: Any = args.scenario
    if args.people_per_agent is not None:
        from corredor.scenario.corridor import load_corridor_scenario

        scenario = load_corridor_scenario(args.scenario).model_copy(
            update={"people_per_agent": args.people_per_agent}
        )

    spent: collections.Counter[str] = collections.Counter()
    walled: collections.Counter[str] = collections.Counter()
    block: collections.Counter[str] = collections.Counter()
    active = [0]

    def timed_day(self: DayPlan[Any], state: Any, day: int) -> None:
        for step in self.steps:
            t, w = time.process_time(), time.perf_counter()
            step.fn(state, day)
            dt = time.process_time() - t
            walled[step.name] += time.perf_counter() - w
            spent[step.name] += dt
            block[step.name] += dt
        active[0] += state.n_active
        if args.block and (day + 1) % args.block == 0:
            per = 1e9 / max(active[0], 1)
            line = {
                "day": day + 1,
                "agents": int(state.n_agents),
                "active_mean": active[0] // args.block,
                "ns_per_active_agent_day": round(per * sum(block.values()), 1),
                "steps": {k: round(per * v, 1) for k, v in block.most_common()},
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            }
            print(json.dumps(line), flush=True)
            block.clear()
            active[0] = 0

    corredor.run_corridor(scenario, seed=args.seed, days=2)  # load the cached kernels
    DayPlan.run_day = timed_day  # type: ignore[method-assign]
    spent.clear()
    walled.clear()
    block.clear()
    active[0] = 0
    wall, cpu = time.perf_counter(), time.process_time()
    r = corredor.run_corridor(scenario, seed=args.seed, days=args.days)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    row = {
        "code": os.path.dirname(corredor.__file__),
        "load": round(os.getloadavg()[0], 2),
        "days": args.days,
        "people_per_agent": args.people_per_agent,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "agents": int(r.agents),
        "agent_days": int(getattr(r, "agent_days", 0) or 0),
        "threads": numba.get_num_threads(),
        "cpu_ms_per_day": {k: round(1e3 * v / args.days, 2) for k, v in spent.most_common()},
        "wall_ms_per_day": {k: round(1e3 * v / args.days, 2) for k, v in walled.most_common()},
    }
    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
