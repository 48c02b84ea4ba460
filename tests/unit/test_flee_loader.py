"""Reading Flee 3.1 scenario directories (corredor.scenario.flee.loader and friends)."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corredor.errors import ScenarioError
from corredor.scenario.flee import FleeScenario, load_flee_scenario
from corredor.scenario.flee.datatable import interpolate, read_data_layout, truncate

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = ("mali2012", "burundi2015", "mali2012_flee31era", "burundi_flee31era")


def scenario_root() -> Path:
    """Where the four shared Flee scenarios live: package data, else ``../shared`` beside the
    repository (a clean CI clone has ``shared/`` next to it)."""
    for candidate in (
        REPO / "src" / "corredor" / "data" / "flee",
        REPO.parent / "shared" / "flee-scenarios",
    ):
        if (candidate / "mali2012").is_dir():
            return candidate
    pytest.skip("Flee scenarios not found (src/corredor/data/flee or ../shared/flee-scenarios)")


_CACHE: dict[tuple[str, int | None], FleeScenario] = {}


def load(name: str, hasten: int | None = None) -> FleeScenario:
    key = (name, hasten)
    if key not in _CACHE:
        _CACHE[key] = load_flee_scenario(scenario_root() / name, hasten=hasten)
    return _CACHE[key]


# --------------------------------------------------------------------------- shared scenarios
@pytest.mark.parametrize(
    ("name", "sizes", "start"),
    [
        # (locations, links, camps, days, conflicts.csv columns)
        ("mali2012", (23, 35, 7, 300, 23), dt.date(2012, 2, 29)),
        ("mali2012_flee31era", (23, 35, 7, 300, 23), dt.date(2012, 2, 29)),
        ("burundi2015", (30, 41, 5, 396, 30), dt.date(2015, 5, 1)),
        ("burundi_flee31era", (30, 41, 5, 396, 30), dt.date(2015, 5, 1)),
    ],
)
def test_shared_scenarios_shape(name: str, sizes: tuple[int, ...], start: dt.date) -> None:
    n_loc, n_links, camps, length, n_conflict_cols = sizes
    sc = load(name)
    assert sc.name == name
    assert (sc.n_locations, sc.n_links, sc.n_camps) == (n_loc, n_links, camps)
    assert (sc.length, sc.start_date, sc.hasten) == (length, start, 1)
    assert sc.observed.shape == (length, camps)
    assert sc.observed_total.shape == sc.total_int.shape == (length,)
    assert sc.conflict_values is not None
    assert sc.conflict_values.shape == (length, n_conflict_cols)
    assert len(sc.conflict_index) == n_conflict_cols
    assert [sc.names[i] for i in sc.conflict_index] == sc.conflict_names
    assert sc.lat.dtype == sc.lon.dtype == np.float64
    assert sc.population.dtype == sc.capacity.dtype == np.int64
    assert sc.link_a.dtype == sc.link_b.dtype == np.int32
    assert sc.link_forced.dtype == np.int8
    assert set(sc.kind) <= {"conflict", "town", "camp", "idpcamp", "forward", "marker"}
    assert [sc.names[i] for i in sc.camp_index] == sc.camp_names
    assert not sc.population.flags.writeable


# Expected values obtained once by running Flee 3.1's own DataTable under the Flee venv:
#   d = handle_refugee_data.RefugeeTable(csvformat="generic", data_directory=".../source_data",
#       start_date=<StartDate>, data_layout="data_layout.csv", population_scaledown_factor=h)
#   d.ReadL1Corrections(".../input_csv/registration_corrections.csv"); d.get_field(name, day)
# (the loader matched every camp and day of all four scenarios for hasten 1, 7 and 10).
FLEE_GET_FIELD = [
    ("mali2012", 1, "Fassala-Mbera", 0, 9265),
    ("mali2012", 1, "Fassala-Mbera", 150, 50041),
    ("mali2012", 1, "Mentao", 100, 5380),
    ("mali2012", 1, "Abala", 299, 11067),
    ("mali2012", 1, "Niamey", 37, 235),
    ("mali2012", 1, "total", 0, 20075),
    ("mali2012", 1, "total", 1, 20818),
    ("mali2012", 1, "total", 299, 147263),
    ("mali2012", 10, "Fassala-Mbera", 0, 926),
    ("mali2012", 10, "Mangaize", 123, 201),
    ("mali2012", 10, "total", 50, 6287),
    ("burundi2015", 1, "Nyarugusu", 0, 191),
    ("burundi2015", 1, "Nduta", 200, 21952),
    ("burundi2015", 1, "Lusenda", 120, 155),
    ("burundi2015", 1, "Mahama", 395, 49336),
    ("burundi2015", 1, "total", 0, 12118),
    ("burundi2015", 1, "total", 395, 265492),
    ("burundi_flee31era", 7, "Nakivale", 60, 1301),
    ("burundi_flee31era", 7, "Mahama", 33, 3433),
    ("burundi_flee31era", 7, "total", 100, 24914),
    ("mali2012_flee31era", 1, "Tabareybarey", 280, 6198),
    ("mali2012_flee31era", 1, "Bobo-Dioulasso", 75, 1092),
]


@pytest.mark.parametrize(("name", "hasten", "series", "day", "expected"), FLEE_GET_FIELD)
def test_observed_equals_flee_datatable(
    name: str, hasten: int, series: str, day: int, expected: int
) -> None:
    sc = load(name, hasten)
    if series == "total":
        assert sc.total_int[day] == expected
        assert sc.observed_total[day] == float(expected)
    else:
        assert sc.observed[day, sc.camp_names.index(series)] == float(expected)


def test_total_daily_difference_matches_flee() -> None:
    # Flee 3.1: d.get_daily_difference(t, FullInterpolation=True, SumFromCamps=False)
    assert [load("mali2012").total_daily_difference(t) for t in range(5)] == [
        20075,
        743,
        744,
        744,
        743,
    ]
    assert [load("burundi2015").total_daily_difference(t) for t in range(3)] == [12118, 1796, 1795]


def test_mali_locations() -> None:
    sc = load("mali2012")
    kidal = sc.location_index("Kidal")
    assert (sc.kind[kidal], sc.population[kidal], sc.conflict_date[kidal]) == ("conflict", 25617, 0)
    assert sc.conflict_type[kidal] and sc.conflict_intensity[kidal] == 1.0
    assert (sc.lat[kidal], sc.lon[kidal]) == (18.444305, 1.401523)
    bamako = sc.location_index("Bamako")  # conflict_date 163 > 0: a town until conflicts.csv
    assert (sc.kind[bamako], bool(sc.conflict_type[bamako]), sc.conflict_date[bamako]) == (
        "town",
        True,
        163,
    )
    mopti = sc.location_index("Mopti")
    assert (sc.kind[mopti], bool(sc.conflict_type[mopti]), sc.conflict_date[mopti]) == (
        "town",
        False,
        -1,
    )
    camp = sc.location_index("Fassala-Mbera")
    assert (sc.kind[camp], sc.capacity[camp], sc.population[camp]) == ("camp", 75882, 0)
    assert sc.capacity[mopti] == -1
    assert sc.home_country == "Mali"
    assert sc.foreign[camp] and not sc.foreign[kidal]
    assert sc.camp_names == [
        "Fassala-Mbera",
        "Mentao",
        "Bobo-Dioulasso",
        "Abala",
        "Mangaize",
        "Niamey",
        "Tabareybarey",
    ]
    assert [(c.kind, c.name1, c.name2, c.start, c.end) for c in sc.closures] == [
        ("country", "Mali", "Burkina_Faso", 0, 22),
        ("country", "Mali", "Niger", 0, 33),
    ]
    first = (sc.names[sc.link_a[0]], sc.names[sc.link_b[0]], sc.link_distance[0])
    assert first == ("Douentza", "Mentao", 487.0)
    assert np.isnan(sc.link_attributes["max_move_speed"]).all()
    assert (sc.link_attributes["walk_probability"] == 0.0).all()
    assert sc.settings.ignored_keys == ["spawn_rules.sum_from_camps", "move_rules.capacity_scaling"]


def test_flee31era_quoted_files_and_extras() -> None:
    sc = load("mali2012_flee31era")
    assert sc.names[0] == "Kidal"  # the quoted header "#name" is a comment once unquoted
    assert sc.attributes["IPC"][:3] == ["3", "4", "4"]
    gender = sc.demographics["gender"]
    assert gender.values == ["male", "female"]
    np.testing.assert_array_equal(gender.weights, [0.995, 1.005])
    assert set(sc.demographics) == {"age", "ethnicity", "gender"}
    assert sc.agents_csv is None


def test_burundi_forwarding_hub_forced_links_and_unused_conflict_columns() -> None:
    sc = load("burundi2015")
    assert sc.kind[sc.location_index("Kagunga")] == "forward"
    assert sorted(sc.link_forced.tolist()).count(2) == 2
    assert set(sc.link_forced.tolist()) == {0, 2}
    assert sc.population[sc.location_index("Bubanza")] == 0  # empty population → 0
    old = load("burundi_flee31era")
    assert "Isale" not in old.conflict_names
    assert any("Isale" in w for w in old.warnings)  # all-zero column naming no location


def test_hasten_and_days_override(tmp_path: Path) -> None:
    base = load("mali2012")
    fast = load_flee_scenario(scenario_root() / "mali2012", hasten=10, days=40)
    assert (fast.hasten, fast.length, fast.settings.hasten) == (10, 40, 10)
    np.testing.assert_array_equal(fast.population, base.population // 10)
    assert fast.observed.shape == (40, 7)
    assert fast.conflict_values is not None and fast.conflict_values.shape[0] == 300


# --------------------------------------------------------------------------- malformed copies
def copy_scenario(tmp_path: Path, name: str = "mali2012") -> Path:
    dst = tmp_path / name
    shutil.copytree(scenario_root() / name, dst)
    return dst


def edit(path: Path, change: Callable[[list[str]], list[str]]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")


def replace_line(n: int, text: str) -> Callable[[list[str]], list[str]]:
    def change(lines: list[str]) -> list[str]:
        lines[n - 1] = text
        return lines

    return change


def error_of(root: Path, **kwargs: int) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_flee_scenario(root, **kwargs)
    return info.value


def test_missing_locations_file(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    (root / "input_csv" / "locations.csv").unlink()
    err = error_of(root)
    assert err.file is not None and err.file.endswith("input_csv/locations.csv")
    assert "not found" in err.message and err.fix is not None


def test_unknown_location_in_routes(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    edit(root / "input_csv" / "routes.csv", replace_line(3, "Mopti,Atlantis,360,0"))
    err = error_of(root)
    assert (err.file, err.line, err.column) == ("input_csv/routes.csv", 3, "name2")
    assert "Atlantis" in str(err)


def test_bad_distance(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    edit(root / "input_csv" / "routes.csv", replace_line(5, "Segou,Bobo-Dioulasso,far,0"))
    err = error_of(root)
    assert (err.file, err.line, err.column) == ("input_csv/routes.csv", 5, "distance")
    assert err.expected == "a distance in km"


def test_bad_population(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    edit(
        root / "input_csv" / "locations.csv",
        replace_line(2, "Kidal,Kidal,Mali,18.444305,1.401523,conflict_zone,0,25k"),
    )
    err = error_of(root)
    assert (err.file, err.line, err.column) == ("input_csv/locations.csv", 2, "population")


def test_too_few_columns(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    edit(root / "input_csv" / "locations.csv", replace_line(4, "Niafounke,Timbuktu,Mali,15.9"))
    err = error_of(root)
    assert (err.file, err.line) == ("input_csv/locations.csv", 4)
    assert "at least 8" in err.message


@pytest.mark.parametrize(
    ("name", "line", "row", "header"),
    [
        ("locations.csv", 4, "Niafounke,Timbuktu,Mali,15.9,-4.0,town,0,0,extra", "#name,region"),
        ("routes.csv", 3, "Mopti,Segou,360,0,extra", "#name1,name2,distance"),
    ],
)
def test_a_row_wider_than_its_header(
    tmp_path: Path, name: str, line: int, row: str, header: str
) -> None:
    root = copy_scenario(tmp_path)
    edit(root / "input_csv" / name, replace_line(line, row))
    err = error_of(root)
    assert (err.file, err.line) == (f"input_csv/{name}", line)
    assert "columns but the header names only" in err.message
    assert err.fix is not None and header in err.fix


def test_unknown_location_type(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    edit(
        root / "input_csv" / "locations.csv",
        replace_line(14, "Mopti,Mopti,Mali,14.4877,-4.1887,village,,148456"),
    )
    err = error_of(root)
    assert (err.line, err.column) == (14, "location_type")


def test_camp_without_validation_series(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    edit(root / "source_data" / "data_layout.csv", lambda lines: lines[:-1])  # drops Niamey
    err = error_of(root)
    assert err.file == "source_data/data_layout.csv"
    assert "Niamey" in err.message and "Niamey,<file>.csv" in err.message


def test_missing_series_file(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    (root / "source_data" / "nig-abala.csv").unlink()
    err = error_of(root)
    assert (err.file, err.line, err.column) == ("source_data/data_layout.csv", 5, 2)
    assert "nig-abala.csv" in err.message


def test_bad_count_in_series(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    edit(root / "source_data" / "bf-bobo.csv", replace_line(2, "2012-03-01,lots"))
    err = error_of(root)
    assert (err.file, err.line, err.column) == ("source_data/bf-bobo.csv", 2, "count")


def test_registration_correction_for_unknown_camp(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    edit(
        root / "input_csv" / "registration_corrections.csv",
        replace_line(2, "Atlantis,2012-10-03,normalize"),
    )
    err = error_of(root)
    assert (err.file, err.line, err.column) == ("input_csv/registration_corrections.csv", 2, "camp")
    assert "Atlantis" in err.message


def test_conflicts_too_short(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    edit(root / "input_csv" / "conflicts.csv", lambda lines: lines[:101])
    err = error_of(root)
    assert err.file == "input_csv/conflicts.csv"
    assert "100 day rows" in err.message and "300" in err.message
    load_flee_scenario(root, days=100)  # long enough for 100 days


def test_conflicts_unknown_location(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    edit(
        root / "input_csv" / "conflicts.csv",
        lambda ls: [ls[0].replace(" Kidal", " Kidall"), *ls[1:]],
    )
    err = error_of(root)
    assert (err.file, err.line, err.column) == ("input_csv/conflicts.csv", 1, "Kidall")


def test_closures_are_checked(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    closures = root / "input_csv" / "closures.csv"
    edit(closures, replace_line(3, "country,Mali,Narnia,0,33"))
    err = error_of(root)
    assert (err.file, err.line, err.column) == ("input_csv/closures.csv", 3, "name2")
    edit(closures, replace_line(3, "border,Mali,Niger,0,33"))
    assert error_of(root).column == "closure_type"
    edit(closures, replace_line(3, "country,Mali,Niger,zero,33"))
    assert error_of(root).column == "closure_start"


def test_missing_period(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    (root / "input_csv" / "sim_period.csv").unlink()
    err = error_of(root)
    assert err.file is not None and "conflict_period.csv" in err.file


def test_series_files_added_as_flee_does(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    data = root / "source_data"
    edit(data / "data_layout.csv", replace_line(6, "Mangaize,nig-mangaize.csv,extra.csv"))
    (data / "extra.csv").write_text("2012-06-01,5\n2012-07-01,7\n", encoding="utf-8")
    err = error_of(root)  # AddCSVTables fails in 3.1 when file 1 starts before the added file
    assert (err.file, err.line, err.column) == ("source_data/data_layout.csv", 6, 3)


def test_agents_csv(tmp_path: Path) -> None:
    root = copy_scenario(tmp_path)
    settings = root / "simsetting.yml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace(
            "spawn_rules:\n", "spawn_rules:\n  read_from_agents_csv_file: True\n"
        ),
        encoding="utf-8",
    )
    agents = root / "input_csv" / "agents.csv"
    agents.write_text("location,age\nKidal,5\n#skip\nGao,7\nKidal,5\n", encoding="utf-8")
    sc = load_flee_scenario(root)
    assert sc.agents_csv is not None
    assert [sc.names[i] for i in sc.agents_csv.location] == ["Kidal", "Gao", "Kidal"]
    age = sc.agents_csv.attributes["age"]
    assert [age.values[c] for c in age.codes] == ["5", "7", "5"]
    agents.write_text("location,age\nKidal,5\nGao,7\nAtlantis,1\n", encoding="utf-8")
    err = error_of(root)
    assert (err.file, err.line) == ("input_csv/agents.csv", 4)


# --------------------------------------------------------------------------- property tests
def get_interpolated_data_31(table: np.ndarray, day: int) -> int:
    """Flee 3.1's DataTable.get_interpolated_data, transliterated (the oracle)."""
    old_val = table[0, 1]
    old_day = table[0, 0]
    if day <= old_day:
        return int(old_val)
    for i in range(1, len(table)):
        if day < table[i, 0]:
            old_val = table[i - 1, 1]
            old_day = table[i - 1, 0]
            fraction = float(day - old_day) / float(table[i, 0] - old_day)
            if fraction > 1.0:
                return -1
            return int(old_val + fraction * float(table[i, 1] - old_val))
    return int(table[-1, 1])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-50, 120), st.integers(0, 10**6)), min_size=1, max_size=12),
    st.integers(1, 13),
)
def test_interpolation_matches_flee_even_unsorted(rows: list[tuple[int, int]], hasten: int) -> None:
    table = np.array([[day, count / hasten] for day, count in rows], dtype=np.float64)
    days = np.arange(-60, 130)
    expected = [get_interpolated_data_31(table, int(d)) for d in days]
    assert truncate(interpolate(table, days)).tolist() == expected


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.integers(0, 200), st.integers(0, 10**6), min_size=1, max_size=10),
    st.integers(1, 20),
    st.booleans(),
)
def test_series_round_trip(observations: dict[int, int], hasten: int, date_header: bool) -> None:
    start = dt.date(2020, 1, 1)
    lines = ["Date,count"] if date_header else []
    lines += [f"{start + dt.timedelta(days=d)},{n}" for d, n in sorted(observations.items())]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "source_data"
        folder.mkdir()
        (folder / "camp.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (folder / "data_layout.csv").write_text("A,camp.csv\n", encoding="utf-8")
        layout = read_data_layout(folder, start, hasten)
    days = sorted(observations)
    values = layout.field("A", days[-1] + 5)
    for d in days:  # at an observation day: int(count / hasten)
        assert values[d] == int(observations[d] / hasten)
    assert (values[: days[0] + 1] == int(observations[days[0]] / hasten)).all()
    assert (values[days[-1] :] == int(observations[days[-1]] / hasten)).all()
