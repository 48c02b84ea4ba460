"""Behaviour of the Flee 3.1 rule set on tiny scenarios, against analytic expectations.

Every scenario is written with ``tests/flee_dirs.py`` and run through the public API
(``corredor.run``) or, where a test needs the agents themselves, through ``build_state`` and the
day plan. Expected values are derived in the tests from the rules as documented in
docs/flee-compatibility.md (and FLEE.md), not from the code. Random outcomes are binomial
shares of tens of thousands of agents (or Poisson totals); every tolerance is five standard
errors, and every seed is fixed, so the tests cannot flake, yet each can fail: the alternative
outcomes the tests guard against lie many tolerances away.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import corredor
from corredor.errors import ScenarioError
from corredor.rules.flee import kernels as K
from corredor.rules.flee.model import build_state
from corredor.rules.flee.processes import build_plan
from corredor.simulation.flee import load_flee

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from flee_dirs import loc, write_flee_dir

Z_SD = 5.0  # tolerances are this many standard errors


def binomial_tol(n: int, p: float) -> float:
    """Five standard errors of a share estimated from ``n`` Bernoulli(p) trials."""
    return Z_SD * math.sqrt(p * (1.0 - p) / n)


def weight(
    s: float,
    km: float,
    *,
    ws: float = 0.0,
    ds: float = 10.0,
    dp: float = 1.0,
    wp: float = 1.0,
    c: float = 1.0,
) -> float:
    """Flee 3.1's route weight w = [(ws + S) / (ds + L)^dp × C]^wp (FLEE.md §3.2)."""
    return float(((ws + s) / (ds + km) ** dp * c) ** wp)


def cap_factor(capacity: int, n: int, buffer: float = 0.9) -> float:
    """Flee 3.1's capacity factor (FLEE.md §3.2), written out independently of the kernel."""
    if capacity < 1 or n <= buffer * capacity:
        return 1.0
    if n >= capacity:
        return 0.0
    return 1.0 - (n - buffer * capacity) / ((1.0 - buffer) * capacity)


def spawn_constant(n: int) -> dict[str, Any]:
    """Conflict-driven constant spawning: int(n × intensity) agents per zone per day."""
    return {"conflict_driven_spawning": {"spawn_mode": "constant", "displaced_per_conflict_day": n}}


def settings(move: dict[str, Any] | None = None, spawn: dict[str, Any] | None = None) -> dict:
    """simsetting.yml with camps that never empty (camp_movechance 0) unless ``move`` says."""
    return {
        "move_rules": {"camp_movechance": 0.0, **(move or {})},
        "spawn_rules": dict(spawn or {}),
    }


def states(root: Path, *, seed: int, quirks: bool, live: bool = True) -> tuple[Any, Any, Any]:
    """Scenario, initial state and day plan of ``root`` (the pattern of test_conservation)."""
    sc = load_flee(root)
    st, rules = build_state(sc, seed=seed, quirks=quirks, live=live)
    return sc, st, build_plan(rules)


def assert_consistent(st: Any) -> None:
    """Maintained counts equal a census; at a location + on a link == alive."""
    a = st.agents
    alive = a["alive"]
    census = np.zeros_like(st.count)
    K.recount(a.n, st.kernel_agents(), census)
    np.testing.assert_array_equal(st.count, census)
    on_link = int((alive & (a["link"] >= 0)).sum())
    assert int(st.count.sum()) + on_link == int(alive.sum())


# ------------------------------------------------------------------ 1. several links in one day
@pytest.fixture
def multi_link(tmp_path: Path) -> Path:
    """FLEE.md §3.3: A–B 100 km, B–C 350 km, B a forwarding hub, 360 km/day. A zero conflict
    weight makes A worthless from B, so every agent at B heads for C."""
    return write_flee_dir(
        tmp_path / "s",
        locations=[loc("A", "conflict_zone", 1000), loc("B", "forwarding_hub"), loc("C", "camp")],
        routes=[("A", "B", 100), ("B", "C", 350)],
        days=2,
        simsetting=settings({"conflict_weight": 0.0}, spawn_constant(50)),
    )


def test_multi_link_day_quirks_full_allowance_per_link(multi_link: Path) -> None:
    res = corredor.run(multi_link, seed=1, flee31_quirks=True)
    a, b, c = 0, 1, 2
    # 100 km to B, then a fresh 360 km on B–C: 450 km on day 0, all at C
    assert res.counts[0, 0].tolist() == [0, 0, 50]
    assert res.counts[0, 1, c] == 100  # day 1's cohort too
    assert res.counts[0, 1, a] == res.counts[0, 1, b] == 0


def test_multi_link_day_default_one_allowance(multi_link: Path) -> None:
    res = corredor.run(multi_link, seed=1, flee31_quirks=False)
    # day 0: 100 km to B, 260 km left: everyone is on the B–C link, nobody at a location
    assert res.counts[0, 0].tolist() == [0, 0, 0]
    assert res.agents_total[0, 0] == 50
    # day 1: they arrive at C; day 1's cohort is on B–C in turn
    assert res.counts[0, 1].tolist() == [0, 0, 50]
    assert res.agents_total[0, 1] == 100
    # where exactly: on B→C with 360 − 100 = 260 km done
    _, st, plan = states(multi_link, seed=1, quirks=False)
    plan.run_day(st, 0)
    a = st.agents
    g = st.graph
    assert (g.link_from[a["link"]] == 1).all() and (g.link_to[a["link"]] == 2).all()
    np.testing.assert_allclose(a["on_km"], 260.0)


# ------------------------------------------------------------------ 2. leave or stay
@pytest.mark.parametrize("movechance", [None, 0.55])
def test_leave_probability_town_and_camp(tmp_path: Path, movechance: float | None) -> None:
    """A town's agents leave with default_movechance (0.3 by default), a camp's with
    camp_movechance (0.001). Far neighbours keep leavers on the link at the end of the day."""
    n_town, n_camp = 20_000, 100_000
    move = {"camp_movechance": 0.001}
    if movechance is not None:
        move["default_movechance"] = movechance
    root = write_flee_dir(
        tmp_path / "s",
        locations=[
            loc("T", "town", 5000),
            loc("U", "town", 5000),
            loc("K", "camp"),
            loc("V", "town", 5000),
        ],
        routes=[("T", "U", 1000), ("K", "V", 1000)],
        days=1,
        simsetting={"move_rules": move},
        camps={"K": [n_camp]},
        agents=[("T",)] * n_town,
    )
    res = corredor.run(root, seed=7)
    p_town = 0.3 if movechance is None else movechance
    left_town = 1.0 - res.counts[0, 0, 0] / n_town
    assert abs(left_town - p_town) <= binomial_tol(n_town, p_town)
    left_camp = n_camp - res.counts[0, 0, 2]
    mean, sd = n_camp * 0.001, math.sqrt(n_camp * 0.001 * 0.999)
    assert abs(left_camp - mean) <= Z_SD * sd
    # the leavers are on the links, nobody arrived anywhere
    assert res.counts[0, 0, 1] == res.counts[0, 0, 3] == 0
    assert res.agents_total[0, 0] == n_town + n_camp


# ------------------------------------------------------------------ 3. route choice
ROUTE_CASES = {
    # name: (move_rules, foreign C2, weight keywords, S(C1), S(C2))
    "defaults": ({}, False, {}, 1.0, 1.0),
    "distance_power_2": ({"distance_power": 2.0}, False, {"dp": 2.0}, 1.0, 1.0),
    "weight_power_half": ({"weight_power": 0.5}, False, {"wp": 0.5}, 1.0, 1.0),
    "softening_30": ({"softening": 30.0}, False, {"ds": 30.0}, 1.0, 1.0),
    "foreign_weight_4": ({"foreign_weight": 4.0}, True, {}, 1.0, 4.0),
    "camp_weight_with_weight_softening": (
        {"camp_weight": 3.0, "foreign_weight": 3.0, "weight_softening": 1.0},
        True,
        {"ws": 1.0},
        3.0,
        9.0,
    ),
}


@pytest.mark.parametrize("case", list(ROUTE_CASES))
def test_route_choice_shares_follow_the_weight_formula(tmp_path: Path, case: str) -> None:
    """From Z, camps C1 at 10 km and C2 at 30 km: P(C1) = w1 / (w1 + w2) with
    w = [(ws + S) / (ds + L)^dp × C]^wp; with the defaults 2/3 and 1/3."""
    move, foreign, kw, s1, s2 = ROUTE_CASES[case]
    n = 30_000
    root = write_flee_dir(
        tmp_path / "s",
        locations=[
            loc("Z", "conflict_zone", 1000),
            loc("C1", "camp"),
            loc("C2", "camp", country="Yland" if foreign else "Xland"),
        ],
        routes=[("Z", "C1", 10), ("Z", "C2", 30)],
        days=1,
        simsetting=settings(move, spawn_constant(n)),
    )
    res = corredor.run(root, seed=11)
    w1, w2 = weight(s1, 10, **kw), weight(s2, 30, **kw)
    p1 = w1 / (w1 + w2)
    if case == "defaults":
        assert p1 == pytest.approx(2 / 3)
    counts = res.counts[0, 0]
    assert counts[0] == 0 and counts.sum() == n
    assert abs(counts[1] / n - p1) <= binomial_tol(n, p1)


# ------------------------------------------------------------------ 4. capacity
@pytest.mark.parametrize("prefill", [100, 97, 94, 90, 50])
def test_capacity_factor_in_route_choice_and_full_camp_drop(tmp_path: Path, prefill: int) -> None:
    """C1 (capacity 100, buffer 0.9) starts with ``prefill`` agents, C2 is unlimited, both
    10 km from Z. Route choice weighs C1 by its capacity factor c: P(C1) = c / (c + 1). When
    c < 0.5 an agent that chose C1 drops the route and stays at Z; at c = 0 nobody chooses C1.
    (Arrivals count only in pass 2, so every decision of the day sees ``prefill``.)"""
    n = 20_000
    root = write_flee_dir(
        tmp_path / "s",
        locations=[loc("Z", "conflict_zone", 1000), loc("C1", "camp", 100), loc("C2", "camp")],
        routes=[("Z", "C1", 10), ("Z", "C2", 10)],
        days=1,
        simsetting=settings(spawn=spawn_constant(n)),
        camps={"C1": [prefill]},
    )
    res = corredor.run(root, seed=5)
    c = cap_factor(100, prefill)
    assert c == pytest.approx({100: 0.0, 97: 0.3, 94: 0.6, 90: 1.0, 50: 1.0}[prefill])
    z, c1, c2 = res.counts[0, 0]
    chose_c1 = c / (c + 1.0)
    tol = binomial_tol(n, chose_c1)
    if c == 0.0:
        assert (z, c1, c2) == (0, prefill, n)
    elif c < 0.5:  # routes to C1 dropped: those agents stay at Z, C1 untouched
        assert c1 == prefill
        assert abs(z / n - chose_c1) <= tol
        assert z + c2 == n
    else:
        assert z == 0
        assert abs((c1 - prefill) / n - chose_c1) <= tol


# ------------------------------------------------------------------ 5. awareness_level 0
@pytest.fixture
def awareness0(tmp_path: Path) -> Path:
    """Z with three camps at 10, 100 and 300 km, a town T with a far neighbour U."""
    return write_flee_dir(
        tmp_path / "s",
        locations=[
            loc("Z", "conflict_zone", 1000),
            loc("K1", "camp"),
            loc("K2", "camp"),
            loc("K3", "camp"),
            loc("T", "town", 1000),
            loc("U", "town", 1000),
        ],
        routes=[("Z", "K1", 10), ("Z", "K2", 100), ("Z", "K3", 300), ("T", "U", 1000)],
        days=3,
        simsetting=settings({"awareness_level": 0}),
        agents=[("Z",)] * 30_000 + [("T",)] * 1000,
    )


def test_awareness_zero_quirks_nobody_ever_leaves(awareness0: Path) -> None:
    res = corredor.run(awareness0, seed=2, flee31_quirks=True)
    for t in range(3):
        assert res.counts[0, t].tolist() == [30_000, 0, 0, 0, 1000, 0]


def test_awareness_zero_default_uniform_neighbour(awareness0: Path) -> None:
    res = corredor.run(awareness0, seed=2, flee31_quirks=False, days=1)
    n = 30_000
    counts = res.counts[0, 0]
    assert counts[0] == 0  # movechance 1: all left, each to one of three neighbours
    for k in (1, 2, 3):  # distances (10, 100, 300 km) do not matter
        assert abs(counts[k] / n - 1 / 3) <= binomial_tol(n, 1 / 3)
    # the town still loses ~30 % a day, to its only neighbour (on the 1000 km link)
    assert abs((1000 - counts[4]) / 1000 - 0.3) <= binomial_tol(1000, 0.3)


# ------------------------------------------------------------------ 6. forced_redirection
@pytest.mark.parametrize("quirks", [True, False])
def test_forced_redirection_duplicates_link_only_with_quirks(tmp_path: Path, quirks: bool) -> None:
    """Two camps at 10 km; the Z–C1 row has forced_redirection 1. Flee 3.1 builds a second
    ordinary copy of that link: two candidate paths to C1, P(C1) = 2/3. Fixed: 1/2."""
    n = 30_000
    root = write_flee_dir(
        tmp_path / "s",
        locations=[loc("Z", "conflict_zone", 1000), loc("C1", "camp"), loc("C2", "camp")],
        routes=[("Z", "C1", 10, 1), ("Z", "C2", 10, 0)],
        days=1,
        simsetting=settings(spawn=spawn_constant(n)),
    )
    res = corredor.run(root, seed=3, flee31_quirks=quirks)
    p1 = 2 / 3 if quirks else 1 / 2
    assert res.counts[0, 0, 1:].sum() == n
    assert abs(res.counts[0, 0, 1] / n - p1) <= binomial_tol(n, p1)


# ------------------------------------------------------------------ 7. closures
@pytest.mark.parametrize("quirks", [True, False])
def test_country_closure_blocks_every_cross_border_link(tmp_path: Path, quirks: bool) -> None:
    """Z (Xland) reaches camps only in Yland; the border is closed on days 0–1 and reopens on
    day 2 (the row is written Yland,Xland: both directions close)."""
    root = write_flee_dir(
        tmp_path / "s",
        locations=[
            loc("Z", "conflict_zone", 1000),
            loc("C1", "camp", country="Yland"),
            loc("C2", "camp", country="Yland"),
        ],
        routes=[("Z", "C1", 10), ("Z", "C2", 20)],
        days=4,
        closures=[("country", "Yland", "Xland", 0, 2)],
        simsetting=settings(spawn=spawn_constant(100)),
    )
    res = corredor.run(root, seed=4, flee31_quirks=quirks)
    z = res.counts[0, :, 0].tolist()
    camps = res.counts[0, :, 1:].sum(axis=1).tolist()
    assert z == [100, 200, 0, 0]
    assert camps == [0, 0, 300, 400]
    # every link between the two countries, both directions, is masked while closed
    _, st, plan = states(root, seed=4, quirks=quirks)
    cross = np.array(
        [
            st.countries[i] != st.countries[j]
            for i, j in zip(st.graph.link_from, st.graph.link_to, strict=True)
        ]
    )
    assert cross.all() and len(cross) == 4
    for t, is_open in ((0, False), (1, False), (2, True)):
        plan.run_day(st, t)
        assert (st.graph.link_open == is_open).all()


@pytest.mark.parametrize("names", [("C1", "Z"), ("Z", "C1")])
@pytest.mark.parametrize("quirks", [True, False])
def test_link_closure(tmp_path: Path, quirks: bool, names: tuple[str, str]) -> None:
    """A ``link`` row closes nothing in Flee 3.1 (quirks: C1 keeps its 2/3 share); fixed, it
    closes both directions whatever the order of the names (nobody reaches C1)."""
    n = 30_000
    root = write_flee_dir(
        tmp_path / "s",
        locations=[loc("Z", "conflict_zone", 1000), loc("C1", "camp"), loc("C2", "camp")],
        routes=[("Z", "C1", 10), ("Z", "C2", 30)],
        days=1,
        closures=[("link", *names, 0, 5)],
        simsetting=settings(spawn=spawn_constant(n)),
    )
    res = corredor.run(root, seed=6, flee31_quirks=quirks)
    counts = res.counts[0, 0]
    if quirks:
        assert abs(counts[1] / n - 2 / 3) <= binomial_tol(n, 2 / 3)
    else:
        assert counts.tolist() == [0, 0, n]
    _, st, plan = states(root, seed=6, quirks=quirks)
    plan.run_day(st, 0)
    g = st.graph
    z_c1 = ((g.link_from == 0) & (g.link_to == 1)) | ((g.link_from == 1) & (g.link_to == 0))
    assert z_c1.sum() == 2
    assert (g.link_open[z_c1] == quirks).all()
    assert g.link_open[~z_c1].all()


def test_camp_closure_turns_camp_into_town_until_end_day(tmp_path: Path) -> None:
    """K holds 20 000 agents who never leave a camp (camp_movechance 0). Closed on day 1 it is a
    town (default_movechance 0.3); on day 2 it is a camp again."""
    n = 20_000
    root = write_flee_dir(
        tmp_path / "s",
        locations=[loc("K", "camp"), loc("T", "town", 1000)],
        routes=[("K", "T", 2000)],
        days=4,
        closures=[("camp", "K", "", 1, 2)],
        simsetting=settings(),
        camps={"K": [n]},
    )
    res = corredor.run(root, seed=8)
    k = res.counts[0, :, 0]
    assert k[0] == n
    assert abs((n - k[1]) / n - 0.3) <= binomial_tol(n, 0.3)
    assert k[2] == k[1] and k[3] == k[1]
    assert res.agents_total[0].tolist() == [n] * 4


# ------------------------------------------------------------------ 8. conflicts.csv
CONFLICT_CASES = {
    # Z2's conflicts.csv column: (values, spawns at Z2 default, spawns at Z2 with quirks)
    "on_then_off_from_1": ([0, 0, 1, 1, 0, 0, 0], [0, 0, 100, 100, 0, 0, 0], None),
    "off_from_half": (
        [0, 0, 0.5, 0.5, 0, 0, 0],
        [0, 0, 50, 50, 0, 0, 0],
        [0, 0, 50, 50, 50, 50, 50],
    ),
    "change_without_zero": (
        [0, 0, 0.5, 1, 1, 0, 0],
        [0, 0, 50, 100, 100, 0, 0],
        [0, 0, 50, 50, 50, 0, 0],
    ),
}


@pytest.mark.parametrize("case", list(CONFLICT_CASES))
@pytest.mark.parametrize("quirks", [True, False])
def test_conflicts_csv_activation_and_removal(tmp_path: Path, case: str, quirks: bool) -> None:
    """Z1 is in conflict every day (100 agents a day). Z2 (conflict_date 2: a town until
    conflicts.csv switches it on) spawns int(100 × intensity) while active. A zone ends when its
    value returns to 0; Flee 3.1 ends it only if the day before was exactly 1 and ignores
    intensity changes without a 0 in between."""
    values, default, quirky = CONFLICT_CASES[case]
    expected_z2 = (quirky or default) if quirks else default
    days = len(values)
    root = write_flee_dir(
        tmp_path / "s",
        locations=[
            loc("Z1", "conflict_zone", 1000),
            loc("Z2", "conflict_zone", 1000, conflict_date=2),
            loc("C", "camp"),
        ],
        routes=[("Z1", "C", 10), ("Z2", "C", 1000)],
        days=days,
        conflicts={"Z1": [1] * days, "Z2": values},
        simsetting=settings(spawn=spawn_constant(100)),
        agents=[("Z2",)] * 1000,
    )
    res = corredor.run(root, seed=9, flee31_quirks=quirks)
    total = res.agents_total[0]
    spawned = np.diff(np.concatenate([[1000], total])).tolist()
    assert spawned == [100 + e for e in expected_z2]
    # before day 2 Z2 is a town (about 30 % of its agents leave a day); from day 2 it is a
    # conflict zone: move chance 1, everyone (the day's new agents too) leaves at once
    z2 = res.counts[0, :, 1]
    stay, sd = 1000 * 0.7**2, math.sqrt(1000 * 0.7**2 * (1 - 0.7**2))
    assert abs(z2[1] - stay) <= Z_SD * sd
    assert z2[2] == 0


# ------------------------------------------------------------------ 9. data-driven spawning
TOTAL = [10, 30, 25, 20, 40, 45, 50]  # rises, falls, rises


def flee_spawns(total: Sequence[int], insert_day0: bool) -> tuple[list[int], list[int]]:
    """New agents and debt per day by Flee 3.1's rule (FLEE.md §4): the day's increase of the
    total minus the carried debt; a negative result becomes the debt; day 0 spawns nothing
    when camps are pre-filled."""
    new, debts, debt, previous = [], [], 0, 0
    for t, value in enumerate(total):
        n = value - previous - debt
        previous = value
        if insert_day0 and t == 0:
            n = 0
        debt = -n if n < 0 else 0
        new.append(max(n, 0))
        debts.append(debt)
    return new, debts


@pytest.mark.parametrize("insert_day0", [True, False])
def test_data_driven_spawning_with_debt(tmp_path: Path, insert_day0: bool) -> None:
    expected_new, expected_debt = flee_spawns(TOTAL, insert_day0)
    if insert_day0:  # written out once by hand, so that the rule above is checked too
        assert expected_new == [0, 20, 0, 0, 10, 5, 5]
        assert expected_debt == [0, 0, 5, 10, 0, 0, 0]
    root = write_flee_dir(
        tmp_path / "s",
        locations=[loc("Z", "conflict_zone", 1000), loc("C1", "camp"), loc("C2", "camp")],
        routes=[("Z", "C1", 10), ("Z", "C2", 10)],
        days=len(TOTAL),
        total=TOTAL,
        camps={"C1": [7] * len(TOTAL), "C2": [3] * len(TOTAL)},
        simsetting=settings(spawn={"insert_day0": insert_day0}),
    )
    res = corredor.run(root, seed=10)
    prefill = 10 if insert_day0 else 0
    assert res.agents_total[0].tolist() == (prefill + np.cumsum(expected_new)).tolist()
    assert res.refugee_debt[0].tolist() == expected_debt
    out = res.camps(0)
    assert out["raw UNHCR refugee count"].tolist() == TOTAL
    assert out["refugee_debt"].tolist() == expected_debt
    # pre-fill: the camps hold their day-0 observations before day 0, and day 0 adds nobody
    _, st, plan = states(root, seed=10, quirks=False)
    assert st.count.tolist() == ([0, 7, 3] if insert_day0 else [0, 0, 0])
    assert st.agents.n == prefill
    plan.run_day(st, 0)
    assert st.agents.n == 10
    assert (st.agents["home"][prefill:] == 0).all()  # spawned at the conflict zone


def test_spawn_location_proportional_to_population_times_intensity(tmp_path: Path) -> None:
    """Spawn weight = population × intensity: Z1 (1000, 1) and Z2 (1500, 2) share 1/4, 3/4."""
    n = 40_000
    root = write_flee_dir(
        tmp_path / "s",
        locations=[
            loc("Z1", "conflict_zone", 1000, extra=[1.0]),
            loc("Z2", "conflict_zone", 1500, extra=[2.0]),
            loc("C", "camp"),
        ],
        location_columns=["conflict_intensity"],
        routes=[("Z1", "C", 10), ("Z2", "C", 10)],
        days=2,
        total=[0, n],
        simsetting=settings(),
    )
    _, st, plan = states(root, seed=12, quirks=False)
    plan.run_day(st, 0)
    plan.run_day(st, 1)
    home = st.agents["home"]
    assert home.shape[0] == n
    assert abs((home == 0).mean() - 0.25) <= binomial_tol(n, 0.25)
    assert (home <= 1).all()


# ------------------------------------------------------------------ 10. conflict-driven spawning
@pytest.mark.parametrize("quirks", [True, False])
def test_conflict_driven_constant_with_decay(tmp_path: Path, quirks: bool) -> None:
    """constant: int(D × intensity × decay) per zone per day, decay = w[min(days/30, len−1)]
    since the zone started; Flee 3.1 ignores the decay here."""
    d, decay, intensity = 100, [0.5, 0.25], {0: 1.0, 1: 0.255}
    days = 31
    root = write_flee_dir(
        tmp_path / "s",
        locations=[
            loc("Z1", "conflict_zone", 1000),
            loc("Z2", "conflict_zone", 1000),
            loc("C", "camp"),
        ],
        routes=[("Z1", "C", 10), ("Z2", "C", 10)],
        days=days,
        conflicts={"Z1": [1.0] * days, "Z2": [0.255] * days},
        simsetting=settings(spawn={**spawn_constant(d), "conflict_spawn_decay": decay}),
    )
    _, st, plan = states(root, seed=13, quirks=quirks)
    for t in range(days):
        n0 = st.agents.n
        plan.run_day(st, t)
        per_zone = np.bincount(st.agents["home"][n0:], minlength=3).tolist()
        factor = 1.0 if quirks else decay[min(t // 30, len(decay) - 1)]
        expected = [int(d * (intensity[z] * factor)) for z in (0, 1)]
        assert per_zone == [*expected, 0], t
    if not quirks:
        assert per_zone == [25, 6, 0]  # day 30: second decay window
    # the public API sees the same totals
    res = corredor.run(root, seed=13, flee31_quirks=quirks)
    assert res.agents_total[0, -1] == st.agents.n


def test_conflict_driven_poisson(tmp_path: Path) -> None:
    d, days = 1000, 20
    root = write_flee_dir(
        tmp_path / "s",
        locations=[loc("Z", "conflict_zone", 1000), loc("C", "camp")],
        routes=[("Z", "C", 10)],
        days=days,
        simsetting=settings(
            spawn={
                "conflict_driven_spawning": {
                    "spawn_mode": "poisson",
                    "displaced_per_conflict_day": d,
                }
            }
        ),
    )
    with pytest.raises(ScenarioError, match="poisson"):
        corredor.run(root, seed=14, flee31_quirks=True)
    res = corredor.run(root, seed=14, flee31_quirks=False)
    daily = np.diff(np.concatenate([[0], res.agents_total[0]]))
    mean = d * days
    assert abs(int(daily.sum()) - mean) <= Z_SD * math.sqrt(mean)
    assert len(set(daily.tolist())) > 1  # random, not the constant D
    again = corredor.run(root, seed=14, flee31_quirks=False)
    np.testing.assert_array_equal(again.agents_total, res.agents_total)  # seeded


# ------------------------------------------------------------------ 11. errors
def _tiny(root: Path, simsetting: dict, camp_extra: Sequence[object] = (), **kw: Any) -> Path:
    return write_flee_dir(
        root,
        locations=[loc("Z", "conflict_zone", 1000), loc("C", "camp", extra=camp_extra)],
        routes=[("Z", "C", 10)],
        days=2,
        simsetting=simsetting,
        **kw,
    )


@pytest.mark.parametrize(
    "spawn",
    [
        {"flood_zone_spawning_only": True},
        {"flood_zone_spawning_only": True, "conflict_zone_spawning_only": False},
        {
            "flood_zone_spawning_only": True,
            "conflict_zone_spawning_only": False,
            "flood_driven_spawning": {"spawn_mode": "constant"},
        },
    ],
)
def test_flood_spawning_is_an_error(tmp_path: Path, spawn: dict) -> None:
    root = _tiny(tmp_path / "s", {"spawn_rules": spawn})
    with pytest.raises(ScenarioError, match="flood"):
        corredor.run(root, seed=0)


def test_flood_driven_block_alone_is_ignored_as_in_31(tmp_path: Path) -> None:
    """Without flood_zone_spawning_only, 3.1 never reads flood_driven_spawning."""
    root = _tiny(
        tmp_path / "s", {"spawn_rules": {"flood_driven_spawning": {"spawn_mode": "constant"}}}
    )
    res = corredor.run(root, seed=0)
    assert any("spawn_rules.flood_driven_spawning" in w for w in res.warnings)


def test_quirks_sinks_with_deactivation_column_is_an_error(tmp_path: Path) -> None:
    root = _tiny(
        tmp_path / "s",
        {"spawn_rules": {"camps_are_sicks": True}},
        location_columns=["deactivation_probability"],
        camp_extra=["0.1"],
    )
    with pytest.raises(ScenarioError, match="deactivation_probability"):
        corredor.run(root, seed=0, flee31_quirks=True)
    corredor.run(root, seed=0, flee31_quirks=False)  # the fixed mode runs it


@pytest.mark.parametrize(
    "flag", ["MatchCampEthnicity", "MatchTownEthnicity", "MatchConflictEthnicity"]
)
@pytest.mark.parametrize("quirks", [True, False])
def test_match_ethnicity_is_an_error(tmp_path: Path, flag: str, quirks: bool) -> None:
    root = _tiny(tmp_path / "s", {"move_rules": {flag: True}})
    with pytest.raises(ScenarioError, match=flag):
        corredor.run(root, seed=0, flee31_quirks=quirks)


# ------------------------------------------------------------------ 12. camps as sinks
@pytest.mark.parametrize(
    ("key", "quirks", "sinks"),
    [
        ("camps_are_sinks", False, True),
        ("camps_are_sicks", False, True),
        ("camps_are_sinks", True, False),  # 3.1 reads only the misspelt key
    ],
)
def test_camps_as_sinks(tmp_path: Path, key: str, quirks: bool, sinks: bool) -> None:
    """K holds 20 000 agents, removed at 0.2 a day; Z sends 50 a day over a 500 km link."""
    n, rate, days = 20_000, 0.2, 4
    root = write_flee_dir(
        tmp_path / "s",
        locations=[loc("Z", "conflict_zone", 1000, extra=[""]), loc("K", "camp", extra=[rate])],
        location_columns=["deactivation_probability"],
        routes=[("Z", "K", 500)],
        days=days,
        camps={"K": [n]},
        simsetting=settings(spawn={key: True, **spawn_constant(50)}),
    )
    res = corredor.run(root, seed=15, flee31_quirks=quirks)
    removed = n - res.counts[0, 0, 1]  # nobody arrives on day 0 (500 km > 360 km)
    if sinks:
        assert abs(removed / n - rate) <= binomial_tol(n, rate)
    else:
        assert removed == 0
    _, st, plan = states(root, seed=15, quirks=quirks)
    for t in range(days):
        plan.run_day(st, t)
        assert_consistent(st)
        assert int(st.agents["alive"].sum()) == res.agents_total[0, t]
        np.testing.assert_array_equal(st.count, res.counts[0, t])
    assert (st.agents.n - int(st.agents["alive"].sum()) > 0) == sinks


# ------------------------------------------------------------------ 13. agents.csv
def test_agents_csv_locations_and_attributes(tmp_path: Path) -> None:
    rows = [
        ("K", "10", "male"),
        ("T", "30", "female"),
        ("K", "16", "Male"),
        ("T", "", "male"),
        ("K", "71", "female"),
    ]
    root = write_flee_dir(
        tmp_path / "s",
        locations=[loc("Z", "conflict_zone", 1000), loc("K", "camp"), loc("T", "town", 500)],
        routes=[("Z", "K", 10)],  # T has no neighbour: its agents cannot leave
        days=2,
        simsetting=settings(),
        agents=rows,
        agents_header=("location", "age", "gender"),
    )
    _, st, _ = states(root, seed=16, quirks=False)
    a = st.agents
    assert a.n == 5
    assert a["loc"].tolist() == [1, 2, 1, 2, 1]
    assert a["home"].tolist() == [1, 2, 1, 2, 1]
    assert a["age"].tolist() == [10, 30, 16, -1, 71]
    assert a["male"].tolist() == [True, False, True, True, False]
    assert st.count.tolist() == [0, 3, 2]
    res = corredor.run(root, seed=16)
    assert res.counts[0].tolist() == [[0, 3, 2], [0, 3, 2]]


# ------------------------------------------------------------------ 14. parallel (MPI) mode
def test_parallel_mode_matches_serial_without_capacity(tmp_path: Path) -> None:
    """Without capacities no decision reads the counts, so the two count semantics agree:
    statistically across seeds, and in fact draw for draw for the same seed. The parallel mode
    gives the same bits on one and two threads."""
    root = write_flee_dir(
        tmp_path / "s",
        locations=[
            loc("Z", "conflict_zone", 1000),
            loc("T", "town", 1000),
            loc("C1", "camp"),
            loc("C2", "camp"),
        ],
        routes=[("Z", "T", 50), ("T", "C1", 200), ("Z", "C2", 400), ("T", "C2", 300)],
        days=5,
        simsetting=settings({"awareness_level": 2, "camp_movechance": 0.001}, spawn_constant(2000)),
    )
    reps = 4
    serial = corredor.run(root, seed=0, replicas=reps)
    parallel = corredor.run(root, seed=100, replicas=reps, parallel=True)
    a = serial.camp_sim()[:, -1, :].astype(float)  # (R, camps) on the last day
    b = parallel.camp_sim()[:, -1, :].astype(float)
    n = serial.agents_total[:, -1].astype(float)
    assert (n == 10_000).all() and (parallel.agents_total[:, -1] == 10_000).all()
    for c in range(2):
        # difference of two means of binomial-like shares, with a pooled standard error
        p = (a[:, c].sum() + b[:, c].sum()) / (2 * n.sum())
        se = math.sqrt(2 * p * (1 - p) / n.sum())
        assert abs(a[:, c].sum() / n.sum() - b[:, c].sum() / n.sum()) <= Z_SD * se
    same_seed = corredor.run(root, seed=0, replicas=1, parallel=True)
    np.testing.assert_array_equal(same_seed.counts[0], serial.counts[0])
    one = corredor.run(root, seed=3, parallel=True, threads=1)
    two = corredor.run(root, seed=3, parallel=True, threads=2)
    np.testing.assert_array_equal(one.counts, two.counts)
