"""The corridor engine (``corredor.rules.corridor``) on a tiny synthetic corridor.

The scenario is written by ``tests/corridor_dirs.py``: one origin, a transit town with an asylum
office, a detention service with screening and an enforcement zone, a border city with a port's
intake, a directed crossing into a port whose zone's processing detains, deports, expels (while a
policy event is in force), returns people to wait for a court, and admits.

* conservation, checked at the end of every day: every agent created is in exactly one phase;
  the people in the SERVICE phase are the services' stocks (and only they have a service state);
  the active list holds each agent in an active phase exactly once; people waiting to leave
  home again are HOME and listed once; the destination only gains people; the recorder's
  events agree with the services' own counts; every verb the scenario can produce occurs;
* determinism: the same seed gives the same events and observables, another seed others;
* MPP-like ``return_to_wait``: enrolled on day d, waiting in the border city (and counted in
  ``Recorder.hearing_waiting``) until day d + k, then in the court's queue and out with a court
  verb the same day;
* policy events switch outcome verbs on on their start date and off on their end date;
* ``$name`` values of policy events are the calibration parameter's, and unknown names are
  errors.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from corredor.engine.services import EV_JOIN as SVC_JOIN
from corredor.engine.services import EV_WAIT as SVC_WAIT
from corredor.engine.services import Outcomes, QueueState, Verb
from corredor.errors import ScenarioError
from corredor.rules.corridor.compiled import Compiled, compile_corridor
from corredor.rules.corridor.state import ACTIVE_PHASES, EV_DEPART, EV_JOIN, N_PHASES, Phase
from corredor.scenario.corridor import load_corridor_scenario
from corredor.simulation.corridor import CorridorModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import PROCESSING, START, policy_event, write_corridor_dir

DAYS = 120
FEB1, MAR1 = 31, 60  # days of 2020-02-01 and 2020-03-01 (the default event's window)


def run(c: Compiled, seed: int, days: int | None = None) -> CorridorModel:
    m = CorridorModel(c, seed=seed)
    for d in range(c.days if days is None else days):
        m.run_day(d)
    return m


def svc(c: Compiled, name: str) -> int:
    return c.svc_names.index(name)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corridor_dir(tmp_path_factory.mktemp("corridor"), days=DAYS)


@pytest.fixture(scope="module")
def compiled(tiny: Path) -> Compiled:
    return compile_corridor(load_corridor_scenario(tiny))


# ============================================================================== conservation
def check_day(m: CorridorModel, day: int) -> None:
    """The invariants of the end of a day (module docstring)."""
    a, c = m.agents, m.c
    phase = a["phase"][: a.n]
    per_phase = np.bincount(phase, minlength=N_PHASES)
    assert per_phase.shape == (N_PHASES,), "a phase code out of range"
    assert per_phase.sum() == a.n
    np.testing.assert_array_equal(m.recorder.phase_stock[day], per_phase[:4])

    # the services hold exactly the SERVICE-phase agents
    in_service = phase == Phase.SERVICE
    assert in_service.sum() == m.services.stocks().sum(), day
    has_state = a["svc_state"][: a.n] != QueueState.NONE
    np.testing.assert_array_equal(has_state, in_service)
    np.testing.assert_array_equal(m.recorder.svc_stock[day], m.services.stocks())

    # the active list: each agent of an active phase exactly once, nobody else
    act = m.active
    assert np.unique(act).shape[0] == act.shape[0], "an agent is active twice"
    expected = np.flatnonzero(np.isin(phase, [int(p) for p in ACTIVE_PHASES]))
    np.testing.assert_array_equal(np.sort(act), expected)

    # people on the way home wait to leave again: HOME, listed once
    pending = [i for d, ids in m.state.reattempts.items() if d > day for i in ids]
    assert all(d > day for d in m.state.reattempts), "a wake-up day already passed"
    pending_ids = np.array(pending, dtype=np.int64)
    assert np.unique(pending_ids).shape[0] == pending_ids.shape[0]
    assert (phase[pending_ids] == Phase.HOME).all()

    # places: links only while moving, the destination for IN_DEST, origins for HOME/RETURNED
    loc, link = a["loc"][: a.n], a["link"][: a.n]
    moving = (phase == Phase.TRAVEL) | (phase == Phase.CROSSING)
    assert (link[~moving] < 0).all()
    assert ((loc >= 0) & (loc < len(c.loc_names))).all()
    assert c.loc_in_dest[loc[phase == Phase.IN_DEST]].all()
    assert not c.loc_in_dest[loc[phase == Phase.SETTLED]].any()
    gone = (phase == Phase.HOME) | (phase == Phase.RETURNED)
    np.testing.assert_array_equal(loc[gone], c.origin_loc[a["origin"][: a.n][gone]])


@pytest.mark.parametrize("seed", [0, 7])
def test_conservation_every_day(compiled: Compiled, seed: int) -> None:
    c = compiled
    m = CorridorModel(c, seed=seed)
    in_dest = np.zeros(0, dtype=bool)
    for d in range(c.days):
        m.run_day(d)
        check_day(m, d)
        # nobody leaves the destination: its people only increase, and they stay
        now = m.agents["phase"][: m.agents.n] == Phase.IN_DEST
        assert now[: in_dest.shape[0]][in_dest].all(), f"someone left the destination on day {d}"
        in_dest = now
    assert in_dest.sum() > 0

    ev = m.recorder.events  # (month, kind, target, group)
    a = m.agents
    # every departure is a new agent or a new attempt of a removed one
    assert ev[:, EV_DEPART].sum() == a.n + int(a["attempts"][: a.n].sum())
    assert a["attempts"][: a.n].max() > 0

    # verbs applied by the engine == verbs drawn by the services, per service
    svc_ev = m.services.events.sum(axis=0)  # (service, event)
    S = len(c.svc_names)
    by_svc = ev.sum(axis=(0, 3))[:, :S]  # (kind, service)
    for v in (Verb.RELEASE, Verb.GRANT, Verb.DENY, Verb.DETAIN, Verb.EXPEL, Verb.ADMIT):
        np.testing.assert_array_equal(by_svc[v], svc_ev[:, v], err_msg=v.name)
    np.testing.assert_array_equal(by_svc[Verb.RETURN_TO_WAIT], svc_ev[:, Verb.RETURN_TO_WAIT])
    court = svc(c, "court")
    others = np.arange(S) != court
    # joins from outside; the court is joined from the calendar (on the hearing day) only
    np.testing.assert_array_equal(by_svc[EV_JOIN][others], svc_ev[others, SVC_JOIN])
    assert by_svc[EV_JOIN][court] == 0 < svc_ev[court, SVC_JOIN]
    assert svc_ev[court, SVC_WAIT] == svc_ev[svc(c, "processing"), Verb.RETURN_TO_WAIT]

    # every verb the scenario can produce happens at least once
    possible = set()
    for table in c.outcome_tables:
        possible |= set(np.flatnonzero(table.max(axis=(0, 1)) > 0).tolist())
    possible |= {int(Verb.SETTLE), int(Verb.ABANDON)}  # border decisions, queue abandonment
    assert possible == set(range(len(Verb))) - {int(Verb.DIE)}
    totals = ev.sum(axis=(0, 2, 3))
    missing = [Verb(v).name for v in sorted(possible) if totals[v] == 0]
    assert not missing, f"verbs never produced: {missing}"
    assert totals[Verb.DIE] == 0


# ============================================================================== determinism
def test_same_seed_same_run_other_seed_other_run(tiny: Path) -> None:
    c = compile_corridor(load_corridor_scenario(tiny), days=60)
    a, b, other = run(c, 3), run(c, 3), run(c, 4)
    np.testing.assert_array_equal(a.recorder.events, b.recorder.events)
    np.testing.assert_array_equal(a.recorder.obs_daily, b.recorder.obs_daily)
    np.testing.assert_array_equal(a.recorder.stranded, b.recorder.stranded)
    np.testing.assert_array_equal(a.agents["loc"][: a.agents.n], b.agents["loc"][: b.agents.n])
    assert a.recorder.events.sum() > 0 and a.recorder.obs_daily.sum() > 0
    assert not np.array_equal(a.recorder.events, other.recorder.events)
    assert not np.array_equal(a.recorder.obs_daily, other.recorder.obs_daily)


# ============================================================================== MPP round trip
def spy_on_services(m: CorridorModel) -> list[Outcomes]:
    """Keep every day's service outcomes (the model applies them as usual)."""
    log: list[Outcomes] = []
    serve = m.services.serve_day

    def serve_and_log(agents: Any, day: int) -> Outcomes:
        out = serve(agents, day)
        log.append(out)
        return out

    m.services.serve_day = serve_and_log  # type: ignore[method-assign]
    return log


def test_return_to_wait_round_trip(tmp_path: Path) -> None:
    k, days = 7, 60
    processing = {"return_to_wait": {**PROCESSING["return_to_wait"], "p": "rest"}}
    path = write_corridor_dir(tmp_path / "mpp", days=days, processing=processing, events=None)
    c = compile_corridor(
        load_corridor_scenario(path), {"mpp_wait_days": k, "mpp_abandon_hazard": 0}
    )
    proc, court = svc(c, "processing"), svc(c, "court")
    border = c.loc_names.index("Bordertown")
    m = CorridorModel(c, seed=5)
    (b,) = np.flatnonzero(m.recorder.border_cities == border)  # column of hearing_waiting
    log = spy_on_services(m)
    enrolled: dict[int, np.ndarray] = {}
    for d in range(days):
        m.run_day(d)
        out = log[d]
        from_proc = out.service == proc
        assert (out.verb[from_proc] == Verb.RETURN_TO_WAIT).all()
        enrolled[d] = np.sort(out.agent[from_proc])
        a = m.agents
        # everyone enrolled in the last k days waits in the border city for the court
        waiting = np.concatenate([enrolled[e] for e in range(max(0, d - k + 1), d + 1)])
        assert (a["phase"][waiting] == Phase.SERVICE).all()
        assert (a["svc_state"][waiting] == QueueState.WAITING).all()
        assert (a["loc"][waiting] == border).all()
        assert (m.services.queue_service[a["svc_queue"][waiting]] == court).all()
        assert m.recorder.hearing_waiting[d, b] == waiting.shape[0]
        assert m.services.waiting()[court] == waiting.shape[0]
        # those enrolled k days ago joined the court's queue today and left it with its verbs
        if d >= k:
            due = enrolled[d - k]
            at_court = out.service == court
            np.testing.assert_array_equal(np.sort(out.agent[at_court]), due)
            assert (out.joined[at_court] == d).all()
            assert set(out.verb[at_court].tolist()) <= {Verb.GRANT, Verb.RELEASE, Verb.DENY}
            assert m.services.events[d, court, SVC_JOIN] == due.shape[0]
            # the court's verbs were applied: its statuses set, out of the court and the calendar
            verb = out.verb[at_court][np.argsort(out.agent[at_court])]
            status = a["status"][due]
            assert (status[verb == Verb.GRANT] == c.status_names.index("asylum_relief")).all()
            assert (status[verb == Verb.DENY] == c.status_names.index("removal_order")).all()
            queue = a["svc_queue"][due]
            assert not (m.services.queue_service[queue[queue >= 0]] == court).any()
            assert not (a["svc_state"][due] == QueueState.WAITING).any()
        else:
            assert not (out.service == court).any()
    total = sum(e.shape[0] for e in enrolled.values())
    assert total > 100
    assert m.recorder.events[:, Verb.RETURN_TO_WAIT, proc].sum() == total
    court_verbs = m.services.events[:, court, [Verb.GRANT, Verb.RELEASE, Verb.DENY]].sum(axis=0)
    assert (court_verbs > 0).all()


# ============================================================================== policy events
def expel_per_day(m: CorridorModel) -> np.ndarray:
    return m.services.events[:, svc(m.c, "processing"), Verb.EXPEL]


def test_policy_event_switches_expulsions_on_and_off(tmp_path: Path) -> None:
    change = {"parameter": "services.processing.outcomes.default.expel.p", "op": "set", "value": 1}
    event = policy_event([change], start=START.replace(month=2), end=START.replace(month=3))
    path = write_corridor_dir(tmp_path / "t42", days=90, events=[event])
    c = compile_corridor(load_corridor_scenario(path))
    m = run(c, seed=2)
    expel = expel_per_day(m)
    assert expel[:FEB1].sum() == 0
    assert expel[MAR1:].sum() == 0
    window = expel[FEB1:MAR1]
    assert window.sum() > 200
    assert (window > 0).mean() > 0.8
    obs = m.recorder.obs_daily[:, [o.name for o in m.recorder.obs].index("expulsions")]
    np.testing.assert_array_equal(obs, expel)
    # while in force, expel has p = 1 / (1 + 0.5): the others are scaled down, admit is 0
    proc = svc(c, "processing")
    served = m.services.events[FEB1:MAR1, proc, : len(Verb)].sum()
    share, se = window.sum() / served, np.sqrt(2 / 9 / served)
    assert abs(share - 2 / 3) < 4 * se
    assert m.services.events[FEB1:MAR1, proc, Verb.ADMIT].sum() == 0
    assert m.services.events[MAR1:, proc, Verb.ADMIT].sum() > 0


def test_dollar_value_follows_the_calibration_parameter(compiled: Compiled) -> None:
    c = compiled
    proc, expel = svc(c, "processing"), int(Verb.EXPEL)
    default = c.scenario.calibration["expel_share"].default
    p = c.decision["calibration.expel_share"]
    assert default == 0.5 and (p == default).all()
    assert c.outcome_days == (0, FEB1, MAR1)
    assert c.outcome_table_on(FEB1 - 1)[proc, :, expel].max() == 0
    np.testing.assert_allclose(c.outcome_table_on(FEB1)[proc, :, expel], default)
    assert c.outcome_table_on(MAR1)[proc, :, expel].max() == 0


def test_calibration_override_changes_a_dollar_value_in_an_event(tiny: Path) -> None:
    s = load_corridor_scenario(tiny)
    c = compile_corridor(s, {"expel_share": 0.9})
    proc = svc(c, "processing")
    # 0.9 with detain, deport and return_to_wait (0.5 together): normalised by 1.4
    np.testing.assert_allclose(c.outcome_table_on(FEB1)[proc, :, Verb.EXPEL], 0.9 / 1.4)
    assert c.outcome_table_on(MAR1)[proc, :, Verb.EXPEL].max() == 0
    # the scenario keeps what it was given: a new compilation without the override is at 0.5
    again = compile_corridor(s)
    np.testing.assert_allclose(again.outcome_table_on(FEB1)[proc, :, Verb.EXPEL], 0.5)


def test_calibration_override_changes_yaml_sites(tiny: Path) -> None:
    s = load_corridor_scenario(tiny)
    c = compile_corridor(s, {"processing_capacity": 12.5, "base_departures": 3.0}, days=10)
    assert (c.svc_capacity[:, svc(c, "processing")] == 12.5).all()
    assert (c.departures == 3.0).all()
    with pytest.raises(ScenarioError, match="unknown calibration parameter"):
        compile_corridor(s, {"no_such_parameter": 1.0})


def test_unknown_dollar_name_in_an_event_is_an_error(tmp_path: Path, tiny: Path) -> None:
    change = {
        "parameter": "services.processing.outcomes.default.expel.p",
        "op": "set",
        "value": "$no_such_share",
    }
    event = policy_event([change], start=START.replace(month=2))
    path = write_corridor_dir(tmp_path / "bad", days=30, events=[event])
    with pytest.raises(ScenarioError, match="no_such_share"):
        load_corridor_scenario(path)
    # the same through compile_corridor's extra events
    from corredor.policy import PolicyEvent

    s = load_corridor_scenario(tiny)
    with pytest.raises(ScenarioError, match="no_such_share"):
        compile_corridor(s, days=10, extra_events=(PolicyEvent.model_validate(event),))
