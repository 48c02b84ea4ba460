"""Model discrepancy (corredor.validation.discrepancy): the in-sample log-RMSE and the quantiles
of the log-normal mixture around the runs, checked against closed forms and sampling."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from corredor.validation.discrepancy import log_discrepancy, mixture_quantiles

MONTHS = pd.date_range("2013-01-01", periods=24, freq="MS")


def test_log_discrepancy_is_the_log_rmse_after_the_spin_up() -> None:
    obs = pd.Series(np.full(24, 1000.0), index=MONTHS, name="o")
    sim = pd.Series(np.full(24, 1000.0), index=MONTHS)
    sim.iloc[:3] = 1e6  # January–March 2013: March 1 is within 60 days of January 1
    sim.iloc[3:] = np.expm1(np.log1p(1000.0) + np.where(np.arange(21) % 2, 0.3, -0.3))
    assert log_discrepancy(sim, obs, start=dt.date(2013, 1, 1)) == pytest.approx(0.3)
    assert log_discrepancy(sim, obs) > 1.0  # without a start, the first months count


def test_log_discrepancy_skips_missing_and_needs_a_common_month() -> None:
    obs = pd.Series([np.nan, 100.0], index=MONTHS[:2], name="o")
    sim = pd.Series([5.0, 100.0, 7.0], index=MONTHS[:3])
    assert log_discrepancy(sim, obs) == 0.0
    with pytest.raises(ValueError, match="no month in common"):
        log_discrepancy(sim, pd.Series([np.nan], index=MONTHS[:1], name="o"))


def test_one_run_gives_the_log_normal_quantiles() -> None:
    q = mixture_quantiles(np.array([[999.0, 0.0]]), 0.5, (0.05, 0.5, 0.95))
    z = norm.ppf(0.95)
    np.testing.assert_allclose(
        q[:, 0], np.expm1(np.log(1000.0) + 0.5 * np.array([-z, 0.0, z])), rtol=1e-7
    )
    assert q[0, 1] == 0.0  # clipped at zero below a run of 0 (log(1 + y) < 0)


def test_sigma_zero_is_the_runs_own_quantiles() -> None:
    runs = np.arange(20.0).reshape(5, 4) ** 2
    np.testing.assert_allclose(
        mixture_quantiles(runs, 0.0, (0.05, 0.95)), np.quantile(runs, [0.05, 0.95], axis=0)
    )


def test_bad_arguments_are_refused() -> None:
    runs = np.ones((2, 3))
    for kwargs, match in (
        ({"sigma": -1.0, "levels": (0.5,)}, "sigma"),
        ({"sigma": 1.0, "levels": (1.0,)}, "levels"),
        ({"sigma": 1.0, "levels": (0.5,), "weights": np.array([1.0])}, "weight"),
    ):
        with pytest.raises(ValueError, match=match):
            mixture_quantiles(runs, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="missing"):
        mixture_quantiles(np.array([[np.nan]]), 1.0, (0.5,))


@settings(max_examples=25, deadline=None)
@given(
    runs=st.lists(st.floats(0, 1e5), min_size=1, max_size=6),
    sigma=st.floats(0.05, 2.0),
    weights=st.lists(st.floats(0.1, 5.0), min_size=6, max_size=6),
)
def test_mixture_quantiles_match_sampling(
    runs: list[float], sigma: float, weights: list[float]
) -> None:
    r = np.array(runs)[:, None]
    w = np.array(weights[: len(runs)])
    levels = (0.05, 0.5, 0.95)
    q = mixture_quantiles(r, sigma, levels, w)[:, 0]
    assert np.all(np.diff(q) >= 0)
    rng = np.random.default_rng(0)
    n = 200_000
    pick = rng.choice(len(runs), size=n, p=w / w.sum())
    draws = np.expm1(np.log1p(r[pick, 0]) + sigma * rng.standard_normal(n)).clip(0)
    # the sampled mixture's CDF at the computed quantiles is the level (within sampling error)
    for level, value in zip(levels, q, strict=True):
        assert abs(np.mean(draws <= value) - level) < 0.006 or value == 0.0
