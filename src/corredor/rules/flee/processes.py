"""The processes of a Flee day: each changes the state, in the order fixed by ``build_plan``.

Order (Flee 3.1's ``runscripts/run.py`` and ``Ecosystem.evolve``):

1. ``conflicts``  activate/deactivate conflict zones from conflicts.csv
2. ``spawn``      new agents (data-driven or conflict-driven), then refresh spawn weights
3. ``closures``   close/reopen borders, locations, links and camps scheduled for today
4. ``scores``     refresh spawn weights, location scores and move chances
5. ``move``       pass 1 (leave or stay, route choice), pass 2 (travel, arrivals, re-decisions)
6. ``sinks``      camps-as-sinks removal (``camps_are_sinks``)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from corredor.engine import rng
from corredor.engine.plan import DayPlan, Step
from corredor.rules.flee import kernels
from corredor.rules.flee.spawning import (
    conflict_decay,
    refresh_spawn_weights,
    spawn_conflict_driven,
    spawn_data_driven,
)
from corredor.rules.flee.state import FleeState

EPS = 0.000001  # Flee's threshold for "intensity > 0"


@dataclass
class FleeRules:
    """Rule parameters read once from the settings (plain values, no pydantic in the loop)."""

    move: dict[str, Any]
    spawn: dict[str, Any]
    conflict_names_index: np.ndarray | None
    conflict_values: np.ndarray | None
    closures: list[Any]
    total_int: np.ndarray


def conflicts_step(st: FleeState, t: int, rules: FleeRules) -> None:
    """Flee's ``InputGeography.AddNewConflictZones`` (with conflicts.csv)."""
    if rules.conflict_values is None or rules.conflict_names_index is None:
        return
    vals = rules.conflict_values
    changed = False
    for col, loc in enumerate(rules.conflict_names_index):
        v = float(vals[t, col])
        prev = float(vals[t - 1, col]) if t > 0 else 0.0
        if v > EPS and (t == 0 or prev < EPS):
            st.base_movechance[loc] = rules.move["conflict_movechance"]
            st.conflict[loc] = v
            st.is_town[loc] = False
            st.time_of_conflict[loc] = t
            changed = True
        elif v > EPS and not st.quirks and st.conflict[loc] > 0 and v != st.conflict[loc]:
            st.conflict[loc] = v  # fixed: an intensity change without a zero in between
        if v < EPS and t > 0:
            ends = prev == 1 if st.quirks else prev >= EPS
            if ends:
                st.base_movechance[loc] = rules.move["default_movechance"]
                st.conflict[loc] = -1.0
                st.is_town[loc] = True
                changed = True
    if changed:
        refresh_spawn_weights(st, t, rules.spawn)


def spawn_step(st: FleeState, t: int, rules: FleeRules) -> None:
    if rules.spawn["conflict_driven"] is not None:
        spawn_conflict_driven(st, t, rules.spawn)
    else:
        spawn_data_driven(st, t, rules.total_int, rules.spawn)
    refresh_spawn_weights(st, t, rules.spawn)


def _set_links(st: FleeState, mask: np.ndarray, value: bool) -> None:
    st.graph.link_open[mask] = value


def closures_step(st: FleeState, t: int, rules: FleeRules) -> None:
    """Flee's ``Ecosystem.enact_border_closures``: start action on ``start``, reverse on ``end``."""
    g = st.graph
    changed = False
    country = np.asarray(st.countries, dtype=object)
    for c in rules.closures:
        for when, opening in ((c.start, False), (c.end, True)):
            if t != when:
                continue
            if c.kind == "country":
                a, b = country[g.link_from], country[g.link_to]
                mask = ((a == c.name1) & (b == c.name2)) | ((a == c.name2) & (b == c.name1))
                _set_links(st, mask, opening)
                changed = True
            elif c.kind == "location":
                i = st.names.index(c.name1)
                _set_links(st, (g.link_from == i) | (g.link_to == i), opening)
                changed = True
            elif c.kind == "link":
                if st.quirks:
                    continue  # Flee 3.1 closes nothing for a `link` row read from closures.csv
                i, j = st.names.index(c.name1), st.names.index(c.name2)
                mask = ((g.link_from == i) & (g.link_to == j)) | (
                    (g.link_from == j) & (g.link_to == i)
                )
                _set_links(st, mask, opening)
                changed = True
            elif c.kind in ("camp", "idpcamp"):
                i = st.names.index(c.name1)
                if opening:
                    _open_camp(st, i, idp=c.kind == "idpcamp", move=rules.move)
                else:
                    _close_camp(st, i, move=rules.move)
            # remove_forced_redirection: no effect on Flee 3.x route choice
    if changed:
        st.paths.refresh_open(g.link_open)


def _close_camp(st: FleeState, i: int, move: dict[str, Any]) -> None:
    st.base_movechance[i] = move["default_movechance"]
    st.is_camp[i] = False
    st.is_idpcamp[i] = False
    st.conflict[i] = -1.0
    st.is_town[i] = True


def _open_camp(st: FleeState, i: int, idp: bool, move: dict[str, Any]) -> None:
    st.base_movechance[i] = move["idpcamp_movechance"] if idp else move["camp_movechance"]
    st.is_camp[i] = True
    st.is_idpcamp[i] = idp
    st.conflict[i] = -1.0
    st.is_town[i] = False


def scores_step(st: FleeState, t: int, rules: FleeRules) -> None:
    """Start of ``Ecosystem.evolve``: spawn weights, location scores, effective move chances."""
    mv = rules.move
    refresh_spawn_weights(st, t, rules.spawn)
    score = np.ones_like(st.score)
    score[st.foreign] *= mv["foreign_weight"]
    score[st.is_camp] *= mv["camp_weight"]
    active = st.conflict > 0.0
    if active.any():
        decay = conflict_decay(rules.spawn["decay"], t - st.time_of_conflict[active])
        score[active] *= mv["conflict_weight"] ** (decay * st.conflict[active])
    st.score[:] = score
    if mv["use_pop_for_loc_weight"]:
        p = mv["pop_power_for_loc_weight"]
        base = np.minimum(1.0, st.pop) if st.quirks else np.maximum(1.0, st.pop)
        st.popw[:] = np.where(st.is_camp, 1.0, base.astype(np.float64) ** p)
    # today's capacity-free weight of every path, (ws + S(d)·popw(d)) / (ds + L)^dp
    st.path_base[:] = (
        mv["weight_softening"] + st.score[st.paths.end] * st.popw[st.paths.end]
    ) / st.pdenom
    scale = mv["movechance_pop_scale_factor"]
    if scale != 0.0:
        size = np.maximum(st.pop, st.capacity).astype(np.float64)
        st.movechance[:] = st.base_movechance * (size / mv["movechance_pop_base"]) ** scale
    else:
        st.movechance[:] = st.base_movechance


def move_step(st: FleeState, t: int, rules: FleeRules) -> None:
    """Both passes of ``Ecosystem.evolve`` in one numba call per pass."""
    args = (
        t,
        st.agents.n,
        st.keys,
        st.kernel_agents(),
        st.kernel_graph(),
        st.kernel_paths(),
        st.kernel_locations(),
        st.count,
        st.params,
    )
    if st.live:
        kernels.day_serial(*args)
    else:
        kernels.day_parallel(*args)  # type: ignore[no-untyped-call]


def sinks_step(st: FleeState, t: int, rules: FleeRules) -> None:
    """``camps_are_sinks``: an agent resting in a camp leaves the simulation with the camp's
    ``deactivation_probability`` per day (in Flee 3.1 this rule cannot run: see build_state)."""
    if not rules.spawn["camps_are_sinks"]:
        return
    a = st.agents
    alive, link, loc = a["alive"], a["link"], a["loc"]
    cand = np.flatnonzero(alive & (link < 0) & st.is_camp[loc] & (st.deactivation[loc] > 0))
    if cand.size == 0:
        return
    u = rng.uniform_np(st.seed, rng.STREAM_SINK, t, cand)
    gone = cand[u < st.deactivation[loc[cand]]]
    alive[gone] = False
    st.count -= np.bincount(loc[gone], minlength=st.count.shape[0])


def build_plan(rules: FleeRules, trackers: Sequence[Step[FleeState]] = ()) -> DayPlan[FleeState]:
    """The Flee day, in one place: the processes, then ``trackers`` (steps of kind
    ``tracker``, e.g. ``corredor.trackers.flee_counts.FleeCounts``)."""
    for t in trackers:
        if t.kind != "tracker":
            raise ValueError(f"step {t.name!r} is a {t.kind}, not a tracker")

    def bind(fn: Any) -> Any:
        return lambda st, t: fn(st, t, rules)

    return DayPlan(
        [
            Step(
                "conflicts",
                "process",
                bind(conflicts_step),
                "activate/deactivate conflict zones from conflicts.csv",
            ),
            Step(
                "spawn",
                "process",
                bind(spawn_step),
                "new agents (data- or conflict-driven), then refresh spawn weights",
            ),
            Step(
                "closures",
                "process",
                bind(closures_step),
                "close/reopen borders, locations, links, camps scheduled today",
            ),
            Step(
                "scores",
                "process",
                bind(scores_step),
                "spawn weights, location scores, effective move chances",
            ),
            Step(
                "move",
                "process",
                bind(move_step),
                "pass 1: leave or stay, choose route; pass 2: travel, arrive, re-decide",
            ),
            Step(
                "sinks",
                "process",
                bind(sinks_step),
                "camps as sinks: remove agents with the camp's deactivation probability",
            ),
            *trackers,
        ]
    )
