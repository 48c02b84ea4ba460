"""Build the state of a Flee-rule-set simulation from a loaded Flee scenario (the run itself is
assembled by :mod:`corredor.simulation.flee`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from corredor.engine import rng
from corredor.engine.agents import AgentTable
from corredor.engine.graph import Graph
from corredor.errors import ScenarioError
from corredor.rules.flee import kernels as K
from corredor.rules.flee.processes import FleeRules
from corredor.rules.flee.routes import enumerate_paths
from corredor.rules.flee.spawning import add_agents, prefill_camps, refresh_spawn_weights
from corredor.rules.flee.state import AGENT_COLUMNS, FleeState
from corredor.scenario.flee import FleeScenario

EARTH_RADIUS_KM = 6373.0  # Flee's Location.calculateDistance
MOVE_KEYS = (
    "max_move_speed",
    "max_walk_speed",
    "foreign_weight",
    "camp_weight",
    "conflict_weight",
    "conflict_movechance",
    "camp_movechance",
    "idpcamp_movechance",
    "default_movechance",
    "awareness_level",
    "capacity_buffer",
    "avoid_short_stints",
    "start_on_foot",
    "softening",
    "weight_softening",
    "weight_power",
    "distance_power",
    "stay_close_to_home",
    "home_distance_power",
    "use_pop_for_loc_weight",
    "pop_power_for_loc_weight",
    "movechance_pop_base",
    "movechance_pop_scale_factor",
    "ChildrenAvoidHazards",
    "BoysTakeRisk",
    "MatchCampEthnicity",
    "MatchTownEthnicity",
    "MatchConflictEthnicity",
)


# ----------------------------------------------------------------------------- settings
def rules_from_settings(sc: FleeScenario, quirks: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Plain dicts of the move and spawn rules (effective values, Flee 3.1 semantics)."""
    s = sc.settings
    dumped = s.move_rules.model_dump(by_alias=True)
    move = {k: dumped[k] for k in MOVE_KEYS}
    for flag in ("MatchCampEthnicity", "MatchTownEthnicity", "MatchConflictEthnicity"):
        if move[flag]:
            raise ScenarioError(
                sc.path / "simsetting.yml",
                f"{flag} is not usable: Flee 3.1 crashes with a NameError when it is on and "
                "Corredor has no ethnicity-matching rule",
                field=f"move_rules.{flag}",
                fix=f"remove {flag} or set it to False",
            )
    sp = s.spawn_rules
    if sp.flood_zone_spawning_only or sp.flood_driven_spawning is not None:
        raise ScenarioError(
            sc.path / "simsetting.yml",
            "flood-driven spawning (DFlee) is not part of Flee 3.1's working rule set and "
            "Corredor does not implement it",
            field="spawn_rules.flood_zone_spawning_only",
            fix="remove the flood spawning settings",
        )
    cds = sp.conflict_driven_spawning
    conflict_driven = None
    if cds is not None:
        conflict_driven = (str(cds.spawn_mode).lower(), float(cds.displaced_per_conflict_day))
    spawn = {
        "conflict_driven": conflict_driven,
        "decay": list(sp.conflict_spawn_decay) if sp.conflict_spawn_decay else None,
        "insert_day0": bool(sp.insert_day0),
        "take_from_population": bool(sp.take_from_population),
        # 3.1 reads the misspelt key only; Corredor also accepts the right spelling
        "camps_are_sinks": bool(
            sp.camps_are_sicks if quirks or sp.camps_are_sinks is None else sp.camps_are_sinks
        ),
        "demographics": sc.demographics or None,
    }
    return move, spawn


def _params(move: dict[str, Any], quirks: bool) -> npt.NDArray[np.float64]:
    P = np.zeros(K.N_PARAMS, dtype=np.float64)
    P[K.MAX_SPEED] = move["max_move_speed"]
    P[K.WALK_SPEED] = move["max_walk_speed"]
    P[K.WEIGHT_SOFTENING] = move["weight_softening"]
    P[K.WEIGHT_POWER] = move["weight_power"]
    P[K.CAPACITY_BUFFER] = move["capacity_buffer"]
    P[K.START_ON_FOOT] = float(bool(move["start_on_foot"]))
    P[K.AVOID_SHORT_STINTS] = float(bool(move["avoid_short_stints"]))
    P[K.FULL_ALLOWANCE] = float(quirks)
    P[K.FROZEN] = float(quirks and int(move["awareness_level"]) == 0)
    P[K.UNIFORM_CHOICE] = float(not quirks and int(move["awareness_level"]) == 0)
    P[K.STAY_CLOSE_TO_HOME] = float(bool(move["stay_close_to_home"]))
    P[K.HOME_DISTANCE_POWER] = move["home_distance_power"]
    P[K.DISTANCE_FROM_CURRENT] = float(quirks)
    P[K.CHILDREN_AVOID_HAZARDS] = float(bool(move["ChildrenAvoidHazards"]))
    P[K.BOYS_TAKE_RISK] = float(bool(move["BoysTakeRisk"]))
    return P


def _great_circle(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], swap: bool
) -> npt.NDArray[np.float64]:
    """Pairwise great-circle distances (km). Flee 3.1 swaps latitude and longitude (``swap``)."""
    if swap:
        lat, lon = lon, lat
    la, lo = np.radians(lat), np.radians(lon)
    dlat = la[:, None] - la[None, :]
    dlon = lo[:, None] - lo[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(la[:, None]) * np.cos(la[None, :]) * np.sin(dlon / 2) ** 2
    return np.asarray(
        2 * EARTH_RADIUS_KM * np.arctan2(np.sqrt(a), np.sqrt(np.maximum(1 - a, 0.0))),
        dtype=np.float64,
    )


# ----------------------------------------------------------------------------- build
def _graph(sc: FleeScenario, move: dict[str, Any], quirks: bool) -> Graph:
    a = np.asarray(sc.link_a, dtype=np.int32)
    b = np.asarray(sc.link_b, dtype=np.int32)
    dist = np.asarray(sc.link_distance, dtype=np.float64)
    forced = np.asarray(sc.link_forced, dtype=np.int8)
    speed = np.asarray(
        sc.link_attributes.get("max_move_speed", np.full(a.shape, np.nan)), dtype=np.float64
    )
    walk = np.asarray(
        sc.link_attributes.get("walk_probability", np.zeros(a.shape)), dtype=np.float64
    )
    rows = np.arange(a.shape[0], dtype=np.int32)
    if quirks:  # Flee 3.1: forced_redirection = 1 adds a second, ordinary copy of the link
        dup = forced == 1
        a, b, dist = (
            np.concatenate([a, a[dup]]),
            np.concatenate([b, b[dup]]),
            np.concatenate([dist, dist[dup]]),
        )
        speed, walk = np.concatenate([speed, speed[dup]]), np.concatenate([walk, walk[dup]])
        rows = np.concatenate([rows, rows[dup]])
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    speed2 = np.concatenate([speed, speed])
    speed2 = np.where(np.isnan(speed2), float(move["max_move_speed"]), speed2)
    return Graph.from_directed(
        len(sc.names),
        src,
        dst,
        np.concatenate([dist, dist]),
        speed=speed2,
        walk_p=np.concatenate([walk, walk]),
        row=np.concatenate([rows, rows]),
    )


def build_state(
    sc: FleeScenario, *, seed: int, quirks: bool, live: bool = True
) -> tuple[FleeState, FleeRules]:
    """Turn a loaded Flee scenario into the initial state (camps pre-filled) and the rules."""
    move, spawn = rules_from_settings(sc, quirks)
    n_loc = len(sc.names)
    kind = list(sc.kind)
    is_camp = np.array([k in ("camp", "idpcamp") for k in kind], dtype=np.bool_)
    is_idp = np.array([k == "idpcamp" for k in kind], dtype=np.bool_)
    is_town = np.array([k == "town" for k in kind], dtype=np.bool_)
    is_marker = np.array([k == "marker" for k in kind], dtype=np.bool_)
    conflict = np.where(
        np.array([k == "conflict" for k in kind]),
        np.asarray(sc.conflict_intensity, dtype=np.float64),
        -1.0,
    )
    chance = {
        "camp": move["camp_movechance"],
        "idpcamp": move["idpcamp_movechance"],
        "conflict": move["conflict_movechance"],
        "forward": 1.0,
        "marker": 1.0,
        "town": move["default_movechance"],
    }
    base_mc = np.array([chance[k] for k in kind], dtype=np.float64)
    auto_camp = (base_mc < 0.005) & ~is_camp  # Flee: "automatically setting location … to camp"
    is_camp |= auto_camp
    is_town &= ~auto_camp
    capacity = np.where(is_camp, np.asarray(sc.capacity, dtype=np.int64), -1)
    pop = np.where(is_camp, 0, np.asarray(sc.population, dtype=np.int64)).astype(np.int64)

    graph = _graph(sc, move, quirks)
    awareness = int(move["awareness_level"])
    paths = enumerate_paths(graph, is_marker, awareness if not quirks else max(awareness, 1))
    pdenom = (move["softening"] + paths.length) ** move["distance_power"]

    if quirks and spawn["camps_are_sinks"] and "deactivation_probability" in sc.attributes:
        raise ScenarioError(
            sc.path / "input_csv" / "locations.csv",
            "with camps_are_sicks on, Flee 3.1 compares the deactivation_probability text with "
            "a number and stops with a TypeError; flee31_quirks reproduces that",
            column="deactivation_probability",
            fix="switch flee31_quirks off to use camps as sinks",
        )
    columns = dict(AGENT_COLUMNS)
    for attr in sorted(sc.demographics or {}):
        columns[f"attr_{attr}"] = (np.int16, -1)
    agents = AgentTable(columns, capacity=1024)
    stay_home = bool(move["stay_close_to_home"])
    dist = (
        _great_circle(np.asarray(sc.lat), np.asarray(sc.lon), swap=quirks)
        if stay_home
        else np.zeros((1, 1))
    )
    deact = np.asarray(
        [_to_float(v) for v in sc.attributes.get("deactivation_probability", [""] * n_loc)],
        dtype=np.float64,
    )
    st = FleeState(
        seed=seed,
        quirks=quirks,
        live=live,
        days=sc.length,
        agents=agents,
        graph=graph,
        paths=paths,
        names=list(sc.names),
        countries=list(sc.countries),
        is_camp=is_camp,
        is_idpcamp=is_idp,
        is_town=is_town,
        is_marker=is_marker,
        foreign=np.asarray(sc.foreign, dtype=np.bool_).copy(),
        conflict=conflict,
        time_of_conflict=np.full(n_loc, -1, dtype=np.int64),
        pop=pop,
        capacity=capacity,
        base_movechance=base_mc,
        movechance=base_mc.copy(),
        score=np.ones(n_loc),
        popw=np.ones(n_loc),
        dist=dist,
        deactivation=deact,
        count=np.zeros(n_loc, dtype=np.int64),
        spawn_weights=np.zeros(n_loc),
        params=_params(move, quirks),
        keys=np.array(
            [
                rng.stream_key_np(seed, s)
                for s in (rng.STREAM_MOVE, rng.STREAM_ROUTE, rng.STREAM_TRAVEL)
            ],
            dtype=np.uint64,
        ),
        pdenom=np.asarray(pdenom, dtype=np.float64),
        path_base=np.zeros(paths.n_paths, dtype=np.float64),
    )
    camp_index = np.array([sc.names.index(c) for c in sc.camp_names], dtype=np.int64)
    if spawn["insert_day0"] and len(camp_index):
        prefill_camps(st, camp_index, np.asarray(sc.observed[0]), spawn["demographics"])
    if sc.agents_csv is not None:
        _add_agents_csv(st, sc)
    refresh_spawn_weights(st, 0, spawn)
    rules = FleeRules(
        move=move,
        spawn=spawn,
        conflict_names_index=None if sc.conflict_values is None else np.asarray(sc.conflict_index),
        conflict_values=None if sc.conflict_values is None else np.asarray(sc.conflict_values),
        closures=list(sc.closures),
        total_int=np.asarray(sc.total_int, dtype=np.int64),
    )
    return st, rules


def _add_agents_csv(st: FleeState, sc: FleeScenario) -> None:
    """Agents listed in agents.csv keep the attributes written there (Flee 3.1 does not sample
    demographics for them); ``age`` and ``gender`` feed the optional age/gender rules."""
    assert sc.agents_csv is not None
    first = st.agents.n
    add_agents(st, np.asarray(sc.agents_csv.location, dtype=np.int32), 0, None)
    rows = slice(first, st.agents.n)
    for name, col in sc.agents_csv.attributes.items():
        codes = np.asarray(col.codes)
        if name == "age":
            table = np.array([_to_int(v) for v in col.values] + [-1], dtype=np.int16)
            st.agents.raw("age")[rows] = table[codes]  # code -1 (missing) → the appended -1
        elif name == "gender":
            table_b = np.array([v.strip().lower() == "male" for v in col.values] + [False])
            st.agents.raw("male")[rows] = table_b[codes]


def _to_int(v: str) -> int:
    try:
        return int(float(v))
    except ValueError:
        return -1


def _to_float(v: object) -> float:
    try:
        return float(str(v))
    except ValueError:
        return 0.0


__all__ = ["MOVE_KEYS", "build_state", "rules_from_settings"]
