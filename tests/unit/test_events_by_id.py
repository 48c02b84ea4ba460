"""Added policy events by id (issue 12): ``RunRequest(events=[...])`` and ``EnsembleRequest(
counterfactual=[...])`` take the id of an event the scenario ships in ``counterfactuals/``, or a
counterfactual's name (all its events), as well as a file; by id or by file, the same events
make the same run (same inputs digest, same numbers). ``corredor scenario events`` lists
them."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from corredor import app
from corredor.app import EnsembleRequest, RequestError, RunRequest
from corredor.app.inputs import corridor_inputs
from corredor.app.scenarios import events
from corredor.errors import CorredorError
from corredor.store import ResultsStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import policy_event, write_corridor_dir

EXPEL_ALL = [{"parameter": "services.processing.outcomes.default.expel.p", "op": "set", "value": 1}]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = write_corridor_dir(tmp_path_factory.mktemp("byid") / "c")
    folder = path.parent / "counterfactuals"
    folder.mkdir()
    expel = policy_event(EXPEL_ALL, start=dt.date(2020, 1, 5), event_id="cf-expel-all")
    (folder / "expel.yaml").write_text(yaml.safe_dump([expel]), encoding="utf-8")
    two = [
        policy_event(EXPEL_ALL, start=dt.date(2020, 1, 10), event_id="cf-a"),
        policy_event(EXPEL_ALL, start=dt.date(2020, 1, 20), event_id="cf-b"),
    ]
    (folder / "pair.yaml").write_text(yaml.safe_dump(two), encoding="utf-8")
    return path


def test_ids_names_and_files(tiny: Path) -> None:
    by_id = corridor_inputs(str(tiny), events=["cf-expel-all"])
    assert [e.id for e in by_id.extra_events] == ["cf-expel-all"]
    (added,) = by_id.events_added
    assert Path(added.file) == tiny.parent / "counterfactuals" / "expel.yaml"
    assert added.ids == ["cf-expel-all"]
    by_file = corridor_inputs(str(tiny), events=["counterfactuals/expel.yaml"])
    assert by_file.extra_events == by_id.extra_events
    assert by_file.events_added == by_id.events_added
    pair = corridor_inputs(str(tiny), events=["pair"])  # a counterfactual's name: all its events
    assert [e.id for e in pair.extra_events] == ["cf-a", "cf-b"]
    one = corridor_inputs(str(tiny), events=["cf-b", "cf-expel-all"])
    assert [e.id for e in one.extra_events] == ["cf-b", "cf-expel-all"]


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("cf-expel-al", ["did you mean 'cf-expel-all'", "corredor scenario events"]),
        ("expel-on", ["one of its own policy events", "--without-event"]),
        ("nothing-like-it", ["it ships cf-a, cf-b, cf-expel-all, expel, pair"]),
        ("nowhere.yaml", ["nowhere.yaml", "not found"]),
    ],
)
def test_unknown_entries_are_refused(tiny: Path, entry: str, words: list[str]) -> None:
    with pytest.raises(CorredorError) as err:  # a RequestError, or a ScenarioError (file)
        corridor_inputs(str(tiny), events=[entry])
    for word in words:
        assert word in str(err.value)


def test_twice_is_refused(tiny: Path) -> None:
    with pytest.raises(RequestError, match="cf-a added twice"):
        corridor_inputs(str(tiny), events=["pair", "cf-a"])


def test_listed_with_their_counterfactual(tiny: Path) -> None:
    df = events(str(tiny))
    assert list(zip(df["id"], df["counterfactual"], strict=True)) == [
        ("expel-on", ""),
        ("cf-expel-all", "expel"),
        ("cf-a", "pair"),
        ("cf-b", "pair"),
    ]


def test_a_run_by_id_is_the_run_by_file(tiny: Path, tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "runs")
    by_file = RunRequest(scenario=str(tiny), days=40, seed=3, events=["counterfactuals/expel.yaml"])
    first = app.run(by_file, store)
    by_id = by_file.model_copy(update={"events": ["cf-expel-all"]})
    assert app.find(by_id, store) is None  # the request differs (how the events were named)
    second = app.run(by_id, store)
    a, b = app.load(store, first.run_id), app.load(store, second.run_id)
    pd.testing.assert_frame_equal(a.monthly(), b.monthly())
    plain = app.load(store, app.run(by_file.model_copy(update={"events": []}), store).run_id)
    assert not a.monthly().equals(plain.monthly())  # the event changed the run
    prov = store.record(second.run_id).provenance
    assert prov is not None and prov.events_added[0].ids == ["cf-expel-all"]


def test_ensemble_counterfactual_by_name(tiny: Path, tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "runs")
    request = EnsembleRequest(
        scenario=str(tiny), days=30, replicas=1, sets="uncalibrated", counterfactual=["expel"]
    )
    stored = app.ensemble(request, store)
    child = stored.children["counterfactual"]
    prov = store.record(child).provenance
    assert prov is not None and [e.ids for e in prov.events_added] == [["cf-expel-all"]]
    with pytest.raises(RequestError, match="--counterfactual 'nope'"):
        app.ensemble(request.model_copy(update={"counterfactual": ["nope"]}), store)
