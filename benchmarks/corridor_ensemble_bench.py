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

import os
import sys
from typing import Any

import scaleout

scaleout.setup()

import numpy as np  # noqa: E402

from corredor.ensemble import CorridorEnsemble, ParameterSet, run_corridor_ensemble  # noqa: E402
from corredor.scenario.corridor import load_corridor_scenario  # noqa: E402


def timed(label: str, fn: Any) -> tuple[float, CorridorEnsemble]:
    return scaleout.timed(label, fn, lambda r: float(r.seconds.mean()))


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
    ap = scaleout.arguments(__doc__)
    ap.add_argument("--scenario", default="mexico-us")
    ap.add_argument("--sets", type=int, default=1, help="parameter sets (runs must divide)")
    ap.add_argument("--days", type=int, default=None, help="shorter runs (default: all)")
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
    scaleout.announce(
        f"{args.runs} runs of {args.scenario} ({len(sets)} parameter sets × "
        f"{args.runs // args.sets} seeds, {args.days or 'all'} days)",
        args.workers,
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
    }
    scaleout.finish(
        figures,
        f"speed-up over serial: dask {figures['speedup_dask']:.2f}x (cluster start included)",
        args.json,
    )


if __name__ == "__main__":
    main()
