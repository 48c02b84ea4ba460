"""The study measures (corredor.studies.outputs), every one against a hand-computed case.

A hand-made run (``FakeModel``): two services outside the destination (an asylum office and a
detention centre), one detention service and one enforcement zone in the destination, one zone
in transit, one border city, two groups (single adults, family members), and recorder arrays
filled with a few events and stocks whose sums over the period can be done by hand. The period
is days 2 … 4 (a Mark taken before day 2, the run ended after day 4).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from corredor.engine.services import Verb
from corredor.rules.corridor.compiled import BORDER_CITY
from corredor.rules.corridor.state import EVENT_KINDS, Phase
from corredor.studies.outputs import MEASURES, columns, mark, period_values
from corredor.studies.schema import OutputSpec

T, M = 6, 2  # days 0..5 (the run ended after day 4; day 5 unused), months 0..1
SVC = ("asylum", "mid_detention", "dest_detention")  # services 0, 1 in transit, 2 in dest
ZONES = ("mid_zone", "dest_zone")
LOCS = ("Origin", "Midtown", "Bordertown", "Portside")
K = len(EVENT_KINDS)
X = 5  # max(S, Z, L) + 1
G = 2  # 0: single adults, 1: family members
APPREHEND, JOIN = EVENT_KINDS.index("apprehend"), EVENT_KINDS.index("join")


class FakeAgents:
    def __init__(self, phases: list[int]) -> None:
        self.phase = np.array(phases, dtype=np.int8)
        self.n = len(phases)

    def __getitem__(self, name: str) -> np.ndarray:
        assert name == "phase"
        return self.phase


def fake_model() -> Any:
    observable = SimpleNamespace(name="arrivals", description="arrivals", unit="people")
    c = SimpleNamespace(
        svc_names=SVC,
        svc_kind=("asylum_office", "detention", "detention"),
        svc_loc=np.array([1, 1, 3]),
        loc_names=LOCS,
        loc_kind=np.array([0, 0, BORDER_CITY, 0], dtype=np.int8),
        loc_in_dest=np.array([False, False, False, True]),
        zone_names=ZONES,
        zone_in_dest=np.array([False, True]),
        nat_names=("AAA",),
        dem_names=("single_adult", "family_unit_member"),
        group_nat=np.array([0, 0]),
        group_dem=np.array([0, 1]),
        n_groups=G,
        scenario=SimpleNamespace(
            observables=(observable,), roles=SimpleNamespace(transit_country=None)
        ),
        loc_country=("Origin", "Mid", "Mid", "Dest"),
        zone_detention=np.array([1, 2]),
        start=dt.date(2020, 1, 30),
    )
    r = SimpleNamespace(
        events=np.zeros((M, K, X, G), dtype=np.int64),
        dest_repeat=np.zeros((M, G), dtype=np.int64),
        unscreened_year=np.zeros((1, G), dtype=np.int64),
        wait_sum=np.zeros((1, 3)),
        wait_n=np.zeros((1, 3)),
        obs_daily=np.zeros((T, 1)),
        stranded=np.zeros((T, 1), dtype=np.int32),
        hearing_waiting=np.zeros((T, 1), dtype=np.int32),
        svc_stock=np.zeros((T, 3, 3), dtype=np.int32),
        month=np.array([0, 0, 1, 1, 1, 1]),
    )
    return SimpleNamespace(c=c, recorder=r, agents=FakeAgents([int(Phase.TRAVEL)] * 3))


def run_period(m: Any) -> dict[str, float]:
    """Before day 2: some history; mark; days 2..4: the period's events; values."""
    r = m.recorder
    # history (before the mark): counted out by the mark
    r.events[0, APPREHEND, 0, 0] = 50  # 50 apprehensions in transit in month 0
    r.events[0, int(Verb.DEPORT), 1, 0] = 20
    r.unscreened_year[0] = [7, 1]
    r.wait_sum[0, 0], r.wait_n[0, 0] = 100.0, 10.0  # 10 people served, 10 days each
    r.dest_repeat[0] = [3, 0]
    m.agents = FakeAgents([int(Phase.SETTLED), int(Phase.TRAVEL), int(Phase.TRAVEL)])
    start = mark(m, 2)
    # the period, days 2..4 (month 1 for events; daily arrays by day)
    r.events[1, APPREHEND, 0, :] = [4, 2]  # transit zone: 4 adults, 2 family members
    r.events[1, APPREHEND, 1, :] = [10, 5]  # destination zone: 15 apprehensions
    r.events[1, int(Verb.DEPORT), 1, :] = [3, 1]  # 4 deported by mid_detention
    r.events[1, int(Verb.DEPORT), 2, :] = [9, 9]  # by the destination's detention: not transit
    r.events[1, JOIN, 0, :] = [6, 2]  # 8 asylum applications
    r.events[1, JOIN, 2, :] = [5, 5]  # joins of the destination's detention: not asylum
    r.events[1, int(Verb.GRANT), 0, :] = [2, 1]
    r.events[1, int(Verb.DENY), 0, :] = [1, 0]  # 4 decisions
    r.events[1, int(Verb.EXPEL), 2, :] = [6, 0]
    r.events[1, int(Verb.RETURN_TO_WAIT), 2, :] = [0, 3]
    r.dest_repeat[1] = [2, 1]
    r.unscreened_year[0] = [7 + 3, 1 + 1]  # 4 more in the period
    r.wait_sum[0, 0], r.wait_n[0, 0] = 100.0 + 60.0, 10.0 + 3.0  # 3 served: 20 days each
    r.wait_sum[0, 1], r.wait_n[0, 1] = 999.0, 1.0  # detention waits: not asylum
    r.obs_daily[:, 0] = [100, 100, 1, 2, 3, 100]  # day 5 is after the period
    r.stranded[:, 0] = [50, 50, 10, 20, 30, 50]
    r.hearing_waiting[:, 0] = [9, 9, 1, 2, 3, 9]
    # svc_stock[day, service, (queued, in service, waiting)]
    r.svc_stock[2:5, 1] = [[1, 2, 9], [1, 2, 9], [1, 2, 9]]  # transit detention: 3 a day
    r.svc_stock[2:5, 2] = [[0, 4, 0], [0, 5, 0], [0, 6, 0]]  # destination detention: 15
    r.svc_stock[4, 0] = [7, 2, 1]  # asylum office on the last day: 9 queued or in service
    r.svc_stock[3, 0] = [99, 99, 99]  # not the last day
    m.agents = FakeAgents(
        [int(Phase.SETTLED), int(Phase.SETTLED), int(Phase.SETTLED), int(Phase.TRAVEL)]
    )
    specs = [
        OutputSpec(name=f"x_{name}", measure=name) for name in MEASURES if name != "observable"
    ]
    specs.append(OutputSpec(name="x_observable", measure="observable", observable="arrivals"))
    specs.append(
        OutputSpec(
            name="x_families",
            measure="encounters_destination",
            demographics=["family_unit_member"],
        )
    )
    specs.append(OutputSpec(name="x_by_city", measure="stranded_person_days", by="place"))
    return period_values(specs, m, start, 4)


HAND = {
    "x_observable": 1 + 2 + 3,
    "x_encounters_destination": 10 + 5,
    "x_repeat_encounters_destination": 2 + 1,
    "x_apprehensions_transit": 4 + 2,
    "x_deportations_transit": 3 + 1,
    "x_deportations_without_screening": 3 + 1,
    "x_detention_days_transit": 3 * (1 + 2),
    "x_detention_days_destination": 4 + 5 + 6,
    "x_stranded_person_days": 10 + 20 + 30,
    "x_hearing_waiting_person_days": 1 + 2 + 3,
    "x_asylum_applications_transit": 6 + 2,
    "x_asylum_decisions_transit": 2 + 1 + 1,
    "x_asylum_backlog_transit_end": 7 + 2,
    "x_asylum_wait_transit_mean_days": 60.0 / 3,
    "x_settled_transit": 3 - 1,
    "x_expulsions": 6,
    "x_returned_to_wait": 3,
    "x_families": 5,
    "x_by_city": 60,
    "x_by_city:Bordertown": 60,
}


@pytest.mark.parametrize("name", sorted(HAND))
def test_every_measure_against_a_hand_computed_case(name: str) -> None:
    assert run_period(fake_model())[name] == pytest.approx(HAND[name])


def test_every_measure_is_covered() -> None:
    covered = {k.removeprefix("x_") for k in HAND}
    assert set(MEASURES) <= covered


def test_no_one_served_gives_no_mean_wait() -> None:
    m = fake_model()
    start = mark(m, 2)
    spec = OutputSpec(name="w", measure="asylum_wait_transit_mean_days")
    assert np.isnan(period_values([spec], m, start, 4)["w"])


def test_columns_expand_places_and_keep_labels() -> None:
    m = fake_model()
    spec = OutputSpec(
        name="s", measure="stranded_person_days", by="place", label="stranded", label_es="varadas"
    )
    cols = columns([spec], m.c)
    assert [c.name for c in cols] == ["s", "s:Bordertown"]
    assert cols[1].label == "stranded: Bordertown" and cols[1].label_es == "varadas: Bordertown"
    assert cols[1].unit == "person-days" and cols[1].place == "Bordertown"
