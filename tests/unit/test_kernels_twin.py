"""The numba movement kernels agree bit for bit with their NumPy twin on random inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corredor.engine import rng
from corredor.engine.graph import Graph
from corredor.rules.flee import kernels as K
from corredor.rules.flee.routes import enumerate_paths
from corredor.rules.flee.twin import day_twin

COLUMNS = (
    ("loc", np.int32),
    ("link", np.int32),
    ("on_km", np.float64),
    ("moved", np.float64),
    ("recent", np.float64),
    ("places", np.int32),
    ("route_path", np.int32),
    ("route_pos", np.int16),
    ("alive", np.bool_),
    ("home", np.int32),
    ("age", np.int16),
    ("male", np.bool_),
)


def random_world(
    seed: int, n_loc: int, n_agents: int, awareness: int, flags: dict[str, float], unlimited: bool
):
    r = np.random.default_rng(seed)
    # a connected random graph: a spanning path plus extra edges, some parallel
    a = list(range(n_loc - 1))
    b = list(range(1, n_loc))
    for _ in range(r.integers(0, 2 * n_loc)):
        i, j = r.choice(n_loc, 2, replace=False)
        a.append(int(i))
        b.append(int(j))
    a, b = np.array(a), np.array(b)
    dist = r.uniform(5, 500, a.shape[0]).round(1)
    speed = np.where(r.random(a.shape[0]) < 0.3, r.uniform(20, 400, a.shape[0]), 360.0)
    walk = np.where(r.random(a.shape[0]) < 0.3, r.uniform(0, 1, a.shape[0]), 0.0)
    g = Graph.from_directed(
        n_loc,
        np.r_[a, b],
        np.r_[b, a],
        np.r_[dist, dist],
        speed=np.r_[speed, speed],
        walk_p=np.r_[walk, walk],
    )
    g.link_open[:] = r.random(g.n_links) < 0.85
    is_marker = r.random(n_loc) < 0.15
    paths = enumerate_paths(g, is_marker, awareness)
    paths.refresh_open(g.link_open)
    pdenom = (r.uniform(1, 50) + paths.length) ** r.uniform(0.5, 1.5)
    is_camp = r.random(n_loc) < 0.3
    capacity = np.where(is_camp, 0 if unlimited else r.integers(0, 40, n_loc), -1).astype(np.int64)
    Lc = (
        r.uniform(0, 1, n_loc),
        r.random(n_loc) < 0.5,
        is_camp,
        capacity,
        r.uniform(0.1, 5, n_loc),
        r.uniform(0.5, 2, n_loc),
        r.uniform(0, 900, (n_loc, n_loc)),
    )
    A = []
    for name, dt in COLUMNS:
        if name in ("loc", "home"):
            col = r.integers(0, n_loc, n_agents)
        elif name == "link":
            col = np.where(r.random(n_agents) < 0.2, r.integers(0, g.n_links, n_agents), -1)
        elif name == "on_km":
            col = r.uniform(0, 100, n_agents)
        elif name == "recent":
            col = r.uniform(0, 1, n_agents)
        elif name == "moved":
            col = np.zeros(n_agents)
        elif name == "places":
            col = r.integers(1, 4, n_agents)
        elif name in ("route_path", "route_pos"):
            col = np.full(n_agents, -1 if name == "route_path" else 0)
        elif name == "alive":
            col = r.random(n_agents) < 0.95
        elif name == "age":
            col = r.integers(-1, 80, n_agents)
        else:
            col = r.random(n_agents) < 0.5
        A.append(np.asarray(col, dtype=dt))
    link = A[1]
    A[0] = np.where(link >= 0, g.link_from[np.maximum(link, 0)], A[0]).astype(np.int32)
    P = np.zeros(K.N_PARAMS)
    P[K.MAX_SPEED] = 360.0
    P[K.WALK_SPEED] = 35.0
    P[K.WEIGHT_SOFTENING] = r.choice([0.0, 0.5])
    P[K.WEIGHT_POWER] = r.choice([1.0, 2.0])
    P[K.CAPACITY_BUFFER] = r.uniform(0.5, 0.95)
    for key, val in flags.items():
        P[getattr(K, key)] = val
    count = np.zeros(n_loc, dtype=np.int64)
    K.recount(n_agents, tuple(A), count)
    keys = np.array([rng.stream_key_np(seed, s) for s in (1, 2, 3)], dtype=np.uint64)
    G = (g.link_from, g.link_to, g.link_len, g.link_open, g.link_speed, g.link_walk_p)
    R = (
        paths.path_ptr,
        paths.link_ptr,
        paths.links,
        paths.end,
        pdenom,
        paths.is_open,
        max(paths.max_paths_per_location(), 1),
        # the kernel's precomputed capacity-free weights, as scores_step computes them
        (P[K.WEIGHT_SOFTENING] + Lc[4][paths.end] * Lc[5][paths.end]) / pdenom,
    )
    return keys, A, G, R, Lc, count, P


def copy_world(A, count):
    return tuple(c.copy() for c in A), count.copy()


FLAG_SETS = [
    {},
    {"FULL_ALLOWANCE": 1.0},
    {"AVOID_SHORT_STINTS": 1.0, "START_ON_FOOT": 1.0},
    {"UNIFORM_CHOICE": 1.0},
    {"FROZEN": 1.0},
    {"STAY_CLOSE_TO_HOME": 1.0, "HOME_DISTANCE_POWER": 0.5},
    {"STAY_CLOSE_TO_HOME": 1.0, "DISTANCE_FROM_CURRENT": 1.0, "HOME_DISTANCE_POWER": 0.5},
    {"CHILDREN_AVOID_HAZARDS": 1.0, "BOYS_TAKE_RISK": 1.0},
]


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_loc=st.integers(2, 9),
    n_agents=st.integers(0, 300),
    awareness=st.integers(0, 3),
    flags=st.sampled_from(FLAG_SETS),
    days=st.integers(1, 3),
)
def test_parallel_kernel_equals_twin(seed, n_loc, n_agents, awareness, flags, days):
    keys, A, G, R, Lc, count, P = random_world(seed, n_loc, n_agents, awareness, flags, False)
    A1, c1 = copy_world(A, count)
    A2, c2 = copy_world(A, count)
    for day in range(days):
        K.day_parallel(day, n_agents, keys, A1, G, R, Lc, c1, P)
        day_twin(day, n_agents, keys, A2, G, R, Lc, c2, P)
    for (name, _), x, y in zip(COLUMNS, A1, A2, strict=True):
        np.testing.assert_array_equal(x, y, err_msg=name)
    np.testing.assert_array_equal(c1, c2)


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_loc=st.integers(2, 8),
    n_agents=st.integers(0, 300),
    awareness=st.integers(1, 2),
    flags=st.sampled_from(FLAG_SETS[:3]),
)
def test_serial_kernel_equals_twin_without_capacity_limits(seed, n_loc, n_agents, awareness, flags):
    """With unlimited camps, live and pass-snapshot counts cannot differ in effect."""
    keys, A, G, R, Lc, count, P = random_world(seed, n_loc, n_agents, awareness, flags, True)
    A1, c1 = copy_world(A, count)
    A2, c2 = copy_world(A, count)
    K.day_serial(0, n_agents, keys, A1, G, R, Lc, c1, P)
    day_twin(0, n_agents, keys, A2, G, R, Lc, c2, P)
    for (name, _), x, y in zip(COLUMNS, A1, A2, strict=True):
        np.testing.assert_array_equal(x, y, err_msg=name)
    np.testing.assert_array_equal(c1, c2)


def test_capacity_factor_matches_flee_definition():
    caps = np.array([-1, 0, 100, 100, 100, 100, 100])
    ns = np.array([5, 10**6, 50, 90, 95, 100, 120])
    expected = [1.0, 1.0, 1.0, 1.0, 0.5, 0.0, 0.0]
    for c, n, e in zip(caps, ns, expected, strict=True):
        assert K.capacity_factor(int(c), int(n), 0.9) == pytest.approx(e)
