"""Run one replica of a corridor scenario: :func:`run_corridor` returns a
:class:`corredor.results.corridor.CorridorResult`."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from corredor.policy.events import PolicyEvent
from corredor.results.corridor import AgentBudgetError, CorridorResult
from corredor.rules.corridor.compiled import compile_corridor
from corredor.rules.corridor.model import PLAN, CorridorModel
from corredor.scenario.corridor import CorridorScenario, load_corridor_scenario

__all__ = ["RAMP_DAYS", "AgentBudgetError", "Controller", "CorridorResult", "run_corridor"]

#: A controller: called each day before the day's processes, returns the policy events it adopts.
Controller = Callable[[CorridorModel, int], Sequence[PolicyEvent] | None]


#: ``run_corridor(max_agents=)``: the agent budget grows linearly with the days after this many.
RAMP_DAYS = 365


def run_corridor(
    scenario: str | Path | CorridorScenario,
    *,
    seed: int = 0,
    days: int | None = None,
    calibration: Mapping[str, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
    extra_events: Sequence[PolicyEvent] = (),
    controller: Controller | None = None,
    max_agents: int | None = None,
    max_agent_days: int | None = None,
) -> CorridorResult:
    """Run one replica of a corridor scenario (a path, a folder or a built-in name).

    ``days`` may run past the scenario's end (drivers are then held at their last values);
    ``extra_events`` are policy events added to the scenario's (counterfactuals, forecasts);
    ``controller`` is called at the start of every day with the model and the day, and returns
    policy events it adopts from then on (the bargaining game's endogenous mode,
    :mod:`corredor.bargaining.coupled`); the run then continues on arrays recompiled with them.
    Events adopted this way are listed in ``CorridorResult.adopted_events``. With
    ``max_agents`` the run stops with :class:`AgentBudgetError` at the end of the first day
    ``d`` on which the agents created exceed ``max_agents × max(d + 1, 365) / days`` (a linear
    ramp after the first year, so that a run heading far past the budget stops early), and
    ``max_agents`` at the end; ``max_agent_days`` does the same for the agent-days spent active
    (:attr:`CorridorResult.agent_days`, on the same ramp): it stops runs that create few people
    but keep them waiting for long, which the agent count does not see.
    """
    t0 = time.perf_counter()
    sc = scenario if isinstance(scenario, CorridorScenario) else load_corridor_scenario(scenario)
    extra = tuple(extra_events)
    c = compile_corridor(sc, calibration, days=days, extra_events=extra)
    model = CorridorModel(c, seed=seed)
    adopted: list[PolicyEvent] = []
    agent_days = 0
    for d in range(c.days):
        if controller is not None:
            new = tuple(controller(model, d) or ())
            if new:
                adopted.extend(new)
                model.recompile(
                    compile_corridor(
                        sc, calibration, days=c.days, extra_events=extra + tuple(adopted)
                    )
                )
        model.run_day(d)
        agent_days += int(model.active.size)
        share = min(max(d + 1, RAMP_DAYS) / c.days, 1.0)
        if max_agents is not None and model.agents.n > (allowed := int(max_agents * share)):
            raise AgentBudgetError(d, model.agents.n, allowed)
        if max_agent_days is not None and agent_days > (allowed := int(max_agent_days * share)):
            raise AgentBudgetError(d, agent_days, allowed, "agent-days")
        if progress is not None:
            progress(d, c.days)
    r = model.recorder
    phase = np.bincount(model.agents["phase"], minlength=8).astype(np.int64)
    return CorridorResult(
        scenario=sc.name,
        seed=seed,
        days=c.days,
        compiled=model.c,
        obs_daily=r.obs_daily,
        events=r.events,
        dest_first=r.dest_first,
        dest_repeat=r.dest_repeat,
        dest_people_fy=r.dest_people_fy,
        unscreened_year=r.unscreened_year,
        wait_sum=r.wait_sum,
        wait_n=r.wait_n,
        stranded=r.stranded,
        mpp_waiting=r.mpp_waiting,
        phase_stock=r.phase_stock,
        svc_stock=r.svc_stock,
        final_phase=phase,
        agents=model.agents.n,
        seconds=time.perf_counter() - t0,
        adopted_events=tuple(adopted),
        agent_days=agent_days,
        warnings=list(c.warnings),
    )


def describe_corridor_plan() -> str:
    return PLAN.describe()
