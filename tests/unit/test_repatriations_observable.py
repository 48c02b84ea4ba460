"""Observables reported but not fitted (``fit: false``), and ``mexico-us``'s
``us_repatriations_mex``: repatriations of Mexicans from the United States (UPM), compared with
the data, weight 0 in the calibration loss.

* the derived ``observed/upm_repatriations_from_us.csv``: each row's period parsed from its
  label (whole years, months, partial years, a multi-year lower bound), sources kept, nothing
  outside 2013-01-01 .. 2021-09-30, and equal to what ``scripts/derive_mexico_us.py`` derives
  from the compilation when the compilation is there;
* the observable counts ``deport`` events of the selected nationality at the listed services
  only (the tiny corridor with a second nationality; the compiled masks of ``mexico-us``);
* the loss gives weight 0 to a ``fit: false`` observable whatever the weights, still reporting
  it, and the calibration's weights (its settings) leave it out.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from corredor.calibration.loss import Targets, compute_loss
from corredor.calibration.modelcheck import display_fit_table, run_statistics
from corredor.engine.services import Verb
from corredor.errors import ScenarioError
from corredor.rules.corridor.compiled import compile_corridor
from corredor.scenario.corridor import load_corridor_scenario
from corredor.simulation.corridor import run_corridor
from corredor.trackers.corridor.recorder import Recorder

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import START, scenario_document, write_corridor_dir

ROOT = Path(__file__).resolve().parents[2]
BUILTIN = ROOT / "src" / "corredor" / "data" / "corridor" / "mexico-us"
OBSERVED = BUILTIN / "observed" / "upm_repatriations_from_us.csv"
SHARED = ROOT.parent / "shared" / "data"
US_SERVICES = {
    *(f"usbp_{s}" for s in ("san_diego", "el_centro", "yuma", "tucson", "el_paso", "del_rio")),
    "usbp_laredo",
    "usbp_rgv",
    "ice_detention",
    *(f"mpp_court_{s}" for s in ("san_diego", "el_paso", "laredo", "brownsville")),
}


def derive_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "derive_mexico_us", ROOT / "scripts" / "derive_mexico_us.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ------------------------------------------------------------------- the observed file
@pytest.mark.parametrize(
    ("period", "period_type", "expected"),
    [
        ("2015", "calendar_year", (dt.date(2015, 1, 1), dt.date(2015, 12, 31), "full_year")),
        ("2020-02", "month", (dt.date(2020, 2, 1), dt.date(2020, 2, 29), "month")),
        (
            "2019-01..2019-07",
            "partial_year",
            (dt.date(2019, 1, 1), dt.date(2019, 7, 31), "partial_year"),
        ),
        (
            "2021-01-01..2021-10-14",
            "partial_year",
            (dt.date(2021, 1, 1), dt.date(2021, 10, 14), "partial_year"),
        ),
        (
            "2015-2019",
            "calendar_years",
            (dt.date(2015, 1, 1), dt.date(2019, 12, 31), "cumulative"),
        ),
        ("2016", "us_fiscal_year", (dt.date(2015, 10, 1), dt.date(2016, 9, 30), "fiscal_year")),
        ("2005-2010", "census_5yr", None),
        ("FY2012-FY2017", "us_fiscal_year", None),
    ],
)
def test_removal_period_labels_parse(
    period: str, period_type: str, expected: tuple[dt.date, dt.date, str] | None
) -> None:
    assert derive_script().parse_removals_period(period, period_type) == expected


def test_range_labels_of_the_inm_file_still_parse() -> None:
    d = derive_script()
    assert d.parse_period("2020", "2020-01-01..2020-06-18") == (
        dt.date(2020, 1, 1),
        dt.date(2020, 6, 18),
        "partial_year",
    )
    assert d.parse_period("2019", "2018-12..2019-02-11")[:2] == (
        dt.date(2018, 12, 1),
        dt.date(2019, 2, 11),
    )


def test_observed_repatriations_have_their_periods_and_sources() -> None:
    rows = read_csv(OBSERVED)
    assert rows
    got = {}
    for r in rows:
        assert r["series"] == "upm_repatriation_events_from_us" and r["citizenship"] == "Mexico"
        assert r["source"].strip().startswith("http"), r
        a, b = (dt.date.fromisoformat(r[k]) for k in ("period_start", "period_end"))
        assert dt.date(2013, 1, 1) <= a <= b <= dt.date(2021, 9, 30), r
        assert float(r["value"]) > 0
        got.setdefault((r["period"], r["period_kind"], a, b), []).append(r)
    # one row of each kind of label, with the period its label states
    assert (
        got[("2015", "full_year", dt.date(2015, 1, 1), dt.date(2015, 12, 31))][0]["value"]
        == "207398"
    )
    assert ("2020-02", "month", dt.date(2020, 2, 1), dt.date(2020, 2, 29)) in got
    assert ("2019-01..2019-07", "partial_year", dt.date(2019, 1, 1), dt.date(2019, 7, 31)) in got
    jan_sep = got[("2021-01..2021-09", "partial_year", dt.date(2021, 1, 1), dt.date(2021, 9, 30))]
    assert jan_sep[0]["value"] == "168498" and "animalpolitico" in jan_sep[0]["source"]
    bound = got[("2015-2019", "cumulative", dt.date(2015, 1, 1), dt.date(2019, 12, 31))][0]
    assert bound["value_type"] == "lower_bound"
    # April-July 2020 from two sources: both kept, each with its own source
    april = got[("2020-04", "month", dt.date(2020, 4, 1), dt.date(2020, 4, 30))]
    assert sorted(r["value"] for r in april) == ["9115", "9131"]
    assert len({r["source"] for r in april}) == 2
    # before 2013 (2012, 2012-2016) and undated sums are not there
    assert not {"2012", "2012-2016", "2009"} & {r["period"] for r in rows}


@pytest.mark.skipif(
    not (SHARED / "us_removals_mexico_annual.csv").is_file(), reason="no compiled data here"
)
def test_observed_repatriations_are_what_the_script_derives() -> None:
    cols, rows = derive_script().repatriations(SHARED)
    assert cols == list(read_csv(OBSERVED)[0].keys())
    assert [{k: str(v) for k, v in r.items()} for r in rows] == read_csv(OBSERVED)


# ------------------------------------------------------------------- the definition
def two_nationality_dir(root: Path, fit: bool = True) -> Path:
    """The tiny corridor with a second nationality (BBB) leaving from the same origin, and an
    observable of AAA's deportations by the destination's services."""
    path = write_corridor_dir(root, events=None)
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["nationalities"]["BBB"] = "Beta"
    doc["origins"].append({**doc["origins"][0], "name": "bland", "nationality": "BBB"})
    doc["groups"]["shares"]["BBB"] = {"single_adult": "rest", "family_unit_member": 0.2}
    doc["observables"].append(
        {
            "name": "dest_deportations_aaa",
            "definition": {
                "events": ["deport"],
                "services": ["processing", "dest_detention", "court"],
                "groups": ["AAA"],
            },
            "unit": "events",
            "frequency": "year",
            "fit": fit,
        }
    )
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=100), encoding="utf-8")
    return path


def test_observable_counts_only_the_nationality_at_the_listed_services(tmp_path: Path) -> None:
    r = run_corridor(two_nationality_dir(tmp_path / "c"), seed=3)
    c = r.compiled
    names = [o.name for o in c.scenario.observables]
    got = r.obs_daily[:, names.index("dest_deportations_aaa")].sum()
    aaa = [g for g in range(c.n_groups) if c.nat_names[c.group_nat[g]] == "AAA"]
    bbb = [g for g in range(c.n_groups) if c.nat_names[c.group_nat[g]] == "BBB"]
    dest = [c.svc_names.index(s) for s in ("processing", "dest_detention", "court")]
    deport = r.events[:, int(Verb.DEPORT)]  # (month, target, group)
    assert got == deport[:, dest][:, :, aaa].sum() > 0
    # what it leaves out happened: deportations by Mid's detention, and of BBB
    assert deport[:, c.svc_names.index("mid_detention")][:, aaa].sum() > 0
    assert deport[:, dest][:, :, bbb].sum() > 0


def test_mexico_us_repatriations_select_mexicans_at_us_services() -> None:
    sc = load_corridor_scenario("mexico-us")
    ob = next(o for o in sc.observables if o.name == "us_repatriations_mex")
    assert not ob.fit and ob.definition.events == ("deport",)
    assert "lower bound" in ob.description
    assert ob.data is not None and ob.data.file == "observed/upm_repatriations_from_us.csv"
    assert sc.observables[-1] is ob  # appended: earlier observables keep their columns
    c = compile_corridor(sc, days=31)
    o = Recorder(c).obs[len(sc.observables) - 1]
    assert o.name == ob.name
    mex = {c.group_name(g) for g in range(c.n_groups) if c.nat_names[c.group_nat[g]] == "MEX"}
    assert {c.group_name(g) for g in np.flatnonzero(o.grp_ok)} == mex
    svc_ok = o.target_ok["service"]
    assert {c.svc_names[s] for s in np.flatnonzero(svc_ok[:-1])} == US_SERVICES
    assert all(c.loc_in_dest[c.svc_loc[c.svc_names.index(s)]] for s in US_SERVICES)
    assert not svc_ok[-1]  # a deportation with no service does not count


# ------------------------------------------------------------------- fit: false
def test_fit_is_a_validated_boolean(tmp_path: Path) -> None:
    doc = scenario_document(events=None)
    assert "fit" not in doc["observables"][0]
    path = write_corridor_dir(tmp_path / "ok", events=None)
    assert all(o.fit for o in load_corridor_scenario(path).observables)
    text = path.read_text(encoding="utf-8").replace(
        "  unit: events\n  frequency: month\n",
        "  unit: events\n  frequency: month\n  fit: maybe\n",
        1,
    )
    assert "fit: maybe" in text
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match="fit"):
        load_corridor_scenario(path)


def ovs(fit_b: bool) -> pd.DataFrame:
    rows = []
    for name, obs, sim, fit in (("a", 100.0, 200.0, True), ("b", 100.0, 1000.0, fit_b)):
        for month in (3, 4):
            a = dt.date(2020, month, 1)
            rows.append(
                {
                    "observable": name,
                    "unit": "events",
                    "period_start": a,
                    "period_end": (pd.Timestamp(a) + pd.offsets.MonthEnd(0)).date(),
                    "observed": obs,
                    "value_type": "exact",
                    "simulated": sim,
                    "fit": fit,
                }
            )
    return pd.DataFrame(rows)


def test_loss_gives_weight_zero_to_an_unfitted_series() -> None:
    e_a = (math.log1p(200.0) - math.log1p(100.0)) ** 2
    e_b = (math.log1p(1000.0) - math.log1p(100.0)) ** 2
    fitted = compute_loss(ovs(True), start=START, spin_up_days=0)
    assert fitted.total == pytest.approx((e_a + e_b) / 2)
    for weights in (None, {"b": 5.0}):  # no weight brings it back
        report = compute_loss(ovs(False), start=START, spin_up_days=0, weights=weights)
        assert report.total == pytest.approx(e_a)
        s = report.series.set_index("observable")
        # still scored and reported, with weight 0 and no contribution
        assert s.loc["b", "weight"] == 0.0 and s.loc["b", "contribution"] == 0.0
        assert s.loc["b", "scored"] == 2 and s.loc["b", "loss"] == pytest.approx(e_b)
        assert s.loc["b", "ratio"] == pytest.approx(10.0)
    # a table without the column fits every series (earlier tables, hand-made ones)
    assert compute_loss(
        ovs(False).drop(columns="fit"), start=START, spin_up_days=0
    ).total == pytest.approx((e_a + e_b) / 2)


def test_unfitted_observable_is_reported_everywhere_but_weighs_nothing(tmp_path: Path) -> None:
    def with_data(fit: bool) -> Any:
        root = tmp_path / f"fit-{fit}"
        path = two_nationality_dir(root, fit=fit)
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        (root / "deportations.csv").write_text(
            "period_start,period_end,value,value_type,source\n"
            "2020-03-01,2020-03-31,40,exact,https://example.org/removals\n"
            "2020-01-01,2020-04-29,50,lower_bound,https://example.org/removals\n",
            encoding="utf-8",
        )
        doc["observables"][-1]["data"] = {"file": "deportations.csv", "value_column": "value"}
        doc["observables"][0]["data"] = {"file": "apprehensions.csv", "value_column": "value"}
        (root / "apprehensions.csv").write_text(
            "period_start,period_end,value,value_type,source\n"
            "2020-03-01,2020-03-31,300,exact,https://example.org/apprehensions\n",
            encoding="utf-8",
        )
        path.write_text(yaml.safe_dump(doc, sort_keys=False, width=100), encoding="utf-8")
        return load_corridor_scenario(path)

    sc = with_data(False)
    r = run_corridor(sc, seed=1)
    table = r.observed_vs_simulated()
    assert dict(zip(table["observable"], table["fit"], strict=True)) == {
        "dest_apprehensions": True,
        "dest_deportations_aaa": False,
    }
    fit = r.fit_table().set_index("observable")
    assert (
        not fit.loc["dest_deportations_aaa", "fitted"] and fit.loc["dest_apprehensions", "fitted"]
    )
    assert fit.loc["dest_deportations_aaa", "rows"] == 2
    stats = run_statistics(r)
    s = stats.table.set_index("observable")
    assert s.loc["dest_deportations_aaa", "weight"] == 0.0
    assert s.loc["dest_deportations_aaa", "rows"] == 2
    shown = set(display_fit_table(stats.table)["observable"])
    assert "dest_deportations_aaa (not fitted)" in shown and "dest_apprehensions" in shown
    # the calibration's targets: the same rows and flag, weights without the series
    targets = Targets.from_scenario(sc)
    assert targets.unfitted == {"dest_deportations_aaa"}
    assert targets.fitted_names == ["dest_apprehensions"]
    pd.testing.assert_frame_equal(targets.observed_vs_simulated(r.obs_daily), table)
    assert targets.loss(r.obs_daily).total == pytest.approx(
        compute_loss(table[table["fit"]], start=sc.start).total
    )
    assert (
        targets.loss(r.obs_daily)
        .series.set_index("observable")
        .loc["dest_deportations_aaa", "weight"]
        == 0.0
    )
    # the same scenario fitting it: the series weighs its default weight again
    fitted = Targets.from_scenario(with_data(True))
    assert fitted.unfitted == frozenset()
    assert fitted.fitted_names == ["dest_apprehensions", "dest_deportations_aaa"]
    weights = fitted.loss(r.obs_daily).series.set_index("observable")["weight"]
    assert weights["dest_deportations_aaa"] == 1.0
