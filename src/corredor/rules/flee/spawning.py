"""Flee 3.1 spawning (``flee/spawning.py``), vectorised over the agents of one day.

* **Data-driven**: new agents on day t = int(total(t)) − int(total(t−1)) from ``refugees.csv``
  minus the carried "debt" (a negative difference cancels later growth); day 0 spawns nothing when
  camps are pre-filled (``insert_day0``). Each new agent's location is drawn with probability
  ∝ spawn weight = population × conflict intensity × decay (conflict zones only).
* **Conflict-driven**: per active conflict zone and day, ``int(D × intensity)`` (``constant``),
  ``int(D × population × intensity)`` (``pop_ratio``) or Poisson(D × intensity) (``poisson``).
  Flee 3.1 ignores the decay here and crashes on ``poisson``; Corredor applies the decay and draws
  the Poisson numbers unless ``flee31_quirks`` is on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from corredor.engine import rng
from corredor.errors import ScenarioError
from corredor.rules.flee.state import FleeState


def conflict_decay(
    decay: list[float] | None, days_since: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Flee's ``get_conflict_decay``: ``decay[min(int(days / 30), len − 1)]`` (1 without a list)."""
    if not decay:
        return np.ones(days_since.shape, dtype=np.float64)
    table = np.asarray(decay, dtype=np.float64)
    idx = np.minimum((days_since / 30).astype(np.int64), len(table) - 1)
    idx = np.maximum(idx, 0)
    return table[idx]


def refresh_spawn_weights(st: FleeState, t: int, spawn: dict[str, Any]) -> None:
    """Flee's ``refresh_spawn_weights`` at simulation time ``t``."""
    w = st.spawn_weights
    w[:] = 0.0
    if spawn["conflict_driven"] is not None:
        return
    active = st.conflict > 0.0
    mult = st.conflict.copy()
    if spawn["decay"]:
        mult = mult * conflict_decay(spawn["decay"], t - st.time_of_conflict)
    w[active] = st.pop[active] * mult[active]


def add_agents(st: FleeState, locs: npt.NDArray[np.int32], day: int, demographics: Any) -> None:
    """Append agents at ``locs`` (creation order = array order) with sampled attributes."""
    n_new = int(locs.shape[0])
    if n_new == 0:
        return
    rows = st.agents.add(n_new, loc=locs, home=locs)
    if demographics:
        ids = np.arange(rows.start, rows.stop, dtype=np.int64)
        sample_demographics(st, ids, locs, day, demographics)
    st.count += np.bincount(locs, minlength=st.count.shape[0])


def sample_demographics(
    st: FleeState,
    ids: npt.NDArray[np.int64],
    locs: npt.NDArray[np.int32],
    day: int,
    demographics: dict[str, Any],
) -> None:
    """Draw each attribute of ``demographics_<attr>.csv`` (per-location weights where given)."""
    for k, (attr, table) in enumerate(sorted(demographics.items())):
        values: list[str] = list(table.values)
        u = rng.uniform_np(st.seed, rng.STREAM_ATTRIBUTES, day, ids, k)
        codes = np.empty(ids.shape[0], dtype=np.int64)
        default_cdf = _cdf(np.asarray(table.weights, dtype=np.float64))
        overrides = {
            st.names.index(n): _cdf(np.asarray(w, dtype=np.float64))
            for n, w in table.overrides.items()
            if n in st.names
        }
        codes[:] = np.searchsorted(default_cdf, u, side="right")
        for loc, cdf in overrides.items():
            sel = locs == loc
            codes[sel] = np.searchsorted(cdf, u[sel], side="right")
        codes = np.minimum(codes, len(values) - 1)
        if attr == "age":
            ages = np.array([_as_int(v) for v in values], dtype=np.int16)
            st.agents.raw("age")[ids] = ages[codes]
        elif attr == "gender":
            males = np.array([v.strip().lower() == "male" for v in values], dtype=np.bool_)
            st.agents.raw("male")[ids] = males[codes]
        st.agents.raw(f"attr_{attr}")[ids] = codes


def _cdf(w: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    total = w.sum()
    return np.cumsum(w) / total if total > 0 else np.linspace(1 / len(w), 1.0, len(w))


def _as_int(v: str) -> int:
    try:
        return int(float(v))
    except ValueError:
        return -1


def spawn_data_driven(
    st: FleeState, t: int, total_int: npt.NDArray[np.int64], spawn: dict[str, Any]
) -> int:
    """New agents from the observed total; returns how many were spawned."""
    diff = int(total_int[t]) - (int(total_int[t - 1]) if t > 0 else 0)
    new = diff - st.refugee_debt
    st.refugees_raw += diff
    if spawn["insert_day0"] and t == 0:
        new = 0
    if new < 0:
        st.refugee_debt = -new
        new = 0
    elif st.refugee_debt > 0:
        st.refugee_debt = 0
    if new == 0:
        return 0
    w = st.spawn_weights
    total = float(w.sum())
    if total <= 0.0:
        raise ScenarioError(
            None,
            f"day {t}: the data add {new} refugees but no conflict zone is active to spawn them "
            "from (Flee 3.1 stops with an AssertionError here)",
            fix="check conflicts.csv and the conflict zones in locations.csv",
        )
    first = st.agents.n
    ids = np.arange(first, first + new, dtype=np.int64)
    u = rng.uniform_np(st.seed, rng.STREAM_SPAWN, t, ids)
    cdf = np.cumsum(w) / total
    locs = np.minimum(np.searchsorted(cdf, u, side="right"), len(w) - 1).astype(np.int32)
    if spawn["take_from_population"]:
        _take_from_population(st, locs, t)
    add_agents(st, locs, t, spawn["demographics"])
    return new


def spawn_conflict_driven(st: FleeState, t: int, spawn: dict[str, Any]) -> int:
    """Flee's conflict-driven spawning; returns how many were spawned."""
    mode, per_day = spawn["conflict_driven"]
    active = np.flatnonzero(st.conflict > 0.0)
    intensity = st.conflict[active]
    if not st.quirks:
        intensity = intensity * conflict_decay(spawn["decay"], t - st.time_of_conflict[active])
    if mode == "constant":
        n = (per_day * intensity).astype(np.int64)
    elif mode == "pop_ratio":
        n = (per_day * st.pop[active] * intensity).astype(np.int64)
    elif mode == "poisson":
        if st.quirks:
            raise ScenarioError(
                None,
                "spawn_mode: poisson crashes Flee 3.1 (UnboundLocalError); "
                "flee31_quirks reproduces that",
                field="spawn_rules.conflict_driven_spawning.spawn_mode",
                fix="switch flee31_quirks off to use Corredor's working Poisson mode",
            )
        # Philox's key is two 64-bit words: (seed, stream) mixed, then (day, location)
        stream = int(rng.stream_key_np(st.seed, rng.STREAM_CONFLICT_SPAWN))
        n = np.array(
            [
                np.random.Generator(
                    np.random.Philox(key=np.array([stream, (t << 32) | int(a)], dtype=np.uint64))
                ).poisson(per_day * lam)
                for a, lam in zip(active, intensity, strict=True)
            ],
            dtype=np.int64,
        )
    else:  # validated by the settings model
        raise ScenarioError(None, f"unknown spawn_mode {mode!r}", field="spawn_rules")
    locs = np.repeat(active.astype(np.int32), n)
    if spawn["take_from_population"]:
        _take_from_population(st, locs, t)
    add_agents(st, locs, t, spawn["demographics"])
    return int(locs.shape[0])


def _take_from_population(st: FleeState, locs: npt.NDArray[np.int32], t: int) -> None:
    taken = np.bincount(locs, minlength=st.pop.shape[0])
    short = np.flatnonzero((taken > st.pop) & (taken > 0))
    if short.size:
        name = st.names[int(short[0])]
        raise ScenarioError(
            None,
            f"day {t}: more agents spawned at {name} than its population "
            "(take_from_population is on)",
            fix="raise the population of the conflict zones in locations.csv",
        )
    st.pop -= taken


def prefill_camps(
    st: FleeState,
    camp_index: npt.NDArray[np.int64],
    observed_day0: npt.NDArray[np.float64],
    demographics: Any,
) -> None:
    """Flee's ``add_initial_refugees``: each camp starts with its observed day-0 count."""
    counts = observed_day0.astype(np.int64)
    locs = np.repeat(camp_index.astype(np.int32), counts)
    add_agents(st, locs, 0, demographics)
