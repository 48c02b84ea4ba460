"""Benchmarks of the web service (``corredor serve``), on loopback only, bounded in count and time.

* **preview latency** after a lever move: ``--moves`` distinct previews (``usbp_effort`` moved a
  step each time), from the POST to the job's end, as the browser sees it; p50 / p95;
* **cached answer**: the same request again (answered from the store), the POST's round trip;
* **full run**: one full-scale run of ``--days`` days, from the POST to the job's end;
* **API under load**: ``--clients`` concurrent loopback clients, each making ``--requests``
  requests alternating "list the runs" and "fetch a finished run's series"; p50 / p99, errors,
  and the service's resident memory before and after (all its processes, psutil).

    python benchmarks/web_bench.py [--days N] [--moves 20] [--clients 50] [--requests 20]
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


def rss_mb(pid: int) -> float:
    import psutil

    p = psutil.Process(pid)
    procs = [p, *p.children(recursive=True)]
    return round(sum(x.memory_info().rss for x in procs) / 2**20, 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=None, help="default: the whole scenario")
    ap.add_argument("--moves", type=int, default=20)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--out", type=Path, default=ROOT / "bench-output" / "web.json")
    args = ap.parse_args()
    days = {"days": args.days} if args.days else {}
    out: dict[str, Any] = {"machine": platform.platform(), "days": args.days or "scenario"}
    with (
        tempfile.TemporaryDirectory() as tmp,
        web_helpers.service(Path(tmp) / "store") as (
            url,
            proc,
        ),
    ):
        http = httpx.Client(timeout=1800)
        # warm: the first preview compiles nothing (workers are warmed at start) but loads data
        timed_run(http, url, {"scenario": "mexico-us", "preview": True, "seed": 99, **days})
        previews = []
        for i in range(args.moves):
            lever = {"usbp_effort": round(1.0 + 0.05 * (i + 1), 3)}
            body = {"scenario": "mexico-us", "preview": True, "levers": lever, **days}
            previews.append(timed_run(http, url, body)[0])
        out["preview_after_lever_move"] = summary(previews)
        cached = []
        for _ in range(args.moves):
            t0 = time.perf_counter()
            r = http.post(f"{url}/api/runs", json=body)
            cached.append(time.perf_counter() - t0)
            assert r.status_code == 200 and r.json()["cached"], r.text
        out["cached_answer"] = summary(cached)
        seconds, job = timed_run(http, url, {"scenario": "mexico-us", **days})
        out["full_run_s"] = round(seconds, 1)
        run_id = job["run_id"]

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
    text = json.dumps(out, indent=2)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
