"""Results of a corridor ensemble: bands over parameter sets × replicas, and paired comparisons.

A :class:`CorridorEnsemble` keeps, for every parameter set ``p`` and seed ``r``, every observable
per month (``monthly[p, r, month, observable]``) and the human-cost ledger per calendar year
(``ledger[p, r, year, entry]``). :meth:`CorridorEnsemble.bands` pools the P × R runs, each
weighted by its set's weight / R, and gives the median with the central 50 % and 90 % bands.
:func:`compare_corridor` pairs two ensembles run with the same sets and seeds (common random
numbers) and gives the band of the *difference* ``b − a``, computed run by run.
"""

from __future__ import annotations

import datetime as dt
import warnings as _warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from corredor.ensemble.parameter_sets import ParameterSet
from corredor.ensemble.summaries import QUANTILES, QuantityError
from corredor.files.atomic import new_folder

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Table = Literal["monthly", "annual", "ledger"]
TABLES: tuple[str, ...] = ("monthly", "annual", "ledger")
"""``monthly``: every observable per month; ``annual``: the same summed per calendar year (the
first and last years may be partial); ``ledger``: the human-cost ledger per calendar year."""
BAND_COLUMNS: tuple[str, ...] = tuple(name for name, _ in QUANTILES)
"""``p05, p25, median, p75, p95``: 90 % band [p05, p95], 50 % band [p25, p75]."""


def weighted_quantiles(
    samples: FloatArray, weights: FloatArray, levels: Sequence[float]
) -> FloatArray:
    """Quantiles over axis 0 of ``samples`` with per-sample ``weights``; NaN samples ignored.

    The i-th smallest of n values, with weight ``w_i`` and ``C_i`` the weight up to and
    including it (total ``W``, mean weight ``w̄ = W/n``), sits at the probability
    ``p_i = (C_i − (w_i + w̄)/2) / (W − w̄)``; levels are interpolated linearly between these
    points (and clamped to the smallest and largest value outside them). With equal weights
    ``p_i = i/(n−1)``: NumPy's default (linear, Hyndman–Fan type 7) quantiles, as in
    :func:`corredor.ensemble.bands`. The ``p_i`` increase with i for any positive weights, so the
    quantiles are monotone in the level and the bands always ordered. Shape:
    ``(len(levels), …)``.
    """
    x = np.asarray(samples, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    lv = np.asarray(levels, dtype=np.float64)
    if x.shape[0] != w.shape[0]:
        raise ValueError("one weight per sample")
    flat = x.reshape(x.shape[0], -1)
    out = np.full((len(lv), flat.shape[1]), np.nan)
    if np.all(w == w[0]) and w[0] > 0:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells stay NaN
            out = np.asarray(np.nanquantile(flat, lv, axis=0), dtype=np.float64)
            out = out.reshape(len(lv), -1)
    else:
        for c in range(flat.shape[1]):
            col = flat[:, c]
            ok = ~np.isnan(col) & (w > 0)
            if not ok.any():
                continue
            v, ww = col[ok], w[ok]
            order = np.argsort(v, kind="stable")
            v, ww = v[order], ww[order]
            if len(v) == 1:
                out[:, c] = v[0]
                continue
            total, mean = ww.sum(), ww.mean()
            p = (np.cumsum(ww) - (ww + mean) / 2) / (total - mean)
            out[:, c] = np.interp(lv, p, v)
    return out.reshape(len(lv), *x.shape[1:])


def _weighted_mean(samples: FloatArray, weights: FloatArray) -> FloatArray:
    x = samples.reshape(samples.shape[0], -1)
    ok = ~np.isnan(x)
    w = np.where(ok, weights[:, None], 0.0)
    tot = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(tot > 0, np.nansum(x * w, axis=0) / tot, np.nan)
    return np.asarray(mean, dtype=np.float64).reshape(samples.shape[1:])


@dataclass(frozen=True)
class CorridorEnsemble:
    """Every run of a corridor ensemble, reduced to monthly observables and the yearly ledger.

    Attributes:
        scenario, start, days: the scenario's name, first day and the simulated days.
        seeds: the seeds (R), shared by every parameter set (common random numbers).
        sets: the parameter sets (P) with their weights.
        months: first day of each simulated month (M); observables: their names (K).
        monthly: (P, R, M, K) every observable per month (the last month may be partial).
        years: calendar years (Y); ledger_entries: the ledger's entries (E).
        ledger: (P, R, Y, E) the human-cost ledger of each run.
        agents, seconds: (P, R) people created and wall seconds of each run.
        wall_seconds: wall time of the whole ensemble in the calling process.
        extra_events: ids of the policy events added to the scenario's.
    """

    scenario: str
    start: dt.date
    days: int
    seeds: tuple[int, ...]
    sets: tuple[ParameterSet, ...]
    months: tuple[dt.date, ...]
    observables: tuple[str, ...]
    monthly: FloatArray
    years: tuple[int, ...]
    ledger_entries: tuple[str, ...]
    ledger: FloatArray
    agents: IntArray
    seconds: FloatArray
    wall_seconds: float = float("nan")
    extra_events: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def runs(self) -> int:
        return len(self.sets) * len(self.seeds)

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)

    def weights(self) -> FloatArray:
        """(P·R,) weight of each run: its set's weight / R, normalised to sum to one."""
        w = np.repeat(np.array([s.weight for s in self.sets], dtype=np.float64), len(self.seeds))
        return np.asarray(w / w.sum(), dtype=np.float64)

    def values(self, table: Table) -> tuple[FloatArray, list[object], tuple[str, ...]]:
        """(P, R, T, K) array, the T period labels and the K column names of a table."""
        if table == "monthly":
            return self.monthly, list(self.months), self.observables
        if table == "annual":
            years = sorted({m.year for m in self.months})
            idx = np.array([years.index(m.year) for m in self.months])
            out = np.zeros((*self.monthly.shape[:2], len(years), self.monthly.shape[3]))
            for j in range(len(years)):
                out[:, :, j] = self.monthly[:, :, idx == j].sum(axis=2)
            return out, list(years), self.observables
        if table == "ledger":
            return self.ledger, list(self.years), self.ledger_entries
        raise QuantityError(f"unknown table {table!r}; use one of {', '.join(TABLES)}")

    def bands(self, table: Table = "monthly") -> pd.DataFrame:
        """Median, 50 % and 90 % bands (and the weighted mean) over every run, per period.

        Columns: ``month`` (``year`` for the annual and ledger tables), ``observable`` (``entry``
        for the ledger), ``runs``, ``p05``,
        ``p25``, ``median``, ``p75``, ``p95``, ``mean``. Runs are pooled over parameter sets
        and replicas with the sets' weights; NaN cells (a ledger ratio with no denominator)
        are left out of that cell.
        """
        vals, periods, names = self.values(table)
        flat = vals.reshape(-1, *vals.shape[2:])
        q = weighted_quantiles(flat, self.weights(), [lv for _, lv in QUANTILES])
        cols = {name: q[i] for i, (name, _) in enumerate(QUANTILES)}
        cols["mean"] = _weighted_mean(flat, self.weights())
        return _long(table, periods, names, cols, runs=int(flat.shape[0]))

    def per_run(self, table: Table = "monthly") -> pd.DataFrame:
        """Long table: ``set``, ``seed``, period, name, ``value`` (one row per run and cell)."""

        vals, periods, names = self.values(table)
        P, R, T, K = vals.shape
        period_col = "month" if table == "monthly" else "year"
        name_col = "entry" if table == "ledger" else "observable"
        return pd.DataFrame(
            {
                "set": np.repeat(np.arange(P), R * T * K),
                "seed": np.tile(np.repeat(np.asarray(self.seeds), T * K), P),
                period_col: np.tile(np.repeat(_period_values(periods), K), P * R),
                name_col: np.tile(np.asarray(names, dtype=object), P * R * T),
                "value": vals.reshape(-1),
            }
        )

    def parameter_table(self) -> pd.DataFrame:
        """One row per parameter set: ``set``, ``label``, ``weight`` and its overrides."""

        rows = [
            {"set": i, "label": s.label, "weight": s.weight, **s.as_dict()}
            for i, s in enumerate(self.sets)
        ]
        return pd.DataFrame(rows)

    def summary_rows(self) -> list[tuple[str, str]]:
        return [
            ("scenario", self.scenario),
            ("days", f"{self.days} ({self.start} – {self.end})"),
            ("parameter sets", str(len(self.sets))),
            ("seeds", ", ".join(str(s) for s in self.seeds)),
            ("runs", str(self.runs)),
            ("extra policy events", ", ".join(self.extra_events) or "none"),
            ("people per run (median)", f"{int(np.median(self.agents)):,}"),
            ("run time (sum of runs)", f"{float(self.seconds.sum()):.1f} s"),
            ("wall time", f"{self.wall_seconds:.1f} s"),
        ]

    def write(self, folder: str | Path) -> Path:
        """Write ``bands_monthly.csv``, ``bands_annual.csv``, ``bands_ledger.csv``,
        ``runs_monthly.parquet``,
        ``runs_ledger.parquet``, ``parameter_sets.csv`` and ``run.txt`` to ``folder`` (through
        a temporary sibling renamed into place, so a killed run leaves no half-written folder).
        """
        folder = Path(folder)
        with new_folder(folder) as tmp:
            self.bands("monthly").to_csv(tmp / "bands_monthly.csv", index=False)
            self.bands("annual").to_csv(tmp / "bands_annual.csv", index=False)
            self.bands("ledger").to_csv(tmp / "bands_ledger.csv", index=False)
            self.per_run("monthly").to_parquet(tmp / "runs_monthly.parquet", index=False)
            self.per_run("ledger").to_parquet(tmp / "runs_ledger.parquet", index=False)
            self.parameter_table().to_csv(tmp / "parameter_sets.csv", index=False)
            write_summary(tmp / "run.txt", self.summary_rows(), self.warnings)
        return folder


@dataclass(frozen=True)
class CorridorComparison:
    """Scenario B against scenario A, run with the same parameter sets and seeds.

    ``diff(table)[p, r] = b[p, r] − a[p, r]``: each run of B minus the run of A with the same
    parameter set and seed. Its band is the uncertainty of the *effect*; with common random
    numbers it is much narrower than either scenario's own band.
    """

    a: CorridorEnsemble
    b: CorridorEnsemble

    def diff(self, table: Table = "monthly") -> FloatArray:
        va, _, _ = self.a.values(table)
        vb, _, _ = self.b.values(table)
        order = [self.b.seeds.index(s) for s in self.a.seeds]
        return np.asarray(vb[:, order] - va, dtype=np.float64)

    def bands(self, table: Table = "monthly") -> pd.DataFrame:
        """Bands of the paired difference ``b − a`` (same columns as
        :meth:`CorridorEnsemble.bands`), with the medians of A and of B for reference."""
        d = self.diff(table)
        _, periods, names = self.a.values(table)
        flat = d.reshape(-1, *d.shape[2:])
        w = self.a.weights()
        q = weighted_quantiles(flat, w, [lv for _, lv in QUANTILES])
        cols = {name: q[i] for i, (name, _) in enumerate(QUANTILES)}
        cols["mean"] = _weighted_mean(flat, w)
        va, _, _ = self.a.values(table)
        vb, _, _ = self.b.values(table)
        cols["a_median"] = weighted_quantiles(va.reshape(flat.shape), w, [0.5])[0]
        cols["b_median"] = weighted_quantiles(vb.reshape(flat.shape), w, [0.5])[0]
        return _long(table, periods, names, cols, runs=int(flat.shape[0]))

    def write(self, folder: str | Path) -> Path:
        """``diff_monthly.csv``, ``diff_annual.csv`` and ``diff_ledger.csv`` (bands of
        ``b − a``) in ``folder``."""
        folder = Path(folder)
        with new_folder(folder) as tmp:
            self.bands("monthly").to_csv(tmp / "diff_monthly.csv", index=False)
            self.bands("annual").to_csv(tmp / "diff_annual.csv", index=False)
            self.bands("ledger").to_csv(tmp / "diff_ledger.csv", index=False)
            rows = [
                ("A", f"{self.a.scenario} + events: {', '.join(self.a.extra_events) or 'none'}"),
                ("B", f"{self.b.scenario} + events: {', '.join(self.b.extra_events) or 'none'}"),
                ("difference", "B − A per (parameter set, seed), then bands"),
            ]
            write_summary(tmp / "comparison.txt", rows, ())
        return folder


def compare_corridor(a: CorridorEnsemble, b: CorridorEnsemble) -> CorridorComparison:
    """Pair two corridor ensembles run by run (same parameter sets, same seeds, same days).

    Raises :class:`~corredor.ensemble.QuantityError` when they cannot be paired.
    """
    if sorted(a.seeds) != sorted(b.seeds):
        raise QuantityError(
            "compare needs common random numbers: run both scenarios with the same seeds "
            f"(A has {list(a.seeds)[:6]}, B has {list(b.seeds)[:6]})"
        )
    if [s.as_dict() for s in a.sets] != [s.as_dict() for s in b.sets] or [
        s.weight for s in a.sets
    ] != [s.weight for s in b.sets]:
        raise QuantityError("the ensembles were run with different parameter sets")
    if (a.start, a.days) != (b.start, b.days):
        raise QuantityError(
            f"the ensembles cover different periods (A: {a.days} days from {a.start}, "
            f"B: {b.days} days from {b.start})"
        )
    if (a.observables, a.ledger_entries, a.years) != (b.observables, b.ledger_entries, b.years):
        raise QuantityError("the ensembles have different observables or ledger entries")
    return CorridorComparison(a=a, b=b)


# ------------------------------------------------------------------------------ helpers
def _period_values(periods: list[object]) -> npt.NDArray[np.generic]:
    if periods and isinstance(periods[0], dt.date):
        return np.array(periods, dtype="datetime64[D]")
    return np.asarray(periods, dtype=np.int64)


def _long(
    table: str,
    periods: list[object],
    names: tuple[str, ...],
    cols: dict[str, FloatArray],
    *,
    runs: int,
) -> pd.DataFrame:

    T, K = len(periods), len(names)
    period_col = "month" if table == "monthly" else "year"
    name_col = "entry" if table == "ledger" else "observable"
    data: dict[str, object] = {
        period_col: np.repeat(_period_values(periods), K),
        name_col: np.tile(np.asarray(names, dtype=object), T),
        "runs": np.full(T * K, runs, dtype=np.int64),
    }
    for name, col in cols.items():
        data[name] = np.asarray(col, dtype=np.float64).reshape(-1)
    return pd.DataFrame(data)


def write_summary(path: Path, rows: list[tuple[str, str]], warnings: Sequence[str]) -> None:
    """``key: value`` lines and ``warning:`` lines (a run's ``run.txt``)."""
    with open(path, "w", encoding="utf-8") as fh:
        for k, v in rows:
            fh.write(f"{k}: {v}\n")
        for w in warnings:
            fh.write(f"warning: {w}\n")


__all__ = [
    "BAND_COLUMNS",
    "TABLES",
    "CorridorComparison",
    "CorridorEnsemble",
    "compare_corridor",
    "weighted_quantiles",
    "write_summary",
]
