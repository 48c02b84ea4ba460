"""Model discrepancy: prediction bands that include the model's own error, not only its noise.

An ensemble of runs (parameter sets × seeds) spreads over what the model does not know about its
parameters and its random draws; it does not know how far the model itself is from the world.
A band made of runs alone is therefore too narrow: the back-test of ``mexico-us`` covered 6–24 %
of the observed months with a "90 %" band over 3 parameter sets × 3 seeds
(docs/validation.md). History matching names the missing term the *model discrepancy*
(Kennedy & O'Hagan 2001, *J. R. Stat. Soc. B* 63:425; Vernon, Goldstein & Bower 2010,
*Bayesian Analysis* 5:619) and adds its variance to the ensemble's.

Here the discrepancy of a series is estimated where the model was fitted: on the monthly counts
of the fit window (after the spin-up), ``σ = sqrt(mean((log(1 + sim) − log(1 + obs))²))`` for
the point fit's run — the series' in-sample log-RMSE, its bias included (a model that is
systematically low gets a wider band, not a shifted one: the point forecast stays the model's).
The predictive distribution of a month is then the mixture, over the runs ``r`` (weights
``w_r``), of ``log(1 + Y) ~ Normal(log(1 + f_r), σ²)``; its quantiles are found by bisection
on the mixture's distribution function. With σ = 0 they are the runs' own weighted quantiles.

Assumptions, stated: the discrepancy is the same in the forecast window as in the fit window
(the back-test measures whether that holds: its coverage column), independent of the month and
of the run, and log-normal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import ndtr

from corredor.ensemble.corridor_results import weighted_quantiles

# the months of the spin-up are not used to estimate a discrepancy, as in the calibration loss
from corredor.validation.metrics import SPIN_UP_DAYS

FloatArray = npt.NDArray[np.float64]


def log_discrepancy(
    simulated: pd.Series, observed: pd.Series, *, start: dt.date | None = None
) -> float:
    """The in-sample log-RMSE ``σ`` of ``simulated`` against ``observed`` (module docstring).

    Both are monthly series indexed by the first day of the month; only months present in both
    with an observed value are used, and with ``start`` (the run's first day) only months that
    begin at least :data:`SPIN_UP_DAYS` days after it. Raises ``ValueError`` without any month
    in common.
    """
    sim = simulated.astype(np.float64)
    obs = observed.astype(np.float64).reindex(sim.index)
    keep = obs.notna() & sim.notna()
    if start is not None:
        first = pd.Timestamp(start) + pd.Timedelta(days=SPIN_UP_DAYS)
        keep &= sim.index >= first
    if not keep.any():
        raise ValueError(f"no month in common to estimate the discrepancy of {observed.name}")
    d = np.log1p(np.clip(sim[keep].to_numpy(), 0.0, None)) - np.log1p(obs[keep].to_numpy())
    return float(np.sqrt(np.mean(d * d)))


def mixture_quantiles(
    runs: FloatArray,
    sigma: float,
    levels: Sequence[float],
    weights: FloatArray | None = None,
    *,
    tol: float = 1e-9,
) -> FloatArray:
    """Quantiles at ``levels`` of the log-normal mixture around ``runs`` (shape ``(R, T)``):
    for each column t, of ``Σ_r w_r · LogNormal1p(log(1 + runs[r, t]), σ)`` (module
    docstring). Returns shape ``(len(levels), T)``, non-negative; with ``sigma == 0`` the runs'
    weighted quantiles (:func:`corredor.ensemble.corridor_results.weighted_quantiles`)."""
    x = np.atleast_2d(np.asarray(runs, dtype=np.float64))
    w = np.ones(x.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (x.shape[0],) or (w < 0).any() or w.sum() <= 0:
        raise ValueError("one non-negative weight per run, not all zero")
    if sigma < 0 or not np.isfinite(sigma):
        raise ValueError(f"sigma must be finite and >= 0, got {sigma}")
    lv = np.asarray(levels, dtype=np.float64)
    if ((lv <= 0) | (lv >= 1)).any():
        raise ValueError("levels must lie strictly between 0 and 1")
    if np.isnan(x).any():
        raise ValueError("runs hold missing values")
    if sigma == 0:
        return np.asarray(weighted_quantiles(x, w, list(levels)), dtype=np.float64)
    m = np.log1p(np.clip(x, 0.0, None))  # (R, T)
    p = w / w.sum()
    out = np.empty((len(lv), x.shape[1]))
    for i, level in enumerate(lv):
        lo = m.min(axis=0) - 9.0 * sigma
        hi = m.max(axis=0) + 9.0 * sigma
        while np.max(hi - lo) > tol:
            mid = 0.5 * (lo + hi)
            cdf = p @ ndtr((mid[None, :] - m) / sigma)
            below = cdf < level
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        out[i] = np.expm1(0.5 * (lo + hi))
    return np.clip(out, 0.0, None)


__all__ = ["SPIN_UP_DAYS", "log_discrepancy", "mixture_quantiles"]
