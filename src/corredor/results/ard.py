"""Flee's validation metric: the averaged relative difference (ARD), plain and rescaled.

Reproduces Flee 3.1's own validator (``flee/postprocessing/plot_flee_output.py`` ``plot_errors``
and ``error_quantification``, identical in ``extract-validation-results.py``, with
``analysis.abs_diffs`` and ``StoreDiagnostics.SimulationErrors.abs_diff``). For day ``t``, camps
``c = 1..C``, simulated counts ``n_c(t)`` and observed counts ``m_c(t)``::

    M(t) = Σ_c m_c(t)          ("refugees in camps (UNHCR)")
    N(t) = Σ_c n_c(t)          ("refugees in camps (simulation)")

    ARD(t)          = Σ_c round(|n_c(t) − m_c(t)|, 4)  / max(M(t), 1)
    ARD_rescaled(t) = Σ_c round(|r_c(t) − m_c(t)|, 4)  / max(M(t), 1)

    r_c(t) = n_c(t) · M(t) / N(t)   if N(t) > 0
    r_c(t) = 0                      if N(t) = 0   (so ARD_rescaled(t) = M(t) / max(M(t), 1))

Details kept from 3.1: each camp's absolute difference is rounded to 4 decimals (numpy
``round``) before the camps are added, in camp order; the denominator is the observed *camp*
total floored at 1 (not the UNHCR grand total used by ``out.csv``'s ``Total error``); the
rescaling multiplies before dividing. The score Flee prints is the mean over days.

Flee reads ``M`` and ``N`` from the ``out.csv`` columns. 3.1's run script writes 0 in both
columns on days when no refugees are recorded yet (raw count 0); pass ``obs_total``/``sim_total``
to reproduce such a file exactly, otherwise they are the sums over camps.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: ``flee.postprocessing.analysis.ROUND_NDIGITS``.
ROUND_NDIGITS = 4


def _as_2d(sim: npt.ArrayLike, obs: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    s = np.asarray(sim, dtype=np.float64)
    o = np.asarray(obs, dtype=np.float64)
    if s.ndim != 2 or s.shape != o.shape:
        raise ValueError(f"sim and obs must both have shape (T, C); got {s.shape} and {o.shape}")
    return s, o


def _summed_abs_diffs(forecast: FloatArray, observed: FloatArray) -> FloatArray:
    """Σ_c round(|forecast_c − observed_c|, 4), added camp by camp like ``abs_diff``."""
    rounded = np.round(np.abs(forecast - observed), ROUND_NDIGITS)
    total = np.zeros(rounded.shape[0], dtype=np.float64)
    for c in range(rounded.shape[1]):
        total = total + rounded[:, c]
    return total


def _totals(values: FloatArray, given: npt.ArrayLike | None) -> FloatArray:
    if given is None:
        return np.asarray(values.sum(axis=1), dtype=np.float64)
    out = np.asarray(given, dtype=np.float64)
    if out.shape != (values.shape[0],):
        raise ValueError(f"totals must have shape ({values.shape[0]},); got {out.shape}")
    return out


def ard_per_day(
    sim: npt.ArrayLike, obs: npt.ArrayLike, *, obs_total: npt.ArrayLike | None = None
) -> FloatArray:
    """ARD of each day, shape (T,)::

        ARD(t) = Σ_c round(|n_c(t) − m_c(t)|, 4) / max(M(t), 1),   M(t) = Σ_c m_c(t)

    ``sim`` and ``obs`` have shape (T, C) (days × camps). ``obs_total`` replaces M(t).
    """
    s, o = _as_2d(sim, obs)
    m = _totals(o, obs_total)
    return _summed_abs_diffs(s, o) / np.maximum(m, np.ones(len(m)))


def ard_rescaled_per_day(
    sim: npt.ArrayLike,
    obs: npt.ArrayLike,
    *,
    obs_total: npt.ArrayLike | None = None,
    sim_total: npt.ArrayLike | None = None,
) -> FloatArray:
    """Rescaled ARD of each day, shape (T,)::

        r_c(t) = n_c(t) · M(t) / N(t)  if N(t) > 0, else 0
        ARD_rescaled(t) = Σ_c round(|r_c(t) − m_c(t)|, 4) / max(M(t), 1)

    with M(t) = Σ_c m_c(t) and N(t) = Σ_c n_c(t) unless ``obs_total``/``sim_total`` are given.
    Invariant (up to the 4-decimal rounding) to multiplying ``sim`` by a positive constant.
    """
    s, o = _as_2d(sim, obs)
    m = _totals(o, obs_total)
    n = _totals(s, sim_total)
    positive = n > 0
    rescaled = np.zeros_like(s)
    rescaled[positive] = s[positive] * m[positive, None] / n[positive, None]
    return _summed_abs_diffs(rescaled, o) / np.maximum(m, np.ones(len(m)))


def ard(sim: npt.ArrayLike, obs: npt.ArrayLike, *, rescaled: bool = False) -> float:
    """The score Flee prints ("Error (normal)" / "Error (rescaled)"): the mean over days."""
    per_day = ard_rescaled_per_day(sim, obs) if rescaled else ard_per_day(sim, obs)
    return float(np.mean(per_day))
