"""The calibration loss (``corredor.calibration.loss``): log1p errors weighted per series, the
rules for rounded, approximate, lower-bound and missing values, the spin-up and the horizon."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from corredor.calibration.loss import (
    APPROXIMATE_TOLERANCE,
    LossError,
    compute_loss,
    loss_weights,
    tolerance_zero,
    weights_for,
)
from corredor.scenario.corridor.horizon import DataHorizonError

START = dt.date(2020, 1, 1)


def table(rows: list[tuple[str, str, float, float, str]]) -> pd.DataFrame:
    """Rows (observable, month YYYY-MM, observed, simulated, value_type)."""
    out = []
    for name, month, obs, sim, kind in rows:
        a = pd.Timestamp(month + "-01")
        b = a + pd.offsets.MonthEnd(0)
        out.append(
            {
                "observable": name,
                "unit": "events",
                "period_start": a.date(),
                "period_end": b.date(),
                "observed": obs,
                "value_type": kind,
                "simulated": sim,
            }
        )
    return pd.DataFrame(out)


def loss(rows: list[tuple[str, str, float, float, str]], **kw: object) -> float:
    return compute_loss(table(rows), start=START, spin_up_days=0, **kw).total  # type: ignore[arg-type]


# ------------------------------------------------------------------- value types
@pytest.mark.parametrize(
    ("kind", "sim", "obs", "zero"),
    [
        ("exact", 100.0, 100.0, True),
        ("exact", 101.0, 100.0, False),
        ("", 100.0, 100.0, True),  # no value type: exact
        ("derived", 100.0, 101.0, False),  # a sum of published values: as exact
        ("rounded_to_10", 104.9, 100.0, True),  # |error| < 5 counts as 0
        ("rounded_to_10", 95.1, 100.0, True),
        ("rounded_to_10", 105.0, 100.0, False),  # 5 or more counts in full
        ("rounded_to_100", 149.0, 100.0, True),
        ("approximate", 110.0, 100.0, True),  # within 10 %
        ("approximate", 89.0, 100.0, False),
        ("lower_bound", 500.0, 100.0, True),  # "more than 100": any value above is consistent
        ("lower_bound", 99.0, 100.0, False),
    ],
)
def test_tolerance_rules(kind: str, sim: float, obs: float, zero: bool) -> None:
    assert tolerance_zero(kind, sim, obs) is zero


def test_error_outside_tolerance_counts_in_full() -> None:
    # rounded_to_10, error 6: the whole log error, nothing subtracted
    got = loss([("a", "2020-03", 100.0, 106.0, "rounded_to_10")])
    assert got == pytest.approx((math.log1p(106.0) - math.log1p(100.0)) ** 2)
    assert loss([("a", "2020-03", 100.0, 104.0, "rounded_to_10")]) == 0.0
    assert APPROXIMATE_TOLERANCE == 0.10


def test_unknown_value_type_is_refused() -> None:
    with pytest.raises(LossError, match="estimated"):
        loss([("a", "2020-03", 100.0, 106.0, "estimated")])


# ------------------------------------------------------------------- scale, weights
def test_loss_is_scale_free_and_per_series_mean() -> None:
    # the same relative miss on a small and a large series costs the same
    small = loss([("a", "2020-03", 300.0, 330.0, "exact")])
    large = loss([("a", "2020-03", 300000.0, 330000.0, "exact")])
    assert small == pytest.approx(large, rel=0.01)  # log1p: equal up to the +1
    # a series with many rows does not outweigh one with few: mean within each series
    many = [("a", f"2020-{m:02d}", 100.0, 200.0, "exact") for m in range(3, 13)]
    one = [("b", "2020-03", 100.0, 100.0, "exact")]
    report = compute_loss(table(many + one), start=START, spin_up_days=0)
    e2 = (math.log1p(200.0) - math.log1p(100.0)) ** 2
    assert report.total == pytest.approx(e2 / 2)
    assert report.series.set_index("observable").loc["a", "loss"] == pytest.approx(e2)


def test_weights() -> None:
    rows = [("a", "2020-03", 100.0, 200.0, "exact"), ("b", "2020-03", 100.0, 100.0, "exact")]
    e2 = (math.log1p(200.0) - math.log1p(100.0)) ** 2
    assert loss(rows, weights={"a": 3.0, "b": 1.0}) == pytest.approx(3 * e2 / 4)
    assert loss(rows, weights={"a": 0.0, "b": 1.0}) == 0.0
    assert weights_for(["a", "x"], {"a": 2.0}) == {"a": 2.0, "x": 1.0}
    with pytest.raises(LossError, match="weight"):
        weights_for(["a"], {"a": -1.0})


# ------------------------------------------------------------------- missing values
def test_missing_observations_are_skipped_and_counted() -> None:
    rows = [
        ("a", "2020-03", 100.0, 200.0, "exact"),
        ("a", "2020-04", float("nan"), 5.0e6, "exact"),  # missing: skipped whatever simulated
        ("b", "2020-03", float("nan"), 10.0, "exact"),  # a series with no observation
    ]
    report = compute_loss(table(rows), start=START, spin_up_days=0)
    s = report.series.set_index("observable")
    assert s.loc["a", "scored"] == 1 and s.loc["a", "missing"] == 1
    assert s.loc["b", "scored"] == 0 and s.loc["b", "missing"] == 1
    # b is left out of the loss, weight included
    assert report.total == pytest.approx((math.log1p(200.0) - math.log1p(100.0)) ** 2)
    assert s.loc["b", "contribution"] == 0.0


def test_missing_simulation_is_an_error() -> None:
    with pytest.raises(LossError, match="simulated value missing"):
        loss([("a", "2020-03", 100.0, float("nan"), "exact")])


def test_no_scored_row_gives_nan() -> None:
    assert math.isnan(loss([("a", "2020-03", float("nan"), 1.0, "exact")]))


# ------------------------------------------------------------------- which rows
def test_until_and_spin_up() -> None:
    rows = [(("a", f"2020-{m:02d}", 100.0, 100.0 * m, "exact")) for m in range(1, 7)]
    full = compute_loss(table(rows), start=START)  # spin-up 60 days: January, February out
    assert full.series["scored"].iloc[0] == 4
    cut = compute_loss(table(rows), start=START, until="2020-04-30")
    assert cut.series["scored"].iloc[0] == 2  # March, April
    assert cut.until == dt.date(2020, 4, 30)
    # a row must end on or before `until`
    mid = compute_loss(table(rows), start=START, until="2020-04-29")
    assert mid.series["scored"].iloc[0] == 1


def test_until_after_the_horizon_is_refused() -> None:
    rows = [("a", "2020-03", 1.0, 1.0, "exact")]
    with pytest.raises(DataHorizonError, match="2021-09-30"):
        compute_loss(table(rows), start=START, until="2021-10-01")
    assert compute_loss(table(rows), start=START, until="2021-09-30").until == dt.date(2021, 9, 30)


def test_negative_counts_are_refused() -> None:
    with pytest.raises(LossError, match=">= 0"):
        loss([("a", "2020-03", 100.0, -1.0, "exact")])


def test_loss_matches_a_log_rmse() -> None:
    obs = np.array([100.0, 250.0, 40.0])
    sim = np.array([120.0, 200.0, 40.0])
    rows = [
        ("a", f"2020-{m:02d}", o, s, "exact") for m, o, s in zip((3, 4, 5), obs, sim, strict=True)
    ]
    report = compute_loss(table(rows), start=START, spin_up_days=0)
    rmse = np.sqrt(np.mean((np.log1p(sim) - np.log1p(obs)) ** 2))
    assert report.series["log_rmse"].iloc[0] == pytest.approx(rmse)
    assert report.total == pytest.approx(rmse**2)


def test_the_scenario_weighs_its_series() -> None:
    """Weights come from the scenario's analysis settings, the caller's over them."""
    from corredor.scenario.corridor import load_corridor_scenario

    sc = load_corridor_scenario("mexico-us")
    fit = sc.analysis_settings().fit
    w = loss_weights(sc)
    assert list(w) == [ob.name for ob in sc.observables]
    assert w["usbp_encounters_total"] == fit.weights["usbp_encounters_total"] == 2.0
    assert w["us_repatriations_mex"] == fit.default_weight  # not listed
    assert loss_weights(sc, {"usbp_encounters_total": 0.5})["usbp_encounters_total"] == 0.5
