"""Indices derived from a timeline: restrictiveness per country (and policy area), and the
implementation gap of a parameter.

Restrictiveness (docs/policy.md gives the formula and its sources): on day ``d`` a country's raw
score is ``S(d) = sum(direction_e * MAGNITUDE_WEIGHTS[magnitude_e])`` over its events active on
``d`` (``* implemented_share_e`` when ``de_facto``), and its index is the logistic map
``R(d) = 1 / (1 + exp(-(logit(base) + S(d) / scale)))``: in [0, 1], exactly ``base`` when the
score is 0, increasing in ``S`` (strictly, away from floating-point saturation).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pandas as pd

from corredor.errors import ScenarioError
from corredor.policy._dates import DayLike
from corredor.policy.events import MAGNITUDES, POLICY_AREAS, Magnitude, PolicyArea
from corredor.policy.timeline import PolicyTimeline

FloatArray = npt.NDArray[np.float64]

#: Weight of each DEMIG POLICY magnitude: its ordinal rank (1–4) divided by 4.
MAGNITUDE_WEIGHTS: Mapping[Magnitude, float] = MappingProxyType(
    {"fine-tuning": 0.25, "minor": 0.5, "mid-level": 0.75, "major": 1.0}
)
#: The index with no active event.
DEFAULT_BASE = 0.5
#: Score units per logit unit: one major restrictive event moves the index from 0.5 to ~0.62.
DEFAULT_SCALE = 2.0


def restrictiveness_score(
    timeline: PolicyTimeline,
    country: str,
    start: DayLike,
    end: DayLike,
    freq: str = "D",
    *,
    area: PolicyArea | None = None,
    de_facto: bool = False,
    weights: Mapping[Magnitude, float] | None = None,
) -> pd.Series[float]:
    """The raw score ``S(d)`` over ``[start, end)``: the sum of direction × magnitude weight of
    the country's events active on ``d`` (optionally of one policy area only; with ``de_facto``
    each term is also multiplied by the event's implemented share). ``weights`` replaces
    :data:`MAGNITUDE_WEIGHTS` (for sensitivity analyses). ``freq`` as in
    :func:`restrictiveness`."""
    days, score = _score(
        timeline, country, start, end, area=area, de_facto=de_facto, weights=weights
    )
    return _resample(pd.Series(score, index=days, name="restrictiveness_score"), freq)


def restrictiveness(
    timeline: PolicyTimeline,
    country: str,
    start: DayLike,
    end: DayLike,
    freq: str = "D",
    *,
    area: PolicyArea | None = None,
    base: float = DEFAULT_BASE,
    scale: float = DEFAULT_SCALE,
    de_facto: bool = False,
    weights: Mapping[Magnitude, float] | None = None,
) -> pd.Series[float]:
    """The country's restrictiveness index in [0, 1] over ``[start, end)``.

    Daily values are ``R(d) = logistic(logit(base) + S(d) / scale)`` with ``S`` from
    :func:`restrictiveness_score`; ``R = base`` exactly on days with a zero score. ``freq``
    other than ``"D"`` averages the daily index over each period
    (``Series.resample(freq).mean()``, with pandas' period labels).
    """
    _check_transform(base, scale)
    days, score = _score(
        timeline, country, start, end, area=area, de_facto=de_facto, weights=weights
    )
    index = pd.Series(
        _transform(score, base, scale),
        index=days,
        name="restrictiveness" if area is None else f"restrictiveness[{area}]",
    )
    return _resample(index, freq)


def restrictiveness_by_area(
    timeline: PolicyTimeline,
    country: str,
    start: DayLike,
    end: DayLike,
    freq: str = "D",
    *,
    base: float = DEFAULT_BASE,
    scale: float = DEFAULT_SCALE,
    de_facto: bool = False,
    weights: Mapping[Magnitude, float] | None = None,
) -> pd.DataFrame:
    """One column per DEMIG policy area plus ``"all"``: :func:`restrictiveness` of each."""
    columns: dict[str, pd.Series[float]] = {}
    for area in (*POLICY_AREAS, None):
        series = restrictiveness(
            timeline,
            country,
            start,
            end,
            freq,
            area=area,
            base=base,
            scale=scale,
            de_facto=de_facto,
            weights=weights,
        )
        columns["all" if area is None else area] = series
    return pd.DataFrame(columns)


def implementation_gap(
    timeline: PolicyTimeline, parameter: str, start: DayLike, end: DayLike
) -> pd.Series[float]:
    """Stated minus deployed value of ``parameter`` for each day of ``[start, end)``.

    Zero where every active event changing it is fully implemented; for example a stated
    ``multiply 2`` of a capacity of 100 with ``implemented_share 0.25`` gives a gap of 75.
    """
    if parameter not in timeline.parameters:
        names = ", ".join(sorted(timeline.parameters))
        raise ScenarioError(
            None,
            f"unknown parameter {parameter!r}",
            field="parameter",
            expected=f"one of the timeline's parameters: {names}",
        )
    days = _days(timeline, start, end)
    stated = timeline.daily(start, end, stated=True)[parameter]
    deployed = timeline.daily(start, end)[parameter]
    return pd.Series(stated - deployed, index=days, name=f"{parameter} gap")


# ---------------------------------------------------------------------- helpers
def _score(
    timeline: PolicyTimeline,
    country: str,
    start: DayLike,
    end: DayLike,
    *,
    area: PolicyArea | None,
    de_facto: bool,
    weights: Mapping[Magnitude, float] | None,
) -> tuple[pd.DatetimeIndex, FloatArray]:
    if area is not None and area not in POLICY_AREAS:
        raise ValueError(f"unknown policy area {area!r}; expected one of {POLICY_AREAS}")
    w = _check_weights(MAGNITUDE_WEIGHTS if weights is None else weights)
    days = _days(timeline, start, end)
    d0 = timeline.to_date(start)
    n = len(days)
    score = np.zeros(n, dtype=np.float64)
    for event in timeline.events:
        if event.country != country or (area is not None and event.policy_area != area):
            continue
        i0 = max((event.start - d0).days, 0)
        i1 = n if event.end is None else min((event.end - d0).days, n)
        if i0 >= i1:
            continue
        term = event.direction * w[event.magnitude]
        if de_facto:
            term *= event.implemented_share
        score[i0:i1] += term
    return days, score


def _days(timeline: PolicyTimeline, start: DayLike, end: DayLike) -> pd.DatetimeIndex:
    d0, d1 = timeline.to_date(start), timeline.to_date(end)
    if d1 < d0:
        raise ValueError(f"end {d1.isoformat()} is before start {d0.isoformat()}")
    return pd.date_range(d0, d1 - dt.timedelta(days=1), freq="D", name="date")


def _check_weights(weights: Mapping[Magnitude, float]) -> dict[Magnitude, float]:
    """Weights for all four magnitudes, finite, non-negative and non-decreasing in magnitude."""
    missing = [m for m in MAGNITUDES if m not in weights]
    if missing:
        raise ValueError(f"weights lack the magnitude(s) {missing}")
    values = [float(weights[m]) for m in MAGNITUDES]
    if not all(math.isfinite(v) and v >= 0.0 for v in values) or values != sorted(values):
        raise ValueError(
            f"weights must be finite, non-negative and non-decreasing from fine-tuning to major, "
            f"not {dict(zip(MAGNITUDES, values, strict=True))}"
        )
    return dict(zip(MAGNITUDES, values, strict=True))


def _check_transform(base: float, scale: float) -> None:
    if not 0.0 < base < 1.0:
        raise ValueError(f"base must lie strictly between 0 and 1, not {base!r}")
    if not (math.isfinite(scale) and scale > 0.0):
        raise ValueError(f"scale must be a positive number, not {scale!r}")


def _transform(score: FloatArray, base: float, scale: float) -> FloatArray:
    """``logistic(logit(base) + score / scale)``, computed as ``base + (f(x) - f(x0))`` so that a
    zero score gives ``base`` exactly; every step is monotone, so the result never decreases
    when the score grows, also in floating point."""
    x0 = math.log(base / (1.0 - base))
    out: FloatArray = np.clip(base + (_logistic(x0 + score / scale) - _logistic(x0)), 0.0, 1.0)
    return out


def _logistic(x: FloatArray | float) -> FloatArray:
    """``1 / (1 + exp(-x))`` written with tanh: no overflow, monotone, within [0, 1]."""
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))
    return out


def _resample(series: pd.Series[float], freq: str) -> pd.Series[float]:
    if freq == "D":
        return series
    return series.resample(freq).mean()
