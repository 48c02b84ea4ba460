"""The counter-based random stream: numba and NumPy agree bit for bit, and the numbers look uniform.

Every statistical check uses fixed keys, so its outcome is fixed; tolerances are a few standard
errors wide (p-value thresholds of 1e-3) so that a future change of key layout would not flake.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from corredor.engine import rng

DETERMINISTIC = settings(derandomize=True, database=None, deadline=None, max_examples=300)

# Documented bit widths of the counter (rng module docstring): day 24, agent 32, k 8. Seeds are
# 64-bit; numba types a Python int argument as int64, so they are drawn in the int64 range.
seeds = st.integers(-(2**63), 2**63 - 1)
streams = st.integers(0, 2**31 - 1)
days = st.integers(0, 2**24 - 1)
agents = st.integers(0, 2**32 - 1)
ks = st.integers(0, 255)
keys = st.tuples(seeds, streams, days, agents, ks)

N_STAT = 100_000


@nb.njit(cache=False)
def _draw_in_order(seed: int, stream: int, day: int, order: np.ndarray, k: int) -> np.ndarray:
    """Fill ``out[agent]`` visiting agents in ``order`` (as a kernel looping over agents would)."""
    out = np.empty(order.shape[0])
    for j in range(order.shape[0]):
        i = order[j]
        out[i] = rng.uniform(seed, stream, day, i, k)
    return out


@nb.njit(cache=False)
def _draw_with_key(key: np.uint64, day: int, agents: np.ndarray, k: int) -> np.ndarray:
    out = np.empty(agents.shape[0])
    for j in range(agents.shape[0]):
        out[j] = rng.uniform_k(key, day, agents[j], k)
    return out


# ------------------------------------------------------------------ numba == NumPy twin
@DETERMINISTIC
@given(keys)
def test_numba_equals_numpy_twin_bit_for_bit(key: tuple[int, int, int, int, int]) -> None:
    seed, stream, day, agent, k = key
    u_nb = rng.uniform(seed, stream, day, agent, k)
    u_np = rng.uniform_np(seed, stream, day, [agent], k)
    assert u_np.dtype == np.float64
    assert u_np.shape == (1,)
    assert np.float64(u_nb).tobytes() == u_np[0].tobytes()
    assert 0.0 <= u_nb < 1.0


@settings(DETERMINISTIC, max_examples=100)
@given(seeds, streams)
def test_stream_key_twin(seed: int, stream: int) -> None:
    assert rng.stream_key(seed, stream) == rng.stream_key_np(seed, stream)


@settings(DETERMINISTIC, max_examples=50)
@given(seeds, streams, days, ks, st.lists(agents, min_size=1, max_size=50))
def test_vectorised_twins_match_scalar_draws(
    seed: int, stream: int, day: int, k: int, ids: list[int]
) -> None:
    a = np.asarray(ids, dtype=np.uint64)
    expected = np.array([rng.uniform(seed, stream, day, i, k) for i in ids])
    np.testing.assert_array_equal(rng.uniform_np(seed, stream, day, a, k), expected)
    key = rng.stream_key_np(seed, stream)
    np.testing.assert_array_equal(rng.uniform_from_key_np(key, day, a, k), expected)
    # what kernels do: key computed once in NumPy, draws in numba
    np.testing.assert_array_equal(_draw_with_key(key, day, a.astype(np.int64), k), expected)
    # what the corridor's processes use (CorridorState.u)
    np.testing.assert_array_equal(rng.uniform_many(key, day, a.astype(np.int64), k), expected)


def test_per_agent_draw_index_array() -> None:
    """``k`` may be an array aligned with ``agents`` (one draw index per agent)."""
    ids = np.arange(40, dtype=np.uint64)
    k = np.arange(40, dtype=np.uint64) % 7
    got = rng.uniform_np(11, rng.STREAM_ROUTE, 5, ids, k)
    expected = [
        rng.uniform(11, rng.STREAM_ROUTE, 5, int(i), int(j)) for i, j in zip(ids, k, strict=True)
    ]
    np.testing.assert_array_equal(got, expected)


def test_extreme_keys_stay_in_unit_interval() -> None:
    for seed in (0, 1, -1, 2**63 - 1, -(2**63)):
        for day, agent, k in ((0, 0, 0), (2**24 - 1, 2**32 - 1, 255)):
            u = rng.uniform(seed, rng.STREAM_MOVE, day, agent, k)
            assert 0.0 <= u < 1.0
            assert u == rng.uniform_np(seed, rng.STREAM_MOVE, day, [agent], k)[0]


def test_pure_function() -> None:
    a = rng.uniform(3, 1, 4, 5, 6)
    b = rng.uniform(3, 1, 4, 5, 6)
    assert a == b
    np.testing.assert_array_equal(rng.uniform_np(3, 1, 4, [5], 6), rng.uniform_np(3, 1, 4, [5], 6))


# ------------------------------------------------------------------ distinct keys
@settings(DETERMINISTIC, max_examples=300)
@given(keys, keys)
def test_distinct_keys_give_distinct_values(
    k1: tuple[int, int, int, int, int], k2: tuple[int, int, int, int, int]
) -> None:
    if k1 != k2:
        assert rng.uniform(*k1) != rng.uniform(*k2)


def test_each_key_field_matters() -> None:
    """Changing one field by one (also across bit-field boundaries) changes the number."""
    base = (7, rng.STREAM_MOVE, 100, 2**20, 3)
    u0 = rng.uniform(*base)
    for field in range(5):
        changed = list(base)
        changed[field] += 1
        assert rng.uniform(*changed) != u0, field
    # the fields do not overlap: the top of one field next to the bottom of the next
    edge = [
        rng.uniform(0, 1, 0, 0, 255),
        rng.uniform(0, 1, 0, 1, 0),
        rng.uniform(0, 1, 0, 2**32 - 1, 255),
        rng.uniform(0, 1, 1, 0, 0),
    ]
    assert len(set(edge)) == len(edge)


def test_no_collisions_in_a_large_batch() -> None:
    """1e5 agents × 2 draw indices × 2 days × 2 streams: 8e5 distinct numbers."""
    ids = np.arange(N_STAT, dtype=np.uint64)
    u = np.concatenate(
        [
            rng.uniform_np(42, stream, day, ids, k)
            for stream in (rng.STREAM_MOVE, rng.STREAM_ROUTE)
            for day in (0, 1)
            for k in (0, 1)
        ]
    )
    assert np.unique(u).size == u.size


def test_streams_and_seeds_are_not_shifted_copies() -> None:
    """Stream s+1 is not stream s at a neighbouring agent, nor seed+1 the same stream."""
    ids = np.arange(1000, dtype=np.uint64)
    a = rng.uniform_np(0, 1, 0, ids)
    for other in (rng.uniform_np(0, 2, 0, ids), rng.uniform_np(1, 1, 0, ids)):
        assert np.intersect1d(a, other).size == 0


# ------------------------------------------------------------------ statistics (fixed keys)
@pytest.fixture(scope="module")
def draws() -> np.ndarray:
    return rng.uniform_np(12345, rng.STREAM_MOVE, 17, np.arange(N_STAT, dtype=np.uint64), 0)


def test_range_and_mean(draws: np.ndarray) -> None:
    assert draws.min() >= 0.0
    assert draws.max() < 1.0
    se = np.sqrt(1.0 / 12.0 / N_STAT)  # ≈ 0.0009
    assert abs(draws.mean() - 0.5) < 5 * se
    assert abs(draws.var() - 1.0 / 12.0) < 0.002


def test_kolmogorov_smirnov(draws: np.ndarray) -> None:
    assert stats.kstest(draws, "uniform").pvalue > 1e-3


@pytest.mark.parametrize("axis", ["agent", "day", "k"])
def test_chi_square_20_bins(axis: str) -> None:
    n = N_STAT if axis != "day" else 5_000
    i = np.arange(n, dtype=np.uint64)
    if axis == "agent":
        u = rng.uniform_np(99, rng.STREAM_SPAWN, 3, i, 0)
    elif axis == "day":  # one agent over many days
        u = np.array([rng.uniform_np(99, rng.STREAM_SPAWN, d, [17], 0)[0] for d in range(n)])
    else:  # one agent, one day, k and agent both varying within their widths
        u = rng.uniform_np(99, rng.STREAM_SPAWN, 3, i // 256, i % 256)
    counts = np.bincount((u * 20).astype(np.int64), minlength=20)
    assert counts.size == 20
    assert stats.chisquare(counts).pvalue > 1e-3


def test_serial_correlation_between_consecutive_agents(draws: np.ndarray) -> None:
    bound = 5.0 / np.sqrt(N_STAT)  # ≈ 0.016, five standard errors
    for lag in (1, 2, 256):
        r = np.corrcoef(draws[:-lag], draws[lag:])[0, 1]
        assert abs(r) < bound, lag


def test_correlation_across_draw_index_days_and_streams(draws: np.ndarray) -> None:
    ids = np.arange(N_STAT, dtype=np.uint64)
    bound = 5.0 / np.sqrt(N_STAT)
    for other in (
        rng.uniform_np(12345, rng.STREAM_MOVE, 17, ids, 1),  # next draw of the same agent
        rng.uniform_np(12345, rng.STREAM_MOVE, 18, ids, 0),  # next day
        rng.uniform_np(12345, rng.STREAM_ROUTE, 17, ids, 0),  # another stream
        rng.uniform_np(12346, rng.STREAM_MOVE, 17, ids, 0),  # next seed
    ):
        assert abs(np.corrcoef(draws, other)[0, 1]) < bound


# ------------------------------------------------------------------ order independence
def test_independent_of_processing_order() -> None:
    n = 5000
    order = np.random.default_rng(2024).permutation(n)
    forward = _draw_in_order(5, rng.STREAM_ROUTE, 9, np.arange(n), 2)
    shuffled = _draw_in_order(5, rng.STREAM_ROUTE, 9, order, 2)
    np.testing.assert_array_equal(forward, shuffled)
    np.testing.assert_array_equal(forward, rng.uniform_np(5, rng.STREAM_ROUTE, 9, np.arange(n), 2))
    # interleaving draws of other streams and days in between changes nothing
    mixed = np.empty(n)
    for i in order:
        rng.uniform(5, rng.STREAM_MOVE, 9, int(i), 2)
        rng.uniform(5, rng.STREAM_ROUTE, 10, int(i), 2)
        mixed[i] = rng.uniform(5, rng.STREAM_ROUTE, 9, int(i), 2)
    np.testing.assert_array_equal(forward, mixed)


def test_subset_draws_equal_full_draws() -> None:
    """An agent's number does not depend on which other agents draw (common random numbers)."""
    full = rng.uniform_np(8, rng.STREAM_TRAVEL, 2, np.arange(1000))
    subset = np.array([3, 999, 500, 0, 17])
    np.testing.assert_array_equal(rng.uniform_np(8, rng.STREAM_TRAVEL, 2, subset), full[subset])


def test_stream_ids_are_distinct() -> None:
    ids = [
        rng.STREAM_MOVE,
        rng.STREAM_ROUTE,
        rng.STREAM_TRAVEL,
        rng.STREAM_SPAWN,
        rng.STREAM_ATTRIBUTES,
        rng.STREAM_SINK,
        rng.STREAM_CONFLICT_SPAWN,
    ]
    assert len(set(ids)) == len(ids)
