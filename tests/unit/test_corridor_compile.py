"""``compile_corridor``: the tiny corridor of ``tests/corridor_dirs.py`` compiled to arrays.

Places and links (CSR order, crossing links, zones, km to the border), groups, services and the
verbs' arguments, and the daily outcome tables: every row sums to 1 on every change day, ``rest``
is recomputed when a policy event sets another probability, and the tables change exactly on the
days the events start and end.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corredor.engine.services import Verb
from corredor.policy import PolicyEvent
from corredor.rules.corridor.compiled import Compiled, compile_corridor
from corredor.scenario.corridor import CorridorScenario, load_corridor_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import START, policy_event, write_corridor_dir

DAYS = 90
FEB1, MAR1 = 31, 60
PROC_P = "services.processing.outcomes.default"
ALPHA, MIDTOWN, BORDERTOWN, PORTSIDE, INTERIOR = range(5)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> CorridorScenario:
    return load_corridor_scenario(write_corridor_dir(tmp_path_factory.mktemp("c"), days=DAYS))


@pytest.fixture(scope="module")
def c(scenario: CorridorScenario) -> Compiled:
    return compile_corridor(scenario)


def svc(c: Compiled, name: str) -> int:
    return c.svc_names.index(name)


def event(changes: list[dict[str, Any]], start: int, end: int | None, eid: str) -> PolicyEvent:
    when = START + dt.timedelta(days=start)
    until = None if end is None else START + dt.timedelta(days=end)
    return PolicyEvent.model_validate(policy_event(changes, start=when, end=until, event_id=eid))


def set_p(verb: str, value: float) -> dict[str, Any]:
    return {"parameter": f"{PROC_P}.{verb}.p", "op": "set", "value": value}


# ============================================================================== places and links
def test_places(c: Compiled) -> None:
    assert c.loc_names == ("Alpha", "Midtown", "Bordertown", "Portside", "Interior")
    np.testing.assert_array_equal(c.loc_in_dest, [False, False, False, True, True])
    np.testing.assert_array_equal(c.loc_kind, [0, 2, 4, 5, 6])
    assert np.isnan(c.loc_lat[INTERIOR]) and c.loc_lat[ALPHA] == 14.0
    assert c.days == DAYS and c.start == START


def test_dist_border_is_km_to_the_border_city_without_crossing(c: Compiled) -> None:
    np.testing.assert_array_equal(c.dist_border, [900.0, 600.0, 0.0, np.inf, np.inf])


def test_links_are_in_csr_order(c: Compiled) -> None:
    pairs = list(zip(c.link_from.tolist(), c.link_to.tolist(), strict=True))
    # undirected legs both ways, directed ones (crossing, into the interior) one way; by (from, to)
    assert pairs == [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 4)]
    np.testing.assert_array_equal(c.out_off, [0, 1, 3, 5, 6, 6])
    for i in range(len(c.loc_names)):
        out = slice(c.out_off[i], c.out_off[i + 1])
        assert (c.link_from[out] == i).all()
        assert (np.diff(c.link_to[out]) > 0).all()
    np.testing.assert_array_equal(c.link_crossing, [False, False, False, False, True, False])
    np.testing.assert_allclose(c.link_km, [300, 300, 600, 600, 3, 1])
    np.testing.assert_allclose(c.link_days, [1.0, 1.0, 2.0, 2.0, 3 / 25, 1 / 300])
    np.testing.assert_allclose(c.link_risk, [0.001, 0.001, 0.001, 0.001, 0.002, 0.0])
    mid, dest = c.zone_names.index("mid_zone"), c.zone_names.index("dest_zone")
    np.testing.assert_array_equal(c.link_zone, [-1, -1, mid, mid, dest, -1])


def test_zones_groups_and_origins(c: Compiled) -> None:
    assert c.zone_names == ("mid_zone", "dest_zone")
    np.testing.assert_array_equal(c.zone_of_loc, [-1, 0, -1, 1, -1])
    np.testing.assert_array_equal(c.zone_in_dest, [False, True])
    np.testing.assert_array_equal(c.zone_detention, [svc(c, "mid_detention"), svc(c, "processing")])
    np.testing.assert_allclose(c.zone_hazard[0], [[5e-4, 5e-4], [2.0, 2.0]])
    assert (c.zone_hazard == c.zone_hazard[0]).all()  # no event changes it
    np.testing.assert_allclose(c.zone_effort, np.tile([100.0, 1.0], (DAYS, 1)))
    assert c.n_groups == 2 and c.group_name(1) == "AAA_family_unit_member"
    assert c.nat_country == ("Alpha",)
    np.testing.assert_allclose(c.share_cum, [[0.7, 1.0]])
    np.testing.assert_array_equal(c.origin_loc, [ALPHA])
    np.testing.assert_allclose(c.departures, 30.0)


def test_services_and_verb_arguments(c: Compiled) -> None:
    S = len(c.svc_names)
    proc, court = svc(c, "processing"), svc(c, "court")
    np.testing.assert_array_equal(c.svc_loc, [MIDTOWN, MIDTOWN, BORDERTOWN, PORTSIDE, 4, PORTSIDE])
    cap = c.svc_capacity[0]
    np.testing.assert_allclose(cap, [3, 20, 5, 1000, 200, 1000])
    np.testing.assert_allclose(c.svc_mean_days[0], [5, 1, 1, 1, 5, 1])
    assert c.svc_open.all()
    refer = np.full(S, -1)
    refer[svc(c, "mid_detention")] = svc(c, "asylum_office")
    np.testing.assert_array_equal(c.svc_screen_refer, refer)
    assert c.status_names == (
        "none",
        "refugee",
        "asylum_denied",
        "inadmissible",
        "asylum_relief",
        "removal_order",
    )
    np.testing.assert_array_equal(c.protected_status, [False, True, False, False, False, False])
    args = c.verb_args
    assert (args.place[proc, :, Verb.DEPORT] == BORDERTOWN).all()
    assert not args.to_origin[proc, :, Verb.DEPORT].any()
    assert args.to_origin[svc(c, "dest_detention"), :, Verb.DEPORT].all()
    assert (args.place[proc, :, Verb.EXPEL] == BORDERTOWN).all()
    assert (args.place[proc, :, Verb.RETURN_TO_WAIT] == BORDERTOWN).all()
    assert (args.service[proc, :, Verb.RETURN_TO_WAIT] == court).all()
    assert (args.days[proc, :, Verb.RETURN_TO_WAIT] == 7).all()
    assert (args.service[proc, :, Verb.DETAIN] == svc(c, "dest_detention")).all()
    assert (args.place[proc, :, Verb.ADMIT] == INTERIOR).all()
    assert (args.status[court, :, Verb.DENY] == c.status_names.index("removal_order")).all()


# ============================================================================== outcome tables
def check_tables(c: Compiled) -> None:
    """Every (service, group) row sums to 1 on every change day; each day finds its table."""
    assert c.outcome_days[0] == 0
    assert list(c.outcome_days) == sorted(set(c.outcome_days))
    assert len(c.outcome_tables) == len(c.outcome_days)
    for table in c.outcome_tables:
        assert (table >= 0).all()
        np.testing.assert_allclose(table.sum(axis=2), 1.0, rtol=0, atol=1e-12)
    for d in range(c.days):
        i = int(np.searchsorted(c.outcome_days, d, side="right")) - 1
        assert c.outcome_table_on(d) is c.outcome_tables[i]


def processing_row(c: Compiled, day: int) -> dict[str, float]:
    row = c.outcome_table_on(day)[svc(c, "processing")]
    assert np.array_equal(row[0], row[1])  # one table for both groups (default)
    return {v.name.lower(): float(row[0, v]) for v in Verb if row[0, v] > 0}


def test_default_tables_and_the_expel_event(c: Compiled) -> None:
    check_tables(c)
    assert c.outcome_days == (0, FEB1, MAR1)
    before = {"detain": 0.15, "deport": 0.15, "return_to_wait": 0.2, "admit": 0.5}
    assert processing_row(c, 0) == pytest.approx(before)
    assert processing_row(c, FEB1 - 1) == pytest.approx(before)
    # expel.p = $expel_share = 0.5: the others sum to 1 with it, so 'rest' (admit) is 0
    during = {"detain": 0.15, "deport": 0.15, "expel": 0.5, "return_to_wait": 0.2}
    assert processing_row(c, FEB1) == pytest.approx(during)
    assert processing_row(c, MAR1 - 1) == pytest.approx(during)
    assert processing_row(c, MAR1) == pytest.approx(before)
    court = c.outcome_table_on(0)[svc(c, "court"), 0]
    np.testing.assert_allclose(court[[Verb.GRANT, Verb.RELEASE, Verb.DENY]], [0.1, 0.3, 0.6])
    daily = c.timeline.daily(START, START + dt.timedelta(days=DAYS))  # type: ignore[union-attr]
    p = daily[f"{PROC_P}.expel.p"]
    assert (p[:FEB1] == 0).all() and (p[FEB1:MAR1] == 0.5).all() and (p[MAR1:] == 0).all()


def test_rest_is_recomputed_when_an_event_sets_another_probability(
    scenario: CorridorScenario,
) -> None:
    extra = (
        event([set_p("detain", 0.05)], 10, 20, "a"),
        event([set_p("deport", 0.4), set_p("return_to_wait", 0.0)], 15, None, "b"),
    )
    c = compile_corridor(scenario, days=DAYS, extra_events=extra)
    check_tables(c)
    assert c.outcome_days == (0, 10, 15, 20, FEB1, MAR1)
    assert processing_row(c, 9)["admit"] == pytest.approx(0.5)
    assert processing_row(c, 10)["admit"] == pytest.approx(1 - 0.05 - 0.15 - 0.2)
    assert processing_row(c, 15) == pytest.approx({"detain": 0.05, "deport": 0.4, "admit": 0.55})
    assert processing_row(c, 20) == pytest.approx({"detain": 0.15, "deport": 0.4, "admit": 0.45})
    # the default event adds expel 0.5: the fixed ones sum to 1.05, rest is 0, then normalised
    assert processing_row(c, FEB1) == pytest.approx(
        {"detain": 0.15 / 1.05, "deport": 0.4 / 1.05, "expel": 0.5 / 1.05}
    )
    assert processing_row(c, MAR1)["admit"] == pytest.approx(0.45)


FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VERBS = ("detain", "deport", "expel", "return_to_wait")
BASE = {"detain": 0.15, "deport": 0.15, "expel": 0.0, "return_to_wait": 0.2}


@st.composite
def events(draw: st.DrawFn) -> list[tuple[str, float, int, int | None]]:
    out = []
    for _ in range(draw(st.integers(1, 3))):
        verb = draw(st.sampled_from(VERBS))
        value = draw(st.sampled_from([0.0, 0.05, 0.3, 0.6, 1.0]) | st.floats(0, 1))
        start = draw(st.integers(-5, DAYS + 5))
        end = draw(st.none() | st.integers(start, DAYS + 10))
        out.append((verb, value, start, end))
    return out


@FAST
@given(events())
def test_tables_follow_any_events(
    scenario: CorridorScenario, evs: list[tuple[str, float, int, int | None]]
) -> None:
    """Without the scenario's own event: each day's row is the base with the events in force
    applied in start order, ``admit`` = rest, normalised when the fixed ones exceed 1."""
    plain = scenario.model_copy(update={"events": ()})
    extra = tuple(event([set_p(v, x)], s, e, f"e{i}") for i, (v, x, s, e) in enumerate(evs))
    c = compile_corridor(plain, days=DAYS, extra_events=extra)
    check_tables(c)
    bounds = {0} | {d for _, _, s, e in evs for d in (s, e) if d is not None and 0 < d < DAYS}
    assert set(c.outcome_days) <= bounds
    order = sorted(range(len(evs)), key=lambda i: evs[i][2])  # stable, as the timeline
    for d in range(DAYS):
        p = dict(BASE)
        for i in order:
            v, x, s, e = evs[i]
            if s <= d and (e is None or d < e):
                p[v] = x
        total = sum(p.values())
        p["admit"] = max(0.0, 1.0 - total)
        scale = max(total, 1.0)
        row = c.outcome_table_on(d)[svc(c, "processing"), 0]
        for name, value in p.items():
            assert row[Verb[name.upper()]] == pytest.approx(value / scale, abs=1e-12), (d, name)
