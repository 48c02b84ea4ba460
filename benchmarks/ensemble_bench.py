"""Ensemble scale-out: N full-scale replicas of a scenario, serial vs a 2-worker Dask LocalCluster.

    python benchmarks/ensemble_bench.py [--scenario mali2012] [--runs 64] [--workers 2]
                                        [--processes] [--json out.json]

Prints the wall time of each backend and the speed-up over serial (issue 5 asks for ≥ 1.8× with
2 workers), and checks that every backend returned the same bits. Two Dask figures are given:
``dask`` is the whole call, starting and closing its ``LocalCluster`` (what ``run_ensemble(...,
backend="dask", workers=2)`` costs a user); ``dask (warm cluster)`` reuses a running cluster
(what a long session or an HPC cluster sees). The serial run uses one numba thread, as each
worker does. Run it on an otherwise idle machine: the workers need a core each.
"""

from __future__ import annotations

import os
from typing import Any

import scaleout

scaleout.setup()

import numpy as np  # noqa: E402

from corredor.ensemble import run_ensemble  # noqa: E402
from corredor.ensemble.backends import local_cluster  # noqa: E402
from corredor.results import RunResult  # noqa: E402


def timed(label: str, fn: Any) -> tuple[float, RunResult]:
    return scaleout.timed(label, fn, lambda r: float(r.elapsed_s.mean()), "replica")


def same(a: RunResult, b: RunResult) -> bool:
    return a.seeds == b.seeds and all(
        np.array_equal(getattr(a, k), getattr(b, k))
        for k in ("counts", "agents_total", "refugee_debt", "observed_total")
    )


def main() -> None:
    ap = scaleout.arguments(__doc__)
    ap.add_argument("--scenario", default="mali2012")
    ap.add_argument("--processes", action="store_true", help="also time the process pool")
    args = ap.parse_args()

    seeds = list(range(args.runs))
    opts: dict[str, Any] = {"seeds": seeds, "threads": 1}
    scaleout.announce(f"{args.runs} replicas of {args.scenario} (full scale)", args.workers)
    run_ensemble(args.scenario, seeds=[0], days=2)  # load the compiled kernels in this process

    t_serial, serial = timed("serial", lambda: run_ensemble(args.scenario, **opts))
    per_replica = float(serial.elapsed_s.mean())
    t_dask, dask = timed(
        "dask",
        lambda: run_ensemble(args.scenario, backend="dask", workers=args.workers, **opts),
    )
    with local_cluster(args.workers) as cluster:  # the cluster run_ensemble would start
        address = cluster.scheduler_address
        run_ensemble(args.scenario, seeds=[0, 1], days=2, scheduler=address)  # warm the workers
        t_warm, warm = timed(
            "dask (warm cluster)", lambda: run_ensemble(args.scenario, scheduler=address, **opts)
        )
    figures: dict[str, Any] = {
        "scenario": args.scenario,
        "runs": args.runs,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "replica_s": per_replica,
        "replica_s_dask": float(dask.elapsed_s.mean()),
        "serial_s": t_serial,
        "dask_s": t_dask,
        "dask_warm_s": t_warm,
        "speedup_dask": t_serial / t_dask,
        "speedup_dask_warm": t_serial / t_warm,
        "identical": same(serial, dask) and same(serial, warm),
    }
    if args.processes:
        t_proc, proc = timed(
            "processes",
            lambda: run_ensemble(args.scenario, backend="processes", workers=args.workers, **opts),
        )
        figures.update(
            processes_s=t_proc,
            speedup_processes=t_serial / t_proc,
            identical=figures["identical"] and same(serial, proc),
        )
    scaleout.finish(
        figures,
        f"speed-up over serial: dask {figures['speedup_dask']:.2f}x (cluster start included), "
        f"dask warm {figures['speedup_dask_warm']:.2f}x"
        + (f", processes {figures['speedup_processes']:.2f}x" if args.processes else ""),
        args.json,
    )


if __name__ == "__main__":
    main()
