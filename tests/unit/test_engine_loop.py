"""The engine's day loop (``corredor.engine.loop``): order of the hooks, agent budgets."""

from __future__ import annotations

import pickle

import pytest

from corredor.engine.loop import AgentBudgetError, Budget, run_days
from corredor.engine.plan import DayPlan, process, tracker


class Toy:
    """A state that creates ``per_day`` agents a day and keeps them all active."""

    def __init__(self, per_day: int) -> None:
        self.per_day = per_day
        self.agents = 0
        self.log: list[str] = []

    @property
    def n_agents(self) -> int:
        return self.agents

    @property
    def n_active(self) -> int:
        return self.agents


def grow(st: Toy, day: int) -> None:
    st.agents += st.per_day
    st.log.append(f"grow {day}")


def look(st: Toy, day: int) -> None:
    st.log.append(f"look {day}")


PLAN: DayPlan[Toy] = DayPlan([process("grow", "add agents")(grow), tracker("look", "log")(look)])


def test_hooks_run_in_order_every_day() -> None:
    st = Toy(2)
    seen: list[tuple[int, int]] = []

    def controller(s: Toy, day: int) -> None:
        s.log.append(f"control {day}")

    stats = run_days(PLAN, st, 3, controller=controller, progress=lambda d, n: seen.append((d, n)))
    assert st.log == [f"{k} {d}" for d in range(3) for k in ("control", "grow", "look")]
    assert seen == [(0, 3), (1, 3), (2, 3)]
    assert stats.days == 3
    assert stats.agent_days == 2 + 4 + 6  # active agents at the end of each day


def test_agent_budget_ramps_after_the_first_year() -> None:
    b = Budget(1000, max_agents=5000)
    # until day 364 the allowance is 5000 × 365 / 1000 = 1825; then 5000 × (d + 1) / 1000
    b.check(0, 1825, 0)
    b.check(364, 1825, 0)
    with pytest.raises(AgentBudgetError, match="1,826 agents, over the budget 1,825"):
        b.check(0, 1826, 0)
    b.check(499, 2500, 0)
    with pytest.raises(AgentBudgetError) as err:
        b.check(499, 2501, 0)
    assert (err.value.day, err.value.agents, err.value.budget) == (499, 2501, 2500)
    b.check(5000, 5000, 0)  # never more than the whole budget
    with pytest.raises(AgentBudgetError):
        b.check(5000, 5001, 0)
    # in a run: 10 agents a day pass 1825 on day 182 (1830 agents)
    with pytest.raises(AgentBudgetError) as err:
        run_days(PLAN, Toy(10), 1000, budget=b)
    assert (err.value.day, err.value.agents, err.value.what) == (182, 1830, "agents")
    # within budget: runs to the end
    assert run_days(PLAN, Toy(10), 100, budget=Budget(100, max_agents=1000)).days == 100


def test_agent_days_budget_and_pickling() -> None:
    with pytest.raises(AgentBudgetError, match="agent-days") as err:
        run_days(PLAN, Toy(1), 400, budget=Budget(400, max_agent_days=10_000))
    e = err.value
    assert e.what == "agent-days" and e.agents > e.budget
    again = pickle.loads(pickle.dumps(e))
    assert again.args == e.args
    assert (again.day, again.agents, again.budget, again.what) == (
        e.day,
        e.agents,
        e.budget,
        e.what,
    )
