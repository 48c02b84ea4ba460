"""The back-test protocol of MODEL.md §8 (corredor.validation.backtest) and the Flee-scenario
validation (corredor.validation.flee_validation)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from corredor.errors import ScenarioError
from corredor.scenario.corridor import builtin_corridor_scenarios
from corredor.scenario.corridor.horizon import DataHorizonError
from corredor.validation.backtest import (
    COLUMNS,
    ObservedSeries,
    backtest,
    backtest_many,
    backtest_series,
    load_observed,
    split,
)
from corredor.validation.baselines import Forecast, persistence
from corredor.validation.flee_validation import (
    CORREDOR,
    CORREDOR_QUIRKS,
    FLEE,
    flee_reference,
    markdown_table,
    validate_flee_scenario,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "flee31"
FAST = ("persistence", "seasonal_naive")
#: mexico-us's back-test windows (its analysis.yaml): fit to 2018-12, forecast to 2021-09
WINDOW = ("2018-12-31", "2021-09-30")


def monthly(values: np.ndarray, start: str) -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="MS"))


# ----------------------------------------------------------------------------- the horizon


def test_backtest_refuses_data_after_september_2021() -> None:
    late = monthly(np.arange(1.0, 107.0), "2013-01-01")  # ends October 2021
    assert late.index[-1] == pd.Timestamp("2021-10-01")
    with pytest.raises(DataHorizonError, match="after 2021-09-30"):
        backtest(late, *WINDOW, models=FAST)
    # even when the late month is missing, or only the window would reach it
    late.iloc[-1] = np.nan
    with pytest.raises(DataHorizonError):
        split(late, *WINDOW)
    ok = late.iloc[:-1]
    with pytest.raises(DataHorizonError):
        backtest(ok, "2018-12-31", "2021-10-31", models=FAST)
    assert len(backtest(ok, *WINDOW, models=FAST)) == 2
    with pytest.raises(ValueError, match="last day of a month"):
        backtest(ok, "2018-12-15", "2021-09-30", models=FAST)


def test_loader_refuses_to_read_past_the_horizon(tmp_path: Path) -> None:
    with pytest.raises(DataHorizonError):
        load_observed("mexico-us", "usbp_encounters_total", until="2021-10-31")
    # a copy of mexico-us whose encounter file holds one row after the horizon (not even a
    # row the observable selects): the file is refused as a whole
    src = builtin_corridor_scenarios()["mexico-us"].parent
    copy = tmp_path / "mexico-us"
    shutil.copytree(src, copy)
    path = copy / "observed" / "us_sw_border_encounters_monthly.csv"
    lines = path.read_text().splitlines()
    last = lines[-1].split(",")
    last[0:3] = ["2021-10-01", "2021-10-31", "2021-10-01"]
    last[4:6] = ["OFO", "total"]  # not selected by usbp_encounters_total
    path.write_text("\n".join([*lines, ",".join(last)]) + "\n")
    # the scenario's own horizon guard (every data file, corredor.scenario.corridor.vintage)
    # refuses it before load_observed reads it, naming the file and the line
    with pytest.raises(ScenarioError, match="after the calibration horizon") as err:
        load_observed(copy / "scenario.yaml", "usbp_encounters_total")
    assert err.value.file is not None and "us_sw_border_encounters_monthly.csv" in str(err.value)
    assert err.value.line == len(lines) + 1


# ----------------------------------------------------------------------------- the protocol


def test_mexico_backtest_series() -> None:
    series = backtest_series("mexico-us")
    names = [s.name for s in series]
    assert names[0] == "usbp_encounters_total"
    assert len(names) == 6  # total + five citizenship groups
    total = series[0]
    assert total.values.index[0] == pd.Timestamp("2013-01-01")
    assert total.values.index[-1] == pd.Timestamp("2021-09-01")
    assert total.values.index.freqstr == "MS"
    assert (total.rounding == 5.0).all()  # OHSS rounds every cell to 10
    assert total.values.notna().all()
    window = split(total, *WINDOW)
    assert (window.train.index[0], window.train.index[-1]) == (
        pd.Timestamp("2013-01-01"),
        pd.Timestamp("2018-12-01"),
    )
    assert (window.test.index[0], window.test.index[-1]) == (
        pd.Timestamp("2019-01-01"),
        pd.Timestamp("2021-09-01"),
    )


def test_forecasters_see_only_the_fit_window() -> None:
    seen: list[pd.Timestamp] = []

    def spy(train: pd.Series, horizon: int) -> Forecast:
        seen.append(train.index.max())
        assert horizon == 33
        return persistence(train, horizon)

    series = backtest_series("mexico-us")[0]
    table = backtest(series, *WINDOW, models={"spy": spy})
    assert seen == [pd.Timestamp("2018-12-01")]
    assert list(table.columns) == COLUMNS
    assert table.loc[0, "n"] == 33


def test_backtest_scores_by_hand() -> None:
    # fit: two years, each month of year 2 = year 1 + 12 → seasonal-naive scale Q = 12
    fit = np.concatenate([np.full(12, 100.0), np.full(12, 112.0)])
    test = np.array([112.0, 124.0, np.nan])
    series = monthly(np.concatenate([fit, test]), "2016-01-01")
    series.name = "toy"
    table = backtest(series, "2017-12-31", "2018-03-31", models=("persistence",))
    row = table.iloc[0]
    # persistence forecasts 112: errors 0, 12 (March missing: skipped)
    assert row["mase"] == pytest.approx(6 / 12)
    assert row["ard"] == pytest.approx((0 + 12 / 124) / 2)
    assert row["log_rmse"] == pytest.approx(np.sqrt((np.log1p(112) - np.log1p(124)) ** 2 / 2))
    assert (row["n"], row["missing"]) == (2, 1)
    # with rounding to 10 (half-width 5) an error of 4 counts as 0
    shifted = series.copy()
    shifted.iloc[24] = 116.0  # persistence's error: 4
    rounded = ObservedSeries("toy", shifted, pd.Series(5.0, index=series.index))
    row = backtest(rounded, "2017-12-31", "2018-03-31", models=("persistence",)).iloc[0]
    assert row["within_rounding"] == 1
    assert row["mase"] == pytest.approx(6 / 12)


def test_pooled_rows_score_series_together() -> None:
    a = monthly(np.concatenate([np.arange(24.0) + 10, [40.0, 50.0]]), "2017-01-01")
    b = monthly(np.concatenate([np.arange(24.0) + 20, [30.0, 30.0]]), "2017-01-01")
    a.name, b.name = "a", "b"
    table = backtest_many([a, b], "2018-12-31", "2019-02-28", ("persistence",), pooled=["a", "b"])
    pooled = table[table["series"] == "pooled"].iloc[0]
    # forecasts 33 and 43; errors a: 7, 17; b: 13, 13 → per month (7 + 13) / 70, (17 + 13) / 80
    assert pooled["ard"] == pytest.approx((20 / 70 + 30 / 80) / 2)
    assert pooled["mase"] == pytest.approx(table[table["series"] != "pooled"]["mase"].mean())
    assert pooled["n"] == 4


def test_mexico_us_backtest_fast_baselines() -> None:
    series = backtest_series("mexico-us")
    table = backtest_many(series, *WINDOW, models=FAST, pooled=[s.name for s in series[1:]])
    assert len(table) == 2 * 6 + 2
    assert (table["n"] == [33] * 12 + [165] * 2).all()
    assert np.isfinite(table[["mase", "ard", "log_rmse"]].to_numpy(dtype=float)).all()
    # the 2019 and 2021 surges are far outside a naive forecast: MASE well above 1
    total = table[table["series"] == "usbp_encounters_total"].set_index("model")
    assert (total["mase"] > 2).all()


# ----------------------------------------------------------------------------- Flee scenarios


def test_flee_validation_smoke() -> None:
    scores = validate_flee_scenario("mali2012", hasten=20, seeds=2)
    assert [s.runner for s in scores] == [CORREDOR, CORREDOR_QUIRKS]
    for s in scores:
        assert s.seeds == (0, 1)
        assert s.hasten == 20
        assert len(s.ard) == 2
        assert 0.2 < s.ard_mean < 0.5
        assert 0.1 < s.ard_rescaled_mean < 0.4
    table = markdown_table(scores)
    assert table.count("\n") == 3
    assert "| mali2012 | 20 | Corredor, flee31_quirks | 2 (0–1) |" in table


def test_flee_reference_from_summary_json() -> None:
    ref = flee_reference(FIXTURES / "mali2012_h10")
    assert ref.runner == FLEE
    assert (ref.scenario, ref.hasten, len(ref.seeds)) == ("mali2012", 10, 10)
    assert ref.ard_mean == pytest.approx(0.3416, abs=1e-4)
    assert ref.ard_rescaled_mean == pytest.approx(0.2199, abs=1e-4)


def test_values_without_a_scoring_rule_load_only_unscored() -> None:
    """OFO encounters of mexico-us hold 'derived' values: refused for scoring, read for other
    uses (a forecast's model discrepancy) with a NaN half-width."""
    import math

    from corredor.validation.backtest import load_observed

    with pytest.raises(ValueError, match="no scoring rule for value_type 'derived'"):
        load_observed("mexico-us", "ofo_encounters_total")
    series = load_observed("mexico-us", "ofo_encounters_total", scored=False)
    assert series.values.notna().sum() > 12
    assert any(math.isnan(h) for h in series.rounding)
