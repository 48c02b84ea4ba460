"""A corridor run started from its baseline's kept state (``reuse_baseline``) is the run made
from day 0, bit for bit (:mod:`corredor.app.baseline`).

``mexico-us`` at one agent for 500 people over its first 620 days (to 2014-09-12), seed 3: an
event left out (Programa Frontera Sur, 2014-07-07), an event added (written here, 2014-03-01),
a lever of status ``lever`` moved alone (no event reads it: every day is the baseline's), a
parameter every day reads (nothing reused), and the same branch day again (the kept state).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from corredor.app import RunRequest, run
from corredor.app import baseline as kept
from corredor.app.corridor_runs import _run_corridor, prewarm
from corredor.app.requests import RequestError
from corredor.app.simulation import find, simulate
from corredor.store import ResultsStore

DAYS = 620
BASE: dict[str, Any] = {"scenario": "mexico-us", "days": DAYS, "people_per_agent": 500, "seed": 3}

EVENT = """\
- id: test-more-enforcement-2014
  name: More enforcement in southern Mexico from March 2014 (a test event)
  country: MEX
  policy_area: border_land_control
  tool: border patrol
  target_group: irregular migrants
  origin: all
  direction: 1
  magnitude: minor
  start: 2014-03-01
  source: a test of reuse_baseline
  changes:
    - {parameter: enforcement.mx_southern.effort, op: add, value: 3000}
"""


def _arrays(result: Any) -> dict[str, Any]:
    return {
        f.name: getattr(result, f.name)
        for f in dataclasses.fields(result)
        if f.name not in ("seconds", "compiled")
    }


def _assert_same(a: Any, b: Any) -> None:
    x, y = _arrays(a), _arrays(b)
    assert x.keys() == y.keys()
    for name, value in x.items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(value, y[name]), name
        else:
            assert value == y[name], name


@pytest.fixture(scope="module")
def event_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("events") / "more_enforcement.yaml"
    path.write_text(EVENT, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _fresh() -> Any:
    kept.forget()
    yield
    kept.forget()


def _both(**inputs: Any) -> tuple[Any, Any, dict[str, Any]]:
    """The run from day 0 and the run from the kept baseline, with what it reused."""
    request = RunRequest(**BASE, **inputs)
    scratch = simulate(request)
    branched, provenance, _ = _run_corridor(
        request.model_copy(update={"reuse_baseline": True}), None, None, None
    )
    assert provenance.reused_baseline is not None
    return scratch, branched, provenance.reused_baseline


@pytest.mark.parametrize(
    ("inputs", "day"),
    [
        ({"without_events": ["mx-pfs-2014"]}, 552),  # 2014-07-07
        ({"set": {"comar_funding_multiplier": 5.0}}, DAYS),  # no event reads it in 2013-14
        ({"set": {"usbp_effort": 1.3}}, 0),  # every day reads it: nothing reused
    ],
)
def test_a_run_from_the_kept_baseline_is_the_run_from_day_zero(
    inputs: dict[str, Any], day: int
) -> None:
    scratch, branched, reused = _both(**inputs)
    assert reused["day"] == day
    _assert_same(scratch, branched)


def test_an_added_event_branches_on_its_start_and_the_state_is_kept(event_file: Path) -> None:
    scratch, branched, reused = _both(events=[str(event_file)])
    assert (reused["date"], reused["kept"]) == ("2014-03-01", False)
    _assert_same(scratch, branched)
    # the event changes the run (so the equality above says something)
    assert not np.array_equal(scratch.obs_daily, simulate(RunRequest(**BASE)).obs_daily)
    # a second run branching on the same day starts from the kept state: still the same run
    scratch2, again, reused2 = _both(events=[str(event_file)], set={"comar_funding_multiplier": 2})
    assert (reused2["date"], reused2["kept"]) == ("2014-03-01", True)
    _assert_same(scratch2, again)
    _assert_same(scratch, again)  # the lever has no event reading it: the same run again


def test_the_stored_run_is_the_stored_run_from_day_zero(tmp_path: Path) -> None:
    """Through the use case: the same tables, the same inputs digest (an identical request,
    with or without the option, is answered from the store), the reuse in the provenance."""
    store = ResultsStore(tmp_path / "runs")
    request = RunRequest(**BASE, without_events=["mx-pfs-2014"])
    a = run(request, store)
    b = run(request.model_copy(update={"reuse_baseline": True}), store)
    ra, rb = store.record(a.run_id), store.record(b.run_id)
    assert set(ra.tables) == set(rb.tables)
    for name in ra.tables:
        pd.testing.assert_frame_equal(ra.tables[name], rb.tables[name], check_exact=True)
    pa, pb = ra.provenance, rb.provenance
    assert pa is not None and pb is not None
    assert pa.inputs_sha256 == pb.inputs_sha256
    assert pa.reused_baseline is None
    assert pb.reused_baseline == {"day": 552, "days": DAYS, "date": "2014-07-07", "kept": False}
    assert any(n.startswith("reuse baseline: days before 2014-07-07") for n in b.notes)
    assert find(request.model_copy(update={"reuse_baseline": True}), store) in {
        a.run_id,
        b.run_id,
    }


def test_reuse_baseline_goes_with_a_single_run() -> None:
    with pytest.raises(RequestError, match="--set-from go with a single corridor run"):
        simulate(RunRequest(scenario="mexico-us", days=5, replicas=2, reuse_baseline=True))


def test_levers_set_from_a_date() -> None:
    """``set_from``: the levers take effect on that date (the run equals the baseline before
    it, not after), and a preview from the kept baseline starts there, bit for bit."""
    lever = {"set": {"usbp_effort": 2.0}, "set_from": "2014-03-01"}  # day 424
    scratch, branched, reused = _both(**lever)
    assert (reused["day"], reused["date"]) == (424, "2014-03-01")
    _assert_same(scratch, branched)
    base = simulate(RunRequest(**BASE))
    assert np.array_equal(scratch.obs_daily[:424], base.obs_daily[:424])
    assert not np.array_equal(scratch.obs_daily[424:], base.obs_daily[424:])


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        ({"set": {"speed_road": 300.0}}, "speed_road is also read as a constant"),  # links.csv
        ({}, "goes with --set"),
        ({"set": {"usbp_effort": 2.0}, "set_from": "2012-12-31"}, "outside mexico-us's period"),
    ],
)
def test_levers_from_a_date_refused(inputs: dict[str, Any], words: str) -> None:
    with pytest.raises(RequestError, match=words):
        simulate(RunRequest(**{**BASE, "set_from": "2014-03-01", **inputs}))


def test_prewarmed_states_stopped_and_resumed_are_the_baselines() -> None:
    """``prewarm`` keeps the baseline's states on the days events start (in these 620 days:
    family detention 2014-06-20, day 535, and Programa Frontera Sur 2014-07-07, day 552); asked
    to stop, it keeps the day it reached and goes on from there when called again (that state
    dropped once it is past); a run branching on a kept day starts from it, bit for bit."""
    asked = [0]

    def stop() -> bool:
        asked[0] += 1
        return asked[0] > 300

    request = RunRequest(**BASE)
    first = prewarm(request, stop=stop)
    assert (first.days, first.kept, first.finished) == ((535, 552), (), False)
    assert [d for _, d in kept._USED] == [299]  # where it stopped, kept
    asked[0] = 0
    second = prewarm(request, stop=stop)  # 253 days more: within the 300 asked
    assert (second.kept, second.finished) == ((535, 552), True)
    assert asked[0] == 1 + 552 - 299  # once before it began, then before each day simulated
    assert sorted(d for _, d in kept._USED) == [535, 552]  # the stopped state dropped
    assert prewarm(request).finished  # nothing left to do
    scratch, branched, reused = _both(without_events=["mx-pfs-2014"])
    assert (reused["day"], reused["kept"]) == (552, True)
    _assert_same(scratch, branched)
