"""The day loop: run a :class:`~corredor.engine.plan.DayPlan` over the simulated days.

Every rule set runs its days here, in one way::

    for day in 0 .. days-1:
        controller(state, day)          # optional: may change the state's parameters from today
        plan.run_day(state, day)        # the day's processes and trackers, in the plan's order
        budget.check(day, state)        # optional: stop a run that grows past its budget
        progress(day, days)             # optional

The *controller* is how a run is steered from outside while it runs (the bargaining game's
endogenous mode adopts policy events on review days); the *budget* is how a calibration stops
trials whose parameters make a run create far more agents, or keep far more of them active, than
the data allow. Neither knows anything about the rule set: the state only has to say how many
agents exist and how many are active (:class:`LoopState`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from corredor.engine.plan import DayPlan

__all__ = [
    "RAMP_DAYS",
    "AgentBudgetError",
    "Budget",
    "LoopState",
    "LoopStats",
    "run_days",
]

#: :class:`Budget`: the allowance grows linearly with the days after this many.
RAMP_DAYS = 365


class LoopState(Protocol):
    """What the loop reads from a rule set's state: agents created so far and active today."""

    @property
    def n_agents(self) -> int: ...

    @property
    def n_active(self) -> int: ...


S = TypeVar("S", bound=LoopState)


class AgentBudgetError(RuntimeError):
    """A run created more agents than its ``max_agents`` budget, or kept more agent-days active
    than its ``max_agent_days``, and was stopped (a calibration prunes such trials: their
    parameters are far from the data and would run for long). ``what`` says which budget:
    ``"agents"`` or ``"agent-days"``; ``agents`` is the count that passed it."""

    def __init__(self, day: int, agents: int, budget: int, what: str = "agents") -> None:
        super().__init__(f"stopped on day {day}: {agents:,} {what}, over the budget {budget:,}")
        self.day, self.agents, self.budget, self.what = day, agents, budget, what

    def __reduce__(self) -> tuple[type[AgentBudgetError], tuple[int, int, int, str]]:
        # picklable across processes
        return (type(self), (self.day, self.agents, self.budget, self.what))


@dataclass(frozen=True)
class Budget:
    """Stop a run of ``days`` days that grows past ``max_agents`` agents created or
    ``max_agent_days`` agent-days active (either may be None: no limit).

    The allowance on day ``d`` is the budget × ``max(d + 1, ramp_days) / days`` (at most the whole
    budget): a linear ramp after the first ``ramp_days``, so that a run heading far past its
    budget stops early, and the full budget at the end. The agent-days budget stops runs that
    create few people but keep them waiting for long, which the agent count does not see.
    """

    days: int
    max_agents: int | None = None
    max_agent_days: int | None = None
    ramp_days: int = RAMP_DAYS

    def check(self, day: int, agents: int, agent_days: int) -> None:
        """Raise :class:`AgentBudgetError` if ``agents`` or ``agent_days`` at the end of ``day``
        exceed today's allowance."""
        share = min(max(day + 1, self.ramp_days) / self.days, 1.0)
        if self.max_agents is not None and agents > (allowed := int(self.max_agents * share)):
            raise AgentBudgetError(day, agents, allowed)
        if self.max_agent_days is not None and agent_days > (
            allowed := int(self.max_agent_days * share)
        ):
            raise AgentBudgetError(day, agent_days, allowed, "agent-days")


@dataclass
class LoopStats:
    """What the loop measured: days run and agent-days (the active agents summed over the ends
    of the days: what a run's time grows with)."""

    days: int = 0
    agent_days: int = 0


def run_days(
    plan: DayPlan[S],
    state: S,
    days: int,
    *,
    controller: Callable[[S, int], None] | None = None,
    budget: Budget | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LoopStats:
    """Run ``plan`` on ``state`` for days ``0 .. days - 1`` (module docstring); returns the
    :class:`LoopStats`. A budget error propagates after the day that passed the budget."""
    stats = LoopStats()
    for day in range(days):
        if controller is not None:
            controller(state, day)
        plan.run_day(state, day)
        stats.days = day + 1
        stats.agent_days += state.n_active
        if budget is not None:
            budget.check(day, state.n_agents, stats.agent_days)
        if progress is not None:
            progress(day, days)
    return stats
