"""Forecast-accuracy metrics for observed count series: MASE, ARD and log-RMSE.

All three compare a forecast (or simulation) ``f_t`` with observations ``y_t`` over the same
periods ``t`` (for the back-test: January 2019 – September 2021, monthly).

**MASE** (Hyndman & Koehler 2006, "Another look at measures of forecast accuracy")::

    MASE = mean_t |f_t − y_t| / Q,    Q = mean_{i=m+1..n} |x_i − x_{i−m}|

where ``x_1..x_n`` is the *fit window* (the data the forecaster saw) and ``Q`` is the in-sample
mean absolute error of the **seasonal-naive** forecast with period ``m`` (``m = 12`` for monthly
series, the default; ``m = 1`` gives the naive, random-walk scaling for non-seasonal series).
MASE < 1 means the forecast's errors are smaller than the one-season-ahead in-sample errors of
seasonal naive; a multi-step out-of-sample seasonal naive forecast usually scores above 1.

**ARD** (averaged relative difference), Flee's validation metric adapted to count series:

* one series: ``ARD = mean_t |f_t − y_t| / max(y_t, 1)``;
* several series ``s`` scored together (as Flee scores camps, see
  :mod:`corredor.results.ard`): ``ARD = mean_t Σ_s |f_st − y_st| / max(Σ_s y_st, 1)``.
  Flee's rounding of each difference to 4 decimals is not applied (it changes nothing for counts).

**log-RMSE**: ``sqrt(mean_t (log(1 + f_t) − log(1 + y_t))²)``, a scale-free error on log counts
(``log1p`` so that zero counts are allowed; forecasts must be ≥ 0).

Two rules apply to every metric:

* **Rounded observations.** Each observation may carry a rounding half-width ``h_t`` (see
  :func:`half_width`: ``value_type`` ``exact`` → 0, ``rounded_to_10`` → 5, ``rounded_to_N`` →
  N/2). An absolute error strictly below ``h_t`` counts as exactly 0 (the forecast is consistent
  with the published value); a larger error counts in full (nothing is subtracted). In log-RMSE
  the log error of such a period is 0 too. Other value types (``approximate``, ``lower_bound``,
  ``derived``) have no rule yet and are refused by :func:`half_width`.
* **Missing observations** (NaN) are skipped: the period is left out of the mean (and, for
  several series, out of both sums of that period), and counted in :attr:`Score.missing`.
  A period of several series where every series is missing is skipped as a whole. The scale
  ``Q`` of MASE skips every pair with a missing value. Missing (NaN) *forecasts* are an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Default seasonal period of MASE's scale (monthly data).
MONTHLY = 12
#: Rows ending within this many days of a corridor run's start are neither fitted nor scored:
#: the network starts empty (the calibration loss, the discrepancy and the reports use it).
SPIN_UP_DAYS = 60

_ROUNDED = re.compile(r"^rounded_to_(\d+)$")


@dataclass(frozen=True)
class Score:
    """A metric's value and how many observations went into it.

    Attributes:
        value: the metric (NaN when no observation could be scored).
        n: observations scored (for several series: series × periods).
        missing: observations skipped because they are missing (NaN).
        within_rounding: scored observations whose error counted as 0 under the rounding rule.
    """

    value: float
    n: int
    missing: int = 0
    within_rounding: int = 0


def half_width(value_type: str) -> float:
    """Rounding half-width of an observation from its ``value_type`` column.

    ``exact`` → 0; ``rounded_to_N`` → N / 2 (``rounded_to_10`` → 5). Any other type raises
    ``ValueError``: approximate, lower-bound and derived values need their own rule.
    """
    text = value_type.strip()
    if text == "exact":
        return 0.0
    match = _ROUNDED.match(text)
    if match:
        return int(match.group(1)) / 2.0
    raise ValueError(
        f"no scoring rule for value_type {value_type!r}: only 'exact' and 'rounded_to_N' "
        "observations can be scored (drop the row or give it a rule first)"
    )


def half_widths(value_types: Iterable[str]) -> FloatArray:
    """:func:`half_width` of each entry, as an array."""
    return np.array([half_width(v) for v in value_types], dtype=np.float64)


def _prepare(
    forecast: npt.ArrayLike, observed: npt.ArrayLike, rounding: npt.ArrayLike | float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    f = np.asarray(forecast, dtype=np.float64)
    y = np.asarray(observed, dtype=np.float64)
    if f.shape != y.shape:
        raise ValueError(f"forecast and observed differ in shape: {f.shape} vs {y.shape}")
    if np.isnan(f).any():
        raise ValueError("the forecast has missing (NaN) values")
    if not np.isfinite(f).all():
        raise ValueError("the forecast has infinite values")
    if np.isinf(y).any():
        raise ValueError("the observations have infinite values")
    h = np.broadcast_to(np.asarray(rounding, dtype=np.float64), y.shape)
    if (h < 0).any() or np.isnan(h).any():
        raise ValueError("rounding half-widths must be >= 0")
    return f, y, h


def absolute_errors(
    forecast: npt.ArrayLike, observed: npt.ArrayLike, rounding: npt.ArrayLike | float = 0.0
) -> tuple[FloatArray, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """``|f − y|`` with the rounding rule applied, plus masks (scored, within rounding).

    Missing observations give NaN errors and ``scored = False``.
    """
    f, y, h = _prepare(forecast, observed, rounding)
    err = np.abs(f - y)
    scored = ~np.isnan(y)
    within = scored & (err < h)
    err = np.where(within, 0.0, err)
    return err, scored, within


def seasonal_naive_scale(fit_window: npt.ArrayLike, m: int = MONTHLY) -> float:
    """``Q``: in-sample mean |x_i − x_{i−m}| of the fit window (pairs with a NaN skipped)."""
    x = np.asarray(fit_window, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError("the fit window must be one series")
    if m < 1:
        raise ValueError("m must be >= 1")
    diffs = np.abs(x[m:] - x[:-m])
    diffs = diffs[~np.isnan(diffs)]
    if diffs.size == 0:
        raise ValueError(f"the fit window has no pair of observations {m} periods apart")
    scale = float(diffs.mean())
    if scale == 0.0:
        raise ValueError("MASE is undefined: the fit window's seasonal-naive errors are all 0")
    return scale


def mase(
    forecast: npt.ArrayLike,
    observed: npt.ArrayLike,
    fit_window: npt.ArrayLike,
    *,
    m: int = MONTHLY,
    rounding: npt.ArrayLike | float = 0.0,
) -> Score:
    """Mean absolute scaled error, scaled by seasonal naive (period ``m``) on ``fit_window``."""
    err, scored, within = absolute_errors(forecast, observed, rounding)
    scale = seasonal_naive_scale(fit_window, m)
    return _score(err, scored, within, lambda e: float(e.mean()) / scale)


def ard_series(
    forecast: npt.ArrayLike, observed: npt.ArrayLike, rounding: npt.ArrayLike | float = 0.0
) -> Score:
    """ARD of one series: mean over periods of ``|f_t − y_t| / max(y_t, 1)``."""
    err, scored, within = absolute_errors(forecast, observed, rounding)
    if err.ndim != 1:
        raise ValueError("ard_series takes one series; use ard_several for a (T, S) array")
    y = np.asarray(observed, dtype=np.float64)
    rel = err / np.maximum(np.nan_to_num(y), 1.0)
    return _score(rel, scored, within, lambda e: float(e.mean()))


def ard_several(
    forecast: npt.ArrayLike, observed: npt.ArrayLike, rounding: npt.ArrayLike | float = 0.0
) -> Score:
    """Flee-style ARD of several series, arrays of shape (T, S) (periods × series)::

    ARD = mean_t Σ_s |f_st − y_st| / max(Σ_s y_st, 1)

    (missing ``y_st`` left out of both sums of period ``t``).
    """
    err, scored, within = absolute_errors(forecast, observed, rounding)
    if err.ndim != 2:
        raise ValueError("ard_several takes a (T, S) array (periods × series)")
    y = np.where(scored, np.asarray(observed, dtype=np.float64), 0.0)
    num = np.where(scored, err, 0.0).sum(axis=1)
    den = np.maximum(y.sum(axis=1), 1.0)
    periods = scored.any(axis=1)
    value = float((num[periods] / den[periods]).mean()) if periods.any() else float("nan")
    return Score(value, int(scored.sum()), int((~scored).sum()), int(within.sum()))


def log_rmse(
    forecast: npt.ArrayLike, observed: npt.ArrayLike, rounding: npt.ArrayLike | float = 0.0
) -> Score:
    """Root mean squared error of ``log1p`` counts (periods within rounding count as 0)."""
    f = np.asarray(forecast, dtype=np.float64)
    y = np.asarray(observed, dtype=np.float64)
    if (f < 0).any() or (y[~np.isnan(y)] < 0).any():
        raise ValueError("log-RMSE needs counts >= 0")
    _err, scored, within = absolute_errors(f, y, rounding)
    log_err = np.where(within, 0.0, np.log1p(f) - np.log1p(np.where(scored, y, 0.0)))
    return _score(log_err**2, scored, within, lambda e: float(np.sqrt(e.mean())))


def _score(
    values: FloatArray,
    scored: npt.NDArray[np.bool_],
    within: npt.NDArray[np.bool_],
    reduce: Callable[[FloatArray], float],
) -> Score:
    n = int(scored.sum())
    value = reduce(values[scored]) if n else float("nan")
    return Score(value, n, int((~scored).sum()), int(within.sum()))
