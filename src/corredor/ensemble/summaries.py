"""Uncertainty summaries of an ensemble: bands over replicas, and paired scenario comparisons.

A *quantity* is an observable of a ``RunResult`` with one value per replica × day (× location):

=================  ============================================================  ==========
name               what                                                          per
=================  ============================================================  ==========
``counts``         agents at each location at the end of the day                 location
``camps``          agents in each camp (the validated locations)                 location
``camps_total``    agents in all camps together                                  —
``agents``         agents alive                                                  —
``refugee_debt``   Flee's spawning debt                                          —
``ard``            Flee's averaged relative difference against the camp data      —
``ard_rescaled``   the same after rescaling the simulated total to the data's    —
=================  ============================================================  ==========

:func:`bands` gives the median and the central 50 % and 90 % bands over the replicas.
:func:`compare` pairs two ensembles replica by replica through their seeds (common random
numbers: the same seed draws the same random numbers for the same agent, day and decision), so
the *difference* has a band of its own, usually much narrower than either ensemble's spread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from corredor.errors import CorredorError

if TYPE_CHECKING:
    import datetime as dt

    from corredor.results import RunResult

FloatArray = npt.NDArray[np.float64]

QUANTILES: tuple[tuple[str, float], ...] = (
    ("p05", 0.05),
    ("p25", 0.25),
    ("median", 0.50),
    ("p75", 0.75),
    ("p95", 0.95),
)
"""Band columns: 90 % band = [p05, p95], 50 % band = [p25, p75]."""


class QuantityError(CorredorError):
    """An unknown quantity, or two results that cannot be compared."""


Extractor = Callable[["RunResult"], tuple[FloatArray, list[str] | None]]


def _counts(r: RunResult) -> tuple[FloatArray, list[str] | None]:
    return r.counts.astype(np.float64), list(r.location_names)


def _camps(r: RunResult) -> tuple[FloatArray, list[str] | None]:
    return r.camp_sim().astype(np.float64), list(r.camp_names)


def _camps_total(r: RunResult) -> tuple[FloatArray, list[str] | None]:
    return r.camp_sim().sum(axis=2).astype(np.float64)[:, :, None], None


def _agents(r: RunResult) -> tuple[FloatArray, list[str] | None]:
    return r.agents_total.astype(np.float64)[:, :, None], None


def _debt(r: RunResult) -> tuple[FloatArray, list[str] | None]:
    return r.refugee_debt.astype(np.float64)[:, :, None], None


def _ard(r: RunResult) -> tuple[FloatArray, list[str] | None]:
    return r.ard_per_day(False)[:, :, None], None


def _ard_rescaled(r: RunResult) -> tuple[FloatArray, list[str] | None]:
    return r.ard_per_day(True)[:, :, None], None


QUANTITIES: dict[str, Extractor] = {
    "counts": _counts,
    "camps": _camps,
    "camps_total": _camps_total,
    "agents": _agents,
    "refugee_debt": _debt,
    "ard": _ard,
    "ard_rescaled": _ard_rescaled,
}
"""Quantity name → ``f(result) -> (values (R, T, K), labels of K or None)``."""


def values(result: RunResult, quantity: str) -> tuple[FloatArray, list[str] | None]:
    """The quantity as an array of shape (replicas, days, K) and the K labels (None: K = 1)."""
    try:
        extract = QUANTITIES[quantity]
    except KeyError:
        raise QuantityError(
            f"unknown quantity {quantity!r}; use one of {', '.join(QUANTITIES)}"
        ) from None
    return extract(result)


def quantile_bands(samples: FloatArray) -> dict[str, FloatArray]:
    """Quantiles over axis 0 (replicas) for each band column of :data:`QUANTILES`.

    NumPy's default (linear) interpolation is monotone in the level, so the columns are ordered
    p05 ≤ p25 ≤ median ≤ p75 ≤ p95 everywhere.
    """
    qs = np.quantile(samples, [q for _, q in QUANTILES], axis=0)
    return {name: np.asarray(qs[k], dtype=np.float64) for k, (name, _) in enumerate(QUANTILES)}


def _frame(
    dates: list[dt.date],
    labels: list[str] | None,
    columns: dict[str, FloatArray],
    leading: dict[str, npt.NDArray[np.generic]] | None = None,
) -> pd.DataFrame:
    """Long table with day, date, [location] and the given (…, T, K) columns, flattened."""

    first = next(iter(columns.values()))
    T, K = first.shape[-2], first.shape[-1]
    outer = int(np.prod(first.shape[:-2], dtype=np.int64))
    day = np.arange(T, dtype=np.int32)
    data: dict[str, object] = {}
    for name, col in (leading or {}).items():
        data[name] = np.repeat(col, T * K)
    data["day"] = np.tile(np.repeat(day, K), outer)
    data["date"] = np.tile(np.repeat(np.array(dates, dtype="datetime64[D]"), K), outer)
    if labels is not None:
        data["location"] = pd.Categorical(
            np.tile(np.asarray(labels, dtype=object), outer * T), categories=labels
        )
    for name, col in columns.items():
        data[name] = col.reshape(-1)
    return pd.DataFrame(data)


def bands(result: RunResult, quantity: str = "camps") -> pd.DataFrame:
    """Median and 50 %/90 % bands over the replicas, per day (and location or camp).

    Columns: ``day``, ``date``, ``location`` (quantities per location only), ``replicas``,
    ``p05``, ``p25``, ``median``, ``p75``, ``p95``; one row per day (× location).
    """
    vals, labels = values(result, quantity)
    cols = quantile_bands(vals)
    out = _frame(
        result.dates, labels, {"replicas": np.full(vals.shape[1:], float(vals.shape[0])), **cols}
    )
    out["replicas"] = out["replicas"].astype(np.int64)
    return out


@dataclass(frozen=True)
class Comparison:
    """Scenario B against scenario A with common random numbers (``diff = b − a`` per seed).

    Attributes:
        quantity: the compared quantity (see :data:`QUANTITIES`).
        seeds: the common seeds, in A's order (R).
        dates: calendar dates of the days (T).
        labels: location or camp names (K), None for totals.
        a, b, diff: values of A, of B and their paired difference, shape (R, T, K).
    """

    quantity: str
    seeds: list[int]
    dates: list[dt.date]
    labels: list[str] | None
    a: FloatArray
    b: FloatArray
    diff: FloatArray

    def per_replica(self) -> pd.DataFrame:
        """Long table: ``seed``, ``day``, ``date``, [``location``], ``a``, ``b``, ``diff``."""
        seeds = np.asarray(self.seeds, dtype=np.int64)
        return _frame(
            self.dates,
            self.labels,
            {"a": self.a, "b": self.b, "diff": self.diff},
            leading={"seed": seeds},
        )

    def bands(self) -> pd.DataFrame:
        """Median and 50 %/90 % bands of the paired difference (same columns as :func:`bands`)."""
        cols = quantile_bands(self.diff)
        R = self.diff.shape[0]
        out = _frame(self.dates, self.labels, {"replicas": np.full(self.diff.shape[1:], R), **cols})
        out["replicas"] = out["replicas"].astype(np.int64)
        return out


def compare(result_a: RunResult, result_b: RunResult, quantity: str = "camps") -> Comparison:
    """Pair two ensembles run with the same seeds and report ``b − a`` per replica.

    The replicas are matched by seed (the order in each result does not matter). Both results
    need the same seeds, the same start date and number of days, and the same locations.
    """
    sa, sb = list(result_a.seeds), list(result_b.seeds)
    if sorted(sa) != sorted(sb):
        raise QuantityError(
            "compare needs common random numbers: run both scenarios with the same seeds "
            f"(A has {_short(sa)}, B has {_short(sb)})"
        )
    if result_a.start_date != result_b.start_date or result_a.days != result_b.days:
        raise QuantityError(
            f"the results cover different periods (A: {result_a.days} days from "
            f"{result_a.start_date}, B: {result_b.days} days from {result_b.start_date})"
        )
    va, la = values(result_a, quantity)
    vb, lb = values(result_b, quantity)
    if la != lb:
        raise QuantityError(f"the results have different locations for {quantity!r}")
    order = np.array([sb.index(s) for s in sa], dtype=np.int64)
    vb = vb[order]
    return Comparison(
        quantity=quantity,
        seeds=sa,
        dates=result_a.dates,
        labels=la,
        a=va,
        b=vb,
        diff=vb - va,
    )


def _short(seeds: list[int]) -> str:
    text = ", ".join(str(s) for s in seeds[:6])
    return f"seeds {text}{', …' if len(seeds) > 6 else ''}"


__all__ = [
    "QUANTILES",
    "QUANTITIES",
    "Comparison",
    "QuantityError",
    "bands",
    "compare",
    "quantile_bands",
    "values",
]
