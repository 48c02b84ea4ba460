"""The order of one simulated day, written once, in one place, and printable.

A :class:`DayPlan` is an ordered list of steps. A *process* changes the model state; a *tracker*
only observes it (and must not change it). The engine runs the steps in list order every day;
there is no other place where ordering is decided.

>>> print(plan.describe())       # doctest: +SKIP
day t:
  1. process  conflicts   activate/deactivate conflict zones from conflicts.csv
  ...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

S = TypeVar("S")

StepKind = Literal["process", "tracker"]


@dataclass(frozen=True)
class Step(Generic[S]):
    """One step of a day: ``fn(state, day)``."""

    name: str
    kind: StepKind
    fn: Callable[[S, int], None]
    doc: str


class DayPlan(Generic[S]):
    """An explicit, inspectable sequence of steps."""

    def __init__(self, steps: Sequence[Step[S]]) -> None:
        names = [s.name for s in steps]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate step names in day plan: {names}")
        self.steps: tuple[Step[S], ...] = tuple(steps)

    def run_day(self, state: S, day: int) -> None:
        for step in self.steps:
            step.fn(state, day)

    def names(self) -> list[str]:
        return [s.name for s in self.steps]

    def describe(self) -> str:
        width = max((len(s.name) for s in self.steps), default=0)
        lines = ["day t:"]
        for i, s in enumerate(self.steps, 1):
            lines.append(f"  {i:>2}. {s.kind:<8} {s.name:<{width}}  {s.doc}")
        return "\n".join(lines)


def process(name: str, doc: str) -> Callable[[Callable[[S, int], None]], Step[S]]:
    """Decorator: turn ``fn(state, day)`` into a process step."""

    def wrap(fn: Callable[[S, int], None]) -> Step[S]:
        return Step(name=name, kind="process", fn=fn, doc=doc)

    return wrap


def tracker(name: str, doc: str) -> Callable[[Callable[[S, int], None]], Step[S]]:
    """Decorator: turn ``fn(state, day)`` into a tracker step."""

    def wrap(fn: Callable[[S, int], None]) -> Step[S]:
        return Step(name=name, kind="tracker", fn=fn, doc=doc)

    return wrap
