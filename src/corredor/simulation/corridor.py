"""Run one replica of a corridor scenario: :func:`run_corridor` returns a
:class:`corredor.results.corridor.CorridorResult`.

The assembly (module ``corredor.simulation``): the scenario's calibration is resolved in the
scenario layer (:func:`corredor.scenario.corridor.resolve_calibration`; the rules read no
file), the scenario is compiled to arrays (:func:`corredor.rules.corridor.compiled.
compile_corridor`), a :class:`CorridorModel` puts the rules' state and processes together with
the recorder (``corredor.trackers.corridor``), and the engine's day loop
(:func:`corredor.engine.loop.run_days`) runs the day plan with the controller hook and the
agent budgets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from corredor.engine.agents import AgentTable
from corredor.engine.loop import RAMP_DAYS, AgentBudgetError, Budget, run_days
from corredor.engine.plan import DayPlan
from corredor.engine.services import ServiceSystem
from corredor.policy.events import PolicyEvent
from corredor.results.corridor import CorridorResult
from corredor.rules.corridor.compiled import Compiled, compile_corridor
from corredor.rules.corridor.plan import build_plan
from corredor.rules.corridor.state import CorridorState
from corredor.scenario.corridor import (
    CorridorScenario,
    load_corridor_scenario,
    resolve_calibration,
)
from corredor.trackers.corridor.recorder import Recorder, describe_record_step

__all__ = [
    "RAMP_DAYS",
    "AgentBudgetError",
    "Controller",
    "CorridorModel",
    "CorridorResult",
    "corridor_result",
    "describe_corridor_plan",
    "run_corridor",
]


class CorridorModel:
    """A corridor run in progress: the rules' state (:attr:`state`), the recorder that observes
    it (:attr:`recorder`) and the day plan (:attr:`plan`: the rules' processes, then the
    recorder's step). ``run_day(d)`` runs day ``d``; days must be run in order from 0."""

    def __init__(self, compiled: Compiled, seed: int = 0, *, parallel: bool | None = None) -> None:
        self.recorder = Recorder(compiled)
        self.state = CorridorState(compiled, seed, events=self.recorder, parallel=parallel)
        self.plan: DayPlan[CorridorState] = build_plan([self.recorder.step()])

    # views of the state (what a controller reads)
    @property
    def c(self) -> Compiled:
        return self.state.c

    @property
    def agents(self) -> AgentTable:
        return self.state.agents

    @property
    def services(self) -> ServiceSystem:
        return self.state.services

    @property
    def active(self) -> np.ndarray:
        return self.state.active

    @property
    def seed(self) -> int:
        return self.state.seed

    def run_day(self, day: int) -> None:
        self.plan.run_day(self.state, day)

    def recompile(self, compiled: Compiled) -> None:
        """Continue with new daily arrays for the same corridor (``CorridorState.recompile``)."""
        self.state.recompile(compiled)
        self.recorder.c = compiled


#: A controller: called each day before the day's processes, returns the policy events it adopts.
Controller = Callable[[CorridorModel, int], Sequence[PolicyEvent] | None]


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

    The scenario runs with its calibrated file (``calibrated.yaml`` next to its YAML; the
    shipped one for a built-in scenario) when it has one; ``calibration`` values override it
    (``calibration=uncalibrated(scenario)``, every parameter at its default, is the hand-set
    model). ``days`` may run past the scenario's end (drivers are then held at their last
    values); ``extra_events`` are policy events added to the scenario's (counterfactuals,
    forecasts); ``controller`` is called at the start of every day with the model and the day,
    and returns policy events it adopts from then on (the bargaining game's endogenous mode,
    :mod:`corredor.bargaining.coupled`); the run then continues on arrays recompiled with them.
    Events adopted this way are listed in ``CorridorResult.adopted_events``. With
    ``max_agents`` the run stops with :class:`AgentBudgetError` at the end of the first day
    ``d`` on which the agents created exceed ``max_agents × max(d + 1, 365) / days`` (a linear
    ramp after the first year, so that a run heading far past the budget stops early), and
    ``max_agents`` at the end; ``max_agent_days`` does the same for the agent-days spent active
    (:attr:`CorridorResult.agent_days`, on the same ramp): it stops runs that create few people
    but keep them waiting for long, which the agent count does not see
    (:class:`corredor.engine.loop.Budget`).
    """
    t0 = time.perf_counter()
    sc = scenario if isinstance(scenario, CorridorScenario) else load_corridor_scenario(scenario)
    values = {**resolve_calibration(sc).values, **dict(calibration or {})}
    extra = tuple(extra_events)
    c = compile_corridor(sc, values, days=days, extra_events=extra)
    model = CorridorModel(c, seed=seed)
    adopted: list[PolicyEvent] = []

    def steer(state: CorridorState, day: int) -> None:
        assert controller is not None
        new = tuple(controller(model, day) or ())
        if new:
            adopted.extend(new)
            events = extra + tuple(adopted)
            model.recompile(compile_corridor(sc, values, days=c.days, extra_events=events))

    budget = None
    if max_agents is not None or max_agent_days is not None:
        budget = Budget(c.days, max_agents=max_agents, max_agent_days=max_agent_days)
    stats = run_days(
        model.plan,
        model.state,
        c.days,
        controller=None if controller is None else steer,
        budget=budget,
        progress=progress,
    )
    return corridor_result(
        sc, model, seed=seed, seconds=time.perf_counter() - t0, agent_days=stats.agent_days,
        adopted=tuple(adopted), first=c,
    )  # fmt: skip


def corridor_result(
    sc: CorridorScenario,
    model: CorridorModel,
    *,
    seed: int,
    seconds: float,
    agent_days: int,
    adopted: tuple[PolicyEvent, ...] = (),
    first: Compiled | None = None,
) -> CorridorResult:
    """The result of ``model`` once it has run every day: what the recorder observed, the
    state's final phases, and the run check's warnings (``first``: the arrays the run started
    with, when arrays recompiled with adopted events replaced them)."""
    r, st = model.recorder, model.state
    c = st.c if first is None else first
    phase = np.bincount(st.agents["phase"], minlength=8).astype(np.int64)
    return CorridorResult(
        scenario=sc.name,
        seed=seed,
        days=c.days,
        compiled=st.c,
        obs_daily=r.obs_daily,
        events=r.events,
        dest_first=r.dest_first,
        dest_repeat=r.dest_repeat,
        dest_people_fy=r.dest_people_fy,
        unscreened_year=r.unscreened_year,
        wait_sum=r.wait_sum,
        wait_n=r.wait_n,
        stranded=r.stranded,
        hearing_waiting=r.hearing_waiting,
        link_flow=r.link_flow,
        phase_stock=r.phase_stock,
        svc_stock=r.svc_stock,
        final_phase=phase,
        agents=st.agents.n,
        seconds=seconds,
        adopted_events=adopted,
        agent_days=agent_days,
        # the run check's warnings (those of arrays recompiled with adopted events too)
        warnings=list(dict.fromkeys((*c.warnings, *st.c.warnings))),
    )


def describe_corridor_plan(scenario: str | Path | CorridorScenario | None = None) -> str:
    """The order of one corridor day, as ``corredor run SCENARIO --show-plan`` prints it: the
    rules' processes, then the trackers; given a scenario, what it has for each."""
    text = build_plan([describe_record_step()]).describe()
    if scenario is None:
        return text
    sc = scenario if isinstance(scenario, CorridorScenario) else load_corridor_scenario(scenario)
    cal = resolve_calibration(sc)
    kinds: dict[str, int] = {}
    for s in sc.services:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    lines = [
        f"{sc.name}: {sc.days} days from {sc.start}, {len(sc.locations.rows)} places, "
        f"{len(sc.links.rows)} links, {len(sc.origins)} origins, {len(sc.caravans)} caravans",
        f"  policy:   {len(sc.events)} policy events; calibration: {cal.name}",
        "  serve:    " + (", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "no services"),
        f"  enforce:  {len(sc.enforcement.zones)} enforcement zones",
        f"  record:   {len(sc.observables)} observables",
    ]
    return text + "\n\n" + "\n".join(lines)
