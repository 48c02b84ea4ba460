"""Per-day overhead and per-agent-day cost of a ``mexico-us`` run (issue 13: new origins and
mechanisms may add people, not per-day overhead).

Two runs of the same ``DAYS`` days, seed 0, the scenario defaults (``--calibration none``):

* **empty**: every ``base_departures_*`` and caravan size set to 0 through calibration
  overrides — no one ever leaves, so the run's time is the per-day overhead of the day loop
  (policy arrays, services, trackers, the feedbacks) over the scenario's places, services and
  groups;
* **full**: the scenario as it is; its time minus the empty run's, divided by the agent-days
  simulated, is the cost per agent-day.

Run it once per code version side by side (the same machine, the same load), e.g. the branch and
``main``::

    python benchmarks/corridor_overhead_bench.py --days 730 --repeats 3
    PYTHONPATH=/path/to/main/src python benchmarks/corridor_overhead_bench.py --days 730 --repeats 3

It prints one JSON line per repeat and a summary with the medians. Not a timed test: the numbers
go in docs/benchmarks.md with the command and the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time


def one(days: int, empty: bool) -> dict[str, float]:
    import corredor
    from corredor.calibration import uncalibrated
    from corredor.scenario.corridor import load_corridor_scenario

    sc = load_corridor_scenario("mexico-us")
    cal = dict(uncalibrated(sc))
    if empty:
        cal.update({k: 0.0 for k in cal if k.startswith("base_departures_")})
        cal.update({k: 0.0 for k in cal if k.startswith("caravan_") and k.endswith("_people")})
    t0 = time.perf_counter()
    r = corredor.run_corridor(sc, seed=0, days=days, calibration=cal)
    wall = time.perf_counter() - t0
    agent_days = float(getattr(r, "agent_days", 0) or 0)
    return {"wall": wall, "agents": float(r.agents), "agent_days": agent_days}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    one(30, empty=True)  # compile the numba kernels (cached) outside the timings
    rows = []
    for i in range(args.repeats):
        e = one(args.days, empty=True)
        f = one(args.days, empty=False)
        per_ad = (f["wall"] - e["wall"]) / max(f["agent_days"], 1.0)
        row = {
            "repeat": i,
            "load": os.getloadavg()[0],
            "empty_s": round(e["wall"], 2),
            "empty_ms_per_day": round(1000 * e["wall"] / args.days, 3),
            "full_s": round(f["wall"], 2),
            "agents": int(f["agents"]),
            "agent_days": int(f["agent_days"]),
            "ns_per_agent_day": round(1e9 * per_ad, 1),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    keys = ("empty_s", "empty_ms_per_day", "full_s", "ns_per_agent_day")
    print(json.dumps({"median": {k: statistics.median(r[k] for r in rows) for k in keys}}))


if __name__ == "__main__":
    main()
