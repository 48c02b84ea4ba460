"""Naive and statistical baseline forecasts that the corridor model must beat.

Each baseline takes the *fit window* (a ``pandas.Series`` of counts on a regular date index,
monthly for the back-test) and a horizon ``h`` (periods after the window's last date) and returns
a :class:`Forecast`: a point forecast for each of the ``h`` periods and, where the model gives
one, a 90 % prediction interval. Baselines see only the fit window, nothing after it.

* :func:`persistence` — every period gets the last observed value (the naive forecast). Its
  interval is the random-walk one of Hyndman & Athanasopoulos, *Forecasting: Principles and
  Practice* (3rd ed., §5.5): ``± z · σ · √h``, ``σ`` the root mean square of the in-sample
  one-step changes.
* :func:`seasonal_naive` — each period gets the value of the same month one season (``m = 12``)
  earlier, the latest observed one; interval ``± z · σ · √(k + 1)``, ``k`` the number of whole
  seasons in ``h − 1`` (same reference), ``σ`` from the in-sample seasonal differences.
* :func:`ets` — Holt–Winters exponential smoothing (statsmodels ``ExponentialSmoothing``),
  additive damped trend, seasonality additive or multiplicative, whichever has the lower AIC on
  the fit window (multiplicative only if every count is > 0). The fit is statsmodels' least
  squares, i.e. additive errors: ETS(A,Ad,A) or ETS(A,Ad,M). The 90 % interval comes from
  statsmodels' ``simulate`` (2,000 paths with additive Gaussian errors of the fit's residual
  σ; seeded, so reproducible). Its multiplicative-error simulation is not used: on the US
  encounter series its paths collapse (median near 0 within a year), an artefact of combining
  relative errors with a least-squares fit whose trend smoothing is near 1.
* :func:`arima` — seasonal ARIMA on ``log(1 + count)`` (statsmodels ``SARIMAX``); the orders
  come from a small grid (:data:`ARIMA_ORDERS`: ``(p, 1, q)(P, 1, Q)₁₂``, p ≤ 2, q ≤ 1,
  one seasonal term at most), chosen by AIC. Differencing is fixed (d = D = 1) so that the AICs
  compare fits of the same data. The point forecast is the back-transformed mean on the log
  scale (the median count), the interval the back-transformed 90 % interval. Fits whose
  optimiser does not converge are passed over unless none converges.

Missing values in the fit window: persistence and seasonal naive use the latest observed value;
ETS interpolates linearly inside the window (leading gaps dropped, trailing ones carried
forward) and says so in :attr:`Forecast.notes`; SARIMAX handles gaps in its Kalman filter.
Counts cannot be negative: point forecasts and interval bounds are clipped at 0.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.statespace.sarimax import SARIMAX

FloatArray = npt.NDArray[np.float64]

#: Seasonal period of monthly data.
MONTHLY = 12
#: Coverage of the prediction intervals.
LEVEL = 0.90
#: Simulated paths for the ETS interval.
ETS_PATHS = 2000

ArimaOrder = tuple[tuple[int, int, int], tuple[int, int, int]]
"""``((p, d, q), (P, D, Q))``; the seasonal period is the ``m`` argument."""

#: The ARIMA grid: (p, 1, q)(P, 1, Q)_m with p ≤ 2, q ≤ 1 and at most one seasonal term.
ARIMA_ORDERS: tuple[ArimaOrder, ...] = tuple(
    ((p, 1, q), seasonal)
    for p in (0, 1, 2)
    for q in (0, 1)
    for seasonal in ((0, 1, 1), (1, 1, 0), (0, 1, 0))
)


@dataclass(frozen=True)
class Forecast:
    """A baseline's forecast of ``h`` periods after the fit window.

    Attributes:
        model: the baseline's name (``persistence``, ``seasonal_naive``, ``ets``, ``arima``).
        spec: the specification used, e.g. ``ETS(A,Ad,M) (Holt-Winters, m=12)`` or
            ``SARIMA(1,1,0)(0,1,1)12 on log1p``.
        mean: point forecast, indexed by the forecast periods.
        lower, upper: bounds of the ``level`` prediction interval (None if the model has none).
        level: coverage of the interval.
        aic: AIC of the chosen fit (models fitted by likelihood or least squares only).
        notes: anything the reader of a table should know (gaps filled, fits that failed).
    """

    model: str
    spec: str
    mean: pd.Series
    lower: pd.Series | None = None
    upper: pd.Series | None = None
    level: float = LEVEL
    aic: float | None = None
    notes: tuple[str, ...] = field(default=())


Forecaster = Callable[[pd.Series, int], Forecast]
"""A baseline: ``(fit_window, horizon) -> Forecast``."""


# ----------------------------------------------------------------------------- helpers
def _check_window(train: pd.Series, horizon: int) -> tuple[pd.Series, pd.DatetimeIndex]:
    """The window as floats with a frequency, and the index of the ``horizon`` next periods."""
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    if not isinstance(train.index, pd.DatetimeIndex):
        raise TypeError("the fit window must have a DatetimeIndex")
    index = train.index
    if len(index) < 3:
        raise ValueError("the fit window needs at least 3 periods")
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise ValueError("the fit window's dates must increase strictly")
    freq = index.freq or pd.infer_freq(index)
    if freq is None:
        raise ValueError("the fit window's dates must be regular (e.g. every month start)")
    y = pd.Series(train.to_numpy(dtype=np.float64), index=pd.DatetimeIndex(index, freq=freq))
    if y.isna().all():
        raise ValueError("the fit window has no observation")
    offset = pd.tseries.frequencies.to_offset(freq)
    future = pd.date_range(start=index[-1] + offset, periods=horizon, freq=offset)
    return y, future


def _series(values: npt.ArrayLike, index: pd.DatetimeIndex) -> pd.Series:
    arr = np.maximum(np.asarray(values, dtype=np.float64), 0.0)
    return pd.Series(arr, index=index)


def _z(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return statistics.NormalDist().inv_cdf(0.5 + level / 2.0)


def _rms(values: FloatArray) -> float:
    v = values[~np.isnan(values)]
    return float(np.sqrt(np.mean(v**2))) if v.size else float("nan")


def _fit_quietly(fit: Callable[[], Any]) -> tuple[Any, list[str]]:
    """Run a statsmodels fit, returning its result and the warnings it raised (as text)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fit()
    return result, sorted({f"{w.category.__name__}: {w.message}" for w in caught})


# ----------------------------------------------------------------------------- naive
def persistence(train: pd.Series, horizon: int, *, level: float = LEVEL) -> Forecast:
    """The last observed value for every period, with the random-walk interval."""
    y, future = _check_window(train, horizon)
    observed = y.dropna()
    last = float(observed.iloc[-1])
    sigma = _rms(np.diff(y.to_numpy()))
    half = _z(level) * sigma * np.sqrt(np.arange(1, horizon + 1))
    point = np.full(horizon, last)
    lower = upper = None
    if math.isfinite(sigma):
        lower, upper = _series(point - half, future), _series(point + half, future)
    return Forecast(
        "persistence", "naive (last value)", _series(point, future), lower, upper, level
    )


def seasonal_naive(
    train: pd.Series, horizon: int, *, m: int = MONTHLY, level: float = LEVEL
) -> Forecast:
    """Same period one season earlier (the latest observed one), with its interval."""
    y, future = _check_window(train, horizon)
    values = y.to_numpy()
    n = len(values)
    if n < m:
        raise ValueError(f"seasonal naive needs at least one season ({m} periods) of data")
    point = np.empty(horizon)
    for i in range(horizon):
        j = n + i - m * (i // m + 1)  # same position in the last season of the window
        while j >= 0 and np.isnan(values[j]):
            j -= m
        if j < 0:
            raise ValueError(f"no observation for forecast period {future[i].date()} a season back")
        point[i] = values[j]
    sigma = _rms(values[m:] - values[:-m])
    k = np.arange(horizon) // m
    half = _z(level) * sigma * np.sqrt(k + 1)
    lower = upper = None
    if math.isfinite(sigma):
        lower, upper = _series(point - half, future), _series(point + half, future)
    spec = f"seasonal naive (m={m})"
    return Forecast("seasonal_naive", spec, _series(point, future), lower, upper, level)


# ----------------------------------------------------------------------------- ETS
def _fill_gaps(y: pd.Series) -> tuple[pd.Series, list[str]]:
    notes: list[str] = []
    first = y.first_valid_index()
    if first != y.index[0]:
        dropped = int(y.index.get_loc(first))  # type: ignore[arg-type]
        notes.append(f"{dropped} leading missing period(s) dropped")
        y = y.loc[first:]
    inside = int(y.isna().sum())
    if inside:
        filled = y.interpolate(method="linear", limit_area="inside")
        trailing = int(filled.isna().sum())
        filled = filled.ffill()
        notes.append(
            f"{inside - trailing} missing period(s) interpolated linearly"
            + (f", {trailing} trailing one(s) carried forward" if trailing else "")
        )
        y = filled
    return y, notes


def ets(
    train: pd.Series,
    horizon: int,
    *,
    m: int = MONTHLY,
    level: float = LEVEL,
    paths: int = ETS_PATHS,
    seed: int = 0,
) -> Forecast:
    """Holt–Winters with additive damped trend; additive or multiplicative seasonality by AIC."""

    y, future = _check_window(train, horizon)
    y, notes = _fill_gaps(y)
    if len(y) < 2 * m + 2:
        raise ValueError(f"ETS needs at least two seasons plus two periods ({2 * m + 2}) of data")
    kinds = ["add", "mul"] if bool((y > 0).all()) else ["add"]
    if kinds == ["add"]:
        notes.append("multiplicative seasonality not tried (a count is 0)")
    fits: list[tuple[float, str, Any, list[str]]] = []
    for seasonal in kinds:
        model = ExponentialSmoothing(
            y,
            trend="add",
            damped_trend=True,
            seasonal=seasonal,
            seasonal_periods=m,
            initialization_method="estimated",
        )
        result, caught = _fit_quietly(model.fit)
        aic = float(result.aic)
        if math.isfinite(aic):
            fits.append((aic, seasonal, result, caught))
    if not fits:
        raise RuntimeError("no ETS fit gave a finite AIC")
    aic, seasonal, result, caught = min(fits, key=lambda f: f[0])
    notes.extend(caught)
    point = np.asarray(result.forecast(horizon), dtype=np.float64)
    sims = np.asarray(
        result.simulate(
            horizon, repetitions=paths, error="add", anchor="end", rng=np.random.default_rng(seed)
        ),
        dtype=np.float64,
    ).reshape(horizon, paths)
    tail = (1.0 - level) / 2.0
    lower = np.quantile(sims, tail, axis=1)
    upper = np.quantile(sims, 1.0 - tail, axis=1)
    spec = f"ETS(A,Ad,{'M' if seasonal == 'mul' else 'A'}) (Holt-Winters, m={m})"
    return Forecast(
        "ets",
        spec,
        _series(point, future),
        _series(lower, future),
        _series(upper, future),
        level,
        aic,
        tuple(notes),
    )


# ----------------------------------------------------------------------------- ARIMA
def arima(
    train: pd.Series,
    horizon: int,
    *,
    m: int = MONTHLY,
    level: float = LEVEL,
    orders: Sequence[ArimaOrder] = ARIMA_ORDERS,
) -> Forecast:
    """Seasonal ARIMA on log(1 + count), orders chosen by AIC from ``orders``."""

    y, future = _check_window(train, horizon)
    if (y.dropna() < 0).any():
        raise ValueError("ARIMA baseline needs counts >= 0")
    if not orders:
        raise ValueError("no ARIMA order to try")
    z = np.log1p(y)
    fits: list[tuple[bool, float, ArimaOrder, Any]] = []
    failed: list[str] = []
    for order, seasonal in orders:
        model = SARIMAX(z, order=order, seasonal_order=(*seasonal, m))
        try:
            result, _caught = _fit_quietly(partial(model.fit, disp=False))
        except (ValueError, np.linalg.LinAlgError) as exc:
            failed.append(f"{_arima_spec((order, seasonal), m)}: {exc}")
            continue
        aic = float(result.aic)
        converged = bool(result.mle_retvals.get("converged", True))
        if math.isfinite(aic):
            fits.append((converged, aic, (order, seasonal), result))
    if not fits:
        raise RuntimeError("no ARIMA fit succeeded: " + "; ".join(failed))
    pool = [f for f in fits if f[0]] or fits
    converged, aic, chosen, result = min(pool, key=lambda f: f[1])
    notes: list[str] = []
    if len(pool) < len(fits):
        notes.append(f"{len(fits) - len(pool)} non-converged fit(s) passed over")
    if not converged:
        notes.append("no fit converged; the lowest AIC was used")
    if failed:
        notes.append(f"{len(failed)} fit(s) failed")
    fc = result.get_forecast(horizon)
    point = np.expm1(np.asarray(fc.predicted_mean, dtype=np.float64))
    bounds = np.expm1(np.asarray(fc.conf_int(alpha=1.0 - level), dtype=np.float64))
    return Forecast(
        "arima",
        _arima_spec(chosen, m) + " on log1p",
        _series(point, future),
        _series(bounds[:, 0], future),
        _series(bounds[:, 1], future),
        level,
        aic,
        tuple(notes),
    )


def _arima_spec(order: ArimaOrder, m: int) -> str:
    (p, d, q), (sp, sd, sq) = order
    return f"SARIMA({p},{d},{q})({sp},{sd},{sq}){m}"


#: The baselines by name, in table order.
BASELINES: dict[str, Forecaster] = {
    "persistence": persistence,
    "seasonal_naive": seasonal_naive,
    "ets": ets,
    "arima": arima,
}
