"""The kernels of process ``decide``'s daily tables agree bit for bit with their NumPy twins
(hypothesis on random services, groups and queues, with zero capacities, infinite hazards and
NaN weights among them)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from corredor.rules.corridor.kernels_decide import (
    apply_tables,
    apply_tables_np,
    border_tables,
    border_tables_np,
    depart_columns,
    depart_columns_np,
    depart_rates,
    depart_rates_np,
    split_choice,
    split_choice_np,
)


def equal(got: tuple[npt.NDArray[np.generic], ...], want: tuple[npt.NDArray[np.generic], ...]):
    assert len(got) == len(want)
    for x, y in zip(got, want, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y, strict=True)  # NaN in the same places


def weight(r: np.random.Generator, odd: bool) -> float:
    """A weight: usually small, sometimes large, NaN or infinite when ``odd``."""
    if odd and r.random() < 0.3:
        return float(r.choice([np.nan, np.inf, -np.inf]))
    return float(r.normal(0.0, 0.5 if r.random() < 0.7 else 20.0))


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    S=st.integers(0, 12),
    G=st.integers(1, 9),
    L=st.integers(1, 15),
    odd=st.booleans(),
)
def test_apply_tables_match_their_twin(seed, S, G, L, odd):
    r = np.random.default_rng(seed)
    N = 3
    ahead = r.exponential(2.0, (G, L))
    ahead[r.random((G, L)) < 0.1] = np.inf if odd else 0.0
    capacity = np.where(r.random(S) < 0.2, 0.0, r.exponential(5.0, S))
    args = (
        r.random(S) < 0.6, r.random(S) < 0.7, r.integers(0, L, S).astype(np.int32),
        r.integers(0, 500, S).astype(np.int64), capacity, r.exponential(30.0, S) + 0.5, ahead,
        r.random(S) < 0.5, r.integers(0, 50, N).astype(float), r.integers(0, N, G),
        float(r.choice([np.inf, 10.0, 0.5])), float(r.random()), float(r.random()),
        weight(r, odd), weight(r, odd), weight(r, odd),
    )  # fmt: skip
    with np.errstate(invalid="ignore", over="ignore"):  # NaN and inf weights
        got, want = apply_tables(*args), apply_tables_np(*args)
    equal(got, want)
    assert ((want[2] >= 0.0) & (want[2] <= 1.0) | np.isnan(want[2])).all()


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    S=st.integers(0, 12),
    G=st.integers(1, 9),
    L=st.integers(1, 15),
    odd=st.booleans(),
)
def test_border_tables_match_their_twin(seed, S, G, L, odd):
    r = np.random.default_rng(seed)
    N = 3
    capacity = np.where(r.random(S) < 0.2, 0.0, r.exponential(5.0, S))
    table = r.random((S, G, 5))  # a non-contiguous slice, as the process passes it
    args = (
        r.random(S) < 0.6, r.random(S) < 0.7, r.integers(0, L, S).astype(np.int32), L,
        r.random((N, S)) < 0.3, r.integers(0, N, G), table[:, :, 2],
        r.integers(0, 500, S).astype(np.int64), capacity, weight(r, odd), weight(r, odd),
    )  # fmt: skip
    with np.errstate(invalid="ignore", over="ignore"):
        equal(border_tables(*args), border_tables_np(*args))


def test_the_first_open_port_at_a_place_is_taken():
    # services 0..3 at places 1, 1, 2, 1; 0 is closed, 2 is not a port: place 1 gets 1
    port_of_loc, attract, factor = border_tables(
        np.array([True, True, False, True]), np.array([False, True, True, True]),
        np.array([1, 1, 2, 1], dtype=np.int32), 3, np.array([[False, True, False, False]]),
        np.zeros(2, dtype=np.int64), np.full((4, 2), 0.25), np.array([0, 0, 0, 10]),
        np.full(4, 5.0), -0.1, 0.0,
    )  # fmt: skip
    assert port_of_loc.tolist() == [-1, 1, -1]
    assert attract[:, 0].tolist() == [0.75, 0.0, 0.75, 0.75]  # service 1: own country
    assert factor.tolist() == [1.0, 1.0, 1.0, float(np.exp(-1.0))]


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_orig=st.integers(1, 6),
    n_car=st.integers(0, 3),
    D=st.integers(1, 5),
)
def test_depart_columns_match_their_twin(seed, n_orig, n_car, D):
    r = np.random.default_rng(seed)
    N, L, n_table, start = 3, 9, 400, 7

    def cum_shares() -> np.ndarray:
        cum = np.cumsum(r.dirichlet(np.ones(D), N), axis=1)
        cum[:, -1] = 1.0
        return cum

    counts = r.poisson(r.exponential(3.0, n_orig + n_car))
    n = int(counts.sum())
    ids = np.arange(start, start + n, dtype=np.int32)
    cols = [r.integers(-1, 9, n_table).astype(dt) for dt in (np.int16, np.int16, np.int32)]
    cols += [np.zeros(n_table, np.int32), np.zeros(n_table, np.int16)]
    args = (
        counts, n_orig, r.integers(0, n_orig, n_car).astype(np.int16),
        r.integers(0, N, n_orig), r.integers(0, L, n_orig).astype(np.int32), cum_shares(),
        cum_shares(), r.random(n), ids,
    )  # fmt: skip
    got = [x.copy() for x in cols]
    n_nb = depart_columns(*args, *got, 123)
    n_np = depart_columns_np(*args, *cols, 123)
    assert n_nb == n_np == counts[n_orig:].sum()
    equal(tuple(got), tuple(cols))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(0, 50), k=st.integers(1, 6))
def test_split_choice_matches_its_twin(seed: int, n: int, k: int) -> None:
    """Agents grouped by choice in the order given, their ports along, the groups' offsets."""
    r = np.random.default_rng(seed)
    ids = np.sort(r.choice(1000, n, replace=False)).astype(np.int32)
    choice = r.integers(0, k, n).astype(np.int64)
    port = r.integers(-1, 9, n).astype(np.int64)
    got = split_choice(ids, choice, port, k)
    want = split_choice_np(ids, choice, port, k)
    for x, y in zip(got, want, strict=True):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), N=st.integers(1, 5), D=st.integers(1, 7),
       n_orig=st.integers(0, 8), n_car=st.integers(0, 3), zero=st.booleans())  # fmt: skip
def test_depart_rates_match_their_twin(seed, N, D, n_orig, n_car, zero) -> None:
    """Departures and demographic shares with the openness multiplier, the same bits as NumPy
    (its row sums and cumulative sums included), a nationality without people too."""
    r = np.random.default_rng(seed)
    share = r.random((N, D))
    if zero:
        share[0] = 0.0
    share /= np.maximum(share.sum(axis=1, keepdims=True), 1e-300)
    mult = np.exp(r.normal(0.0, 0.7, N * D))
    base = r.random(n_orig) * 30.0
    car = r.random(n_car) * 5.0
    nat = r.integers(0, N, n_orig)
    got = depart_rates(base, car, share, mult, nat)
    want = depart_rates_np(base, car, share, mult, nat)
    for x, y in zip(got, want, strict=True):
        np.testing.assert_array_equal(x, y)
