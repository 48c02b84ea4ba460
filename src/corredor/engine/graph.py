"""The location graph in CSR form.

Locations are ``0..L-1``. Directed links ``0..E-1`` are sorted by source location, so the links
leaving location ``i`` are ``indptr[i]:indptr[i+1]``. Closing a link flips ``link_open``; links are
never deleted, so ids stay stable while agents travel on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass
class Graph:
    n_locations: int
    indptr: npt.NDArray[np.int64]  # (L+1,)
    link_from: npt.NDArray[np.int32]  # (E,)
    link_to: npt.NDArray[np.int32]  # (E,)
    link_len: npt.NDArray[np.float64]  # (E,) km
    link_open: npt.NDArray[np.bool_]  # (E,)
    link_speed: npt.NDArray[np.float64]  # (E,) km/day; NaN = the rule set's default
    link_walk_p: npt.NDArray[np.float64]  # (E,) chance per day of moving at walking speed
    link_row: npt.NDArray[np.int32]  # (E,) the input row (undirected route) each link came from

    @property
    def n_links(self) -> int:
        return int(self.link_to.shape[0])

    def out_links(self, loc: int) -> range:
        return range(int(self.indptr[loc]), int(self.indptr[loc + 1]))

    @classmethod
    def from_directed(
        cls,
        n_locations: int,
        src: npt.ArrayLike,
        dst: npt.ArrayLike,
        length: npt.ArrayLike,
        *,
        speed: npt.ArrayLike | None = None,
        walk_p: npt.ArrayLike | None = None,
        row: npt.ArrayLike | None = None,
    ) -> Graph:
        """Build the CSR graph from directed edge lists (stable order within a source)."""
        s = np.asarray(src, dtype=np.int32)
        d = np.asarray(dst, dtype=np.int32)
        n_edges = s.shape[0]
        ln = np.asarray(length, dtype=np.float64)
        sp = np.full(n_edges, np.nan) if speed is None else np.asarray(speed, dtype=np.float64)
        wp = np.zeros(n_edges) if walk_p is None else np.asarray(walk_p, dtype=np.float64)
        rw = np.arange(n_edges, dtype=np.int32) if row is None else np.asarray(row, dtype=np.int32)
        if n_edges and (
            s.min() < 0 or s.max() >= n_locations or d.min() < 0 or d.max() >= n_locations
        ):
            raise ValueError("link endpoint out of range")
        order = np.argsort(s, kind="stable")
        counts = np.bincount(s, minlength=n_locations)
        indptr = np.zeros(n_locations + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(
            n_locations=n_locations,
            indptr=indptr,
            link_from=s[order],
            link_to=d[order],
            link_len=ln[order],
            link_open=np.ones(n_edges, dtype=np.bool_),
            link_speed=sp[order],
            link_walk_p=wp[order],
            link_row=rw[order],
        )

    def find_links(self, a: int, b: int) -> npt.NDArray[np.int64]:
        """Ids of every directed link a → b (parallel links are allowed)."""
        lo, hi = int(self.indptr[a]), int(self.indptr[a + 1])
        return lo + np.flatnonzero(self.link_to[lo:hi] == b)
