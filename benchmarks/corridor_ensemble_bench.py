"""Corridor ensemble scale-out: N runs of mexico-us, serial vs a 2-worker Dask LocalCluster.

    python benchmarks/corridor_ensemble_bench.py [--scenario mexico-us] [--runs 64]
        [--days D] [--workers 2] [--sets 1] [--json out.json]

``--runs`` is the number of (parameter set, seed) runs: ``--sets`` parameter sets (the scenario
defaults with ``base_departures_*`` scaled by 0.9, 1.0, 1.1, …) × ``runs / sets`` seeds, as a
forecast or calibrated ensemble would run them. Prints the wall time of each backend, the
speed-up over serial (issue 5 asks for ≥ 1.8× with 2 workers on 64 full runs) and whether the
backends returned the same bits. ``dask`` is the whole call, starting and closing its
``LocalCluster`` (what ``run_corridor_ensemble(..., backend="dask", workers=2)`` costs a user).
The serial run uses one numba thread, as each worker does. Run it on an otherwise idle machine:
the workers need a core each (a full mexico-us run takes about a minute and 1–2 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba-cache"))

import numpy as np  # noqa: E402

from corredor.ensemble import CorridorEnsemble, ParameterSet, run_corridor_ensemble  # noqa: E402
from corredor.scenario.corridor import load_corridor_scenario  # noqa: E402


def timed(label: str, fn: Any) -> tuple[float, CorridorEnsemble]:
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    res = fn()
    secs = time.perf_counter() - t0
    print(
        f"{label:>8}: {secs:8.1f} s wall, {res.seconds.mean():.1f} s per run "
        f"(load average before: {load:.2f})",
        flush=True,
    )
    return secs, res


def same(a: CorridorEnsemble, b: CorridorEnsemble) -> bool:
    return (
        a.seeds == b.seeds
        and np.array_equal(a.monthly, b.monthly, equal_nan=True)
        and np.array_equal(a.ledger, b.ledger, equal_nan=True)
        and np.array_equal(a.agents, b.agents)
    )


def parameter_sets(scenario: str, n: int) -> list[ParameterSet]:
    sc = load_corridor_scenario(scenario)
    names = [k for k in sc.calibration if k.startswith("base_departures")]
    defaults = sc.calibration_defaults()
    scales = [1.0 + 0.1 * ((i + 1) // 2) * (-1) ** i for i in range(n)]  # 1, 0.9, 1.1, 0.8 …
    return [
        ParameterSet({k: defaults[k] * s for k in names}, 1.0, f"departures x{s:.1f}")
        for s in scales
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="mexico-us")
    ap.add_argument("--runs", type=int, default=64)
    ap.add_argument("--sets", type=int, default=1, help="parameter sets (runs must divide)")
    ap.add_argument("--days", type=int, default=None, help="shorter runs (default: all)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = ap.parse_args()
    if args.runs % args.sets:
        sys.exit("--runs must be a multiple of --sets")

    sets = parameter_sets(args.scenario, args.sets)
    opts: dict[str, Any] = {
        "seeds": range(args.runs // args.sets),
        "parameter_sets": sets,
        "days": args.days,
        "threads": 1,
    }
    print(
        f"{args.runs} runs of {args.scenario} ({len(sets)} parameter sets × "
        f"{args.runs // args.sets} seeds, {args.days or 'all'} days), {args.workers} workers, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    run_corridor_ensemble(args.scenario, seeds=[0], days=2)  # load the compiled kernels

    t_serial, serial = timed("serial", lambda: run_corridor_ensemble(args.scenario, **opts))
    t_dask, dask = timed(
        "dask",
        lambda: run_corridor_ensemble(args.scenario, backend="dask", workers=args.workers, **opts),
    )
    figures: dict[str, Any] = {
        "scenario": args.scenario,
        "runs": args.runs,
        "sets": args.sets,
        "days": serial.days,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "run_s_serial": float(serial.seconds.mean()),
        "run_s_dask": float(dask.seconds.mean()),
        "serial_s": t_serial,
        "dask_s": t_dask,
        "speedup_dask": t_serial / t_dask,
        "identical": same(serial, dask),
        "load_average_after": os.getloadavg()[0],
    }
    print(
        f"speed-up over serial: dask {figures['speedup_dask']:.2f}x (cluster start included); "
        f"identical results: {figures['identical']}"
    )
    print(json.dumps(figures))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if not figures["identical"]:
        sys.exit("backends disagree")


if __name__ == "__main__":
    main()
