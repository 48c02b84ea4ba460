"""The results contract: a :class:`Record` is what the store keeps of any kind of result.

Every kind of result (a Flee run, a corridor run, an ensemble, a forecast, a sensitivity
analysis, a calibration study, a bargaining sweep, a back-test) is turned into a ``Record`` to be
stored, and rebuilt from one when loaded:

* ``tables``: tidy pandas frames (one observation per row), each stored as ``<name>.parquet``;
* ``documents``: JSON documents (metadata the reader needs), each stored as ``<name>.json``;
* ``files``: files kept verbatim (a calibrated YAML, Flee's ``out.csv``);
* ``summary``: the headline numbers (JSON) shown by ``corredor runs``;
* ``meta``: small values a reader needs besides the tables (JSON, in ``summary.json``);
* the catalogue fields: ``kind``, ``scenario``, ``seeds``, ``replicas``, ``days``, ``parent``
  (the run this one belongs to: an ensemble's counterfactual, a back-test's calibration),
  ``label`` and the :class:`~corredor.results.provenance.Provenance`.

``KINDS`` lists the kinds. Tables of a stored record are read only when used
(:class:`LazyTables`), so listing and loading stay fast however large a run is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from corredor.results.provenance import Provenance

__all__ = ["KINDS", "LazyTables", "Record"]

#: Every kind of stored result, with what it is.
KINDS: dict[str, str] = {
    "flee": "a Flee-compatible run (one or several replicas)",
    "corridor": "one corridor run (one seed, one parameter set)",
    "corridor-ensemble": "a corridor ensemble: parameter sets × seeds, bands",
    "forecast": "a corridor forecast past the calibration horizon, with bands",
    "sensitivity": "a global sensitivity analysis (Morris or Sobol)",
    "calibration": "a calibration study: the fitted parameters and plausible sets",
    "bargain": "the hegemon–transit-state threat game (episode, sweep or coupled run)",
    "backtest": "fit statistics and a back-test against naive baselines",
    "study": "a study: policy variants paired with a baseline, or the threat game's room",
    "study-task": "one parameter set × seed of a study (every variant), kept to resume it",
    "ensemble-member": "one parameter set × seed of a corridor ensemble, kept to resume it",
}


class LazyTables(Mapping[str, "pd.DataFrame"]):
    """Tables read on first use: ``names`` and a ``read(name)`` function."""

    def __init__(self, names: list[str], read: Callable[[str], pd.DataFrame]) -> None:
        self._names = list(names)
        self._read = read
        self._cache: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._cache:
            self._cache[name] = self._read(name)
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@dataclass
class Record:
    """One result of any kind, as stored (module docstring)."""

    kind: str
    scenario: str
    scenario_path: str = ""
    seeds: tuple[int, ...] = ()
    replicas: int = 1
    days: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    documents: Mapping[str, Any] = field(default_factory=dict)
    files: Mapping[str, bytes] = field(default_factory=dict)
    provenance: Provenance | None = None
    parent: str | None = None
    label: str = ""
    run_id: str | None = None
    created: dt.datetime | None = None
    path: Path | None = None

    def table(self, name: str) -> pd.DataFrame:
        """One tidy table by name (``KeyError`` naming the tables there are)."""
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(
                f"{self.kind} result has no table {name!r}; tables: {', '.join(self.tables)}"
            ) from None
