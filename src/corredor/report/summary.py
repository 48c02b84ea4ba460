"""Headline numbers of a run as (label, text) rows, shared by the CLI and the HTML report."""

from __future__ import annotations

import math

from corredor.results import RunResult


def fmt_mean_sd(mean: float, sd: float, replicas: int) -> str:
    """``mean ± sd`` with several replicas, ``mean`` with one."""
    return f"{mean:.4f} ± {sd:.4f}" if replicas > 1 else f"{mean:.4f}"


def fmt_rate(rate: float) -> str:
    """A rate per second with a k/M/G prefix."""
    if math.isnan(rate):
        return "n/a"
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if rate >= scale:
            return f"{rate / scale:.2f} {unit}/s"
    return f"{rate:.0f} /s"


def summary_rows(result: RunResult) -> list[tuple[str, str]]:
    """(label, value) rows: scenario, replicas, days, agents at end, ARD, rescaled ARD, speed."""
    s = result.summary()
    r = result.replicas
    seeds = ", ".join(str(x) for x in result.seeds)
    end = result.dates[-1].isoformat() if result.days else "-"
    return [
        ("scenario", str(s["scenario"])),
        ("replicas", f"{r} (seeds {seeds})"),
        ("days", f"{s['days']} ({result.start_date.isoformat()} → {end})"),
        ("agents at end", f"{s['agents_final']:,.0f}"),
        ("ARD", fmt_mean_sd(s["ard"], s["ard_sd"], r)),
        ("rescaled ARD", fmt_mean_sd(s["ard_rescaled"], s["ard_rescaled_sd"], r)),
        ("seconds", f"{s['seconds']:.2f}"),
        ("agent-steps/s", fmt_rate(s["agent_steps_per_s"])),
    ]
