"""Benchmarks of the web service (``corredor serve``), on loopback only, bounded in count and time.

* **preview latency** after a lever move, from the POST to the job's end, as the browser sees
  it; p50 / p95, and the CPU time of the service's processes per preview (user + system,
  psutil), for three kinds of move (``--kinds``):

  - ``day0``: ``usbp_effort`` moved a step each time — a parameter every day reads, so every
    day is simulated (``--day0-moves`` previews);
  - ``2019``: the "COMAR instead of troops" counterfactual of June 2019 on, its lever
    ``comar_funding_multiplier`` moved a step each time (``--moves`` previews): the preview
    starts from the kept baseline state on 2019-06-07;
  - ``2021``: the same counterfactual's July 2021 event, its lever moved the same way;
  - ``from2021``: ``usbp_effort`` moved a step each time, set from 2021-01-01
    (``levers_from``): the preview starts from the kept baseline state on that date;

  the first move of a kind (the baseline run up to the day it branches, then kept) is given
  apart (``first_move_s``); with ``--prewarm`` the service keeps the baseline's states on the
  days events start from its start (``corredor serve --prewarm``; measured once it is done, its
  wait given as ``prewarm_s``; it prewarms the whole period, so leave ``--days`` out);
* **cached answer**: the same request again (answered from the store), the POST's round trip;
* **full run**: one full-scale run of ``--days`` days, from the POST to the job's end
  (``--no-full``: none; the load test then reads the last preview);
* **API under load**: ``--clients`` concurrent loopback clients, each making ``--requests``
  requests alternating "list the runs" and "fetch a finished run's series"; p50 / p99, errors,
  and the service's resident memory before and after (all its processes, psutil).

    python benchmarks/web_bench.py [--days N] [--moves 20] [--day0-moves 20] [--prewarm]
                                   [--kinds day0,2019,2021] [--clients 50] [--requests 20]
                                   [--out bench-output/web.json]

Prints one JSON document (also written to ``--out``). Timings depend on the machine and its
load: compare only numbers measured side by side on the same machine.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import web_helpers  # noqa: E402


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q / 100 * (len(xs) - 1))))]


def summary(xs: list[float]) -> dict[str, float]:
    return {
        "n": len(xs),
        "p50_ms": round(1000 * statistics.median(xs), 1),
        "p95_ms": round(1000 * pct(xs, 95), 1),
        "p99_ms": round(1000 * pct(xs, 99), 1),
        "max_ms": round(1000 * max(xs), 1),
    }


def timed_run(http: httpx.Client, url: str, body: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    r = http.post(f"{url}/api/runs", json=body)
    r.raise_for_status()
    job = r.json()
    if job["state"] != "done":
        job = web_helpers.wait_job(url, job["id"], timeout=1800)
    return time.perf_counter() - t0, job


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of the service and its worker processes."""
    import psutil

    p = psutil.Process(pid)
    total = 0.0
    for x in [p, *p.children(recursive=True)]:
        t = x.cpu_times()
        total += t.user + t.system
    return total


#: the kinds of lever move: name -> the body's inputs for move i
MOVES: dict[str, Any] = {
    "day0": lambda i: {"levers": {"usbp_effort": round(1.0 + 0.05 * (i + 1), 3)}},
    "2019": lambda i: {
        "levers": {"comar_funding_multiplier": round(1.0 + 0.25 * (i + 1), 3)},
        # the whole counterfactual: its 2019 event alone would leave the July 2021 event of
        # the history cutting a deployment that was never made (the scenario refuses it)
        "with_events": ["cf-mx-comar-instead-of-troops-2019", "cf-mx-comar-instead-of-troops-2021"],
    },
    "from2021": lambda i: {
        "levers": {"usbp_effort": round(1.0 + 0.05 * (i + 1), 3)},
        "levers_from": "2021-01-01",
    },
    "2021": lambda i: {
        "levers": {"comar_funding_multiplier": round(1.0 + 0.25 * (i + 1), 3)},
        "with_events": ["cf-mx-comar-instead-of-troops-2021"],
    },
}


def rss_mb(pid: int) -> float:
    import psutil

    p = psutil.Process(pid)
    procs = [p, *p.children(recursive=True)]
    return round(sum(x.memory_info().rss for x in procs) / 2**20, 1)


def previews(
    http: httpx.Client, url: str, pid: int, args: argparse.Namespace, days: dict[str, int]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Preview latency per kind of lever move; also the last body and job."""
    out: dict[str, Any] = {}
    body: dict[str, Any] = {}
    job: dict[str, Any] = {}
    for kind in args.kinds.split(","):
        moves = args.day0_moves if kind == "day0" and args.day0_moves else args.moves
        first = {"scenario": "mexico-us", "preview": True, **MOVES[kind](moves), **days}
        c0 = cpu_s(pid)
        seconds, job = timed_run(http, url, first)
        assert job["state"] == "done", job
        entry: dict[str, Any] = {
            "first_move_s": round(seconds, 2),
            "first_move_cpu_s": round(cpu_s(pid) - c0, 2),
        }
        times = []
        c0 = cpu_s(pid)
        for i in range(moves):
            body = {"scenario": "mexico-us", "preview": True, **MOVES[kind](i), **days}
            seconds, job = timed_run(http, url, body)
            assert job["state"] == "done", job
            times.append(seconds)
        entry.update(summary(times))
        entry["cpu_s_per_preview"] = round((cpu_s(pid) - c0) / moves, 2)
        out[kind] = entry
    return out, body, job


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=None, help="default: the whole scenario")
    ap.add_argument("--moves", type=int, default=20, help="previews per kind of move")
    ap.add_argument("--day0-moves", type=int, default=None, help="default: --moves")
    ap.add_argument("--kinds", default="day0,2019,2021", help="kinds of move (module docstring)")
    ap.add_argument(
        "--full",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time one full-scale run (--no-full: skip it; the load test reads a preview)",
    )
    ap.add_argument(
        "--prewarm",
        action="store_true",
        help="start the service with --prewarm and measure once its prewarm is done",
    )
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--out", type=Path, default=ROOT / "bench-output" / "web.json")
    args = ap.parse_args()
    days = {"days": args.days} if args.days else {}
    out: dict[str, Any] = {"machine": platform.platform(), "days": args.days or "scenario"}
    with (
        tempfile.TemporaryDirectory() as tmp,
        web_helpers.service(Path(tmp) / "store", *(["--prewarm"] if args.prewarm else [])) as (
            url,
            proc,
        ),
    ):
        try:
            measure(url, proc, args, days, out)
        except Exception:
            for log in Path(tmp).glob("serve-*.log"):  # what the service said, for the failure
                print(log.read_text(encoding="utf-8", errors="replace")[-4000:], file=sys.stderr)
            raise
    text = json.dumps(out, indent=2)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    return 0


def measure(
    url: str, proc: Any, args: argparse.Namespace, days: dict[str, int], out: dict[str, Any]
) -> None:
    """Every measure of the module docstring, into ``out``."""
    http = httpx.Client(timeout=1800)
    if args.prewarm:
        t0 = time.perf_counter()
        while (state := http.get(f"{url}/api/health").json()["prewarm"])["state"] == "running":
            time.sleep(0.5)
        assert state["state"] == "done", state
        out["prewarm_s"] = round(time.perf_counter() - t0, 2)
    # warm: the first preview compiles nothing (workers are warmed at start) but loads data
    timed_run(http, url, {"scenario": "mexico-us", "preview": True, "seed": 99, **days})
    out["preview_after_lever_move"], body, job = previews(http, url, proc.pid, args, days)
    cached = []
    for _ in range(args.moves):
        t0 = time.perf_counter()
        r = http.post(f"{url}/api/runs", json=body)
        cached.append(time.perf_counter() - t0)
        assert r.status_code == 200 and r.json()["cached"], r.text
    out["cached_answer"] = summary(cached)
    if args.full:
        seconds, job = timed_run(http, url, {"scenario": "mexico-us", **days})
        out["full_run_s"] = round(seconds, 1)
    run_id = job["run_id"]  # the full run, or (--no-full) the last preview

    before = rss_mb(proc.pid)

    def client(k: int) -> tuple[list[float], int]:
        times, errors = [], 0
        with httpx.Client(timeout=60) as c:
            for j in range(args.requests):
                path = "/api/runs" if (j + k) % 2 == 0 else f"/api/runs/{run_id}/series"
                t0 = time.perf_counter()
                try:
                    ok = c.get(f"{url}{path}").status_code == 200
                except httpx.HTTPError:
                    ok = False
                times.append(time.perf_counter() - t0)
                errors += not ok
        return times, errors

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(args.clients) as pool:
        results = list(pool.map(client, range(args.clients), timeout=600))
    wall = time.perf_counter() - t0
    latencies = [x for ts, _ in results for x in ts]
    out["api_under_load"] = {
        "clients": args.clients,
        "requests": len(latencies),
        "errors": sum(e for _, e in results),
        "requests_per_s": round(len(latencies) / wall, 1),
        **summary(latencies),
        "service_rss_mb_before": before,
        "service_rss_mb_after": rss_mb(proc.pid),
    }


if __name__ == "__main__":
    sys.exit(main())
