"""Candidate routes: enumerate_paths against an independent reference and against Flee 3.1 itself.

The reference below is written from the rule, not from the module: a candidate route from ``s`` is
a sequence of links ``s = v0 → v1 → … → vm`` that

* never revisits a location already on the path (the origin included),
* ends at a location that is not a marker, and
* has at most ``A`` non-marker locations among ``v1 … vm`` (markers are free),

and every such path is listed, prefixes included; parallel links make separate paths.
(Flee 3.1's crawl, ``moving.calculateLinkWeight``, stops extending a path once it holds ``A``
non-marker locations, which gives exactly this set.)

The Flee comparison uses ``tests/fixtures/flee31_routes_mali2012.json``, written by
``scripts/check_routes_against_flee.py`` under Flee 3.1's own interpreter.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corredor.engine.graph import Graph
from corredor.rules.flee import routes
from corredor.rules.flee.routes import PathTable, enumerate_paths

DETERMINISTIC = settings(derandomize=True, database=None, deadline=None, max_examples=200)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "flee31_routes_mali2012.json"
MALI = Path("/work/shared/flee-scenarios/mali2012/input_csv")

Adjacency = list[list[tuple[int, int, float]]]  # per node: (link id, endpoint, km)
PathKey = tuple[int, tuple[int, ...], int, float]  # (start, links, end, km)


# ------------------------------------------------------------------ reference
def adjacency(g: Graph) -> Adjacency:
    return [
        [(lk, int(g.link_to[lk]), float(g.link_len[lk])) for lk in g.out_links(v)]
        for v in range(g.n_locations)
    ]


def reference_paths(
    adj: Adjacency, marker: list[bool], awareness: int, start: int
) -> list[PathKey]:
    """Every candidate route from ``start``, depth first in out-link order."""
    found: list[PathKey] = []

    def extend(on_path: list[int], links: list[int], km: float, known: int) -> None:
        for link, nxt, length in adj[on_path[-1]]:
            if nxt in on_path:
                continue
            counted = known + (0 if marker[nxt] else 1)
            if counted > awareness:
                continue
            if not marker[nxt]:
                found.append((start, (*links, link), nxt, km + length))
            if counted < awareness:  # room for one more non-marker location
                extend([*on_path, nxt], [*links, link], km + length, counted)

    if awareness == 0:
        return [(start, (link,), nxt, length) for link, nxt, length in adj[start]]
    extend([start], [], 0.0, 0)
    return found


def table_paths(t: PathTable, start: int) -> list[PathKey]:
    out = []
    for p in range(int(t.path_ptr[start]), int(t.path_ptr[start + 1])):
        links = tuple(int(x) for x in t.links[t.link_ptr[p] : t.link_ptr[p + 1]])
        out.append((start, links, int(t.end[p]), float(t.length[p])))
    return out


# ------------------------------------------------------------------ random graphs
@st.composite
def graphs(draw: st.DrawFn) -> tuple[Graph, list[bool]]:
    n = draw(st.integers(1, 7))
    node = st.integers(0, n - 1)
    edge = st.tuples(node, node, st.integers(1, 400)).filter(lambda e: e[0] != e[1])
    undirected = draw(st.booleans())  # Flee's routes.csv: every row is a pair of links
    max_edges = (10 if undirected else 16) if n > 1 else 0  # one location: no edge possible
    edges = draw(st.lists(edge, min_size=min(n - 1, max_edges), max_size=max_edges))
    if undirected:
        edges = [x for a, b, km in edges for x in ((a, b, km), (b, a, km))]
    # about one location in four is a marker
    marker = draw(st.lists(st.sampled_from([False, False, False, True]), min_size=n, max_size=n))
    g = Graph.from_directed(
        n, [e[0] for e in edges], [e[1] for e in edges], [float(e[2]) for e in edges]
    )
    return g, marker


def check_table_shape(g: Graph, t: PathTable) -> None:
    n_paths = t.n_paths
    assert t.path_ptr.shape == (g.n_locations + 1,)
    assert t.path_ptr[0] == 0
    assert t.path_ptr[-1] == n_paths
    assert np.all(np.diff(t.path_ptr) >= 0)
    assert t.link_ptr.shape == (n_paths + 1,)
    assert t.link_ptr[-1] == t.links.shape[0]
    assert np.all(np.diff(t.link_ptr) >= 1)
    assert t.length.shape == t.end.shape == t.is_open.shape == (n_paths,)
    assert t.is_open.all()
    counts = np.diff(t.path_ptr)
    assert t.max_paths_per_location() == (int(counts.max()) if counts.size else 0)
    for s in range(g.n_locations):
        for start, links, end, km in table_paths(t, s):
            assert int(g.link_from[links[0]]) == start
            for a, b in itertools.pairwise(links):
                assert g.link_to[a] == g.link_from[b]  # a chain of links
            assert int(g.link_to[links[-1]]) == end
            assert km == float(sum(g.link_len[list(links)]))


@DETERMINISTIC
@given(graphs(), st.integers(1, 3))
def test_enumerate_paths_matches_reference(case: tuple[Graph, list[bool]], awareness: int) -> None:
    g, marker = case
    t = enumerate_paths(g, np.array(marker, dtype=np.bool_), awareness)
    check_table_shape(g, t)
    adj = adjacency(g)
    for s in range(g.n_locations):
        got = table_paths(t, s)
        expected = reference_paths(adj, marker, awareness, s)
        assert Counter(got) == Counter(expected)
        assert got == expected  # and in Flee's depth-first crawl order


@DETERMINISTIC
@given(graphs())
def test_awareness_zero_gives_one_path_per_out_link(case: tuple[Graph, list[bool]]) -> None:
    g, marker = case
    t = enumerate_paths(g, np.array(marker, dtype=np.bool_), 0)
    check_table_shape(g, t)
    assert t.n_paths == g.n_links
    np.testing.assert_array_equal(t.path_ptr, g.indptr)
    adj = adjacency(g)
    for s in range(g.n_locations):
        got = table_paths(t, s)
        assert got == reference_paths(adj, marker, 0, s)  # markers included
        assert [links for _, links, _, _ in got] == [(lk,) for lk in g.out_links(s)]


@DETERMINISTIC
@given(graphs(), st.integers(0, 3), st.data())
def test_refresh_open(case: tuple[Graph, list[bool]], awareness: int, data: st.DataObject) -> None:
    g, marker = case
    is_marker = np.array(marker, dtype=np.bool_)
    t = enumerate_paths(g, is_marker, awareness)
    link_open = np.array(
        data.draw(st.lists(st.booleans(), min_size=g.n_links, max_size=g.n_links)), dtype=np.bool_
    )
    t.refresh_open(link_open)
    direct = [
        bool(link_open[t.links[t.link_ptr[p] : t.link_ptr[p + 1]]].all()) for p in range(t.n_paths)
    ]
    assert t.is_open.tolist() == direct
    # the open paths are exactly the candidates Flee would crawl on the graph of open links
    keep = np.flatnonzero(link_open)
    sub = Graph.from_directed(
        g.n_locations, g.link_from[keep], g.link_to[keep], g.link_len[keep], row=keep
    )
    ts = enumerate_paths(sub, is_marker, awareness)
    for s in range(g.n_locations):
        on_open_graph = [
            (start, tuple(int(sub.link_row[lk]) for lk in links), end, km)
            for start, links, end, km in table_paths(ts, s)
        ]
        lo, hi = int(t.path_ptr[s]), int(t.path_ptr[s + 1])
        still_open = [p for i, p in enumerate(table_paths(t, s)) if t.is_open[lo + i]]
        assert hi - lo == len(table_paths(t, s))
        assert Counter(still_open) == Counter(on_open_graph)
    # reopening everything restores the full table
    t.refresh_open(np.ones(g.n_links, dtype=np.bool_))
    assert t.is_open.all()


def test_hand_made_markers() -> None:
    """0 – 1(marker) – 2 – 3, plus a direct 0 – 2: markers are crossed for free, never ends."""
    rows = [(0, 1, 10.0), (1, 2, 20.0), (2, 3, 30.0), (0, 2, 100.0)]
    src = [x for a, b, _ in rows for x in (a, b)]
    dst = [x for a, b, _ in rows for x in (b, a)]
    km = [x for *_, d in rows for x in (d, d)]
    g = Graph.from_directed(4, src, dst, km)
    marker = np.array([False, True, False, False])
    ends = {}
    for awareness in (1, 2):
        t = enumerate_paths(g, marker, awareness)
        ends[awareness] = sorted(
            (int(t.end[p]), float(t.length[p])) for p in range(t.path_ptr[0], t.path_ptr[1])
        )
    assert ends[1] == [(2, 30.0), (2, 100.0)]  # via the marker, and directly
    assert ends[2] == [(2, 30.0), (2, 100.0), (3, 60.0), (3, 130.0)]


def test_self_loops_follow_flee() -> None:
    """Flee 3.1 checks a new endpoint only against the locations *before* the current one, and
    not at all for the first link, so a self-loop is crossed once. Corredor copies this; the
    expected list is what Flee 3.1's ``selectRoute`` returned (awareness 2) for the rows
    ``A,A,5``, ``A,B,7``, ``B,B,3``, ``B,C,2`` (each row two directed links, as ``linkUp`` makes).
    (The rule of the reference above is stated for graphs without self-loops.)"""
    rows = [(0, 0, 5.0), (0, 1, 7.0), (1, 1, 3.0), (1, 2, 2.0)]
    src = [x for a, b, _ in rows for x in (a, b)]
    dst = [x for a, b, _ in rows for x in (b, a)]
    km = [x for *_, d in rows for x in (d, d)]
    g = Graph.from_directed(3, src, dst, km)
    t = enumerate_paths(g, np.zeros(3, dtype=np.bool_), 2)
    names = "ABC"
    got = [
        "".join(names[v] for v in (0, *(int(g.link_to[lk]) for lk in links)))
        for _, links, _, _ in table_paths(t, 0)
    ]
    assert got == ["AA", "AAB", "AA", "AAB", "AB", "ABB", "ABB", "ABC"]


def test_too_many_paths_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 6
    src = [a for a in range(n) for b in range(n) if a != b]
    dst = [b for a in range(n) for b in range(n) if a != b]
    g = Graph.from_directed(n, src, dst, np.ones(len(src)))
    monkeypatch.setattr(routes, "MAX_PATHS", 50)
    with pytest.raises(ValueError, match="awareness_level"):
        enumerate_paths(g, np.zeros(n, dtype=np.bool_), 3)


def test_no_links() -> None:
    g = Graph.from_directed(3, [], [], [])
    for awareness in (0, 1, 2):
        t = enumerate_paths(g, np.zeros(3, dtype=np.bool_), awareness)
        assert t.n_paths == 0
        assert t.path_ptr.tolist() == [0, 0, 0, 0]
        t.refresh_open(g.link_open)
        assert t.max_paths_per_location() == 0


# ------------------------------------------------------------------ Flee 3.1 on mali2012
def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [r for r in csv.reader(fh) if r and not r[0].startswith("#")]


def mali_graph() -> tuple[list[str], Graph, np.ndarray]:
    """Read mali2012 as Flee 3.1 does: two directed links per routes.csv row, in row order."""
    locs = _rows(MALI / "locations.csv")
    names = [r[0] for r in locs]
    marker = np.array(["marker" in r[5].lower() for r in locs], dtype=np.bool_)
    index = {name: i for i, name in enumerate(names)}
    src: list[int] = []
    dst: list[int] = []
    km: list[float] = []
    for r in _rows(MALI / "routes.csv"):
        assert len(r) < 4 or r[3] in ("", "0")  # forced_redirection 1/2 would add links
        a, b, d = index[r[0]], index[r[1]], float(r[2])
        src += [a, b]
        dst += [b, a]
        km += [d, d]
    return names, Graph.from_directed(len(names), src, dst, km), marker


@pytest.mark.skipif(not MALI.is_dir(), reason="shared Flee scenarios not available")
@pytest.mark.parametrize("awareness", [1, 2])
def test_mali2012_matches_flee31(awareness: int) -> None:
    flee = json.loads(FIXTURE.read_text(encoding="utf-8"))["routes"][str(awareness)]
    names, g, marker = mali_graph()
    assert sorted(flee) == sorted(names)
    t = enumerate_paths(g, marker, awareness)
    for s, name in enumerate(names):
        ours = []
        for p in range(int(t.path_ptr[s]), int(t.path_ptr[s + 1])):
            links = t.links[t.link_ptr[p] : t.link_ptr[p + 1]]
            ours.append((name, *(names[int(g.link_to[lk])] for lk in links)))
        theirs = [tuple(r) for r in flee[name]]
        assert Counter(ours) == Counter(theirs), name
        assert ours == theirs, name  # same crawl order too
