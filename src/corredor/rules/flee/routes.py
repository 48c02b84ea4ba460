"""Candidate routes of Flee 3.1, enumerated once per scenario.

Flee 3.1 (``moving.calculateLinkWeight``) lets an agent at location ``s`` choose among every simple
path that starts at ``s`` and uses up to ``A`` links (``A`` = ``awareness_level``), never revisiting
a location already on the path (the origin included). Every prefix is a candidate. A path that ends
at a *marker* is not a candidate, and a marker does not count toward ``A``, so paths run through
markers for free. Flee re-crawls this tree for every agent that moves; Corredor enumerates it
once for the full graph and keeps, per day, a mask of paths whose links are all open — the same set
Flee would crawl on the open graph.

Storage (CSR twice): paths leaving location ``s`` are ``path_ptr[s]:path_ptr[s+1]``; the links of
path ``p`` are ``links[link_ptr[p]:link_ptr[p+1]]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from corredor.engine.graph import Graph

MAX_PATHS = 5_000_000


@dataclass
class PathTable:
    path_ptr: npt.NDArray[np.int64]  # (L+1,)
    link_ptr: npt.NDArray[np.int64]  # (P+1,)
    links: npt.NDArray[np.int32]  # link ids, concatenated
    end: npt.NDArray[np.int32]  # (P,) final location
    length: npt.NDArray[np.float64]  # (P,) km
    is_open: npt.NDArray[np.bool_]  # (P,) every link open (refreshed on closures)

    @property
    def n_paths(self) -> int:
        return int(self.end.shape[0])

    def max_paths_per_location(self) -> int:
        return int(np.diff(self.path_ptr).max(initial=0))

    def refresh_open(self, link_open: npt.NDArray[np.bool_]) -> None:
        """Recompute ``is_open`` after links were closed or reopened."""
        ok = link_open[self.links].astype(np.int64)
        # a path is open iff the number of open links equals its number of links
        csum = np.concatenate(([0], np.cumsum(ok)))
        n_open = csum[self.link_ptr[1:]] - csum[self.link_ptr[:-1]]
        self.is_open[:] = n_open == np.diff(self.link_ptr)


def enumerate_paths(graph: Graph, is_marker: npt.NDArray[np.bool_], awareness: int) -> PathTable:
    """Enumerate Flee 3.1's candidate paths for every location (depth-first, Flee's order).

    ``awareness == 0`` ("random neighbour" in Flee's documentation) gives one single-link path to
    every neighbour, markers included; the kernel then chooses among them uniformly.
    """
    if awareness == 0:
        return _neighbour_paths(graph)
    ends: list[int] = []
    lengths: list[float] = []
    link_ptr: list[int] = [0]
    links: list[int] = []
    path_ptr = np.zeros(graph.n_locations + 1, dtype=np.int64)
    indptr, link_to, link_len = graph.indptr, graph.link_to, graph.link_len

    def visit(link: int, prior: float, visited: list[int], step: int, prefix: list[int]) -> None:
        end = int(link_to[link])
        path = [*prefix, link]
        dist = prior + float(link_len[link])
        if not is_marker[end]:
            ends.append(end)
            lengths.append(dist)
            links.extend(path)
            link_ptr.append(len(links))
        else:
            step -= 1
        if len(ends) > MAX_PATHS:
            raise ValueError(
                f"more than {MAX_PATHS} candidate routes: lower awareness_level ({awareness})"
            )
        if awareness > step:
            for nxt in range(int(indptr[end]), int(indptr[end + 1])):
                if int(link_to[nxt]) in visited:
                    continue
                visit(nxt, dist, [*visited, end], step + 1, path)

    for s in range(graph.n_locations):
        for first in range(int(indptr[s]), int(indptr[s + 1])):
            visit(first, 0.0, [s], 1, [])
        path_ptr[s + 1] = len(ends)

    n = len(ends)
    return PathTable(
        path_ptr=path_ptr,
        link_ptr=np.asarray(link_ptr, dtype=np.int64),
        links=np.asarray(links, dtype=np.int32),
        end=np.asarray(ends, dtype=np.int32),
        length=np.asarray(lengths, dtype=np.float64),
        is_open=np.ones(n, dtype=np.bool_),
    )


def _neighbour_paths(graph: Graph) -> PathTable:
    n = graph.n_links
    return PathTable(
        path_ptr=graph.indptr.astype(np.int64).copy(),
        link_ptr=np.arange(n + 1, dtype=np.int64),
        links=np.arange(n, dtype=np.int32),
        end=graph.link_to.copy(),
        length=graph.link_len.copy(),
        is_open=np.ones(n, dtype=np.bool_),
    )
