"""Perceived openness (MODEL.md §4 step 2) on the tiny synthetic corridor.

Departures are multiplied per group by (o / o_ref) ** e, with o = (S + 1) / (S + F + 2) from
exponentially weighted recent successes S (entries into the destination, statuses granted) and
failures F (deportations, expulsions, returns to wait):

* with the elasticity at 0 the run is the run without the feedback, bit for bit;
* the multiplier is the documented formula of the model's own success and failure counts;
* word of the asylum procedure: with a small ``asylum_network_people`` the propensity to apply
  grows with the co-nationals protected so far, so applications grow over the run;
* a policy that expels half of the people who reach the processing makes fewer people set
  out afterwards when the elasticity is positive (deterrence), and not before the policy.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np

from corredor.rules.corridor.compiled import compile_corridor
from corredor.rules.corridor.state import EV_DEPART, EV_JOIN
from corredor.scenario.corridor import load_corridor_scenario
from corredor.simulation.corridor import CorridorModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import START, policy_event, write_corridor_dir

DAYS = 240
POLICY_DAY = 120
OPEN = {"openness_memory_days": 20.0, "openness_reference_days": 60.0, "base_departures": 200.0}


def _run(tmp: Path, calibration: dict[str, float]) -> CorridorModel:
    expel_all = policy_event(
        [{"parameter": "services.processing.outcomes.default.expel.p", "op": "set", "value": 0.5}],
        start=START + dt.timedelta(days=POLICY_DAY),
        event_id="expel-all",
    )
    path = write_corridor_dir(tmp, days=DAYS, events=[expel_all])
    c = compile_corridor(load_corridor_scenario(path), calibration)
    m = CorridorModel(c, seed=3)
    for d in range(c.days):
        m.run_day(d)
    return m


def _departures(m: CorridorModel) -> np.ndarray:
    # first departures and new attempts, per month of the run
    return m.recorder.events[:, EV_DEPART].sum(axis=(1, 2))


def test_zero_elasticity_is_the_run_without_feedback(tmp_path: Path) -> None:
    off = _run(tmp_path / "a", {"base_departures": 200.0})
    zero = _run(tmp_path / "b", {**OPEN, "openness_elasticity": 0.0})
    assert np.array_equal(off.recorder.events, zero.recorder.events)
    assert np.array_equal(
        off.agents["phase"][: off.agents.n], zero.agents["phase"][: zero.agents.n]
    )
    assert (zero.state.openness.multiplier == 1.0).all()


def test_multiplier_is_the_documented_formula(tmp_path: Path) -> None:
    m = _run(tmp_path / "c", {**OPEN, "openness_elasticity": 1.5})
    o = (m.state.openness.succ + 1.0) / (m.state.openness.succ + m.state.openness.fail + 2.0)
    expected = np.clip((o / m.state.openness.ref) ** 1.5, 0.1, 10.0)
    assert np.allclose(m.state.openness.multiplier, expected, rtol=0, atol=1e-12)
    # after the expulsion policy failures dominate the memory: openness below its reference
    assert (m.state.openness.multiplier < 1.0).all()


def test_expulsions_deter_departures_only_after_the_policy(tmp_path: Path) -> None:
    base = _departures(_run(tmp_path / "d", {**OPEN, "openness_elasticity": 0.0}))
    fed = _departures(_run(tmp_path / "e", {**OPEN, "openness_elasticity": 2.0}))
    # months 0-3 (days 0-120): before the policy the openness stays near its reference
    assert abs(fed[:4].sum() / base[:4].sum() - 1.0) < 0.1
    # months 5-7: expulsions have filled the memory, fewer people set out
    assert fed[5:8].sum() < 0.8 * base[5:8].sum()


def _applications(m: CorridorModel) -> np.ndarray:
    office = m.c.svc_names.index("asylum_office")
    return m.recorder.events[:, EV_JOIN, office].sum(axis=1)


def test_protected_co_nationals_spread_word_of_asylum(tmp_path: Path) -> None:
    # no queue deterrence (the office has 3 servers): the propensity alone decides
    low = {"base_departures": 200.0, "apply_asylum_propensity": 0.005, "w_queue": 0, "w_wait": 0}
    off = _run(tmp_path / "f", low)
    on = _run(tmp_path / "g", {**low, "asylum_network_people": 20.0})
    assert off.state.protected_transit.sum() > 0
    a_off, a_on = _applications(off), _applications(on)
    # the effect grows with the people protected so far: small in the first month, large later
    first, later = a_on[0] / a_off[0], a_on[4:].sum() / a_off[4:].sum()
    assert later > 1.5 and later > first + 0.3
