"""Corridor mechanisms on the tiny synthetic corridor with a second border city.

``Westgate`` (a border city 900 km from Midtown, with its own crossing into Portside) is added to
the corridor of ``tests/corridor_dirs.py`` (Bordertown is 600 km from Midtown):

* the choice of border city is the documented logit: with the queue and network weights at zero
  the share heading for Westgate is exp(w·d_W) / (exp(w·d_W) + exp(w·d_B)), distances from the
  origin; and travellers stop only at the border city they head for;
* a caravan adds its people on its days, and its hazard multiplier protects them on the way;
* a policy event on a zone's hazard changes apprehensions from its date (zone hazards are daily);
* extra policy events (counterfactual files) reach a run through the CLI's ``--event``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from corredor.cli import app
from corredor.rules.corridor.compiled import compile_corridor
from corredor.rules.corridor.state import EV_APPREHEND, EV_DEPART, Phase
from corredor.scenario.corridor import load_corridor_scenario
from corredor.simulation.corridor import CorridorModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import START, policy_event, scenario_document, write_corridor_dir

WESTGATE_LOC = "Westgate,border_city,Mid,26.0,-108.0,150000,,https://example.org/gazetteer,\n"
WESTGATE_LINKS = (
    "Midtown,Westgate,900,great_circle,road,$speed_road,0.001,mid_zone,false,"
    "https://example.org/distances\n"
    "Westgate,Portside,3,great_circle,foot,$speed_foot,0.002,dest_zone,true,"
    "https://example.org/distances\n"
)


def two_city_dir(
    root: Path,
    *,
    days: int = 60,
    calibration: dict[str, float] | None = None,
    events: list[dict[str, Any]] | None = None,
    caravans: list[dict[str, Any]] | None = None,
) -> Path:
    path = write_corridor_dir(root, days=days, calibration=calibration, events=events)
    with (root / "locations.csv").open("a", encoding="utf-8") as fh:
        fh.write(WESTGATE_LOC)
    with (root / "links.csv").open("a", encoding="utf-8") as fh:
        fh.write(WESTGATE_LINKS)
    if caravans is not None:
        doc = scenario_document(days=days, calibration=calibration, events=events)
        doc["caravans"] = caravans
        path.write_text(yaml.safe_dump(doc, sort_keys=False, width=100), encoding="utf-8")
    return path


def run(path: Path, seed: int = 0, days: int | None = None) -> CorridorModel:
    c = compile_corridor(load_corridor_scenario(path), days=days)
    m = CorridorModel(c, seed=seed)
    for d in range(c.days):
        m.run_day(d)
    return m


def test_border_city_choice_is_the_distance_logit(tmp_path: Path) -> None:
    w = -0.002
    cal = {"w_distance": w, "w_queue": 0.0, "w_ties": 0.0, "base_departures": 1000.0}
    path = two_city_dir(tmp_path / "c", days=30, calibration=cal)
    # two days: nobody has reached a border city yet (Alpha-Midtown-Bordertown takes 3 days),
    # so every target is the one chosen on departure
    m = run(path, days=2)
    c, a = m.c, m.agents
    west = int(c.border_of_loc[c.loc_names.index("Westgate")])
    alpha = c.loc_names.index("Alpha")
    d = c.dist_to_city[:, alpha]
    assert d[west] == pytest.approx(1200.0)  # Alpha-Midtown 300 + 900 (no circuity given)
    p_west = np.exp(w * d[west]) / np.exp(w * d).sum()
    n = a.n
    share = float((a["target"][:n] == west).mean())
    assert abs(share - p_west) < 4 * np.sqrt(p_west * (1 - p_west) / n), (share, p_west, n)
    # travellers wait only in the border city they head for
    m = run(path)
    c, a, n = m.c, m.agents, m.agents.n
    border = np.flatnonzero(a["phase"][:n] == Phase.BORDER)
    assert border.size > 0
    np.testing.assert_array_equal(c.border_of_loc[a["loc"][border]], a["target"][border])
    assert (a["loc"][border] == c.loc_names.index("Westgate")).any()


def test_caravan_adds_people_and_protects_them_on_the_way(tmp_path: Path) -> None:
    def caravan(mult: float) -> dict[str, Any]:
        return {
            "name": "spring_caravan",
            "origin": "aland",
            "date": START + dt.timedelta(days=5),
            "days": 2,
            "people": {"value": 3000, "source": "https://example.org/caravan"},
            "target": "Westgate",
            "hazard_multiplier": {"value": mult, "source": "https://example.org/caravan"},
        }

    cal = {"mid_hazard": 5.0e-3}  # with effort 100: hazard 0.5 per day in Midtown
    base = run(two_city_dir(tmp_path / "b", days=40, calibration=cal, caravans=[]))
    free = run(two_city_dir(tmp_path / "f", days=40, calibration=cal, caravans=[caravan(0.0)]))
    full = run(two_city_dir(tmp_path / "u", days=40, calibration=cal, caravans=[caravan(1.0)]))
    departed = lambda m: int(m.recorder.events[:, EV_DEPART].sum())  # noqa: E731
    extra = departed(free) - departed(base)
    assert abs(extra - 3000) < 6 * np.sqrt(3000 + 2 * departed(base)), extra
    born = free.agents["born"][: free.agents.n]
    caravan_ids = np.flatnonzero((born >= 5) & (born < 7))
    west = free.c.border_of_loc[free.c.loc_names.index("Westgate")]
    assert (free.agents["target"][caravan_ids] == west).mean() > 0.8  # the caravan's target
    mid = free.c.zone_names.index("mid_zone")
    caught = lambda m: int(m.recorder.events[:, EV_APPREHEND, mid].sum())  # noqa: E731
    # unprotected, thousands of the caravan's people are caught in Midtown; protected, none
    assert caught(full) - caught(free) > 1000, (caught(full), caught(free), caught(base))
    assert abs(caught(free) - caught(base)) < 6 * np.sqrt(caught(base) + 1) + 50
    # the caravan ends at the border: nobody waiting there is still flagged
    a = free.agents
    assert (a["caravan"][: a.n][a["phase"][: a.n] != Phase.TRAVEL] == 0).all()


def test_zone_hazard_event_acts_from_its_date(tmp_path: Path) -> None:
    off = policy_event(
        [{"parameter": "enforcement.mid_zone.hazard.default", "op": "set", "value": 0}],
        start=dt.date(2020, 2, 1),
        event_id="mid-hazard-off",
    )
    m = run(two_city_dir(tmp_path / "h", days=90, events=[off], calibration={"mid_hazard": 5e-3}))
    mid = m.c.zone_names.index("mid_zone")
    by_month = m.recorder.events[:, EV_APPREHEND, mid].sum(axis=1)
    assert by_month[0] > 100  # January: apprehensions in Midtown
    assert by_month[1:].sum() == 0  # from 1 February the zone's hazard is zero
    assert m.c.zone_hazard[30, mid, 0] > 0 and m.c.zone_hazard[31, mid, 0] == 0


def test_cli_run_with_extra_events(tmp_path: Path) -> None:
    path = two_city_dir(tmp_path / "c", days=40)
    cf = policy_event(
        [{"parameter": "services.processing.outcomes.default.expel.p", "op": "set", "value": 1}],
        start=dt.date(2020, 1, 10),
        event_id="expel-all",
    )
    events = tmp_path / "expel_all.yaml"
    events.write_text(yaml.safe_dump([cf], sort_keys=False), encoding="utf-8")
    runner = CliRunner()
    out = tmp_path / "out"
    args = ["run", str(path), "--days", "40", "--store", str(out), "--no-progress"]
    report = tmp_path / "report.html"
    png = tmp_path / "pic.png"
    res = runner.invoke(
        app, [*args, "--event", str(events), "--report", str(report), "--png", str(png)]
    )
    assert res.exit_code == 0, res.output
    from corredor.store import ResultsStore

    prov = ResultsStore(out).record("latest").provenance
    assert prov is not None and prov.events_added[0].ids == ["expel-all"]
    assert "<img" in report.read_text(encoding="utf-8")  # a scenario without observed data
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = tmp_path / "bad.yaml"
    wrong = {**cf, "changes": [{"parameter": "nope", "op": "set", "value": 1}]}
    bad.write_text(yaml.safe_dump([wrong]), encoding="utf-8")
    res = runner.invoke(app, [*args, "--event", str(bad)])
    assert res.exit_code == 2, res.output
    assert "bad.yaml" in res.output and "nope" in res.output
    res = runner.invoke(app, [*args, "--event", str(tmp_path / "missing.yaml")])
    assert res.exit_code == 2 and "missing.yaml" in res.output
