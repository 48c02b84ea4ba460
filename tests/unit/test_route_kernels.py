"""The route-utility kernel equals its NumPy twin bit for bit (STYLE.md: the twin is the
oracle), on random tables and on the built-in corridor's first day."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from corredor.rules.corridor.move_kernels import stop_places, stop_places_np
from corredor.rules.corridor.route_kernels import (
    ahead_kernel,
    ahead_np,
    route_utils,
    route_utils_np,
    target_draw,
    target_draw_np,
    travel_within,
    travel_within_np,
)


def random_inputs(seed: int, n_zones: int) -> list:
    r = np.random.default_rng(seed)
    L, E, G, N = int(r.integers(1, 12)), int(r.integers(1, 30)), int(r.integers(1, 6)), 3
    lo, hi = -1, n_zones  # -1: outside any zone
    return [
        float(r.normal()), float(r.normal()), float(r.normal()), float(r.normal()),
        r.random(E) * 3, r.random(E) * 5,
        r.integers(lo, hi, E).astype(np.int32),
        r.integers(0, L, E).astype(np.int32),
        r.integers(lo, hi, L).astype(np.int32),
        r.random((n_zones, G)), r.random(n_zones) * 2,
        r.integers(0, 40, L).astype(float), r.integers(0, 20, (L, N)).astype(float),
        r.integers(0, N, G).astype(np.int64),
    ]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_zones=st.integers(0, 4))
def test_route_utils_matches_its_twin(seed: int, n_zones: int) -> None:
    args = random_inputs(seed, n_zones)
    got, want = route_utils(*args), route_utils_np(*args)
    assert got.shape == want.shape == (args[13].shape[0], args[7].shape[0])
    np.testing.assert_array_equal(got, want)


def test_route_utils_on_the_corridor() -> None:
    from corredor.rules.corridor.compiled import compile_corridor
    from corredor.scenario.corridor import load_corridor_scenario

    c = compile_corridor(load_corridor_scenario("mexico-us"), days=2)
    r = np.random.default_rng(1)
    L, N = len(c.loc_names), len(c.nat_names)
    here_nat = r.integers(0, 50, (L, N)).astype(float)
    args = [
        0.3, -1.2, -0.01, 0.7, c.link_risk, c.link_days, c.link_zone, c.link_to, c.zone_of_loc,
        c.zone_hazard[0], c.zone_effort[0], here_nat.sum(axis=1), here_nat, c.group_nat,
    ]  # fmt: skip
    got = route_utils(*args)
    np.testing.assert_array_equal(got, route_utils_np(*args))
    assert np.isfinite(got).all() and len(np.unique(got)) > 1


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_rows=st.integers(1, 12))
def test_travel_within_matches_its_twin(seed: int, n_rows: int) -> None:
    """Random CSR networks (some places without links), utilities with -inf and NaN."""
    r = np.random.default_rng(seed)
    L, G, B = int(r.integers(1, 8)), int(r.integers(1, 4)), int(r.integers(1, 4))
    counts = r.integers(0, 4, L)
    counts[r.integers(L)] += 1  # at least one link
    out_off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    E = int(out_off[-1])
    link_from = np.repeat(np.arange(L), counts).astype(np.int32)
    group_util = r.normal(size=(G, E)) * 3
    group_util[r.random((G, E)) < 0.1] = -np.inf
    group_util[r.random((G, E)) < 0.05] = np.nan
    travel_left = r.normal(size=(B, E))
    travel_cand = r.random((G * B, E)) < 0.6
    rows = np.unique(r.integers(0, G * B, n_rows)).astype(np.int64)
    args = (rows, group_util, travel_left, travel_cand, out_off, link_from)
    with np.errstate(invalid="ignore"):
        got, want = travel_within(*args), travel_within_np(*args)
    for x, y in zip(got, want, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 300))
def test_target_draw_matches_its_twin(seed: int, n: int) -> None:
    """Random places (some cities unreachable, some places none), nationalities and stocks."""
    r = np.random.default_rng(seed)
    L, B, G, N = int(r.integers(1, 15)), int(r.integers(1, 12)), int(r.integers(1, 6)), 3
    dist = r.random((B, L)) * 2000
    dist[r.random((B, L)) < 0.3] = np.inf
    here_nat = r.integers(0, 30, (L, N)).astype(float)
    args = (
        r.integers(0, L, n).astype(np.int32), r.integers(0, G, n).astype(np.int32),
        r.integers(0, N, G).astype(np.int64), r.choice(L, B).astype(np.int64), dist,
        here_nat.sum(axis=1), here_nat, (float(-r.random() / 100), float(-r.random()), 2.0),
        r.random(n),
    )  # fmt: skip
    got, want = target_draw(*args), target_draw_np(*args)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    assert ((got >= -1) & (got < B)).all()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_svc=st.integers(0, 10))
def test_stop_places_matches_its_twin(seed: int, n_svc: int) -> None:
    r = np.random.default_rng(seed)
    args = (
        r.random(n_svc) < 0.5, r.random(n_svc) < 0.7,
        r.integers(0, 6, n_svc).astype(np.int32), 6,
    )  # fmt: skip
    np.testing.assert_array_equal(stop_places(*args), stop_places_np(*args))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_ahead_kernel_matches_its_twin(seed: int) -> None:
    """Random networks with ties in the distances, unreachable places and crossing links."""
    r = np.random.default_rng(seed)
    L, G = int(r.integers(1, 12)), int(r.integers(1, 4))
    counts = r.integers(0, 4, L)
    out_off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    E = int(out_off[-1])
    dist_border = r.integers(0, 5, L).astype(float) * 100
    dist_border[r.random(L) < 0.2] = np.inf
    order = np.argsort(dist_border, kind="stable")
    nodes = order[np.isfinite(dist_border[order])].astype(np.int64)
    args = (
        nodes, out_off, r.integers(0, L, E).astype(np.int32), r.random(E) < 0.2,
        r.integers(1, 4, E).astype(float) * 50, r.random(E) * 4, dist_border,
        r.random((G, L)), r.random((G, E)),
    )  # fmt: skip
    got = ahead_kernel(*args)
    np.testing.assert_array_equal(got, ahead_np(*args))
