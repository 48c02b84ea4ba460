"""Study files (corredor.studies.schema, checks): the built-in studies, and bad study files —
each gets one clear error naming the file and the line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from corredor.errors import ScenarioError
from corredor.studies import builtin_studies, load_study, prepare_study
from corredor.studies.room import prepare_room

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from study_dirs import study_document, write_study_dir


def test_builtin_studies_are_listed_and_load() -> None:
    names = builtin_studies()
    assert {"containment-2019", "room-to-manoeuvre"} <= set(names)
    for name in ("containment-2019", "room-to-manoeuvre"):
        s = load_study(name)
        assert s.study == name and s.path == names[name]
        assert s.summary is not None and s.summary.es and s.title_es


def test_builtin_studies_check_against_mexico_us() -> None:
    p = prepare_study(load_study("containment-2019"))
    assert [v.name for v in p.variants][p.base] == "history"
    assert p.study.period.end.isoformat() <= "2021-09-30"
    assert any(c.name == "stranded:Tijuana" for c in p.columns)
    r = prepare_room(load_study("room-to-manoeuvre"))
    assert r.exposures[0] == 0.0 and 0.815 in r.exposures
    # the actors: the data of mexico-us's episode (bargaining.episode: june-2019)
    assert (r.hegemon.name, r.transit.name) == ("United States", "Mexico")
    assert r.scenario.start.isoformat() == "2013-01-01"


def _error(tmp_path: Path, doc: dict[str, Any] | None = None, text: str | None = None) -> str:
    path = write_study_dir(tmp_path, study=doc or {})
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        prepare_study(load_study(path))
    message = str(exc.value)
    assert str(path) in message
    assert "\n" not in message
    return message


def _doc(**changes: Any) -> dict[str, Any]:
    return study_document("corridor/scenario.yaml", **changes)


def _variants(extra: dict[str, Any]) -> list[dict[str, Any]]:
    doc = _doc()
    return [*doc["variants"], extra]


def _line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_unknown_lever_names_the_line_and_a_close_name(tmp_path: Path) -> None:
    doc = _doc(variants=_variants({"name": "x", "label": "X", "set": {"asylum_multiplyer": 3}}))
    message = _error(tmp_path, doc)
    line = _line_of(tmp_path / "study.yaml", "asylum_multiplyer")
    assert f"line {line}" in message
    assert "asylum_multiplyer" in message and "did you mean 'asylum_multiplier'" in message


def test_lever_out_of_range(tmp_path: Path) -> None:
    doc = _doc(variants=_variants({"name": "x", "label": "X", "set": {"asylum_multiplier": 30}}))
    message = _error(tmp_path, doc)
    assert f"line {_line_of(tmp_path / 'study.yaml', 'asylum_multiplier: 30')}" in message
    assert "outside its range [1, 10]" in message


def test_unknown_event(tmp_path: Path) -> None:
    doc = _doc(variants=_variants({"name": "x", "label": "X", "without_events": ["deploi"]}))
    message = _error(tmp_path, doc)
    assert f"line {_line_of(tmp_path / 'study.yaml', '- deploi')}" in message
    assert "no policy event 'deploi'" in message and "did you mean 'deploy'" in message


def test_missing_events_file(tmp_path: Path) -> None:
    doc = _doc(variants=_variants({"name": "x", "label": "X", "events": ["cf/nothere.yaml"]}))
    message = _error(tmp_path, doc)
    assert f"line {_line_of(tmp_path / 'study.yaml', 'cf/nothere.yaml')}" in message
    assert "not found" in message


@pytest.mark.parametrize("variants", [[], [{"name": "history", "label": "History"}]])
def test_empty_or_single_variant_list(tmp_path: Path, variants: list[dict[str, Any]]) -> None:
    message = _error(tmp_path, _doc(variants=variants))
    assert f"line {_line_of(tmp_path / 'study.yaml', 'variants:')}" in message
    assert "at least two variants" in message


def test_malformed_yaml(tmp_path: Path) -> None:
    text = "study: broken\ntitle: [unclosed\nvariants:\n  - name: a\n"
    message = _error(tmp_path, text=text)
    assert "not valid YAML" in message and "line" in message


def test_not_a_mapping(tmp_path: Path) -> None:
    assert "a YAML mapping" in _error(tmp_path, text="- just\n- a list\n")


def test_unknown_field_suggests_the_right_one(tmp_path: Path) -> None:
    doc = _doc()
    doc["varients"] = doc.pop("variants")
    message = _error(tmp_path, doc)
    assert "varients" in message and "did you mean 'variants'" in message


def test_unknown_output_and_demographic(tmp_path: Path) -> None:
    outputs = [{"name": "x", "measure": "observable", "observable": "dest_aprehensions"}]
    message = _error(tmp_path, _doc(outputs=outputs, headline=[]))
    assert "no observable 'dest_aprehensions'" in message and "did you mean" in message
    outputs = [{"name": "x", "measure": "expulsions", "demographics": ["toddler"]}]
    message = _error(tmp_path, _doc(outputs=outputs, headline=[]))
    assert "no demographic 'toddler'" in message
    assert f"line {_line_of(tmp_path / 'study.yaml', 'toddler')}" in message


def test_unknown_measure(tmp_path: Path) -> None:
    outputs = [{"name": "x", "measure": "happiness"}]
    message = _error(tmp_path, _doc(outputs=outputs, headline=[]))
    assert "measure" in message and "happiness" in message


def test_baseline_and_duplicates(tmp_path: Path) -> None:
    assert "baseline 'histori' is not a variant" in _error(tmp_path, _doc(baseline="histori"))
    twice = _variants({"name": "no-mpp", "label": "Again"})
    assert "variant name 'no-mpp' used twice" in _error(tmp_path, _doc(variants=twice))


def test_period_past_the_data_horizon_and_scenario(tmp_path: Path) -> None:
    message = _error(tmp_path, _doc(period={"start": "2020-02-01", "end": "2021-12-31"}))
    assert "period ends on 2021-12-31" in message
    message = _error(tmp_path, _doc(period={"start": "2020-03-01", "end": "2020-02-01"}))
    assert "before start" in message


def test_unknown_scenario_and_study(tmp_path: Path) -> None:
    doc = _doc()
    doc["scenario"] = "no-such-corridor"
    message = _error(tmp_path, doc)
    assert "no-such-corridor" in message
    with pytest.raises(ScenarioError, match="no such study file or built-in study"):
        load_study("no-such-study")


def test_a_study_file_round_trips_through_yaml(tmp_path: Path) -> None:
    path = write_study_dir(tmp_path)
    s = load_study(path)
    again = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [v["name"] for v in again["variants"]] == [v.name for v in s.variants]
    assert s.base_variant.name == "history"
