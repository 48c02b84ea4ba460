"""AgentTable: columnar agents that grow by doubling without losing or inventing data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corredor.engine.agents import AgentTable

DETERMINISTIC = settings(derandomize=True, database=None, deadline=None, max_examples=150)

SPEC = {
    "loc": (np.int32, -1),
    "alive": (np.bool_, True),
    "dist": (np.float64, 0.5),
    "k": (np.uint8, 7),
}


def test_empty_table() -> None:
    t = AgentTable(SPEC, capacity=4)
    assert t.n == 0
    assert len(t) == 0
    assert t.capacity == 4
    assert t.names == ["loc", "alive", "dist", "k"]
    assert list(t) == t.names
    for name, (dt, _) in SPEC.items():
        assert t[name].shape == (0,)
        assert t[name].dtype == np.dtype(dt)
        assert t.raw(name).shape == (4,)  # the capacity holds no values until rows are added
    assert t.nbytes_per_agent() == 4 + 1 + 8 + 1


def test_needs_a_column() -> None:
    with pytest.raises(ValueError, match="at least one column"):
        AgentTable({})


def test_capacity_is_at_least_one() -> None:
    t = AgentTable(SPEC, capacity=0)
    assert t.capacity == 1
    t.add(3)
    assert t.capacity == 3  # a block larger than double the capacity gets exactly its size


def test_add_sets_given_columns_and_fills_the_rest() -> None:
    t = AgentTable(SPEC, capacity=2)
    rows = t.add(3, loc=[4, 5, 6], dist=2.0)
    assert rows == slice(0, 3)
    np.testing.assert_array_equal(t["loc"], [4, 5, 6])
    np.testing.assert_array_equal(t["dist"], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(t["alive"], [True, True, True])
    np.testing.assert_array_equal(t["k"], [7, 7, 7])
    rows = t.add(2, k=np.array([1, 2]))
    assert rows == slice(3, 5)
    np.testing.assert_array_equal(t["loc"], [4, 5, 6, -1, -1])
    np.testing.assert_array_equal(t["k"], [7, 7, 7, 1, 2])


def test_rows_reused_after_fill_value_overwritten_get_fill_again() -> None:
    """Unused capacity may have been scribbled on through raw(); new rows still get the fill."""
    t = AgentTable(SPEC, capacity=8)
    t.raw("loc")[:] = 99
    t.add(3)
    np.testing.assert_array_equal(t["loc"], [-1, -1, -1])


def test_unknown_column_is_rejected_and_nothing_changes() -> None:
    t = AgentTable(SPEC, capacity=2)
    t.add(2, loc=[1, 2])
    with pytest.raises(KeyError, match="nope"):
        t.add(5, loc=0, nope=1)
    assert t.n == 2
    assert t.capacity == 2
    np.testing.assert_array_equal(t["loc"], [1, 2])
    with pytest.raises(KeyError):
        t["nope"]


def test_negative_count_is_rejected() -> None:
    t = AgentTable(SPEC)
    with pytest.raises(ValueError):
        t.add(-1)
    assert t.n == 0


def test_add_zero_is_a_no_op() -> None:
    t = AgentTable(SPEC, capacity=2)
    assert t.add(0) == slice(0, 0)
    assert t.n == 0
    assert t.capacity == 2


def test_views_write_through() -> None:
    t = AgentTable(SPEC, capacity=4)
    t.add(3)
    view = t["loc"]
    view[1] = 42
    assert t["loc"][1] == 42
    assert t.raw("loc")[1] == 42
    t["dist"][:] = [1.0, 2.0, 3.0]
    np.testing.assert_array_equal(t.raw("dist")[:3], [1.0, 2.0, 3.0])
    t.raw("k")[2] = 0
    assert t["k"][2] == 0
    # the view covers only live rows
    assert t["loc"].shape == (3,)


def test_reserve() -> None:
    t = AgentTable(SPEC, capacity=3)
    t.add(2, loc=[8, 9])
    t.reserve(2)
    assert t.capacity == 3
    t.reserve(5)
    assert t.capacity == 6  # doubling
    t.reserve(13)
    assert t.capacity == 13  # more than double: exactly what was asked
    assert t.n == 2
    np.testing.assert_array_equal(t["loc"], [8, 9])
    t.add(1)  # rows added after growing get the fill
    np.testing.assert_array_equal(t["loc"], [8, 9, -1])


def test_growth_factor() -> None:
    t = AgentTable(SPEC, capacity=8, growth=1.25)
    t.add(8, loc=np.arange(8))
    t.add(1)
    assert t.capacity == 10  # a quarter more, not double
    t.add(2)
    assert t.capacity == 12
    np.testing.assert_array_equal(t["loc"], [*range(8), -1, -1, -1])
    small = AgentTable(SPEC, capacity=1, growth=1.1)
    small.add(1)
    small.add(1)
    assert small.capacity == 2  # at least one more row
    with pytest.raises(ValueError, match="growth factor"):
        AgentTable(SPEC, growth=1.0)


@DETERMINISTIC
@given(
    st.integers(1, 16),
    st.lists(st.integers(0, 70), min_size=1, max_size=12),
)
def test_growth_by_doubling_keeps_data(capacity0: int, sizes: list[int]) -> None:
    t = AgentTable(SPEC, capacity=capacity0)
    n = 0
    for step, size in enumerate(sizes):
        old_capacity = t.capacity
        ids = np.arange(n, n + size)
        values = {"loc": ids, "dist": ids * 0.25} if step % 2 else {"loc": ids}
        rows = t.add(size, **values)
        assert rows == slice(n, n + size)
        n += size
        assert t.n == n == len(t)
        # capacity: unchanged if it sufficed, else doubled, or exactly n if n is larger still
        if n <= old_capacity:
            assert t.capacity == old_capacity
        else:
            assert t.capacity == max(n, 2 * old_capacity)
        for name in t:
            assert t.raw(name).shape == (t.capacity,)
        # every row ever added keeps its values (the unused capacity holds none)
        np.testing.assert_array_equal(t["loc"], np.arange(n))
        assert np.all(t["alive"])
        assert np.all(t["k"] == 7)
    # dist was set on odd steps and filled on even ones
    expected = np.full(n, 0.5)
    start = 0
    for step, size in enumerate(sizes):
        if step % 2:
            expected[start : start + size] = np.arange(start, start + size) * 0.25
        start += size
    np.testing.assert_array_equal(t["dist"], expected)
    # never more than twice what is needed (doubling) or the initial capacity
    assert t.capacity <= max(2 * n, capacity0)
