"""Room-for-manoeuvre studies (corredor.studies.room) on the tiny corridor with a bargaining
block (tests/unit/test_bargaining_coupled.py):

* the branch simulated with the chosen policy at an export share is the coupled endogenous run
  at that share (``run_coupled``), day for day, over the period;
* the feasible space does not grow with the export share or the credibility (the nested sets of
  docs/bargaining.md §3), and with no dependence (share 0) it is the whole affordable grid;
* the report carries the numbers, the history point and the caveats.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from corredor.bargaining import run_coupled
from corredor.errors import ScenarioError
from corredor.report.room import room_markdown, room_summary
from corredor.studies import load_study
from corredor.studies.room import RoomResult, prepare_room, run_room

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_bargaining_coupled import actors, write_bargaining_dir

REVIEW = "2020-02-10"  # the tiny block: first review 2020-01-21, every 20 days; threat from 02-10


def room_file(root: Path) -> Path:
    scenario = write_bargaining_dir(root / "c")
    doc: dict[str, Any] = {
        "study": "tiny-room",
        "title": "Room of the tiny transit state",
        "question": "How much room?",
        "scenario": str(scenario),
        "calibration": "none",
        "period": {"start": REVIEW, "end": "2020-02-29"},
        "ensemble": {"replicas": 2, "seed": 3},
        "outputs": [
            {"name": "arrivals", "measure": "observable", "observable": "dest_apprehensions"},
            {"name": "apprehended", "measure": "apprehensions_transit"},
            {"name": "stranded", "measure": "stranded_person_days"},
        ],
        "headline": ["arrivals", "apprehended"],
        "bargaining": {
            "exposures": [0.2, 0.5, 0.9],
            "credibilities": [0.5, 1.0],
            "history_exposure": 0.815,
            "history_label": "history",
            "review": REVIEW,
            "caveats": ["the reduced form's response, anchored to the simulated state"],
        },
    }
    path = root / "room.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RoomResult]:
    path = room_file(tmp_path_factory.mktemp("room"))
    a = actors(reduction=0.2)
    return path, run_room(load_study(path), hegemon=a["hegemon"], transit=a["transit"])


def test_the_actors_come_from_the_scenarios_episode_or_the_caller(tmp_path: Path) -> None:
    # the tiny block names no episode: no data to make its actors from
    with pytest.raises(ScenarioError, match="names no episode"):
        prepare_room(load_study(room_file(tmp_path)))


def test_shapes_and_the_reference(room: tuple[Path, RoomResult]) -> None:
    _, r = room
    assert r.exposures == (0.0, 0.2, 0.5, 0.815, 0.9)
    assert r.credibilities == (0.5, 1.0)
    assert r.game.shape[:4] == (1, 2, 5, 2) and r.outcomes.shape == (1, 2, 5, 3)
    share = r.game_runs("feasible_share")
    assert np.all(share[:, 0, :] == share[:, 0, :1])  # share 0: no sanction at any credibility


def test_the_feasible_space_is_nested(room: tuple[Path, RoomResult]) -> None:
    _, r = room
    share = r.game_runs("feasible_share")  # (runs, exposures, credibilities)
    assert np.all(np.diff(share, axis=1) <= 1e-12)  # more exposure: no more room
    assert np.all(np.diff(share, axis=2) <= 1e-12)  # more credibility: no more room
    assert share[:, -1, -1].max() < share[:, 0, -1].min()  # the threat narrows it


def test_outcome_branch_is_the_coupled_run(room: tuple[Path, RoomResult]) -> None:
    path, r = room
    study = load_study(path)
    scenario = study.folder / study.scenario
    e = r.exposures.index(0.815)
    x = r.outcome_runs("arrivals")[:, e]
    a = actors(share=0.815, reduction=0.2)
    start = (study.period.start - r.review).days  # 0
    for i, seed in enumerate(r.seeds):
        coupled = run_coupled(scenario, seed=seed, days=r.days + _review_day(r), **a)
        daily = coupled.corridor.daily_observables()["dest_apprehensions"].to_numpy()
        assert x[i] == daily[_review_day(r) + start :].sum()


def _review_day(r: RoomResult) -> int:
    return (r.review - dt.date(2020, 1, 1)).days


def test_report_numbers_and_caveats(room: tuple[Path, RoomResult]) -> None:
    _, r = room
    md = room_markdown(r)
    assert "0.815 (history)" in md and "the reduced form's response" in md
    share = r.band(r.game_runs("feasible_share"))["median"]
    assert f"{100 * share[3, 1]:.1f} %" in md
    es = room_summary(r, "es")
    assert "Lo que acota estas cifras" in es and "Mid" in es
