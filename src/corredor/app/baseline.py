"""Corridor runs started from a kept baseline state (``RunRequest(reuse_baseline=True)``,
``corredor run --reuse-baseline``, the web service's previews).

A run that sets levers or adds or leaves out policy events differs from its *baseline* — the
same request without ``set``, ``set_from``, ``events`` and ``without_events``: same scenario,
calibration, seed, scale and days — only from the first day on which their compiled daily
arrays differ (:func:`corredor.simulation.branching.first_difference`: the start of an added event,
of an event left out, of the event that reads a lever of status ``lever``, the date levers are
set from; day 0 for a parameter that every
day reads). Until that day the two runs are the same run, agent by agent (the random draws
depend on the seed, the stream, the day and the agent only), so the run can start from the
baseline's state on that day and simulate only the days from there — exactly the run it would
have made from day 0, bit for bit (``tests/scientific/test_reuse_baseline.py``), as the studies
do for their variants.

This process keeps, per baseline (at most :data:`KEEP_BASELINES`), its compiled arrays and its
state on the days runs branched from (at most :data:`KEEP_STATES` states and about
:data:`KEEP_BYTES` of their arrays in all, the least recently used dropped, the newest always
kept; a few tens of MB each for ``mexico-us`` at one agent for 50 people, a few GB at full
scale). The
first run that branches on a day runs the baseline up to it (from the nearest kept state before
it) and keeps that state; the next ones on that day start from it at once. A change that acts
from day 0 reuses nothing: the run is made from day 0 as without the option.

:func:`keep_states` keeps a baseline's states on chosen days ahead of any run (the web service's
preview workers, at start: the days the scenario's policy events and its shipped counterfactual
events start), running the baseline once; it stops between two days when asked (a request is
waiting) and goes on from there when called again.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from corredor.engine.loop import Budget
from corredor.policy.events import PolicyEvent
from corredor.rules.corridor.compiled import Compiled, compile_corridor
from corredor.scenario.corridor import CorridorScenario, resolve_calibration
from corredor.simulation.branching import branch, first_difference
from corredor.simulation.corridor import CorridorModel, CorridorResult, corridor_result
from corredor.store.corridor import scenario_sha256

__all__ = [
    "KEEP_BASELINES",
    "KEEP_BYTES",
    "KEEP_STATES",
    "Branched",
    "Prewarmed",
    "forget",
    "keep_states",
    "nbytes",
    "run_from_baseline",
]

#: baselines kept by this process (their compiled arrays and states)
KEEP_BASELINES = 2
#: baseline states kept by this process, all baselines together, at most (a prewarmed
#: ``mexico-us`` keeps 17: one per day a policy event of its history or counterfactuals starts)
KEEP_STATES = 24
#: and at most this many bytes of arrays in them (the most recent state is always kept: a
#: full-scale ``mexico-us`` state is a few GB, a preview's about 50 MB)
KEEP_BYTES = 1 << 30


@dataclass(frozen=True)
class Branched:
    """What a run took from its baseline: it started from the baseline's state at the start of
    ``day`` (``date``) of ``days``; ``kept``: that state was kept from an earlier run (False:
    the baseline was run up to ``day`` for this run)."""

    day: int
    days: int
    date: dt.date
    kept: bool

    def as_json(self) -> dict[str, object]:
        return {
            "day": self.day,
            "days": self.days,
            "date": self.date.isoformat(),
            "kept": self.kept,
        }

    def note(self) -> str:
        if self.day == 0:
            return (
                "reuse baseline: the run differs from its baseline from day 0 (a parameter "
                "every day reads); nothing reused, every day simulated"
            )
        how = "kept from an earlier run" if self.kept else "run now and kept"
        if self.day >= self.days:
            return (
                f"reuse baseline: the run's arrays equal its baseline's on every day, so its "
                f"{self.days:,} days are the baseline's ({how}; bit for bit); no day simulated"
            )
        return (
            f"reuse baseline: days before {self.date.isoformat()} ({self.day:,} of "
            f"{self.days:,}) are the baseline's ({how}; the same run until then, bit for bit); "
            f"{self.days - self.day:,} days simulated"
        )


@dataclass
class _Baseline:
    compiled: Compiled
    #: day -> (a model that has run days 0 .. day - 1, the agent-days it has spent, its bytes)
    states: dict[int, tuple[CorridorModel, int, int]]


_BASELINES: OrderedDict[str, _Baseline] = OrderedDict()
_USED: OrderedDict[tuple[str, int], None] = OrderedDict()  # states, least recently used first
#: states kept where :func:`keep_states` stopped when asked (not on a day it was asked for): dropped
#: when a later :func:`keep_states` has gone past them
_PARTIAL: set[tuple[str, int]] = set()
_LOCK = threading.RLock()


def forget() -> None:
    """Drop every kept baseline and state of this process."""
    with _LOCK:
        _BASELINES.clear()
        _USED.clear()
        _PARTIAL.clear()


def values_of(sc: CorridorScenario, calibration: Mapping[str, float] | None) -> dict[str, float]:
    """The parameter values a run of ``sc`` uses (as :func:`corredor.simulation.corridor.
    run_corridor` resolves them)."""
    return {**resolve_calibration(sc).values, **dict(calibration or {})}


def _key(
    sc: CorridorScenario, values: Mapping[str, float], seed: int, days: int, budget: Budget | None
) -> str:
    body = {
        "scenario": scenario_sha256(sc),
        "people_per_agent": sc.people_per_agent,
        "values": sorted((k, float(v)) for k, v in values.items()),
        "events": [e.model_dump(mode="json") for e in sc.events],
        "seed": seed,
        "days": days,
        "budget": None if budget is None else [budget.max_agents, budget.max_agent_days],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _kept_baseline(
    baseline: CorridorScenario,
    values: Mapping[str, float],
    seed: int,
    days: int,
    max_agents: int | None,
) -> tuple[str, _Baseline, Budget | None]:
    """The key of ``baseline``'s runs of ``days`` days, its kept baseline (compiled now if not
    kept) and the budget its runs are checked against."""
    budget = None if max_agents is None else Budget(days, max_agents=max_agents)
    key = _key(baseline, values, seed, days, budget)
    return key, _baseline(key, lambda: compile_corridor(baseline, values, days=days)), budget


def _baseline(key: str, compile_base: Callable[[], Compiled]) -> _Baseline:
    with _LOCK:
        base = _BASELINES.get(key)
        if base is None:
            base = _Baseline(compile_base(), {})
            _BASELINES[key] = base
            while len(_BASELINES) > KEEP_BASELINES:
                old, _ = _BASELINES.popitem(last=False)
                for k in [k for k in _USED if k[0] == old]:
                    del _USED[k]
                    _PARTIAL.discard(k)
        _BASELINES.move_to_end(key)
        return base


def nbytes(obj: Any, seen: set[int] | None = None, depth: int = 0) -> int:
    """The bytes of the NumPy arrays that ``obj`` holds (through attributes, dictionaries,
    lists and tuples, each array counted once; not the compiled arrays a state shares)."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 6 or isinstance(obj, Compiled):
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if isinstance(obj, dict):
        items: Iterable[Any] = obj.values()
    elif isinstance(obj, list | tuple):
        items = obj
    elif hasattr(obj, "__dict__"):
        items = vars(obj).values()
    else:
        return 0
    return sum(nbytes(x, seen, depth + 1) for x in items)


def _keep(key: str, base: _Baseline, day: int, model: CorridorModel, agent_days: int) -> None:
    size = nbytes(model)
    with _LOCK:
        base.states[day] = (model, agent_days, size)
        _USED[(key, day)] = None
        _USED.move_to_end((key, day))
        while len(_USED) > 1 and (len(_USED) > KEEP_STATES or _kept_bytes() > KEEP_BYTES):
            (k, d), _ = _USED.popitem(last=False)
            _PARTIAL.discard((k, d))
            if k in _BASELINES:
                _BASELINES[k].states.pop(d, None)


def _drop(key: str, base: _Baseline, day: int) -> None:
    with _LOCK:
        base.states.pop(day, None)
        _USED.pop((key, day), None)
        _PARTIAL.discard((key, day))


def _kept_bytes() -> int:
    return sum(b.states[d][2] for k, d in _USED if (b := _BASELINES.get(k)) and d in b.states)


def _state_at(
    key: str,
    base: _Baseline,
    day: int,
    *,
    seed: int,
    budget: Budget | None,
    progress: Callable[[int, int], None] | None,
) -> tuple[CorridorModel, int, bool]:
    """The baseline's state at the start of ``day`` (a kept model: not to be run further),
    its agent-days, and whether it was kept from an earlier run."""
    with _LOCK:
        found = base.states.get(day)
        if found is not None:
            _USED.move_to_end((key, day))
            return found[0], found[1], True
        before = [d for d in base.states if d < day]
        start = max(before, default=None)
        if start is not None:
            _USED.move_to_end((key, start))
            kept, agent_days, _ = base.states[start]
    days = base.compiled.days
    if start is None:
        model, agent_days, start = CorridorModel(base.compiled, seed=seed), 0, 0
    else:
        model = copy.deepcopy(kept, {id(kept.c): kept.c})
    for d in range(start, day):
        model.run_day(d)
        agent_days += model.state.n_active
        if budget is not None:
            budget.check(d, model.state.n_agents, agent_days)
        if progress is not None:
            progress(d, days)
    _keep(key, base, day, model, agent_days)
    return model, agent_days, False


def run_from_baseline(
    scenario: CorridorScenario,
    baseline: CorridorScenario,
    *,
    calibration: Mapping[str, float],
    baseline_calibration: Mapping[str, float],
    seed: int = 0,
    days: int | None = None,
    extra_events: Sequence[PolicyEvent] = (),
    max_agents: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[CorridorResult, Branched]:
    """Run ``scenario`` (with ``calibration`` and ``extra_events``) as
    :func:`corredor.simulation.corridor.run_corridor` does, from ``baseline``'s state (with
    ``baseline_calibration`` and no added events) on the first day the two runs differ (module
    docstring); the same result, bit for bit."""
    t0 = time.perf_counter()
    values = values_of(scenario, calibration)
    base_values = values_of(baseline, baseline_calibration)
    c = compile_corridor(scenario, values, days=days, extra_events=tuple(extra_events))
    key, base, budget = _kept_baseline(baseline, base_values, seed, c.days, max_agents)
    levers = frozenset(n for n, p in scenario.calibration.items() if p.status == "lever")
    first = first_difference(base.compiled, c, levers=levers)
    if first == 0:
        model, agent_days, kept = CorridorModel(c, seed=seed), 0, False
    else:
        trunk, agent_days, kept = _state_at(
            key, base, first, seed=seed, budget=budget, progress=progress
        )
        model = branch(trunk, c)
    for d in range(first, c.days):
        model.run_day(d)
        agent_days += model.state.n_active
        if budget is not None:
            budget.check(d, model.state.n_agents, agent_days)
        if progress is not None:
            progress(d, c.days)
    result = corridor_result(
        scenario, model, seed=seed, seconds=time.perf_counter() - t0, agent_days=agent_days
    )
    date = c.start + dt.timedelta(days=first)
    return result, Branched(first, c.days, date, kept)


@dataclass(frozen=True)
class Prewarmed:
    """What :func:`keep_states` left in this process: the baseline's states at the start of each
    day of ``days`` (those asked for within the run) that ``kept`` lists (none looked at when
    it was asked to stop before it began); ``finished``: every one of them (False: it was
    asked to stop first)."""

    days: tuple[int, ...]
    kept: tuple[int, ...]
    finished: bool


def keep_states(
    baseline: CorridorScenario,
    *,
    calibration: Mapping[str, float],
    on: Iterable[int],
    seed: int = 0,
    days: int | None = None,
    max_agents: int | None = None,
    stop: Callable[[], bool] | None = None,
) -> Prewarmed:
    """Keep ``baseline``'s states (with ``calibration``, ``seed``, ``days`` and ``max_agents``
    as a run from the baseline would have them) at the start of every day of ``on``, as if a
    run had branched there: the baseline is run once, from its nearest kept state, through the
    last of them. ``stop()`` is asked before every simulated day; when it says True, the state
    reached is kept too (dropped again once a later call has gone past it) and the call returns
    unfinished: called again, it goes on from there."""
    n = baseline.days if days is None else int(days)
    wanted = tuple(sorted({int(d) for d in on if 0 < int(d) < n}))
    if stop is not None and stop():
        return Prewarmed(wanted, (), False)
    values = values_of(baseline, calibration)
    key, base, budget = _kept_baseline(baseline, values, seed, n, max_agents)
    with _LOCK:
        todo = {d for d in wanted if d not in base.states}
        if not todo:
            return Prewarmed(wanted, wanted, True)
        start = max((d for d in base.states if d < min(todo)), default=0)
        if start > 0:
            kept, agent_days, _ = base.states[start]
            model = copy.deepcopy(kept, {id(kept.c): kept.c})
        partial = (key, start) if (key, start) in _PARTIAL else None
    if start == 0:
        model, agent_days = CorridorModel(base.compiled, seed=seed), 0
    last, finished = max(todo), True
    for d in range(start, last):
        if stop is not None and stop():
            if d > start:  # keep what was simulated: the next call goes on from here
                _keep(key, base, d, model, agent_days)
                with _LOCK:
                    _PARTIAL.add((key, d))
                if partial is not None:
                    _drop(key, base, partial[1])
            finished = False
            break
        model.run_day(d)
        agent_days += model.state.n_active
        if budget is not None:
            budget.check(d, model.state.n_agents, agent_days)
        if d + 1 in todo:
            state = model if d + 1 == last else copy.deepcopy(model, {id(model.c): model.c})
            _keep(key, base, d + 1, state, agent_days)
            if partial is not None:  # a kept state on a day asked for is past it
                _drop(key, base, partial[1])
                partial = None
    with _LOCK:
        kept_now = tuple(d for d in wanted if d in base.states)
    return Prewarmed(wanted, kept_now, finished)
