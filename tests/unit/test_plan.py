"""DayPlan: the order of a day, written once, printable, run in order."""

from __future__ import annotations

import pytest

from corredor.engine.plan import DayPlan, Step, process, tracker


class State:
    def __init__(self) -> None:
        self.log: list[tuple[str, int]] = []
        self.value = 0


@process("conflicts", "activate conflict zones")
def conflicts(state: State, day: int) -> None:
    state.log.append(("conflicts", day))
    state.value += 1


@process("move", "agents leave and travel")
def move(state: State, day: int) -> None:
    state.log.append(("move", day))
    state.value *= 10


@tracker("counts", "count agents per location")
def counts(state: State, day: int) -> None:
    state.log.append(("counts", day))


def test_decorators_make_steps() -> None:
    assert isinstance(conflicts, Step)
    assert conflicts.name == "conflicts"
    assert conflicts.kind == "process"
    assert conflicts.doc == "activate conflict zones"
    assert counts.kind == "tracker"
    with pytest.raises(AttributeError):  # steps are frozen
        conflicts.name = "other"  # type: ignore[misc]


def test_run_day_calls_steps_in_order() -> None:
    plan: DayPlan[State] = DayPlan([conflicts, move, counts])
    state = State()
    plan.run_day(state, 0)
    plan.run_day(state, 1)
    assert state.log == [
        ("conflicts", 0),
        ("move", 0),
        ("counts", 0),
        ("conflicts", 1),
        ("move", 1),
        ("counts", 1),
    ]
    assert state.value == 110  # ((0 + 1) * 10 + 1) * 10: order matters and was kept


def test_order_is_the_list_order() -> None:
    state = State()
    DayPlan([move, conflicts, counts]).run_day(state, 3)
    assert [name for name, _ in state.log] == ["move", "conflicts", "counts"]
    assert state.value == 1


def test_names_and_describe() -> None:
    plan: DayPlan[State] = DayPlan([conflicts, move, counts])
    assert plan.names() == ["conflicts", "move", "counts"]
    lines = plan.describe().splitlines()
    assert lines[0] == "day t:"
    assert len(lines) == 4
    for i, (line, step) in enumerate(zip(lines[1:], plan.steps, strict=True), 1):
        fields = line.split()
        assert fields[0] == f"{i}."
        assert fields[1] == step.kind
        assert fields[2] == step.name
        assert line.endswith(step.doc)
    # names are padded to a common width, so the descriptions line up
    assert len({line.index(s.doc) for line, s in zip(lines[1:], plan.steps, strict=True)}) == 1


def test_describe_empty_plan() -> None:
    assert DayPlan([]).describe() == "day t:"
    DayPlan([]).run_day(State(), 0)


def test_duplicate_names_are_rejected() -> None:
    again = tracker("move", "a tracker with a process's name")(lambda s, d: None)
    with pytest.raises(ValueError, match="duplicate"):
        DayPlan([conflicts, move, again])
    with pytest.raises(ValueError, match="duplicate"):
        DayPlan([counts, counts])


def test_steps_are_immutable_after_construction() -> None:
    steps = [conflicts, move]
    plan: DayPlan[State] = DayPlan(steps)
    steps.append(counts)
    assert plan.names() == ["conflicts", "move"]
