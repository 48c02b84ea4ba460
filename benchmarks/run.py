"""Corredor vs Flee 3.1 and Mesa, side by side in one run (``make bench``).

Each case runs in a fresh process (so peak memory is the case's own) and prints one JSON line;
this script collects them and writes ``bench-output/results.json`` and a Markdown table
(``bench-output/benchmarks.md``) to paste into ``docs/benchmarks.md``.

Peers: Flee 3.1 itself (``peers/flee31_run.py``, under the Flee interpreter) and a Mesa 3 model of
the same rules (``peers/mesa_flee.py``, under this interpreter; synthetic scenario only).

Cases (same rule set on every side: Corredor with ``flee31_quirks`` on, serial, one thread):

* ``mali2012``, ``burundi2015``: Flee's curated validation scenarios, full scale (hasten 1);
* ``synthetic100k``: 20 locations, 32 links, 100,000 agents placed on day 0, 100 days (also Mesa);
* ``synthetic10m`` (Corredor only): 10 million agents, 100 days, pass-snapshot mode on 2 threads —
  the target is < 60 s and < 1 GB.

    python benchmarks/run.py [--cases mali2012,burundi2015,synthetic100k,synthetic10m]
                             [--flee-python .venv-flee/bin/python] [--no-flee] [--no-mesa]
                             [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from corredor.scenario.builtin import builtin_flee_scenarios  # noqa: E402
from corredor.scenario.synthetic import write_synthetic_flee_dir  # noqa: E402

FLEE_CASES = ("mali2012", "burundi2015", "synthetic100k")
MESA_CASES = ("synthetic100k",)  # the Mesa peer implements what the synthetic scenario uses


def _run_json(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1]
    res: dict[str, Any] = json.loads(line)
    res["process_wall_s"] = time.perf_counter() - t0
    return res


def corredor_case(
    scenario: Path, *, quirks: bool, parallel: bool, threads: int, repeat: int
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "corredor_run.py"),
        str(scenario),
        "--threads",
        str(threads),
    ]
    if quirks:
        cmd.append("--quirks")
    if parallel:
        cmd.append("--parallel")
    env = dict(os.environ, NUMBA_NUM_THREADS=str(max(threads, 1)))
    _run_json(cmd, env)  # warm-up: fills numba's on-disk cache, not measured
    runs = [_run_json(cmd, env) for _ in range(repeat)]
    best = min(runs, key=lambda r: r["process_wall_s"])
    best["process_wall_s_median"] = statistics.median(r["process_wall_s"] for r in runs)
    best["runs"] = repeat
    return best


def flee_case(scenario: Path, flee_python: str) -> dict[str, Any]:
    return _run_json(
        [flee_python, str(ROOT / "benchmarks" / "peers" / "flee31_run.py"), str(scenario)]
    )


def mesa_case(scenario: Path) -> dict[str, Any]:
    return _run_json(
        [sys.executable, str(ROOT / "benchmarks" / "peers" / "mesa_flee.py"), str(scenario)]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default="mali2012,burundi2015,synthetic100k,synthetic10m")
    ap.add_argument("--flee-python", default=str(ROOT / ".venv-flee" / "bin" / "python"))
    ap.add_argument("--no-flee", action="store_true", help="skip the Flee 3.1 peer")
    ap.add_argument("--no-mesa", action="store_true", help="skip the Mesa peer")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench-output"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    builtin = builtin_flee_scenarios()
    tmp = Path(tempfile.mkdtemp(prefix="corredor-bench-"))
    results: dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
        "cases": {},
    }
    for case in cases:
        print(f"== {case}", flush=True)
        if case == "synthetic100k":
            scen = write_synthetic_flee_dir(tmp / case, n_agents=100_000, days=100, seed=0)
        elif case == "synthetic10m":
            scen = write_synthetic_flee_dir(tmp / case, n_agents=10_000_000, days=100, seed=0)
        else:
            scen = builtin[case]
        row: dict[str, Any] = {}
        if case == "synthetic10m":
            row["corredor_parallel_2t"] = corredor_case(
                scen, quirks=True, parallel=True, threads=2, repeat=1
            )
        else:
            row["corredor"] = corredor_case(
                scen, quirks=True, parallel=False, threads=1, repeat=args.repeat
            )
            if not args.no_flee and case in FLEE_CASES:
                row["flee31"] = flee_case(scen, args.flee_python)
                row["speedup_wall"] = row["flee31"]["wall_s"] / row["corredor"]["process_wall_s"]
                row["speedup_loop"] = (
                    row["corredor"]["agent_steps_per_s"] / row["flee31"]["agent_steps_per_s"]
                )
            if not args.no_mesa and case in MESA_CASES:
                row["mesa"] = mesa_case(scen)
                row["speedup_wall_mesa"] = row["mesa"]["wall_s"] / row["corredor"]["process_wall_s"]
                row["speedup_loop_mesa"] = (
                    row["corredor"]["agent_steps_per_s"] / row["mesa"]["agent_steps_per_s"]
                )
        results["cases"][case] = row
        print(json.dumps(row, indent=1), flush=True)
        (out / "results.json").write_text(json.dumps(results, indent=1))
    (out / "benchmarks.md").write_text(markdown(results))
    print(markdown(results))


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"Command: `{results['command']}` — {results['date']}, {results['machine']}, "
        f"Python {results['python']}.",
        "",
        "| case | peer | wall (s) | agent-steps | agent-steps/s | peak RSS (MiB) | speed-up |",
        "|---|---|---|---|---|---|---|",
    ]
    for case, row in results["cases"].items():
        for peer, r in row.items():
            if not isinstance(r, dict):
                continue
            wall = r.get("process_wall_s", r.get("wall_s"))
            speed = ""
            if peer == "corredor":
                speed = "; ".join(
                    f"{row[f'speedup_wall{key}']:.0f}× wall, "
                    f"{row[f'speedup_loop{key}']:.0f}× per step vs {name}"
                    for key, name in (("", "Flee"), ("_mesa", "Mesa"))
                    if f"speedup_wall{key}" in row
                )
            lines.append(
                f"| {case} | {peer} | {wall:.2f} | {r['agent_steps']:,} | "
                f"{r['agent_steps_per_s'] / 1e6:.2f} M | {r['peak_rss_mib']:.0f} | {speed} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
