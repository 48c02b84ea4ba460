"""The policy layer's validation, loading and error messages (corredor.policy)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from corredor.errors import ScenarioError
from corredor.policy import (
    MAGNITUDE_WEIGHTS,
    Magnitude,
    ParameterChange,
    PolicyEvent,
    PolicyTimeline,
    implementation_gap,
    load_events,
    load_timeline,
    parse_events,
    restrictiveness,
    restrictiveness_by_area,
    restrictiveness_score,
)

BASE = {"enforcement.inm_south.effort": 10.0, "services.comar_tapachula.capacity": 100.0}


def event(**over: Any) -> PolicyEvent:
    fields: dict[str, Any] = {
        "id": "pfs-2014",
        "name": "Programa Frontera Sur",
        "country": "MEX",
        "policy_area": "border_land_control",
        "tool": "border patrol",
        "target_group": "irregular migrants",
        "direction": 1,
        "magnitude": "mid-level",
        "start": dt.date(2014, 7, 7),
        "source": "https://example.org/pfs",
        "changes": [{"parameter": "enforcement.inm_south.effort", "op": "multiply", "value": 2}],
    }
    fields.update(over)
    return PolicyEvent.model_validate(fields)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------- PolicyEvent
def test_event_defaults_and_normalisation() -> None:
    e = event(
        policy_area="Border and land control",
        magnitude="Mid level",
        direction="+1",
        origin="GTM; HND ;SLV",
        start="2014-07-07",
    )
    assert e.policy_area == "border_land_control"
    assert e.magnitude == "mid-level"
    assert e.direction == 1
    assert e.origin == ("GTM", "HND", "SLV")
    assert e.start == dt.date(2014, 7, 7)
    assert e.end is None and e.implemented_share == 1.0 and e.notes == ""
    assert event().origin == ("all",)
    assert event(origin="ALL").origin == ("all",)
    assert event(policy_area="legal entry/stay").policy_area == "legal_entry_stay"
    assert event(magnitude="fine_tuning").magnitude == "fine-tuning"
    assert event(direction=-1.0).direction == -1
    assert e.changes[0].ramp_days == 0
    assert e.parameters == ("enforcement.inm_south.effort",)


def test_event_is_frozen() -> None:
    e = event()
    with pytest.raises(ValidationError):
        e.direction = -1


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"end": dt.date(2014, 7, 6)}, "end"),
        ({"source": "  "}, "source"),
        ({"source": None}, "source"),
        ({"implemented_share": 1.5}, "implemented_share"),
        ({"implemented_share": -0.1}, "implemented_share"),
        ({"implemented_share": math.nan}, "implemented_share"),
        ({"direction": 2}, "direction"),
        ({"direction": True}, "direction"),
        ({"direction": "more"}, "direction"),
        ({"magnitude": "huge"}, "magnitude"),
        ({"policy_area": "visas"}, "policy_area"),
        ({"origin": "all; GTM"}, "origin"),
        ({"origin": ""}, "origin"),
        ({"id": "has space"}, "id"),
        ({"start": "07/07/2014"}, "start"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_event_rejects(over: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        event(**over)
    assert info.value.errors()[0]["loc"][0] == field


def test_end_equal_to_start_is_allowed_and_never_active() -> None:
    e = event(end=dt.date(2014, 7, 7))
    assert not e.is_active(dt.date(2014, 7, 7))


@pytest.mark.parametrize(
    "change",
    [
        {"parameter": "a.b", "op": "divide", "value": 2},
        {"parameter": "a..b", "op": "set", "value": 2},
        {"parameter": "1a", "op": "set", "value": 2},
        {"parameter": "a", "op": "set", "value": math.inf},
        {"parameter": "a", "op": "set", "value": 1, "ramp_days": -1},
        {"parameter": "a", "op": "set"},
    ],
)
def test_change_rejects(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ParameterChange.model_validate(change)


def test_change_stated_values() -> None:
    assert ParameterChange(parameter="a", op="set", value=3).stated(10.0) == 3.0
    assert ParameterChange(parameter="a", op="multiply", value=3).stated(10.0) == 30.0
    assert ParameterChange(parameter="a", op="add", value=3).stated(10.0) == 13.0
    assert ParameterChange.model_validate({"parameter": "a", "op": "ADD", "value": 1}).op == "add"


# ---------------------------------------------------------------------- PolicyTimeline
def test_unknown_parameter_names_event_parameter_and_known_ones() -> None:
    e = event(changes=[{"parameter": "enforcement.inm_south.efort", "op": "set", "value": 1}])
    with pytest.raises(ScenarioError) as info:
        PolicyTimeline([e], BASE, file="scenario.yaml")
    err = info.value
    text = str(err)
    assert "pfs-2014" in text and "enforcement.inm_south.efort" in text
    assert "enforcement.inm_south.effort" in (err.expected or "")
    assert "services.comar_tapachula.capacity" in (err.expected or "")
    assert err.fix == "did you mean 'enforcement.inm_south.effort'?"
    assert err.file == "scenario.yaml"
    assert err.field == "events[pfs-2014].changes[0].parameter"


def test_duplicate_ids_and_bad_base_values() -> None:
    with pytest.raises(ScenarioError, match="two policy events have the id 'pfs-2014'"):
        PolicyTimeline([event(), event()], BASE)
    with pytest.raises(ScenarioError, match="finite number"):
        PolicyTimeline([], {"a": math.nan})
    with pytest.raises(TypeError):
        PolicyTimeline([{"id": "x"}], BASE)  # type: ignore[list-item]


def test_days_need_day0() -> None:
    tl = PolicyTimeline([event()], BASE)
    with pytest.raises(ValueError, match="day0"):
        tl.parameters_on(3)
    tl = PolicyTimeline([event()], BASE, day0="2014-07-01")
    assert tl.to_date(6) == dt.date(2014, 7, 7)
    assert tl.to_date(np.int64(6)) == dt.date(2014, 7, 7)  # type: ignore[arg-type]
    assert tl.to_date(pd.Timestamp("2014-07-07 13:00")) == dt.date(2014, 7, 7)
    assert tl.parameters_on(6) == tl.parameters_on("2014-07-07")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        tl.parameters_on("7 July 2014")


def test_accessors() -> None:
    late, early = event(id="late", start="2015-01-01"), event(id="early", start="2013-01-01")
    tl = PolicyTimeline([late, early], BASE)
    assert [e.id for e in tl.events] == ["early", "late"]
    assert tl.parameters == tuple(BASE)
    assert tl.base_parameters == BASE
    assert len(tl) == 2 and "2 events" in repr(tl)
    assert tl.parameters_on("2012-01-01") == BASE


def test_daily_is_read_only_cached_and_checked() -> None:
    tl = PolicyTimeline([event()], BASE)
    a = tl.daily("2014-07-01", "2014-08-01")
    b = tl.daily(dt.date(2014, 7, 1), dt.date(2014, 8, 1))
    assert a is not b
    assert a["enforcement.inm_south.effort"] is b["enforcement.inm_south.effort"]
    assert a["enforcement.inm_south.effort"].dtype == np.float64
    assert len(a["enforcement.inm_south.effort"]) == 31
    with pytest.raises(ValueError, match="read-only"):
        a["enforcement.inm_south.effort"][0] = 1.0
    assert len(tl.daily("2014-07-01", "2014-07-01")["enforcement.inm_south.effort"]) == 0
    with pytest.raises(ValueError, match="before start"):
        tl.daily("2014-07-02", "2014-07-01")


# ---------------------------------------------------------------------- indices
def test_restrictiveness_score_and_index() -> None:
    events = [
        event(id="a", magnitude="major", start="2020-01-03", end="2020-01-06"),
        event(id="b", direction=-1, magnitude="minor", start="2020-01-05"),
        event(id="c", country="USA", magnitude="major", start="2020-01-01"),
        event(id="d", policy_area="exit", magnitude="fine-tuning", start="2020-01-02"),
    ]
    tl = PolicyTimeline(events, BASE)
    score = restrictiveness_score(tl, "MEX", "2020-01-01", "2020-01-08")
    assert score.tolist() == [0.0, 0.25, 1.25, 1.25, 0.75, -0.25, -0.25]
    assert isinstance(score.index, pd.DatetimeIndex) and score.index[0] == pd.Timestamp(
        "2020-01-01"
    )
    r = restrictiveness(tl, "MEX", "2020-01-01", "2020-01-08")
    assert r.iloc[0] == 0.5
    expected = 1.0 / (1.0 + np.exp(-score.to_numpy() / 2.0))
    np.testing.assert_allclose(r.to_numpy(), expected, rtol=0, atol=1e-15)
    exit_only = restrictiveness_score(tl, "MEX", "2020-01-01", "2020-01-03", area="exit")
    assert exit_only.tolist() == [0.0, 0.25]
    assert restrictiveness(tl, "NOWHERE", "2020-01-01", "2020-01-08", base=0.3).eq(0.3).all()
    r2 = restrictiveness(tl, "MEX", "2020-01-01", "2020-01-08", base=0.2, scale=1.0)
    np.testing.assert_allclose(
        r2.to_numpy(), 1.0 / (1.0 + 4.0 * np.exp(-score.to_numpy())), rtol=0, atol=1e-15
    )
    assert MAGNITUDE_WEIGHTS["major"] == 1.0


def test_restrictiveness_de_facto_resample_and_by_area() -> None:
    tl = PolicyTimeline([event(magnitude="major", start="2020-01-16", implemented_share=0.5)], BASE)
    stated = restrictiveness_score(tl, "MEX", "2020-01-01", "2020-03-01")
    deployed = restrictiveness_score(tl, "MEX", "2020-01-01", "2020-03-01", de_facto=True)
    assert stated.max() == 1.0 and deployed.max() == 0.5
    monthly = restrictiveness_score(tl, "MEX", "2020-01-01", "2020-03-01", "MS")
    assert monthly.tolist() == [16 / 31, 1.0]
    table = restrictiveness_by_area(tl, "MEX", "2020-01-01", "2020-03-01", "MS")
    assert list(table.columns) == [
        "border_land_control", "legal_entry_stay", "integration", "exit", "all",
    ]  # fmt: skip
    assert (table["integration"] == 0.5).all()
    assert (table["all"] == table["border_land_control"]).all()


def test_custom_magnitude_weights() -> None:
    tl = PolicyTimeline([event(magnitude="minor", start="2020-01-01")], BASE)
    flat: dict[Magnitude, float] = {
        "fine-tuning": 1.0,
        "minor": 1.0,
        "mid-level": 1.0,
        "major": 1.0,
    }
    score = restrictiveness_score(tl, "MEX", "2020-01-01", "2020-01-02", weights=flat)
    assert score.tolist() == [1.0]
    bad: list[dict[Magnitude, float]] = [
        {"minor": 1.0},
        {**flat, "major": 0.5},
        {**flat, "minor": -1.0},
        {**flat, "major": math.inf},
    ]
    for weights in bad:
        with pytest.raises(ValueError, match="weights"):
            restrictiveness(tl, "MEX", "2020-01-01", "2020-01-02", weights=weights)


def test_index_arguments_are_checked() -> None:
    tl = PolicyTimeline([event()], BASE)
    for kwargs in ({"base": 0.0}, {"base": 1.0}, {"scale": 0.0}, {"area": "visas"}):
        with pytest.raises(ValueError):
            restrictiveness(tl, "MEX", "2014-01-01", "2015-01-01", **kwargs)
    with pytest.raises(ScenarioError, match="unknown parameter 'nope'"):
        implementation_gap(tl, "nope", "2014-01-01", "2015-01-01")


# ---------------------------------------------------------------------- YAML
GOOD_YAML = """\
# Two events
- id: pfs-2014
  name: Programa Frontera Sur
  country: MEX
  policy_area: border and land control
  tool: border patrol
  target_group: irregular migrants
  origin: [GTM, HND, SLV]
  direction: +1
  magnitude: mid-level
  start: 2014-07-07
  source: https://example.org/pfs
  implemented_share: 0.6
  changes:
    - {parameter: enforcement.inm_south.effort, op: multiply, value: 2, ramp_days: 30}
- id: tvrh
  name: Humanitarian visas
  country: MEX
  policy_area: legal entry/stay
  tool: visa
  target_group: all migrants
  direction: -1
  magnitude: major
  start: 2019-01-17
  end: 2019-01-29
  source: https://example.org/tvrh
  changes:
    - parameter: services.comar_tapachula.capacity
      op: set
      value: 1000
"""


def test_load_yaml(tmp_path: Path) -> None:
    events = load_events(write(tmp_path / "events.yaml", GOOD_YAML))
    assert [e.id for e in events] == ["pfs-2014", "tvrh"]
    assert events[0].origin == ("GTM", "HND", "SLV")
    assert events[0].changes[0].ramp_days == 30
    assert events[1].end == dt.date(2019, 1, 29)
    wrapped = "events:\n" + "".join(f"  {line}\n" for line in GOOD_YAML.splitlines())
    assert load_events(write(tmp_path / "wrapped.yml", wrapped)) == events
    tl = load_timeline(tmp_path / "events.yaml", BASE, day0="2013-01-01")
    assert tl.day0 == dt.date(2013, 1, 1) and len(tl) == 2


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [
        ("op: set", "op: sett", 29, "[1].changes[0].op", "'sett'"),
        ("  source: https://example.org/tvrh\n", "", 16, "[1].source", "source is missing"),
        ("direction: +1", "direction: 3", 9, "[0].direction", "is 3"),
        ("end: 2019-01-29", "end: 2019-01-01", 25, "[1].end", "is before start"),
        ("start: 2014-07-07", "start: July 2014", 11, "[0].start", "start is not valid"),
        ("tool: visa", "tool: visa\n  colour: red", 21, "[1].colour", "not a field"),
        ("value: 1000", "value: 1000\n      rate: 2", 31, "[1].changes[0].rate", "not a field"),
    ],
)
def test_yaml_errors_name_line_field_and_fix(
    tmp_path: Path, old: str, new: str, line: int, field: str, words: str
) -> None:
    assert old in GOOD_YAML
    path = write(tmp_path / "events.yaml", GOOD_YAML.replace(old, new, 1))
    with pytest.raises(ScenarioError) as info:
        load_events(path)
    err = info.value
    assert err.file == str(path)
    assert err.line == line
    assert err.field == field
    assert words in err.message
    assert str(path) in str(err) and f"line {line}" in str(err)


def test_yaml_structural_errors(tmp_path: Path) -> None:
    cases = {
        "": "is empty",
        "- id: [unclosed\n": "not valid YAML",
        "id: x\n": "top-level keys",
        "events: 3\n": "holds a int",
        "- 3\n": "policy event 0 is a int",
    }
    for text, words in cases.items():
        with pytest.raises(ScenarioError, match=words):
            load_events(write(tmp_path / "bad.yaml", text))
    dup = GOOD_YAML.replace("id: tvrh", "id: pfs-2014")
    with pytest.raises(ScenarioError, match=r"used twice \(first on line 2\)") as info:
        load_events(write(tmp_path / "dup.yaml", dup))
    assert info.value.line == 16
    with pytest.raises(ScenarioError, match="not found"):
        load_events(tmp_path / "missing.yaml")
    with pytest.raises(ScenarioError, match=r"expected a \.yaml, \.yml or \.csv file"):
        load_events(write(tmp_path / "events.json", "[]"))
    with pytest.raises(ScenarioError, match="only with an events CSV"):
        load_events(tmp_path / "events.yaml", changes=tmp_path / "changes.csv")


def test_load_timeline_points_unknown_parameter_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "events.yaml", GOOD_YAML)
    base = {"enforcement.inm_south.effort": 1.0}
    with pytest.raises(ScenarioError) as info:
        load_timeline(path, base)
    err = info.value
    assert (err.file, err.line, err.field) == (str(path), 28, "[1].changes[0].parameter")
    assert "'tvrh'" in err.message and "services.comar_tapachula.capacity" in err.message
    assert "enforcement.inm_south.effort" in (err.expected or "")


def test_parse_events_with_field_prefix() -> None:
    good = event().model_dump()
    assert parse_events([good]) == [event()]
    bad = dict(good, magnitude="enormous")
    with pytest.raises(ScenarioError) as info:
        parse_events([good, bad], file="scenario.yaml", field="policy.events")
    assert info.value.field == "policy.events[1].magnitude"
    assert info.value.file == "scenario.yaml" and info.value.line is None


# ---------------------------------------------------------------------- CSV
EVENTS_CSV = "\n".join(
    [
        "id,name,country,policy_area,tool,target_group,origin,direction,magnitude,start,end,"
        "source,notes,implemented_share",
        "pfs,Programa Frontera Sur,MEX,Border and land control,border patrol,irregular migrants,"
        'GTM;HND,+1,mid-level,2014-07-07,,https://example.org/pfs,"a note, with a comma",0.6',
        "# a comment row",
        "tvrh,Humanitarian visas,MEX,legal entry/stay,visa,all migrants,all,-1,major,2019-01-17,"
        "2019-01-29,https://example.org/tvrh,,",
        "",
    ]
)
CHANGES_CSV = """\
event_id,parameter,op,value,ramp_days
pfs,enforcement.inm_south.effort,multiply,2,30
tvrh,services.comar_tapachula.capacity,set,1000,
pfs,services.comar_tapachula.capacity,add,5,
"""


def test_load_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "events.csv", EVENTS_CSV)
    changes = write(tmp_path / "changes.csv", CHANGES_CSV)
    plain = load_events(path)
    assert [e.changes for e in plain] == [(), ()]
    events = load_events(path, changes=changes)
    pfs, tvrh = events
    assert pfs.origin == ("GTM", "HND") and pfs.implemented_share == 0.6
    assert pfs.notes == "a note, with a comma" and pfs.end is None
    assert [(c.parameter, c.op, c.ramp_days) for c in pfs.changes] == [
        ("enforcement.inm_south.effort", "multiply", 30),
        ("services.comar_tapachula.capacity", "add", 0),
    ]
    assert tvrh.implemented_share == 1.0 and tvrh.changes[0].value == 1000.0
    yaml_events = load_events(write(tmp_path / "events.yaml", GOOD_YAML))
    assert tvrh == yaml_events[1]


@pytest.mark.parametrize(
    ("which", "old", "new", "line", "column", "words"),
    [
        ("events", ",+1,", ",+2,", 2, "direction", "is 2"),
        ("events", "https://example.org/pfs", "", 2, "source", "source is missing"),
        ("events", ",2019-01-29,", ",2019-01-01,", 4, "end", "before start"),
        ("events", "implemented_share\n", "implemented_share,changes\n", 1, "changes", "unknown"),
        ("events", "target_group,", "", 1, None, "lacks the column(s) target_group"),
        ("events", "all migrants,all,", "all migrants,all,,,", 4, None, "has 16 fields"),
        ("events", "tvrh,", "pfs,", 4, "id", "used twice (first on line 2)"),
        ("changes", "multiply", "times", 2, "op", "'times'"),
        ("changes", "1000", "lots", 3, "value", "value is not valid"),
        ("changes", "\npfs,services", "\nxyz,services", 4, "event_id", "'xyz'"),
    ],
)
def test_csv_errors_name_file_line_and_column(
    tmp_path: Path, which: str, old: str, new: str, line: int, column: str | None, words: str
) -> None:
    texts = {"events": EVENTS_CSV, "changes": CHANGES_CSV}
    assert old in texts[which]
    texts[which] = texts[which].replace(old, new, 1)
    path = write(tmp_path / "events.csv", texts["events"])
    changes = write(tmp_path / "changes.csv", texts["changes"])
    with pytest.raises(ScenarioError) as info:
        load_events(path, changes=changes)
    err = info.value
    assert err.file == str(path if which == "events" else changes)
    assert err.line == line
    assert err.column == column
    assert words in err.message


def test_csv_unknown_parameter_points_at_changes_row(tmp_path: Path) -> None:
    path = write(tmp_path / "events.csv", EVENTS_CSV)
    changes = write(tmp_path / "changes.csv", CHANGES_CSV)
    base = {"enforcement.inm_south.effort": 1.0, "services.comar_tapachula.capacty": 1.0}
    with pytest.raises(ScenarioError) as info:
        load_timeline(path, base, changes=changes)
    err = info.value
    assert (err.file, err.line, err.column, err.field) == (str(changes), 4, "parameter", None)
    assert err.fix == "did you mean 'services.comar_tapachula.capacty'?"


def test_empty_csv(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is empty"):
        load_events(write(tmp_path / "events.csv", "\n\n"))


def test_the_documented_example_loads(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text(encoding="utf-8")
    yaml_text = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    csv_text = doc.split("```csv\n", 1)[1].split("```", 1)[0]
    base = {"enforcement.inm_south.effort": 10.0, "services.visa_office.capacity": 0.0}
    tl = load_timeline(write(tmp_path / "events.yaml", yaml_text), base, day0="2013-01-01")
    assert tl.parameters_on("2014-10-05")["enforcement.inm_south.effort"] == 16.0
    assert [e.id for e in tl.active_events(2207)] == ["pfs-2014", "visa-window"]
    header = "id,name,country,policy_area,tool,target_group,direction,magnitude,start,end,source"
    rows = [
        f"{e.id},{e.name},{e.country},{e.policy_area},{e.tool},{e.target_group},{e.direction},"
        f"{e.magnitude},{e.start},{e.end or ''},{e.source}"
        for e in tl.events
    ]
    events_csv = write(tmp_path / "events.csv", "\n".join([header, *rows]) + "\n")
    from_csv = load_events(events_csv, changes=write(tmp_path / "changes.csv", csv_text))
    assert [e.changes for e in from_csv] == [e.changes for e in tl.events]
