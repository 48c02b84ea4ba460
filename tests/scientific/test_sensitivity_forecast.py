"""Sensitivity analysis and forecasts mean what they say.

* SALib (Morris and Sobol) on the tiny corridor ranks first the parameter that obviously drives
  border apprehensions (the daily departures), far ahead of one that does nothing there
  (``w_ties``: one nationality) and one of second order (walking speed across the border);
* a forecast changes nothing before the calibration horizon: its runs, month by month up to the
  horizon, are bit for bit those of the scenario run alone (same seeds), so the forecast events
  and the longer run do not leak into the fitted period;
* a forecast is ex ante unless a policy path is given: ``mexico-us`` has no events announced by
  its horizon, and a forecast conditional on a path says so in every output;
* the policy path as it happened of ``mexico-us`` (``policy_path_as_happened.yaml``) is sourced,
  starts after its horizon, and does what its events' names say on the compiled daily arrays
  (no metering from 1 November 2021, MPP again from 6 December 2021 to 8 August 2022, no Title 42
  expulsions from 12 May 2023, 1,450 CBP One appointments a day from July 2023).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pytest

from corredor.ensemble import run_corridor_ensemble
from corredor.forecasting import forecast, forecast_events, horizon_of
from corredor.policy import PolicyEvent
from corredor.rules.corridor.compiled import compile_corridor
from corredor.scenario.corridor import CorridorScenario, load_corridor_scenario
from corredor.sensitivity import sensitivity_analysis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import write_corridor_dir
from forecast_dirs import HORIZON, write_forecast_dir

MexicoUS = tuple[CorridorScenario, tuple[PolicyEvent, ...]]
FACTORS = ["base_departures", "w_ties", "speed_foot"]
BOUNDS = {"base_departures": (10.0, 60.0)}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corridor_dir(tmp_path_factory.mktemp("tiny"), days=40)


def test_morris_ranks_the_dominant_parameter_first(tiny: Path) -> None:
    res = sensitivity_analysis(
        tiny,
        method="morris",
        size=4,
        parameters=FACTORS,
        bounds=BOUNDS,
        outputs=["dest_apprehensions"],
        seeds=[1],
    )
    assert len(res.x) == 4 * (len(FACTORS) + 1)
    t = res.top("dest_apprehensions").set_index("parameter")
    assert t.loc["base_departures", "rank"] == 1
    assert t.loc["w_ties", "mu_star"] == 0  # one nationality: no co-nationals to follow
    assert t.loc["base_departures", "mu_star"] > 5 * t.loc["speed_foot", "mu_star"]


def test_sobol_gives_the_dominant_parameter_most_variance(tiny: Path) -> None:
    res = sensitivity_analysis(
        tiny,
        method="sobol",
        size=8,
        parameters=FACTORS,
        bounds=BOUNDS,
        outputs=["dest_apprehensions"],
        seeds=[1],
    )
    assert len(res.x) == 8 * (len(FACTORS) + 2)
    t = res.top("dest_apprehensions").set_index("parameter")
    assert t.loc["base_departures", "rank"] == 1
    assert t.loc["base_departures", "ST"] > 0.5
    assert t.loc["w_ties", "ST"] == 0


def test_forecast_leaves_the_fitted_period_untouched(tmp_path: Path) -> None:
    path = write_forecast_dir(tmp_path / "f")
    fc = forecast(path, until="2020-08", replicas=2, seed=5)
    assert [e.id for e in fc.events] == ["expel-again"]
    history = run_corridor_ensemble(path, seeds=[5, 6])  # the scenario alone, to its end
    m = len(history.months)
    assert fc.ensemble.months[:m] == history.months and history.months[-1] <= HORIZON
    np.testing.assert_array_equal(fc.ensemble.monthly[:, :, :m], history.monthly)
    # and the forecast reports none of those months
    assert min(fc.encounters()["date"]) > HORIZON
    # the forecast events act after the horizon: expulsions again from May 2020
    k = fc.ensemble.observables.index("expulsions")
    may = fc.ensemble.months.index(dt.date(2020, 5, 1))
    assert np.all(fc.ensemble.monthly[:, :, may - 1, k] == 0)
    assert np.all(fc.ensemble.monthly[:, :, may, k] > 0)


def test_forecast_bands_carry_the_model_discrepancy(tmp_path: Path) -> None:
    """σ of a category is the in-sample log error of the ensemble median (the tiny scenario
    has one month after the spin-up, March 2020, observed at 100 per series); the bands widen
    by it; --no-discrepancy gives the runs' own quantiles."""
    import dataclasses

    from corredor.ensemble.corridor_results import weighted_quantiles

    path = write_forecast_dir(tmp_path / "f")
    fc = forecast(path, until="2020-08", replicas=3, seed=1)
    ens = fc.ensemble
    march = ens.months.index(dt.date(2020, 3, 1))
    for cat in fc.categories.categories:
        if cat.component == "CBP_total":
            continue
        k = ens.observables.index(cat.observables[0])
        runs = ens.monthly[:, :, march, k].reshape(-1)
        median = weighted_quantiles(runs, ens.weights(), [0.5])[0]
        sigma = abs(np.log1p(median) - np.log1p(100.0))
        assert fc.discrepancy[cat.key] == pytest.approx((sigma, sigma))  # no whole fiscal year
    bare = dataclasses.replace(fc, discrepancy={})
    wide, runs_only = fc.encounters(), bare.encounters()
    assert (wide["p05"] <= runs_only["p05"] + 1e-9).all()
    assert (wide["p95"] >= runs_only["p95"] - 1e-9).all()
    assert (wide["p95"] - wide["p05"]).sum() > (runs_only["p95"] - runs_only["p05"]).sum()
    assert forecast(path, until="2020-08", replicas=3, seed=1, discrepancy=False).discrepancy == {}


# ------------------------------------------------------------------------------ mexico-us
@pytest.fixture(scope="module")
def mexico_us() -> MexicoUS:
    sc = load_corridor_scenario("mexico-us")
    assert forecast_events(sc) == ((), None)  # ex ante: nothing announced by the horizon
    events, path = forecast_events(sc, "policy_path_as_happened.yaml")
    assert path is not None and path.name == "policy_path_as_happened.yaml"
    return sc, events


def test_mexico_us_forecast_events_are_sourced_and_after_the_horizon(
    mexico_us: MexicoUS,
) -> None:
    sc, events = mexico_us
    horizon = horizon_of(sc)
    assert horizon == dt.date(2021, 9, 30)
    assert {e.id for e in events} >= {
        "us-mpp-reimplementation-2021",
        "us-title42-end-2023",
        "us-cbp-one-2023",
        "us-metering-end-2021",
    }
    for e in events:
        assert e.start > horizon and len(e.source) > 20
    hist = {e.id: e for e in sc.events}
    fc = {e.id: e for e in events}
    t42 = {c.parameter for c in hist["us-title42-2020"].changes}
    end = fc["us-title42-end-2023"]
    assert {c.parameter for c in end.changes} == t42
    assert all(c.op == "set" and c.value == 0 for c in end.changes)
    mpp = {c.parameter for i, e in hist.items() if i.startswith("us-mpp-") for c in e.changes}
    assert {c.parameter for c in fc["us-mpp-reimplementation-2021"].changes} == mpp


def test_mexico_us_forecast_timeline(mexico_us: MexicoUS) -> None:
    sc, events = mexico_us
    days = (dt.date(2024, 9, 30) - sc.start).days + 1
    c = compile_corridor(sc, days=days, extra_events=tuple(events))
    assert c.timeline is not None
    on = c.timeline.parameters_on
    mpp = "services.usbp_el_paso.outcomes.single_adult.return_to_wait.p"
    t42 = "services.usbp_el_paso.outcomes.single_adult.expel.p"
    port = "services.ofo_el_paso.capacity"
    assert on(dt.date(2021, 12, 5))[mpp] == 0 < on(dt.date(2021, 12, 6))[mpp]
    assert on(dt.date(2022, 8, 7))[mpp] > 0 == on(dt.date(2022, 8, 8))[mpp]
    assert on(dt.date(2023, 5, 11))[t42] > 0 == on(dt.date(2023, 5, 12))[t42]
    assert on(dt.date(2024, 9, 30))[t42] == 0
    assert on(dt.date(2021, 10, 31))[port] < on(dt.date(2021, 11, 1))[port]  # metering ends
    assert on(dt.date(2021, 11, 1))[port] == c.calibration["ofo_intake_capacity"]
    assert on(dt.date(2023, 7, 1))[port] == 362.5


def test_mexico_us_forecast_categories_are_the_observed_files_names(
    mexico_us: MexicoUS,
) -> None:
    import pandas as pd

    from corredor.forecasting import forecast_categories

    sc, _ = mexico_us
    cats = forecast_categories(sc)
    keys = [c.key for c in cats.categories]
    # the five-group rows and the six extra-regional citizenships (issue 13)
    assert len(keys) == 17 and len(set(keys)) == 17
    folder = sc.base_dir / "observed"
    enc = pd.read_csv(folder / "us_sw_border_encounters_monthly.csv", keep_default_na=False)
    tot = pd.read_csv(folder / "us_sw_border_totals_monthly.csv", keep_default_na=False)
    xr = pd.read_csv(folder / "usbp_encounters_extra_regional_monthly.csv", keep_default_na=False)
    observed = set(enc[["component", "citizenship", "demographic"]].itertuples(index=False))
    observed |= {(c, n, "All") for c, n in xr[["component", "citizenship"]].itertuples(index=False)}
    assert {("USBP", n, "All") for n in ("Other", "Venezuela", "Other (rest)")} <= set(keys)
    observed |= {(c, "All", "All") for c in tot["component"]}
    assert set(keys) <= {tuple(k) for k in observed}
    skipped = dict(cats.skipped)
    assert "area" in skipped["usbp_encounters_el_paso"]
    assert "title_of_authority" in skipped["ofo_title42_expulsions"]


def test_a_forecast_is_ex_ante_unless_a_policy_path_is_given(tmp_path: Path) -> None:
    """The default forecast is ex ante and says so; one given a policy path is conditional on
    it and says so on the console (its summary), in forecast.txt and in forecast_metadata.csv."""
    import pandas as pd

    path = write_forecast_dir(tmp_path / "fc")
    ex_ante = forecast(path, until="2020-08", replicas=1, seed=1, discrepancy=False)
    assert ex_ante.kind.startswith("ex ante") and not ex_ante.conditional
    events = path.parent / "policy_events_forecast.yaml"
    moved = events.rename(path.parent / "later_path.yaml")
    cond = forecast(path, until="2020-08", replicas=1, seed=1, discrepancy=False,
                    policy_path=moved)  # fmt: skip
    assert cond.conditional and cond.events
    assert cond.kind == "conditional on this policy path: later_path.yaml (in fc/)"
    assert ("forecast kind", cond.kind) in cond.summary_rows()
    out = cond.write(tmp_path / "out")
    assert "forecast kind: conditional on this policy path" in (out / "forecast.txt").read_text()
    meta = pd.read_csv(out / "forecast_metadata.csv").set_index("key")["value"]
    assert meta["forecast kind"].startswith("conditional on this policy path")
    plain = forecast(path, until="2020-08", replicas=1, seed=1, discrepancy=False)
    meta = pd.read_csv(plain.write(tmp_path / "plain") / "forecast_metadata.csv")
    assert meta.set_index("key")["value"]["forecast kind"].startswith("ex ante")
