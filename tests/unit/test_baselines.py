"""Validation metrics (MASE, ARD, log-RMSE, rounding and missing-value rules) and the baseline
forecasts (corredor.validation.metrics, corredor.validation.baselines)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from corredor.results.ard import ard
from corredor.validation.baselines import arima, ets, persistence, seasonal_naive
from corredor.validation.metrics import (
    ard_series,
    ard_several,
    half_width,
    half_widths,
    log_rmse,
    mase,
    seasonal_naive_scale,
)

# ----------------------------------------------------------------------------- metrics


def test_mase_hand_computed() -> None:
    # naive scaling (m = 1): fit window 1, 3, 2 → |3 − 1|, |2 − 3| → Q = 1.5
    assert seasonal_naive_scale([1.0, 3.0, 2.0], m=1) == 1.5
    # errors |2 − 3| = 1, |2 − 5| = 3 → mean 2 → MASE 2 / 1.5
    s = mase([2.0, 2.0], [3.0, 5.0], [1.0, 3.0, 2.0], m=1)
    assert s.value == pytest.approx(4 / 3)
    assert (s.n, s.missing, s.within_rounding) == (2, 0, 0)


def test_mase_seasonal_scale_is_monthly_by_default() -> None:
    # two years; every month of year 2 is 10 above year 1 → Q = 10 with m = 12
    year = np.arange(12, dtype=float) * 3
    fit = np.concatenate([year, year + 10])
    assert seasonal_naive_scale(fit) == 10.0
    assert mase(year + 25, year + 20, fit).value == pytest.approx(0.5)


def test_mase_scale_skips_missing_pairs_and_refuses_zero() -> None:
    fit = [1.0, np.nan, 4.0, 6.0]  # pairs (1, nan), (nan, 4) skipped; |6 − 4| = 2
    assert seasonal_naive_scale(fit, m=1) == 2.0
    with pytest.raises(ValueError, match="undefined"):
        seasonal_naive_scale([5.0, 5.0, 5.0], m=1)
    with pytest.raises(ValueError, match="no pair"):
        seasonal_naive_scale([1.0, 2.0], m=12)


def test_ard_one_series_hand_computed() -> None:
    # |10 − 8| / 8, |3 − 0| / max(0, 1) = 3 → mean (0.25 + 3) / 2
    s = ard_series([10.0, 3.0], [8.0, 0.0])
    assert s.value == pytest.approx((0.25 + 3.0) / 2)
    assert s.n == 2


def test_ard_several_series_is_flees_ard() -> None:
    sim = np.array([[1.0, 2.0], [0.0, 0.0], [4.0, 0.0]])
    obs = np.array([[3.0, 0.0], [5.0, 5.0], [0.0, 0.0]])
    # day 0: (2 + 2) / 3; day 1: 10 / 10; day 2: 4 / max(0, 1)
    s = ard_several(sim, obs)
    assert s.value == pytest.approx((4 / 3 + 1 + 4) / 3)
    assert s.value == pytest.approx(ard(sim, obs))
    assert s.n == 6


def test_log_rmse_hand_computed() -> None:
    e = math.e
    # log1p errors: 1 and −1 → RMSE 1
    assert log_rmse([e - 1, 0.0], [0.0, e - 1]).value == pytest.approx(1.0)
    with pytest.raises(ValueError, match=">= 0"):
        log_rmse([-1.0], [1.0])


def test_half_width_from_value_type() -> None:
    assert half_width("exact") == 0.0
    assert half_width("rounded_to_10") == 5.0
    assert half_width("rounded_to_100") == 50.0
    np.testing.assert_array_equal(half_widths(["exact", "rounded_to_10"]), [0.0, 5.0])
    for kind in ("approximate", "lower_bound", "derived"):
        with pytest.raises(ValueError, match="no scoring rule"):
            half_width(kind)


def test_rounding_rule_zeroes_errors_below_the_half_width() -> None:
    obs = [100.0, 200.0, 300.0]
    fc = [104.0, 205.0, 290.0]  # errors 4 (< 5: counts 0), 5 (not below: counts), 10
    s = ard_series(fc, obs, rounding=5.0)
    assert s.value == pytest.approx((0 + 5 / 200 + 10 / 300) / 3)
    assert s.within_rounding == 1
    # per-observation half-widths (value_type of each row); exact rows keep every error
    s = ard_series(fc, obs, rounding=[0.0, 5.0, 5.0])
    assert s.value == pytest.approx((4 / 100 + 5 / 200 + 10 / 300) / 3)
    assert s.within_rounding == 0
    # the same rule in MASE and log-RMSE
    fit = [0.0, 10.0, 20.0]
    assert mase(fc, obs, fit, m=1, rounding=5.0).value == pytest.approx((0 + 5 + 10) / 3 / 10)
    assert log_rmse([104.0], [100.0], rounding=5.0).value == 0.0
    assert log_rmse([104.0], [100.0]).value > 0.0


def test_missing_observations_are_skipped_counted_and_reported() -> None:
    obs = [10.0, np.nan, 20.0]
    fc = [12.0, 99.0, 20.0]
    s = ard_series(fc, obs)
    assert s.value == pytest.approx((2 / 10 + 0) / 2)
    assert (s.n, s.missing) == (2, 1)
    assert mase(fc, obs, [0.0, 4.0], m=1).value == pytest.approx(1 / 4)
    assert log_rmse(fc, obs).missing == 1
    # several series: the missing cell leaves both sums of its period
    sim = np.array([[5.0, 50.0], [1.0, 1.0]])
    obs2 = np.array([[4.0, np.nan], [np.nan, np.nan]])
    s2 = ard_several(sim, obs2)
    assert s2.value == pytest.approx(1 / 4)  # period 1 entirely missing: skipped
    assert (s2.n, s2.missing) == (1, 3)
    # nothing observed → NaN value, n = 0
    empty = ard_series([1.0], [np.nan])
    assert math.isnan(empty.value)
    assert (empty.n, empty.missing) == (0, 1)


def test_missing_forecasts_are_an_error() -> None:
    with pytest.raises(ValueError, match="forecast has missing"):
        ard_series([np.nan], [1.0])
    with pytest.raises(ValueError, match="shape"):
        ard_series([1.0, 2.0], [1.0])


# ----------------------------------------------------------------------------- baselines


def monthly(values: np.ndarray, start: str = "2013-01-01") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="MS"))


SEASON = np.array([50, 60, 90, 100, 120, 110, 90, 80, 70, 75, 65, 55], dtype=float)


def test_seasonal_naive_is_exact_on_a_pure_seasonal_series() -> None:
    y = monthly(np.tile(SEASON, 6))
    train, test = y.iloc[:48], y.iloc[48:]
    fc = seasonal_naive(train, len(test))
    pd.testing.assert_series_equal(fc.mean, test, check_names=False, check_freq=False)
    assert fc.model == "seasonal_naive"
    # no in-sample error → a zero-width interval
    assert fc.lower is not None and fc.upper is not None
    np.testing.assert_allclose(fc.upper.to_numpy(), test.to_numpy())


def test_seasonal_naive_uses_the_latest_observed_season() -> None:
    values = np.tile(SEASON, 3)
    values[-12] = np.nan  # January of the last year is missing → the one before
    fc = seasonal_naive(monthly(values), 1)
    assert fc.mean.iloc[0] == SEASON[0]


def test_persistence_repeats_the_last_value_with_a_widening_interval() -> None:
    y = monthly(np.array([10.0, 12.0, 11.0, 13.0, np.nan]))
    fc = persistence(y, 4)
    np.testing.assert_array_equal(fc.mean.to_numpy(), [13.0] * 4)
    assert fc.mean.index[0] == pd.Timestamp("2013-06-01")
    assert fc.lower is not None and fc.upper is not None
    width = (fc.upper - fc.lower).to_numpy()
    np.testing.assert_allclose(width / width[0], np.sqrt([1, 2, 3, 4]))


def trend_season(n: int, noise: float = 0.01, seed: int = 1) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = 1000.0 + 8.0 * t
    factor = np.tile(SEASON / SEASON.mean(), n // 12 + 1)[:n]
    return monthly(level * factor * (1 + noise * rng.standard_normal(n)))


def test_ets_is_close_on_trend_and_season() -> None:
    y = trend_season(84)
    train, test = y.iloc[:72], y.iloc[72:]
    fc = ets(train, len(test))
    assert fc.model == "ets"
    assert fc.spec.startswith("ETS(A,Ad,")
    assert fc.aic is not None and math.isfinite(fc.aic)
    rel = np.abs(fc.mean.to_numpy() / test.to_numpy() - 1)
    assert rel.max() < 0.05
    assert fc.lower is not None and fc.upper is not None
    assert (fc.lower <= fc.mean).all() and (fc.mean <= fc.upper).all()
    inside = ((fc.lower <= test) & (test <= fc.upper)).mean()
    assert inside >= 0.75


def test_ets_fills_gaps_and_says_so() -> None:
    y = trend_season(72)
    y.iloc[[0, 30, 31]] = np.nan
    fc = ets(y, 3)
    assert any("leading" in n for n in fc.notes)
    assert any("2 missing period(s) interpolated" in n for n in fc.notes)
    assert np.isfinite(fc.mean.to_numpy()).all()


def test_arima_small_grid_on_trend_and_season() -> None:
    y = trend_season(84)
    train, test = y.iloc[:72], y.iloc[72:]
    orders = [((0, 1, 1), (0, 1, 0)), ((0, 1, 1), (0, 1, 1))]  # a small grid keeps it fast
    fc = arima(train, len(test), orders=orders)
    assert fc.spec == "SARIMA(0,1,1)(0,1,1)12 on log1p"  # the seasonal MA term lowers the AIC
    rel = np.abs(fc.mean.to_numpy() / test.to_numpy() - 1)
    assert rel.max() < 0.08
    assert fc.lower is not None and fc.upper is not None
    assert ((fc.lower <= test) & (test <= fc.upper)).mean() >= 0.75


def test_baselines_refuse_bad_windows() -> None:
    with pytest.raises(TypeError, match="DatetimeIndex"):
        persistence(pd.Series([1.0, 2.0, 3.0]), 1)
    with pytest.raises(ValueError, match="horizon"):
        persistence(monthly(np.ones(5)), 0)
    with pytest.raises(ValueError, match="one season"):
        seasonal_naive(monthly(np.ones(5)), 1)
