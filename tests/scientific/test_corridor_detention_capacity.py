"""Detention limited by its beds, and release for want of a bed (issue 13 B: the family
residential centres of ``mexico-us``), on the tiny corridor.

Border processing sends half of the people it processes to a detention service in the
destination whose servers are beds and whose abandonment hazard is 1 a day: whoever finds no
free bed is released into the destination the same day. Then:

* with fewer beds fewer people are removed from detention and more are released: an
  ``abandon`` event of the detention service, counted as a success (an entry) for the perceived
  openness of the agent's group (docs/model.md §3.3.2);
* comparative statics through the openness feedback (positive elasticity): beds opened by a
  policy event (as the 2014 expansion of family detention) deter departures once their
  removals fill the memory of recent outcomes, and change nothing before they open.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from corredor.engine.services.table import Verb
from corredor.rules.corridor.compiled import compile_corridor
from corredor.rules.corridor.state import EV_DEPART
from corredor.scenario.corridor import load_corridor_scenario
from corredor.simulation.corridor import CorridorModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import START, policy_event, write_corridor_dir

DAYS = 240
EXPANSION_DAY = 120
OPEN = {"openness_memory_days": 20.0, "openness_reference_days": 60.0, "base_departures": 200.0}
PROCESSING = {
    "detain": {"p": 0.5, "service": "dest_detention"},
    "admit": {"p": "rest", "place": "Interior"},
}


def _run(
    tmp: Path, beds: int, calibration: dict[str, float], events: list[dict[str, Any]] | None = None
) -> CorridorModel:
    path = write_corridor_dir(tmp, days=DAYS, processing=PROCESSING, events=events)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for svc in doc["services"]:
        if svc["name"] == "dest_detention":
            svc["service_time"] = {"model": "servers", "servers": beds, "mean_days": 20}
            svc["abandonment"] = 1.0
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=100), encoding="utf-8")
    c = compile_corridor(load_corridor_scenario(path), calibration)
    m = CorridorModel(c, seed=5)
    for d in range(c.days):
        m.run_day(d)
    return m


def _count(m: CorridorModel, verb: Verb) -> int:
    s = m.c.svc_names.index("dest_detention")
    return int(m.recorder.events[:, int(verb), s].sum())


def test_few_beds_release_more_and_remove_fewer(tmp_path: Path) -> None:
    few = _run(tmp_path / "few", 5, {"base_departures": 200.0})
    many = _run(tmp_path / "many", 5000, {"base_departures": 200.0})
    assert _count(few, Verb.ABANDON) > 0
    assert _count(many, Verb.ABANDON) == 0
    assert _count(few, Verb.DEPORT) < 0.2 * _count(many, Verb.DEPORT)
    # the released are entries: more successes in the openness memory with fewer beds
    assert few.state.openness.succ.sum() > many.state.openness.succ.sum()
    assert few.state.openness.fail.sum() < many.state.openness.fail.sum()


def _departures(m: CorridorModel) -> np.ndarray:
    return m.recorder.events[:, EV_DEPART].sum(axis=(1, 2))


def test_more_beds_deter_departures_after_they_open(tmp_path: Path) -> None:
    cal = {**OPEN, "openness_elasticity": 2.0}
    opened = policy_event(
        [
            {
                "parameter": "services.dest_detention.service_time.servers",
                "op": "add",
                "value": 4995,
            }
        ],
        start=START + dt.timedelta(days=EXPANSION_DAY),
        event_id="beds-opened",
    )
    few = _departures(_run(tmp_path / "a", 5, cal))
    expanded = _departures(_run(tmp_path / "b", 5, cal, events=[opened]))
    # months 0-3: before the beds open the runs are the same, bit for bit
    assert np.array_equal(few[:4], expanded[:4])
    # months 5-7: removals from the new beds fill the memory and deter departures
    assert expanded[5:8].sum() < 0.9 * few[5:8].sum()
