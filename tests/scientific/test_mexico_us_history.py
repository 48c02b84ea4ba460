"""The mexico-us run reproduces the qualitative history (issue 3), with the installed calibration
(version 9 of 2026-12-08, a fit in stages: loss 1.3848 against the defaults' 2.1336).

One full run (2013-01-01 – 2021-09-30, one agent per person) is shared by the checks below.
"""

from __future__ import annotations

import pandas as pd
import pytest

from corredor.results.corridor import CorridorResult
from corredor.simulation.corridor import run_corridor


@pytest.fixture(scope="module")
def history() -> CorridorResult:
    return run_corridor("mexico-us", seed=0)


def _monthly(result: CorridorResult, name: str) -> pd.Series:
    return result.monthly()[name]


def _fy(series: pd.Series) -> pd.Series:
    fy = series.index.year + (series.index.month >= 10)
    return series.groupby(fy).sum()


def test_us_encounters_rise_in_2014_and_2019(history: CorridorResult) -> None:
    fy = _fy(_monthly(history, "usbp_encounters_total"))
    assert fy[2014] > fy[2013]
    assert fy[2019] > fy[2018]


def test_us_encounters_fall_after_june_2019(history: CorridorResult) -> None:
    m = _monthly(history, "usbp_encounters_total")
    assert m["2019-07":"2019-12"].mean() < 0.95 * m["2019-01":"2019-06"].mean()


@pytest.mark.parametrize("when", ["2014-07", "2019-06"])
def test_mexico_apprehensions_rise_after_policy(history: CorridorResult, when: str) -> None:
    m = _monthly(history, "inm_presented_monthly")
    t = pd.Period(when, "M")
    before = m[str(t - 6) : str(t - 1)].mean()
    after = m[str(t + 1) : str(t + 6)].mean()
    assert after > 1.1 * before


def test_comar_applications_grow_to_2019(history: CorridorResult) -> None:
    y = _monthly(history, "comar_applications").groupby(lambda d: d.year).sum()
    assert y[2019] > y[2018] and y[2019] > 2 * y[2013]


@pytest.mark.xfail(
    strict=True,
    reason="on calibration v9 (as on v8) COMAR applications start at 9,105 in 2013 (data "
    "1,296) and grow too flat: 13,333 in 2015, 12,918 in 2016 (data 3,424 and 8,781; "
    "docs/validation.md); the cause is not isolated (stage 4 moved the asylum network and the "
    "elasticities); it held on v7 and failed on v6",
)
def test_comar_applications_grow_every_year_to_2019(history: CorridorResult) -> None:
    y = _monthly(history, "comar_applications").groupby(lambda d: d.year).sum()
    assert all(y[k + 1] > y[k] for k in range(2013, 2019))


def test_title42_raises_repeat_encounters(history: CorridorResult) -> None:
    m = history.monthly()
    share = m["dest_encounters_repeat"] / (m["dest_encounters_repeat"] + m["dest_encounters_first"])
    assert share["2020-04":"2021-03"].mean() > share["2019-03":"2020-02"].mean() + 0.01


def test_policies_act_only_in_their_windows(history: CorridorResult) -> None:
    m = _monthly(history, "mpp_enrollments")
    assert m[:"2018-12"].sum() == 0 and m["2019-02":"2020-12"].sum() > 0
    assert m["2021-02":].sum() == 0
    t42 = _monthly(history, "ofo_title42_expulsions")
    assert t42[:"2020-02"].sum() == 0 and t42["2020-04":].sum() > 0


def test_people_and_events_both_reported(history: CorridorResult) -> None:
    pve = history.people_vs_events()
    assert (pve["encounters"] >= pve["people"]).all()
    assert (pve["repeat_encounters"] > 0).all()
