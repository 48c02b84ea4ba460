"""Flee's averaged relative difference (corredor.results.ard)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from corredor.results.ard import ard, ard_per_day, ard_rescaled_per_day


def test_hand_computed() -> None:
    sim = np.array([[1.0, 2.0], [0.0, 0.0], [4.0, 0.0]])
    obs = np.array([[3.0, 0.0], [5.0, 5.0], [0.0, 0.0]])
    # day 0: (2 + 2) / 3; day 1: 10 / 10; day 2: M = 0 → denominator 1
    np.testing.assert_array_equal(ard_per_day(sim, obs), [4 / 3, 1.0, 4.0])
    # rescaled: day 0 N = M = 3 → unchanged; day 1 N = 0 → r = 0 → 10 / 10; day 2 M = 0 → r = 0
    np.testing.assert_array_equal(ard_rescaled_per_day(sim, obs), [4 / 3, 1.0, 0.0])
    assert ard(sim, obs) == pytest.approx((4 / 3 + 1 + 4) / 3)


def test_rounding_to_four_decimals_per_camp() -> None:
    # N = 3, M = 2 → r = 2/3 per camp; Flee rounds each |r - m| to 4 decimals before adding
    sim = np.array([[1.0, 1.0, 1.0]])
    obs = np.array([[1.0, 1.0, 0.0]])
    assert ard_rescaled_per_day(sim, obs)[0] == (0.3333 + 0.3333 + 0.6667) / 2


def test_given_totals_replace_sums() -> None:
    sim = np.array([[10.0, 0.0]])
    obs = np.array([[5.0, 5.0]])
    # 3.1's run script writes 0 in both total columns while no refugees are recorded
    zeros = np.zeros(1)
    assert ard_per_day(sim, obs)[0] == 1.0
    assert ard_per_day(sim, obs, obs_total=zeros)[0] == 10.0  # denominator max(0, 1)
    assert ard_rescaled_per_day(sim, obs)[0] == 1.0
    assert ard_rescaled_per_day(sim, obs, obs_total=zeros, sim_total=zeros)[0] == 10.0


def test_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="shape"):
        ard_per_day(np.zeros((3, 2)), np.zeros((3, 3)))


counts = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 30), st.integers(1, 6)),
    elements=st.integers(0, 100_000).map(float),
)


@settings(max_examples=150, deadline=None)
@given(counts, st.data())
def test_properties(sim: np.ndarray, data: st.DataObject) -> None:
    obs = data.draw(hnp.arrays(np.float64, sim.shape, elements=st.integers(0, 100_000).map(float)))
    for per_day in (ard_per_day(sim, obs), ard_rescaled_per_day(sim, obs)):
        assert per_day.shape == (sim.shape[0],)
        assert (per_day >= 0).all()
    assert (ard_per_day(obs, obs) == 0).all()
    assert (ard_rescaled_per_day(obs, obs) == 0).all()


@settings(max_examples=150, deadline=None)
@given(counts, st.data(), st.integers(1, 1000))
def test_rescaled_is_scale_invariant(sim: np.ndarray, data: st.DataObject, k: int) -> None:
    obs = data.draw(hnp.arrays(np.float64, sim.shape, elements=st.integers(0, 100_000).map(float)))
    a = ard_rescaled_per_day(sim, obs)
    b = ard_rescaled_per_day(sim * k, obs)
    # equal up to the 4-decimal rounding of each camp's difference
    tolerance = sim.shape[1] * 1e-4 / np.maximum(obs.sum(axis=1), 1) + 1e-12
    assert (np.abs(a - b) <= tolerance).all()
