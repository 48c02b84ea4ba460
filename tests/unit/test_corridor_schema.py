"""The corridor scenario format: schema, checks, errors, tables and the built-in ``mexico-us``.

The small scenario used throughout is the complete example of ``docs/scenario-format.md``, read
from the document itself, so the documentation cannot drift from what validates.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corredor.errors import ScenarioError
from corredor.scenario.corridor import (
    PARAMETER_ROLES,
    DriverPoint,
    Link,
    Location,
    Param,
    builtin_corridor_scenarios,
    iter_params,
    load_corridor_scenario,
    load_scenario_events,
    parameter_index,
    parameter_values,
    read_table,
    scenario_yaml,
    summary_line,
    table_text,
    write_corridor_scenario,
)
from corredor.scenario.corridor.base import best_selector
from corredor.scenario.corridor.params import parse_param
from corredor.scenario.corridor.tables import COLUMNS
from corredor.scenario.corridor.yaml_lines import load_yaml_with_lines

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "scenario-format.md"
HORIZON = dt.date(2021, 9, 30)


# ---------------------------------------------------------------------------- the doc example
def example_files() -> dict[str, str]:
    """``<!-- file: NAME -->`` followed by a fenced block, in docs/scenario-format.md."""
    text = DOCS.read_text(encoding="utf-8")
    found = re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", text, flags=re.S)
    return dict(found)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    for name, body in example_files().items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    return tmp_path / "scenario.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_doc_example_has_every_file() -> None:
    assert set(example_files()) == {
        "scenario.yaml",
        "locations.csv",
        "links.csv",
        "drivers.csv",
        "observed.csv",
        "policy.yaml",
    }


def test_doc_example_validates(tiny: Path) -> None:
    s = load_corridor_scenario(tiny)
    line = "tiny-corridor: 6 locations, 5 links, 3 services, 1 policy events, 1 observables"
    assert summary_line(s) == line
    assert line in DOCS.read_text(encoding="utf-8")
    assert s.days == 365
    assert s.people_per_agent == 10
    assert s.locations.rows[-1].lat is None
    assert s.origins[0].series[1].value_type == "interpolated"
    assert s.events[0].id == "port-cap-2019"


def test_folder_and_builtin_name_resolve(tiny: Path) -> None:
    assert load_corridor_scenario(tiny.parent).name == "tiny-corridor"
    assert "mexico-us" in builtin_corridor_scenarios()


# ---------------------------------------------------------------------------- round trips
def assert_same(a: Any, b: Any) -> None:
    assert scenario_yaml(a) == scenario_yaml(b)
    assert a.locations.rows == b.locations.rows
    assert a.links.rows == b.links.rows
    assert [o.series for o in a.origins] == [o.series for o in b.origins]
    assert a.events == b.events


def test_round_trip_doc_example(tiny: Path, tmp_path: Path) -> None:
    a = load_corridor_scenario(tiny)
    b = load_corridor_scenario(write_corridor_scenario(a, tmp_path / "copy"))
    assert_same(a, b)
    again = load_corridor_scenario(write_corridor_scenario(b, tmp_path / "copy2"))
    assert (tmp_path / "copy" / "scenario.yaml").read_text() == (
        tmp_path / "copy2" / "scenario.yaml"
    ).read_text()
    assert_same(b, again)


def test_round_trip_builtin(tmp_path: Path) -> None:
    a = load_corridor_scenario("mexico-us")
    b = load_corridor_scenario(write_corridor_scenario(a, tmp_path / "mx"))
    assert_same(a, b)


def test_param_forms_round_trip() -> None:
    for raw in (0.25, 3, "$speed_road", "rest", {"value": 0.5, "source": "x"}):
        p = parse_param(raw, 0.0, 1e9, allow_rest=True)
        assert parse_param(p.dump(), 0.0, 1e9, allow_rest=True) == p
    assert parse_param("12.5", 0, 100, False) == Param(value=12.5, low=0, high=100)


def test_yaml_reader_keeps_keys_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("base: &b {p: 1, q: 2}\nNO:\n  on: 2013-01-01\nother: {<<: *b, q: 3}\n")
    data, lines = load_yaml_with_lines(path)
    assert data == {
        "base": {"p": 1, "q": 2},
        "NO": {"on": dt.date(2013, 1, 1)},
        "other": {"p": 1, "q": 3},
    }
    assert lines.line(("NO", "on")) == 3
    assert lines.line(("other", "missing", 4)) == 4


# ---------------------------------------------------------------------------- parameters
def test_parameter_names_and_values(tiny: Path) -> None:
    s = load_corridor_scenario(tiny)
    values = parameter_values(s)
    assert values["services.port_processing.capacity"] == 100  # calibration default
    assert values["services.port_processing.outcomes.default.admit.p"] == pytest.approx(0.7)
    assert values["groups.shares.AAA.family_unit_member"] == pytest.approx(0.3)
    assert values["enforcement.transit.effort"] == 200
    assert values["origins.aland.drivers.homicide_rate"] == 0.5
    assert values["calibration.asylum_days"] == 5
    assert parameter_index(s)["services.asylum_office.service_time.mean_days"].ref == "asylum_days"


def test_most_specific_selector_wins() -> None:
    nats, demos = ("AAA", "BBB"), ("single_adult", "family_unit_member")
    sels = ["default", "family_unit_member", "AAA", "AAA_family_unit_member"]
    assert best_selector(sels, "AAA", "family_unit_member", nats, demos) == sels[3]
    assert best_selector(sels, "AAA", "single_adult", nats, demos) == "AAA"
    assert best_selector(sels, "BBB", "family_unit_member", nats, demos) == "family_unit_member"
    assert best_selector(sels, "BBB", "single_adult", nats, demos) == "default"
    assert best_selector(["AAA"], "BBB", "single_adult", nats, demos) is None


# ---------------------------------------------------------------------------- every error class
YAML = "scenario.yaml"
# fmt: off
ERRORS: list[tuple[str, str, str, str, str | None, str]] = [
    (YAML, 'step: day', 'step: [day', YAML, None, 'not valid YAML'),
    (YAML, 'step: day', 'step: day\nstep: day', YAML, None, 'appears twice'),
    (YAML, 'people_per_agent: 10', 'people_per_agnt: 10', YAML, 'people_per_agnt', 'unknown field'),
    (YAML, 'name: tiny-corridor\n', '', YAML, 'name', 'missing'),
    (YAML, 'step: day', 'step: week', YAML, 'step', 'not allowed'),
    (YAML, 'end: 2019-12-31', 'end: 2018-12-31', YAML, 'end', 'before start'),
    (YAML, 'capacity: 50', 'capacity: fifty', YAML, 'services[1].capacity', 'not a number'),
    (YAML, '    source: https://example.org/detention-audit\n', '', YAML, 'services[1].capacity',
     'no source'),
    (YAML, '{value: 12.5, source: "https://example.org/departure-survey"}', '{value: 12.5}', YAML,
     'origins[1].base_daily_departures', 'value, source'),
    (YAML, '$asylum_days}', '$asylum_dayz}', YAML, 'services[0].service_time.mean_days',
     'unknown calibration parameter'),
    (YAML, 'hazard_per_agent: {default: 1.0e-5, range: [0, 1.0e-3]',
     'hazard_per_agent: {default: 1.0e-5, range: [-1, 1.0e-3]', YAML,
     'enforcement.zones[0].hazard.default', 'outside the bounds'),
    (YAML, 'asylum_days: {default: 5,', 'asylum_days: {default: 50,', YAML,
     'calibration.asylum_days', 'outside its range'),
    (YAML, '    location: Port\n', '    location: Portt\n', YAML, 'services[2].location',
     'unknown location'),
    (YAML, 'expel: {p: 0.1, place: Delta}', 'expel: {p: 0.1, place: Epsilon}', YAML,
     'services[2].outcomes.default.expel.place', 'unknown location'),
    (YAML, 'place: Delta, days: 60,', 'place: Delta,', YAML,
     'services[2].outcomes.default.return_to_wait.days', 'needs'),
    (YAML, 'deport: {p: 0.9, to: origin}', 'deport: {p: 0.9, to: origin, days: 3}', YAML,
     'services[1].outcomes.default.deport.days', 'does not take'),
    (YAML, 'service: port_processing}', 'service: court}', YAML,
     'services[2].outcomes.default.return_to_wait.service', 'unknown service'),
    (YAML, 'release: {p: rest}', 'release: {p: 0.2}', YAML, 'services[1].outcomes.default',
     'sum to 1.1'),
    (YAML, 'grant: {p: 0.6, status: refugee}', 'grant: {p: rest, status: refugee}', YAML,
     'services[0].outcomes.default', "'rest' is used 2 times"),
    (YAML, '      default:\n        deport:', '      AAA:\n        deport:', YAML,
     'services[1].outcomes', 'no outcome table applies to BBB'),
    (YAML, 'AAA_family_unit_member:', 'CCC_family_unit_member:', YAML,
     'services[2].outcomes.CCC_family_unit_member', 'unknown group selector'),
    (YAML, 'servers: 4,', 'servers: 0,', YAML, 'services[0].service_time.servers', 'above 0'),
    (YAML, '    capacity: 50\n', '', YAML, 'services[1].capacity', 'needs a capacity'),
    (YAML, '    capacity: 50\n', '    capacity: 50\n    service_time: {servers: 2}\n', YAML,
     'services[1].service_time.servers', "has no servers"),
    (YAML, '  - name: detention\n', '  - name: asylum_office\n', YAML, 'services',
     'defined 2 times'),
    (YAML, 'AAA: {single_adult: 0.7, family_unit_member: rest}',
     'AAA: {single_adult: 0.7, family_unit_member: 0.2}', YAML, 'groups.shares.AAA', 'not 1'),
    (YAML, '    nationality: BBB', '    nationality: CCC', YAML, 'origins[1].nationality',
     'unknown nationality'),
    (YAML, 'drivers: {homicide_rate:', 'drivers: {remittances:', YAML,
     'origins[0].drivers.remittances', 'not in drivers.csv'),
    (YAML, '      detention: detention', '      detention: jail', YAML,
     'enforcement.zones[0].detention', 'unknown service'),
    (YAML, '"Gamma -> Delta"', '"Delta -> Alpha"', YAML, 'enforcement.zones[0].links[0]',
     'unknown link'),
    (YAML, 'file: observed.csv', 'file: observed2.csv', YAML, 'observables[0].data.file',
     'not found'),
    (YAML, 'filter: {place: Port}', 'filter: {place: Harbor}', YAML, 'observables[0].data.filter',
     'no row'),
    (YAML, 'value_column: encounters', 'value_column: count', YAML,
     'observables[0].data.value_column', 'no column'),
    ('links.csv', 'Gamma,Delta,1250', 'Gamma,Deltaa,1250', 'links.csv', None, 'unknown location'),
    ('links.csv', ',transit,false', ',transitt,false', 'links.csv', None, 'unknown zone'),
    ('links.csv', 'Alpha,Gamma,560,great_circle,road,$speed_road,0.0001',
     'Alpha,Gamma,560,great_circle,road,$speed_road,1.5', 'links.csv', None, 'outside'),
    ('locations.csv', 'name,kind,country,lat', 'name,type,country,lat', 'locations.csv', None,
     'missing column'),
    ('locations.csv', 'Alpha,origin,Aland,14.0', 'Alpha,origin,Aland,north', 'locations.csv', None,
     'valid number'),
    ('locations.csv', 'Alpha,origin,Aland', 'Alpha,metropolis,Aland', 'locations.csv', None,
     'not allowed'),
    ('locations.csv', 'https://example.org/gazetteer,\nInterior',
     'https://example.org/gazetteer\nInterior', 'locations.csv', None, 'fields'),
    ('locations.csv', 'Gamma,town,Cland,16.0,-92.0', 'Gamma,town,Cland,16.0,', 'locations.csv',
     None, 'lat and lon'),
    ('drivers.csv', '2020-07-01,homicide_rate,35.0,observed,https://example.org/homicides-2020',
     '2020-07-01,homicide_rate,35.0,observed,', 'drivers.csv', None, 'source'),
    ('observed.csv', '2019-03-31,Port,1500',
     '2019-03-31,Port,1500,https://x\n2020-01-01,2020-01-31,Port,9', 'observed.csv',
     'observables[0].data', 'after the calibration horizon'),
    ('policy.yaml', 'services.port_processing.capacity', 'services.port.capacity', 'policy.yaml',
     None, 'unknown parameter'),
]
# fmt: on


@pytest.mark.parametrize(
    ("edited", "old", "new", "named", "field", "fragment"),
    ERRORS,
    ids=[f"{e[0]}:{e[5]}:{i}" for i, e in enumerate(ERRORS)],
)
def test_error_names_file_field_and_fix(
    tiny: Path, edited: str, old: str, new: str, named: str, field: str | None, fragment: str
) -> None:
    edit(tiny.parent / edited, old, new)
    with pytest.raises(ScenarioError) as info:
        load_corridor_scenario(tiny)
    err = info.value
    assert err.file is not None and Path(err.file).name == named, str(err)
    if field is not None:
        assert err.field == field, str(err)
    assert fragment in err.message, str(err)
    assert err.fix, str(err)
    assert err.line is not None or err.field is not None, str(err)
    text = str(err)
    assert named in text and "Fix:" in text


def test_error_line_points_at_the_key(tiny: Path) -> None:
    edit(tiny, "    location: Port\n", "    location: Portt\n")
    lines = tiny.read_text().splitlines()
    with pytest.raises(ScenarioError) as info:
        load_corridor_scenario(tiny)
    assert info.value.line is not None
    assert lines[info.value.line - 1] == "    location: Portt"


def test_csv_error_gives_line_and_column(tiny: Path) -> None:
    edit(tiny.parent / "links.csv", "Gamma,Delta,1250", "Gamma,Deltaa,1250")
    with pytest.raises(ScenarioError) as info:
        load_corridor_scenario(tiny)
    assert (info.value.line, info.value.column) == (4, "to")


@pytest.mark.parametrize("content", [b"- a\n- b\n", b"", b"\xff\xfe\x00bad", b"name: [unclosed\n"])
def test_unreadable_or_non_mapping_documents(tiny: Path, content: bytes) -> None:
    tiny.write_bytes(content)
    with pytest.raises(ScenarioError) as info:
        load_corridor_scenario(tiny)
    assert info.value.file is not None and info.value.file.endswith("scenario.yaml")


def test_non_utf8_table(tiny: Path) -> None:
    (tiny.parent / "locations.csv").write_bytes(b"name,kind\n\xff\xfe,town\n")
    with pytest.raises(ScenarioError, match="UTF-8"):
        load_corridor_scenario(tiny)


def test_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="mexico-us"):
        load_corridor_scenario("no-such-scenario")
    with pytest.raises(ScenarioError, match=r"no scenario\.yaml"):
        load_corridor_scenario(tmp_path)


# ---------------------------------------------------------------------------- the built-in
BUILTIN = ROOT / "src" / "corredor" / "data" / "corridor" / "mexico-us"


@pytest.fixture(scope="module")
def mexico_us() -> Any:
    return load_corridor_scenario("mexico-us")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_builtin_validates(mexico_us: Any) -> None:
    assert mexico_us.counts() == {
        "locations": 53,
        "links": 71,
        "services": 26,
        "policy events": 23,
        "observables": 43,
    }
    assert (mexico_us.start, mexico_us.end) == (dt.date(2013, 1, 1), HORIZON)
    assert set(mexico_us.nationalities) == {
        "GTM", "HND", "SLV", "MEX", "VEN", "CUB", "HTI", "NIC", "ECU", "OTH"
    }  # fmt: skip
    assert {o.nationality for o in mexico_us.origins} == set(mexico_us.nationalities)
    assert mexico_us.calibration_horizon == HORIZON


def test_builtin_every_location_and_link_has_a_source() -> None:
    for name in ("locations.csv", "links.csv"):
        rows = read_csv(BUILTIN / name)
        assert rows
        assert all(r["source"].strip() for r in rows), name
    geonames = [r for r in read_csv(BUILTIN / "locations.csv") if r["role"] != "corredor_addition"]
    assert len(geonames) == 51  # the compilation's 47 and 4 places of the extra-regional routes
    assert all("GeoNames" in r["source"] and r["lat"] and r["lon"] for r in geonames)


def test_builtin_no_observed_value_after_september_2021() -> None:
    files = sorted((BUILTIN / "observed").glob("*.csv"))
    assert len(files) == 9
    for path in files:
        for row in read_csv(path):
            assert dt.date.fromisoformat(row["period_end"]) <= HORIZON, (path.name, row)
            assert dt.date.fromisoformat(row["period_start"]) >= dt.date(2013, 1, 1)
            if "date" in row:
                assert dt.date.fromisoformat(row["date"]) <= HORIZON
            assert row["source"].strip(), (path.name, row)


def test_builtin_observables_read_copied_files(mexico_us: Any) -> None:
    for ob in mexico_us.observables:
        assert ob.data is not None and ob.data.file.startswith("observed/"), ob.name


def test_builtin_driver_rows_are_sourced_and_flagged(mexico_us: Any) -> None:
    for origin in mexico_us.origins:
        for point in origin.series:
            # observed points only (the engine interpolates and holds; nothing filled in from a
            # later point), each with the end of the period it describes
            assert point.value_type in {"observed", "derived", "derived_lower_bound", "exact",
                                        "estimate"}, point  # fmt: skip
            assert point.source.strip()
            assert point.period_end is not None and point.date <= point.period_end <= HORIZON


def test_builtin_calibration_parameters_are_used_and_documented(mexico_us: Any) -> None:
    used = {site.param.ref for site in iter_params(mexico_us)}
    used |= {p.ref for link in mexico_us.links.rows for p in (link.km, link.speed, link.risk)}
    used |= {c.ref for e in mexico_us.events for c in e.changes if c.ref}  # policy magnitudes
    # the parameters that play the engine's roles (roles: block, else conventional names)
    sources = {mexico_us.roles.source(role) for role in PARAMETER_ROLES}
    used |= {s.removeprefix("calibration.") for s in sources if s.startswith("calibration.")}
    for f in sorted((BUILTIN / "counterfactuals").glob("*.yaml")):  # levers
        used |= {c.ref for e in load_scenario_events(mexico_us, f) for c in e.changes if c.ref}
    levers = {n for n, p in mexico_us.calibration.items() if p.status == "lever"}
    assert levers <= used - {c.ref for e in mexico_us.events for c in e.changes if c.ref}
    assert set(mexico_us.calibration) <= used
    for name, cal in mexico_us.calibration.items():
        assert cal.status in {"hand-set", "calibrated", "lever"}, name
        assert len(cal.description) > 10, name


# ---------------------------------------------------------------------------- CSV tables
text_chars = st.characters(
    codec="utf-8",
    categories=("L", "N", "P", "Zs"),
    exclude_characters="\x00",
)
cell = (
    st.text(text_chars, min_size=1, max_size=12)
    .map(str.strip)
    .filter(lambda s: s != "" and not s.startswith("#"))
)
ident = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(lambda s: s != "none")
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def location_rows(draw: st.DrawFn) -> Location:
    data: dict[str, Any] = {
        "name": draw(cell),
        "kind": draw(st.sampled_from(["origin", "town", "port", "destination"])),
        "country": draw(cell),
        "lat": draw(st.none() | st.floats(-90, 90)),
        "lon": draw(st.none() | st.floats(-180, 180)),
        "population": draw(st.none() | st.integers(0, 10**9)),
        "shelter_capacity": draw(st.none() | st.integers(0, 10**6)),
        "source": draw(cell),
        "note": draw(st.just("") | cell),
    }
    return Location.model_validate(data)


@st.composite
def link_rows(draw: st.DrawFn) -> Link:
    data: dict[str, Any] = {
        "from": draw(cell),
        "to": draw(cell),
        "km": draw(st.floats(0, 1e5) | ident.map(lambda s: f"${s}")),
        "km_type": draw(st.just("") | ident),
        "mode": draw(st.sampled_from(["road", "bus", "train", "foot", "flight"])),
        "speed": draw(st.floats(0, 1e4) | ident.map(lambda s: f"${s}")),
        "risk": draw(st.floats(0, 1) | ident.map(lambda s: f"${s}")),
        "enforcement_exposure": draw(st.none() | ident),
        "directed": draw(st.booleans()),
        "source": draw(cell),
    }
    return Link.model_validate(data)


@st.composite
def driver_rows(draw: st.DrawFn) -> DriverPoint:
    data: dict[str, Any] = {
        "date": draw(st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31))),
        "driver": draw(ident),
        "value": draw(finite),
        "value_type": draw(st.sampled_from(["", "observed", "interpolated"])),
        "source": draw(cell),
    }
    return DriverPoint.model_validate(data)


TABLES = {Location: location_rows(), Link: link_rows(), DriverPoint: driver_rows()}
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def tables(draw: st.DrawFn) -> tuple[type[Any], list[Any]]:
    model = draw(st.sampled_from(list(TABLES)))
    return model, draw(st.lists(TABLES[model], min_size=1, max_size=6))


@FAST
@given(tables())
def test_valid_tables_round_trip(tmp_path_factory: Any, table: tuple[type[Any], list[Any]]) -> None:
    model, rows = table
    path = tmp_path_factory.mktemp("t") / "table.csv"
    path.write_text(table_text(rows, COLUMNS[model]), encoding="utf-8")
    read, lines = read_table(path, model)
    assert list(read) == rows
    assert len(lines) == len(rows)


corruption = st.one_of(
    st.tuples(st.just("replace"), st.integers(0, 10**6), st.sampled_from(list(',"\n\r#x-;\x00\\'))),
    st.tuples(st.just("delete_line"), st.integers(0, 10**6), st.just("")),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just("")),
    st.tuples(st.just("bytes"), st.integers(0, 10**6), st.sampled_from(["\udcff", "\ufeff"])),
    st.tuples(st.just("blank_cell"), st.integers(0, 10**6), st.just("")),
)


def corrupt(text: str, how: tuple[str, int, str]) -> str:
    """One corruption of a table's text (lone surrogates stand for undecodable bytes)."""
    kind, at, char = how
    i = at % len(text)
    if kind == "replace":
        return text[:i] + char + text[i + 1 :]
    if kind == "delete_line":
        lines = text.splitlines(keepends=True)
        del lines[at % len(lines)]
        return "".join(lines)
    if kind == "truncate":
        return text[:i]
    if kind == "bytes":
        return text[:i] + char + text[i:]
    cells = text.split(",")
    cells[at % len(cells)] = ""
    return ",".join(cells)


@FAST
@given(tables(), st.lists(corruption, min_size=1, max_size=3))
def test_corrupt_tables_raise_only_scenario_errors(
    tmp_path_factory: Any, table: tuple[type[Any], list[Any]], hows: list[tuple[str, int, str]]
) -> None:
    model, rows = table
    text = table_text(rows, COLUMNS[model])
    for how in hows:
        text = corrupt(text, how) if text else text
    path = tmp_path_factory.mktemp("c") / "table.csv"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    try:
        read_table(path, model)
    except ScenarioError as exc:
        assert exc.file == str(path)


@FAST
@given(tables(), st.integers(0, 100), st.sampled_from(["abc", "1e999", "nan", "--", "$", "$9x"]))
def test_bad_numbers_are_reported_at_their_row(
    tmp_path_factory: Any, table: tuple[type[Any], list[Any]], pick: int, bad: str
) -> None:
    model, rows = table
    column = {Location: "lat", Link: "km", DriverPoint: "value"}[model]
    columns = COLUMNS[model]
    row = pick % len(rows)
    out = table_text(rows, columns).splitlines()
    records = list(csv.reader(out))
    records[row + 1][columns.index(column)] = bad
    path = tmp_path_factory.mktemp("n") / "table.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(records)
    with pytest.raises(ScenarioError) as info:
        read_table(path, model)
    assert info.value.column == column
    assert info.value.line == row + 2  # header on line 1; cells hold no line breaks


def test_table_cells_with_commas_quotes_and_accents(tmp_path: Path) -> None:
    row = Location.model_validate(
        {
            "name": "Ciudad Juárez",
            "kind": "border_city",
            "country": "Mexico",
            "source": 'GeoNames, "cities"',
            "note": "a,b",
        }
    )
    path = tmp_path / "l.csv"
    path.write_text(table_text([row], COLUMNS[Location]), encoding="utf-8")
    assert read_table(path, Location)[0] == (row,)


def test_scenario_verbs_are_the_engine_verbs() -> None:
    """The YAML verbs and the service engine's outcome codes name the same things."""
    from corredor.engine.services import Verb
    from corredor.scenario.corridor.services import VERBS

    engine = {v.name.lower() for v in Verb} - {"die"}  # mortality needs scenario data
    assert set(VERBS) == engine
