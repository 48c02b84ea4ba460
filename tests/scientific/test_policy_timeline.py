"""A policy event switches behaviour on its date and off at its end (corredor.policy).

Also: ramps, composition of overlapping events in start order, the law–implementation gap,
monotonicity of the restrictiveness index, and the daily array form equal to the per-day values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corredor.policy import (
    MAGNITUDES,
    POLICY_AREAS,
    PolicyEvent,
    PolicyTimeline,
    implementation_gap,
    restrictiveness,
)

D = dt.date
P = "enforcement.inm_south.effort"
Q = "services.comar_tapachula.capacity"
BASE = {P: 10.0, Q: 100.0, "other.untouched": 7.0}


def event(
    id: str, start: D, end: D | None, changes: list[dict[str, Any]], **over: Any
) -> PolicyEvent:
    fields: dict[str, Any] = {
        "id": id,
        "name": id,
        "country": "MEX",
        "policy_area": "border_land_control",
        "tool": "border patrol",
        "target_group": "irregular migrants",
        "direction": 1,
        "magnitude": "major",
        "start": start,
        "end": end,
        "source": "test",
        "changes": changes,
    }
    fields.update(over)
    return PolicyEvent.model_validate(fields)


def change(op: str, value: float, parameter: str = P, ramp_days: int = 0) -> dict[str, Any]:
    return {"parameter": parameter, "op": op, "value": value, "ramp_days": ramp_days}


# ---------------------------------------------------------------------- on and off
@pytest.mark.parametrize("op", ["set", "multiply", "add"])
def test_event_switches_on_at_start_and_off_at_end(op: str) -> None:
    start, end = D(2019, 6, 10), D(2019, 9, 1)
    tl = PolicyTimeline([event("gn", start, end, [change(op, 3.0)])], BASE)
    on = {"set": 3.0, "multiply": 30.0, "add": 13.0}[op]
    day = dt.timedelta(days=1)
    assert tl.parameters_on(start - day)[P] == 10.0  # the day before
    assert tl.parameters_on(start)[P] == on  # the start day
    assert tl.parameters_on(D(2019, 7, 15))[P] == on  # during
    assert tl.parameters_on(end - day)[P] == on  # the last day in force
    assert tl.parameters_on(end)[P] == 10.0  # the end day: reverted
    assert tl.parameters_on(end + 100 * day)[P] == 10.0
    assert [e.id for e in tl.active_events(start)] == ["gn"]
    assert tl.active_events(end) == [] and tl.active_events(start - day) == []
    row = tl.daily(start - day, end + day)[P]
    assert row.tolist() == [10.0] + [on] * (end - start).days + [10.0]
    # the untouched parameters keep their base values throughout
    assert tl.parameters_on(start)[Q] == 100.0 and tl.parameters_on(start)["other.untouched"] == 7.0


def test_open_ended_event_stays_on() -> None:
    tl = PolicyTimeline([event("pfs", D(2014, 7, 7), None, [change("multiply", 2.0)])], BASE)
    assert tl.parameters_on(D(2014, 7, 6))[P] == 10.0
    assert tl.parameters_on(D(2030, 1, 1))[P] == 20.0


def test_simulation_days_count_from_day0() -> None:
    tl = PolicyTimeline(
        [event("e", D(2013, 1, 11), D(2013, 1, 21), [change("set", 1.0)])], BASE, day0="2013-01-01"
    )
    values = [tl.parameters_on(t)[P] for t in range(25)]
    assert values == [10.0] * 10 + [1.0] * 10 + [10.0] * 5
    assert tl.daily(0, 25)[P].tolist() == values


# ---------------------------------------------------------------------- ramps
def test_ramp_is_linear_from_old_to_new() -> None:
    start = D(2014, 7, 7)
    tl = PolicyTimeline([event("e", start, None, [change("set", 50.0, ramp_days=4)])], BASE)
    values = [tl.parameters_on(start + dt.timedelta(days=k))[P] for k in range(-1, 7)]
    # day -1: old (10); day k: 10 + (k + 1)/5 * 40; full from day 4 on
    assert values == pytest.approx([10.0, 18.0, 26.0, 34.0, 42.0, 50.0, 50.0, 50.0], abs=1e-12)
    assert values[5] == 50.0  # exactly the target once the ramp is over


def test_ramp_cut_short_by_the_end_reverts_at_once() -> None:
    start = D(2020, 1, 1)
    tl = PolicyTimeline([event("e", start, D(2020, 1, 3), [change("add", 9.0, ramp_days=8)])], BASE)
    assert tl.daily("2019-12-31", "2020-01-04")[P].tolist() == [10.0, 11.0, 12.0, 10.0]


def test_ramp_of_a_multiplier_moves_the_factor_linearly() -> None:
    start = D(2020, 1, 1)
    tl = PolicyTimeline([event("e", start, None, [change("multiply", 3.0, ramp_days=1)])], BASE)
    assert tl.daily(start, start + dt.timedelta(days=3))[P].tolist() == [20.0, 30.0, 30.0]


# ---------------------------------------------------------------------- composition
def test_overlapping_events_compose_in_start_order() -> None:
    a = event("a-set", D(2020, 1, 1), D(2020, 1, 20), [change("set", 50.0)])
    b = event("b-mult", D(2020, 1, 10), D(2020, 1, 30), [change("multiply", 2.0)])
    for order in ([a, b], [b, a]):  # input order does not matter: start order does
        tl = PolicyTimeline(order, BASE)
        assert tl.parameters_on(D(2020, 1, 5))[P] == 50.0  # a only
        assert tl.parameters_on(D(2020, 1, 15))[P] == 100.0  # set 50, then × 2
        assert tl.parameters_on(D(2020, 1, 25))[P] == 20.0  # a ended: b multiplies the base
        assert tl.parameters_on(D(2020, 2, 1))[P] == 10.0
    # the other start order gives the other composition: × 2 first, then set 50
    c = event("c-mult", D(2019, 12, 1), D(2020, 1, 30), [change("multiply", 2.0)])
    tl = PolicyTimeline([a, c], BASE)
    assert tl.parameters_on(D(2020, 1, 15))[P] == 50.0


def test_events_starting_on_the_same_day_keep_input_order() -> None:
    day = D(2020, 1, 1)
    add = event("add", day, None, [change("add", 5.0)])
    mult = event("mult", day, None, [change("multiply", 2.0)])
    assert PolicyTimeline([add, mult], BASE).parameters_on(day)[P] == 30.0
    assert PolicyTimeline([mult, add], BASE).parameters_on(day)[P] == 25.0


def test_changes_within_an_event_apply_in_listed_order() -> None:
    day = D(2020, 1, 1)
    e = event("e", day, None, [change("add", 5.0), change("multiply", 2.0), change("add", 1, Q)])
    assert PolicyTimeline([e], BASE).parameters_on(day) == {P: 30.0, Q: 101.0, "other.untouched": 7}


# ---------------------------------------------------------------------- law vs implementation
@pytest.mark.parametrize(
    ("op", "value", "stated", "deployed"),
    [
        ("multiply", 3.0, 30.0, 10.0 * (1 + 0.25 * (3.0 - 1))),  # factor 1 + s(v - 1)
        ("add", 8.0, 18.0, 12.0),  # a share of the addition
        ("set", 50.0, 50.0, 20.0),  # a share of the distance to the new value
    ],
)
def test_implemented_share_gives_the_gap(
    op: str, value: float, stated: float, deployed: float
) -> None:
    start, end = D(2019, 1, 17), D(2019, 1, 29)
    e = event("tvrh", start, end, [change(op, value)], implemented_share=0.25)
    tl = PolicyTimeline([e], BASE)
    assert tl.stated_parameters_on(start)[P] == stated
    assert tl.parameters_on(start)[P] == pytest.approx(deployed, abs=1e-12)
    gap = implementation_gap(tl, P, D(2019, 1, 16), D(2019, 1, 30))
    assert len(gap) == 14
    assert gap.iloc[0] == 0.0 and gap.iloc[-1] == 0.0  # before and after: no event, no gap
    assert gap.iloc[1:-1].to_numpy() == pytest.approx(stated - deployed, abs=1e-12)
    assert implementation_gap(tl, Q, start, end).eq(0.0).all()


def test_share_zero_stays_on_paper_and_share_one_has_no_gap() -> None:
    day = D(2020, 1, 1)
    paper = PolicyTimeline([event("e", day, None, [change("set", 3.0)], implemented_share=0)], BASE)
    assert paper.parameters_on(day)[P] == 10.0 and paper.stated_parameters_on(day)[P] == 3.0
    full = PolicyTimeline([event("e", day, None, [change("set", 3.0)])], BASE)
    assert implementation_gap(full, P, day, day + dt.timedelta(days=30)).eq(0.0).all()


# ---------------------------------------------------------------------- hypothesis
START = D(2020, 1, 1)
WINDOW = 60
PARAMS = (P, Q)


@st.composite
def changes_st(draw: st.DrawFn) -> dict[str, Any]:
    op = draw(st.sampled_from(["set", "multiply", "add"]))
    if op == "multiply":
        value = draw(st.floats(0.0, 3.0, allow_nan=False))
    else:
        value = draw(st.floats(-50.0, 50.0, allow_nan=False))
    return change(op, value, draw(st.sampled_from(PARAMS)), draw(st.integers(0, 12)))


@st.composite
def event_st(draw: st.DrawFn, id: str) -> PolicyEvent:
    start = START + dt.timedelta(days=draw(st.integers(0, WINDOW)))
    length = draw(st.one_of(st.none(), st.integers(0, 40)))
    end = None if length is None else start + dt.timedelta(days=length)
    share = draw(st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0)))
    return event(
        id,
        start,
        end,
        draw(st.lists(changes_st(), max_size=3)),
        implemented_share=share,
        direction=draw(st.sampled_from([-1, 0, 1])),
        magnitude=draw(st.sampled_from(MAGNITUDES)),
        policy_area=draw(st.sampled_from(POLICY_AREAS)),
        country=draw(st.sampled_from(["MEX", "USA"])),
    )


@st.composite
def events_st(draw: st.DrawFn, max_size: int = 6) -> list[PolicyEvent]:
    n = draw(st.integers(0, max_size))
    return [draw(event_st(f"e{i}")) for i in range(n)]


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(events_st())
def test_daily_arrays_equal_parameters_on_every_day(events: list[PolicyEvent]) -> None:
    tl = PolicyTimeline(events, BASE, day0=START)
    first, last = -3, WINDOW + 45  # a margin on both sides of every event
    deployed = tl.daily(first, last)
    stated = tl.daily(first, last, stated=True)
    for t in range(first, last):
        i = t - first
        on, on_stated = tl.parameters_on(t), tl.stated_parameters_on(t)
        for name in BASE:
            assert deployed[name][i] == on[name]  # bit-for-bit
            assert stated[name][i] == on_stated[name]


@FAST
@given(events_st(), st.data(), st.sampled_from([1, -1]), st.booleans())
def test_restrictiveness_is_monotone_in_direction(
    events: list[PolicyEvent], data: st.DataObject, direction: int, de_facto: bool
) -> None:
    """Adding a +1 event never lowers the index while it is active (and raises it unless its
    de facto weight is 0); adding a -1 event never raises it. Other days are unchanged."""
    added = data.draw(event_st("added")).model_copy(
        update={"direction": direction, "country": "MEX"}
    )
    span = (START - dt.timedelta(days=3), START + dt.timedelta(days=WINDOW + 45))
    before = restrictiveness(PolicyTimeline(events, BASE), "MEX", *span, de_facto=de_facto)
    after = restrictiveness(PolicyTimeline([*events, added], BASE), "MEX", *span, de_facto=de_facto)
    assert ((before >= 0.0) & (before <= 1.0)).all() and ((after >= 0.0) & (after <= 1.0)).all()
    active = np.array([added.is_active(d.date()) for d in before.index])
    delta = (after - before).to_numpy()
    assert (delta[~active] == 0.0).all()
    if direction == 1:
        assert (delta[active] >= 0.0).all()
    else:
        assert (delta[active] <= 0.0).all()
    if not de_facto or added.implemented_share == 1.0:
        assert (np.abs(delta[active]) > 0.0).all()  # a strict change: nothing saturates here


@FAST
@given(events_st(), st.sampled_from(MAGNITUDES), st.sampled_from(MAGNITUDES))
def test_restrictiveness_is_monotone_in_magnitude(
    events: list[PolicyEvent], small: str, large: str
) -> None:
    if MAGNITUDES.index(small) > MAGNITUDES.index(large):
        small, large = large, small
    extra = event("x", START + dt.timedelta(days=5), None, [], country="MEX")
    span = (START, START + dt.timedelta(days=WINDOW))
    low = restrictiveness(
        PolicyTimeline([*events, extra.model_copy(update={"magnitude": small})], BASE), "MEX", *span
    )
    high = restrictiveness(
        PolicyTimeline([*events, extra.model_copy(update={"magnitude": large})], BASE), "MEX", *span
    )
    assert (high >= low).all()
