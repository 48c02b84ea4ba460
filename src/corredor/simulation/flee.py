"""Run a Flee scenario: :func:`run_flee` returns a :class:`corredor.results.flee.RunResult`.

The assembly: the Flee scenario is loaded (:func:`load_flee`), the rules build the initial state
(:func:`corredor.rules.flee.model.build_state`), the day plan is the rules' processes followed by
the ``out.csv`` counts tracker (:class:`corredor.trackers.flee_counts.FleeCounts`), and the
engine's day loop (:func:`corredor.engine.loop.run_days`) runs it; :func:`flee_result` turns the
trackers' outputs of every replica into the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numba
import numpy as np
import numpy.typing as npt

from corredor.engine.loop import run_days
from corredor.engine.plan import DayPlan
from corredor.errors import ScenarioError
from corredor.results import RunResult
from corredor.rules.flee.model import build_state, rules_from_settings
from corredor.rules.flee.processes import FleeRules, build_plan
from corredor.rules.flee.state import FleeState
from corredor.scenario.builtin import resolve_scenario
from corredor.scenario.flee import FleeScenario, load_flee_scenario
from corredor.trackers.flee_counts import FleeCounts


def load_flee(
    scenario: str | Path, days: int | None = None, hasten: int | None = None
) -> FleeScenario:
    """A Flee scenario (a built-in name or a folder), shortened to ``days`` if given."""
    return load_flee_scenario(resolve_scenario(scenario), hasten=hasten, days=days)


def describe_flee_plan(scenario: str | Path | None = None) -> str:
    """The order of one Flee day, as ``corredor run --show-plan`` prints it.

    The order is the same for every Flee scenario; given a scenario, the lines after it say which
    variant of each step that scenario uses.
    """
    rules = FleeRules(
        move={},
        spawn={},
        conflict_names_index=None,
        conflict_values=None,
        closures=[],
        total_int=np.zeros(0, dtype=np.int64),
    )
    text = build_plan(rules, [FleeCounts(0, 0).step()]).describe()
    if scenario is None:
        return text
    sc = load_flee(scenario)
    quirks = bool(sc.settings.corredor.flee31_quirks)
    move, spawn = rules_from_settings(sc, quirks)
    if spawn["conflict_driven"] is not None:
        mode, per_day = spawn["conflict_driven"]
        spawning = f"conflict-driven ({mode}, {per_day:g} per conflict day)"
    else:
        spawning = "data-driven (differences of the observed total, with debt)"
    lines = [
        f"{sc.name}: {sc.length} days from {sc.start_date}, {len(sc.names)} locations, "
        f"{len(sc.link_a)} routes, {len(sc.camp_names)} camps",
        f"  spawn:    {spawning}; camps pre-filled on day 0: {spawn['insert_day0']}",
        f"  closures: {len(sc.closures)} scheduled",
        f"  move:     awareness level {move['awareness_level']}, "
        f"{move['max_move_speed']:g} km/day, flee31_quirks {'on' if quirks else 'off'}",
        f"  sinks:    {'on' if spawn['camps_are_sinks'] else 'off'}",
    ]
    return text + "\n\n" + "\n".join(lines)


def simulate(
    sc: FleeScenario,
    *,
    seed: int,
    quirks: bool,
    live: bool = True,
    on_day: Callable[[int], None] | None = None,
) -> tuple[FleeState, FleeCounts, float]:
    """Run one replica; returns the final state, the counts tracker and wall seconds."""
    t0 = time.perf_counter()
    st, rules = build_state(sc, seed=seed, quirks=quirks, live=live)
    counts = FleeCounts(sc.length, len(sc.names))
    plan: DayPlan[FleeState] = build_plan(rules, [counts.step()])
    progress = None if on_day is None else (lambda t, _days: on_day(t))
    run_days(plan, st, sc.length, progress=progress)
    return st, counts, time.perf_counter() - t0


def run_flee(
    scenario: str | Path,
    *,
    seed: int = 0,
    replicas: int = 1,
    days: int | None = None,
    hasten: int | None = None,
    flee31_quirks: bool | None = None,
    threads: int | None = None,
    parallel: bool = False,
    progress: Callable[[int, int, int], None] | None = None,
) -> RunResult:
    """Run a Flee scenario ``replicas`` times (seeds ``seed, seed+1, …``)."""
    if replicas < 1:
        raise ScenarioError(None, f"replicas must be at least 1, got {replicas}", field="replicas")
    sc = load_flee(scenario, days, hasten)
    quirks = bool(sc.settings.corredor.flee31_quirks) if flee31_quirks is None else flee31_quirks
    if threads is not None:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]
    counts, agents, raw, debt, secs, steps = [], [], [], [], [], []
    seeds = [seed + r for r in range(replicas)]
    for r, s in enumerate(seeds):

        def on_day(t: int, r: int = r) -> None:
            if progress is not None:
                progress(r, t, sc.length)

        _, tracked, secs_r = simulate(sc, seed=s, quirks=quirks, live=not parallel, on_day=on_day)
        counts.append(tracked.counts)
        agents.append(tracked.agents)
        raw.append(tracked.raw)
        debt.append(tracked.debt)
        secs.append(secs_r)
        steps.append(int(tracked.agents.sum()))
    return flee_result(
        sc,
        quirks=quirks,
        parallel=parallel,
        seeds=seeds,
        counts=counts,
        agents_total=agents,
        observed_total=raw,
        refugee_debt=debt,
        elapsed_s=secs,
        agent_steps=steps,
    )


def flee_result(
    sc: FleeScenario,
    *,
    quirks: bool,
    parallel: bool,
    seeds: list[int],
    counts: list[npt.NDArray[np.int64]],
    agents_total: list[npt.NDArray[np.int64]],
    observed_total: list[npt.NDArray[np.int64]],
    refugee_debt: list[npt.NDArray[np.int64]],
    elapsed_s: list[float],
    agent_steps: list[int],
) -> RunResult:
    """The ``RunResult`` of replicas of a Flee scenario, from their tracker outputs (one list
    entry per replica, in seed order); used by ``run_flee`` and by ``corredor.ensemble``."""
    settings = sc.settings.model_dump(by_alias=True)
    settings["corredor"] = {"flee31_quirks": quirks, "parallel": parallel, "hasten": sc.hasten}
    return RunResult(
        scenario=sc.name,
        scenario_path=Path(sc.path),
        seeds=list(seeds),
        start_date=sc.start_date,
        location_names=list(sc.names),
        location_kinds=list(sc.kind),
        location_countries=list(sc.countries),
        lat=np.asarray(sc.lat, dtype=np.float64),
        lon=np.asarray(sc.lon, dtype=np.float64),
        counts=np.stack(counts),
        camp_names=list(sc.camp_names),
        camp_index=np.array([sc.names.index(c) for c in sc.camp_names], dtype=np.int64),
        observed=np.asarray(sc.observed, dtype=np.float64),
        observed_total=np.stack(observed_total).astype(np.float64),
        agents_total=np.stack(agents_total),
        refugee_debt=np.stack(refugee_debt),
        elapsed_s=np.asarray(elapsed_s, dtype=np.float64),
        agent_steps=np.asarray(agent_steps, dtype=np.int64),
        settings=settings,
        warnings=[
            *sc.warnings,
            *(f"simsetting.yml: Flee 3.1 ignores the key {k}" for k in sc.settings.ignored_keys),
        ],
    )


__all__ = ["describe_flee_plan", "flee_result", "load_flee", "run_flee", "simulate"]
