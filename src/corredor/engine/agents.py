"""Agents as columns: one preallocated NumPy array per attribute.

There are no per-agent Python objects. Row ``i`` of every column describes agent ``i``; ids are
assigned in creation order and never reused (a removed agent keeps its row with ``alive = 0``), so
"process agents in creation order" is simply "loop over rows". Adding agents never appends in a
hot loop: :meth:`AgentTable.add` reserves a block of rows, growing every column by a constant
factor (doubling by default; a table whose size is known well up front grows by less, so that
passing the estimate does not double the memory). The capacity is not filled in advance (a
table sized for millions of agents is written once, row block by row block, as they are added).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import numpy.typing as npt

ColumnSpec = Mapping[str, tuple[npt.DTypeLike, float | int]]
"""Column name -> (dtype, fill value for new rows)."""


class AgentTable:
    """A struct of arrays with a live row count ``n`` and a capacity that grows by the factor
    ``growth`` (> 1; 2: doubling) when it runs out."""

    def __init__(self, columns: ColumnSpec, capacity: int = 1024, growth: float = 2.0) -> None:
        if not columns:
            raise ValueError("an AgentTable needs at least one column")
        if not growth > 1.0:
            raise ValueError("an AgentTable's growth factor must be > 1")
        self._growth = float(growth)
        self._spec = {name: (np.dtype(dt), fill) for name, (dt, fill) in columns.items()}
        self._capacity = max(int(capacity), 1)
        self._cols: dict[str, np.ndarray] = {
            name: np.empty(self._capacity, dtype=dt) for name, (dt, _) in self._spec.items()
        }
        self.n = 0

    # ----------------------------------------------------------------- access
    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def names(self) -> list[str]:
        return list(self._cols)

    def __getitem__(self, name: str) -> np.ndarray:
        """The live part of a column (a view: writes go to the table)."""
        return self._cols[name][: self.n]

    def __iter__(self) -> Iterator[str]:
        return iter(self._cols)

    def __len__(self) -> int:
        return self.n

    def raw(self, name: str) -> np.ndarray:
        """The whole preallocated column, including unused capacity (for kernels; the rows
        past ``n`` hold no values: :meth:`add` fills them)."""
        return self._cols[name]

    def nbytes_per_agent(self) -> int:
        return sum(dt.itemsize for dt, _ in self._spec.values())

    # ----------------------------------------------------------------- growth
    def reserve(self, capacity: int) -> None:
        """Make room for at least ``capacity`` rows."""
        if capacity <= self._capacity:
            return
        # grow by the factor (amortised O(1) appends), but a block larger than that gets exactly
        # its size; columns are replaced one at a time (the copy costs one column at most)
        new_cap = max(capacity, int(self._growth * self._capacity), self._capacity + 1)
        for name, (dt, _) in self._spec.items():
            col = np.empty(new_cap, dtype=dt)
            col[: self.n] = self._cols[name][: self.n]
            self._cols[name] = col
        self._capacity = new_cap

    def add(self, count: int, **values: npt.ArrayLike) -> slice:
        """Append ``count`` agents; columns named in ``values`` are set, others get their fill.

        Returns the slice of the new rows.
        """
        count = int(count)
        if count < 0:
            raise ValueError("count must be >= 0")
        unknown = set(values) - set(self._cols)
        if unknown:
            raise KeyError(f"unknown agent columns: {sorted(unknown)}")
        start = self.n
        self.reserve(start + count)
        rows = slice(start, start + count)
        for name, (_, fill) in self._spec.items():
            self._cols[name][rows] = values.get(name, fill)
        self.n = start + count
        return rows
