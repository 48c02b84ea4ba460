"""US and Mexican treatment of families and children by period in ``mexico-us`` (issue 13 B).

The compiled daily arrays carry the dated, sourced treatment of families (docs/model.md §3.5):

* ICE's family residential centres: 96 beds (Berks) until the June 2014 expansion, 3,326 beds
  from the opening of Dilley (December 2014); stays as long as ICE's until the Flores ruling is
  applied (23 October 2015), about 20 days after it, with removals
  ``flores_family_removal_share``; a family without a bed is released (abandonment 1 a day);
* Border Patrol refers family-unit members there (``usbp_family_detention_share``) and
  extra-regional nationals to ICE's adult detention, as before;
* Mexico's 2020 reform on migrant children (in force 11 January 2021): INM stations no longer
  return family-unit members and children of northern Central America; before it their rows are
  the default's (the reform's rows change nothing before its date).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np

from corredor.engine.services.table import Verb
from corredor.rules.corridor.compiled import Compiled, compile_corridor
from corredor.scenario.corridor import load_corridor_scenario

START = dt.date(2013, 1, 1)


@cache
def _compiled() -> Compiled:
    sc = load_corridor_scenario("mexico-us")
    return compile_corridor(sc, {"flores_family_removal_share": 0.25})


def _day(iso: str) -> int:
    return (dt.date.fromisoformat(iso) - START).days


def _table(c: Compiled, day: int) -> np.ndarray:
    k = max(i for i, d in enumerate(c.outcome_days) if d <= day)
    return c.outcome_tables[k]


def _group(c: Compiled, nat: str, dem: str) -> int:
    n, d = c.nat_names.index(nat), c.dem_names.index(dem)
    return int(np.flatnonzero((c.group_nat == n) & (c.group_dem == d))[0])


def test_family_beds_and_stays_follow_the_dated_events() -> None:
    c = _compiled()
    s = c.svc_names.index("ice_family_detention")
    assert c.svc_capacity[_day("2014-06-19"), s] == 96
    mid = c.svc_capacity[_day("2014-09-01"), s]
    assert 96 < mid < 3326
    assert c.svc_capacity[_day("2014-12-15"), s] == 3326
    assert c.svc_capacity[-1, s] == 3326
    ice = c.svc_names.index("ice_detention")
    assert c.svc_mean_days[_day("2015-10-22"), s] == c.svc_mean_days[0, ice]
    assert c.svc_mean_days[_day("2015-10-23"), s] == 20
    # nobody waits for a bed: released the day they are referred
    assert (c.svc_abandon[:, s] == 1.0).all()


def test_flores_sets_the_removal_share_of_families_leaving_detention() -> None:
    c = _compiled()
    s = c.svc_names.index("ice_family_detention")
    g = _group(c, "HND", "family_unit_member")
    before = _table(c, _day("2015-10-22"))[s, g]
    after = _table(c, _day("2015-10-23"))[s, g]
    assert before[Verb.DEPORT] == _table(c, 0)[c.svc_names.index("ice_detention"), g][Verb.DEPORT]
    assert after[Verb.DEPORT] == 0.25
    assert after[Verb.ADMIT] == 0.75


def test_border_patrol_refers_families_to_family_detention_and_others_to_ice() -> None:
    c = _compiled()
    fam_det = c.svc_names.index("ice_family_detention")
    ice = c.svc_names.index("ice_detention")
    sector = c.svc_names.index("usbp_rgv")
    target = c.verb_args.service[sector, :, Verb.DETAIN]
    assert target[_group(c, "GTM", "family_unit_member")] == fam_det
    assert target[_group(c, "HND", "accompanied_minor")] == fam_det
    assert target[_group(c, "GTM", "single_adult")] == ice
    assert target[_group(c, "VEN", "family_unit_member")] == ice
    p = _table(c, 0)[sector, _group(c, "SLV", "family_unit_member")]
    assert p[Verb.DETAIN] == 1.0  # usbp_family_detention_share's default: beds limit it


def test_mexican_reform_on_children_stops_inm_returns_of_families_from_2021() -> None:
    c = _compiled()
    before, after = _table(c, _day("2021-01-10")), _table(c, _day("2021-01-11"))
    for station in ("inm_siglo_xxi", "inm_acayucan", "inm_tenosique", "inm_other_stations"):
        s = c.svc_names.index(station)
        adult = _group(c, "GTM", "single_adult")
        for dem in ("family_unit_member", "unaccompanied_child", "accompanied_minor"):
            g = _group(c, "GTM", dem)
            # the children's rows are the default's before the reform
            assert np.array_equal(before[s, g], before[s, adult])
            assert after[s, g][Verb.DEPORT] == 0.0
            assert after[s, g][Verb.RELEASE] == 1.0
        assert after[s, adult][Verb.DEPORT] == before[s, adult][Verb.DEPORT] > 0.9
        # the extra-continental row (a nationality's) wins over the demographic one
        oth = _group(c, "OTH", "family_unit_member")
        assert after[s, oth][Verb.DEPORT] == before[s, oth][Verb.DEPORT] == 0.015
