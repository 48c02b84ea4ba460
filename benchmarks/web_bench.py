"""Benchmarks of the web service (``corredor serve``), on loopback only, bounded in count and time.

* **preview latency** after a lever move, as the browser sees it: from the POST to the job's
  end, followed on its progress stream (server-sent events) as the page follows it (p50 / p95),
  and until the run's description and series — what the page fetches to draw the preview — are
  in hand (``with_series``); the CPU time of the service's processes per preview (user +
  system, psutil; ``service_cpu_s_per_preview``: the service's own process, without its
  workers), the wall time per preview, and the median time a job waited for its worker
  and ran there (``job_phases_p50_s``, the service's own clock). With ``--with-full`` each
  preview is asked, as the page asks it, right after the full run of the same request, which is
  cancelled once the preview is in hand (the next move's page cancels it): the preview then
  shares the computer with that full run. Three kinds of move (``--kinds``), 20 moves each by
  default:

  - ``day0``: ``usbp_effort`` moved a step each time — a parameter every day reads, so every
    day is simulated (``--day0-moves`` previews, default ``--moves``);
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
                                   [--kinds day0,2019,2021] [--with-full] [--clients 50]
                                   [--requests 20] [--out bench-output/web.json]

Prints one JSON document (also written to ``--out``), with the load average before and after.
Timings depend on the machine and its load: compare only numbers measured side by side on the
same machine (another checkout's service: run this script with that checkout's Python).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import json
import os
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


def follow(http: httpx.Client, url: str, job_id: str) -> dict[str, Any]:
    """The job's last state, followed as the browser follows it: its progress stream (server-sent
    events) until ``done``, ``failed`` or ``cancelled``."""
    event, job = "", {}
    with http.stream("GET", f"{url}/api/jobs/{job_id}/events", timeout=1800) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: "):
                job = json.loads(line[len("data: ") :])
                if event in ("done", "failed", "cancelled"):
                    return job
    return web_helpers.wait_job(url, job_id, timeout=1800)  # the stream broke: ask


def timed_run(
    http: httpx.Client, url: str, body: dict[str, Any]
) -> tuple[float, float, dict[str, Any]]:
    """POST ``body``; (seconds to the job's end, seconds until the run's description and
    series are in hand — what the browser fetches to draw the preview —, the job)."""
    t0 = time.perf_counter()
    r = http.post(f"{url}/api/runs", json=body)
    r.raise_for_status()
    job = r.json()
    if job["state"] != "done":
        job = follow(http, url, job["id"])
    done = time.perf_counter() - t0
    if job["state"] == "done":
        for path in ("", "/series"):
            http.get(f"{url}/api/runs/{job['run_id']}{path}").raise_for_status()
    return done, time.perf_counter() - t0, job


def job_phases(job: dict[str, Any]) -> dict[str, float]:
    """Seconds the job waited for a worker (``created`` to ``started``: the request reaching a
    worker) and ran there (``started`` to ``finished``), from the service's own clock."""

    def t(key: str) -> float:
        return dt.datetime.fromisoformat(str(job[key]).rstrip("Z")).timestamp()

    return {"queued": t("started") - t("created"), "ran": t("finished") - t("started")}


def cpu_s(pid: int, *, workers: bool = True) -> float:
    """User + system CPU seconds of the service and (``workers``) its worker processes."""
    import psutil

    p = psutil.Process(pid)
    total = 0.0
    for x in [p, *(p.children(recursive=True) if workers else [])]:
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
        seconds, shown, job = timed_run(http, url, first)
        assert job["state"] == "done", job
        entry: dict[str, Any] = {
            "first_move_s": round(seconds, 2),
            "first_move_cpu_s": round(cpu_s(pid) - c0, 2),
        }
        times, shown_times, phases = [], [], []
        c0, s0, w0 = cpu_s(pid), cpu_s(pid, workers=False), time.perf_counter()
        for i in range(moves):
            body = {"scenario": "mexico-us", "preview": True, **MOVES[kind](i), **days}
            full = None
            if args.with_full:  # as the browser does: the full run asked first, then dropped
                full = http.post(f"{url}/api/runs", json={**body, "preview": False}).json()
            seconds, shown, job = timed_run(http, url, body)
            if full is not None and full.get("state") not in ("done", None):
                http.delete(f"{url}/api/jobs/{full['id']}")
            assert job["state"] == "done", job
            times.append(seconds)
            shown_times.append(shown)
            phases.append(job_phases(job))
        entry.update(summary(times))
        entry["with_series"] = summary(shown_times)
        entry["job_phases_p50_s"] = {
            k: round(statistics.median(p[k] for p in phases), 3) for k in phases[0]
        }
        entry["cpu_s_per_preview"] = round((cpu_s(pid) - c0) / moves, 2)
        entry["service_cpu_s_per_preview"] = round((cpu_s(pid, workers=False) - s0) / moves, 3)
        entry["wall_s_per_preview"] = round((time.perf_counter() - w0) / moves, 2)
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
    ap.add_argument(
        "--with-full",
        action="store_true",
        help="with each preview, also ask for its full run first and cancel it once the "
        "preview is in hand, as the browser does on a lever move",
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
    out["loadavg_before"] = [round(x, 2) for x in os.getloadavg()]
    out["preview_after_lever_move"], body, job = previews(http, url, proc.pid, args, days)
    cached = []
    for _ in range(args.moves):
        t0 = time.perf_counter()
        r = http.post(f"{url}/api/runs", json=body)
        cached.append(time.perf_counter() - t0)
        assert r.status_code == 200 and r.json()["cached"], r.text
    out["cached_answer"] = summary(cached)
    if args.full:
        seconds, _, job = timed_run(http, url, {"scenario": "mexico-us", **days})
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
    out["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]


if __name__ == "__main__":
    sys.exit(main())
