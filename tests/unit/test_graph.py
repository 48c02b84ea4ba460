"""Graph: CSR built from directed edge lists, stable within a source."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corredor.engine.graph import Graph

DETERMINISTIC = settings(derandomize=True, database=None, deadline=None, max_examples=200)


@st.composite
def edge_lists(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, float]]]:
    n = draw(st.integers(1, 9))
    node = st.integers(0, n - 1)
    length = st.integers(1, 1000).map(float)
    edges = draw(st.lists(st.tuples(node, node, length), max_size=30))
    return n, edges


def build(n: int, edges: list[tuple[int, int, float]], **kw: Any) -> Graph:
    src = [e[0] for e in edges]
    dst = [e[1] for e in edges]
    ln = [e[2] for e in edges]
    return Graph.from_directed(n, src, dst, ln, **kw)


@DETERMINISTIC
@given(edge_lists())
def test_csr_matches_edge_list(case: tuple[int, list[tuple[int, int, float]]]) -> None:
    n, edges = case
    g = build(n, edges)
    assert g.n_locations == n
    assert g.n_links == len(edges)
    assert g.indptr.shape == (n + 1,)
    assert g.indptr[0] == 0
    assert g.indptr[-1] == len(edges)
    assert np.all(np.diff(g.indptr) >= 0)
    assert np.all(np.diff(g.link_from) >= 0)  # sorted by source
    assert g.link_open.all()
    assert np.isnan(g.link_speed).all()
    assert (g.link_walk_p == 0).all()
    seen: list[int] = []
    for loc in range(n):
        out = list(g.out_links(loc))
        seen.extend(out)
        assert all(g.link_from[lk] == loc for lk in out)
        got = [(int(g.link_to[lk]), float(g.link_len[lk]), int(g.link_row[lk])) for lk in out]
        # the edges with that source, in input order (stable); link_row = input index
        expected = [(d, ln, i) for i, (s, d, ln) in enumerate(edges) if s == loc]
        assert got == expected
        assert Counter((d, ln) for d, ln, _ in got) == Counter(
            (d, ln) for s, d, ln in edges if s == loc
        )
    assert seen == list(range(len(edges)))  # every link belongs to exactly one source


@DETERMINISTIC
@given(edge_lists())
def test_find_links(case: tuple[int, list[tuple[int, int, float]]]) -> None:
    n, edges = case
    g = build(n, edges)
    for a in range(n):
        for b in range(n):
            found = g.find_links(a, b)
            expected = [lk for lk in g.out_links(a) if g.link_to[lk] == b]
            assert found.tolist() == expected
            assert len(found) == sum(1 for s, d, _ in edges if (s, d) == (a, b))


@DETERMINISTIC
@given(edge_lists(), st.data())
def test_optional_link_attributes_follow_their_link(
    case: tuple[int, list[tuple[int, int, float]]], data: st.DataObject
) -> None:
    n, edges = case
    m = len(edges)
    speed = data.draw(st.lists(st.floats(1, 500), min_size=m, max_size=m))
    walk = data.draw(st.lists(st.floats(0, 1), min_size=m, max_size=m))
    row = data.draw(st.lists(st.integers(0, 10_000), min_size=m, max_size=m))
    g = build(n, edges, speed=speed, walk_p=walk, row=row)
    order = sorted(range(m), key=lambda i: edges[i][0])  # Python's sort is stable
    assert g.link_speed.tolist() == [speed[i] for i in order]
    assert g.link_walk_p.tolist() == [walk[i] for i in order]
    assert g.link_row.tolist() == [row[i] for i in order]
    assert g.link_to.tolist() == [edges[i][1] for i in order]
    assert g.link_len.tolist() == [edges[i][2] for i in order]


def test_dtypes() -> None:
    g = Graph.from_directed(3, [2, 0, 1], [0, 1, 2], [5, 6, 7])
    assert g.indptr.dtype == np.int64
    assert g.link_from.dtype == np.int32
    assert g.link_to.dtype == np.int32
    assert g.link_len.dtype == np.float64
    assert g.link_open.dtype == np.bool_
    assert g.link_row.dtype == np.int32
    assert g.find_links(0, 1).dtype == np.int64


def test_no_links() -> None:
    g = Graph.from_directed(3, [], [], [])
    assert g.n_links == 0
    assert g.indptr.tolist() == [0, 0, 0, 0]
    assert list(g.out_links(1)) == []
    assert g.find_links(0, 2).size == 0


def test_parallel_links_and_closure_mask() -> None:
    g = Graph.from_directed(2, [0, 1, 0], [1, 0, 1], [10.0, 10.0, 20.0])
    assert g.find_links(0, 1).tolist() == [0, 1]
    assert g.link_len[g.find_links(0, 1)].tolist() == [10.0, 20.0]
    g.link_open[g.find_links(0, 1)[0]] = False  # closing flips the mask, ids stay
    assert g.n_links == 3
    assert g.link_open.tolist() == [False, True, True]


@pytest.mark.parametrize(
    ("src", "dst"),
    [([0, 3], [1, 0]), ([0, 1], [1, 3]), ([-1, 0], [0, 1]), ([0, 1], [0, -2]), ([5], [7])],
)
def test_out_of_range_endpoints_are_rejected(src: list[int], dst: list[int]) -> None:
    with pytest.raises(ValueError, match="out of range"):
        Graph.from_directed(3, src, dst, [1.0] * len(src))
