"""Load a Flee 3.1 scenario directory into plain arrays: :func:`load_flee_scenario`.

Layout (docs/flee-notes.md §2)::

    <scenario>/simsetting.yml            optional here (defaults), always present in FabFlee
    <scenario>/input_csv/locations.csv   required
    <scenario>/input_csv/routes.csv      required
    <scenario>/input_csv/closures.csv    optional here (3.1 needs it, header only is fine)
    <scenario>/input_csv/conflicts.csv   optional
    <scenario>/input_csv/conflict_period.csv | sim_period.csv   required (3.1's name first)
    <scenario>/input_csv/registration_corrections.csv          optional
    <scenario>/input_csv/demographics_*.csv, agents.csv         optional
    <scenario>/source_data/data_layout.csv + series files       required when there are camps
                                                                or data-driven spawning
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from corredor.engine.capacity import check_days, check_memory
from corredor.errors import ScenarioError
from corredor.scenario.flee._csv import parse_date, parse_int, read_rows
from corredor.scenario.flee.conflicts import read_conflicts
from corredor.scenario.flee.datatable import (
    apply_registration_corrections,
    read_data_layout,
)
from corredor.scenario.flee.geography import Closure, read_closures, read_locations, read_routes
from corredor.scenario.flee.population import (
    AgentsCsv,
    Demographic,
    read_agents_csv,
    read_demographics,
)
from corredor.scenario.flee.settings import FleeSettings, Optimisations, load_settings

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]

INPUT_DIR = "input_csv"
DATA_DIR = "source_data"
PERIOD_FILES = ("conflict_period.csv", "sim_period.csv")
CAMP_KINDS = ("camp", "idpcamp")


@dataclass(frozen=True)
class FleeScenario:
    """A Flee scenario as arrays (docs/flee-notes.md §2). Arrays are read-only; copy to modify.

    Locations (one entry per ``locations.csv`` row, in file order):
        ``names``, ``regions``, ``countries`` (empty → ``"unknown"``), ``lat`` (column 3),
        ``lon`` (column 4; empty → 0.0), ``kind`` ∈ conflict/town/camp/idpcamp/forward/marker
        (3.1's substring rules; conflict rows with ``conflict_date`` > 0 are ``town`` until
        conflicts.csv switches them on, and a town whose move chance is < 0.005 is a camp),
        ``conflict_type`` (the type names a conflict zone), ``conflict_date`` (-1 for other
        types), ``population`` (non-camps, ``int(int(x) // hasten)``, camps 0), ``capacity``
        (camps, same scaling, 0 = unlimited; -1 for non-camps as in 3.1), ``conflict_intensity``
        (attribute column, default 1.0), ``foreign`` (country ≠ ``home_country``, the country of
        the first row), ``attributes`` (extra columns as strings, "" where a row lacks them).
    Links (one entry per ``routes.csv`` row; each is two-way):
        ``link_a``, ``link_b``, ``link_distance`` (km), ``link_forced`` (0/1/2; 3.1 builds a
        duplicate ordinary pair for 1 and reverses the pair for 2), ``link_attributes``
        (``max_move_speed`` NaN = global speed, ``walk_probability`` 0 when absent, other
        columns as strings).
    Conflicts: ``conflict_names``, ``conflict_index`` (location of each column),
        ``conflict_values`` (day rows × columns; ``None`` without conflicts.csv).
    Validation: ``camp_names``/``camp_index`` (camps and IDP camps in location order),
        ``observed`` (length × camps) = 3.1's ``get_field(camp, t)``, ``observed_total`` and
        ``total_int`` = ``get_field("total", t)`` (zeros when unused and absent).
    """

    name: str
    path: Path
    settings: FleeSettings
    start_date: dt.date
    length: int
    hasten: int
    # locations
    names: list[str]
    regions: list[str]
    countries: list[str]
    lat: FloatArray
    lon: FloatArray
    kind: list[str]
    conflict_type: BoolArray
    conflict_date: IntArray
    population: IntArray
    capacity: IntArray
    conflict_intensity: FloatArray
    foreign: BoolArray
    attributes: dict[str, list[str]]
    home_country: str
    # links
    link_a: Int32Array
    link_b: Int32Array
    link_distance: FloatArray
    link_forced: npt.NDArray[np.int8]
    link_attributes: dict[str, npt.NDArray[np.generic]]
    # events
    closures: list[Closure]
    conflict_names: list[str]
    conflict_index: Int32Array
    conflict_values: FloatArray | None
    # validation data
    camp_names: list[str]
    camp_index: Int32Array
    observed: FloatArray
    observed_total: FloatArray
    total_int: IntArray
    # agents
    demographics: dict[str, Demographic]
    agents_csv: AgentsCsv | None
    warnings: list[str] = field(default_factory=list)

    @property
    def n_locations(self) -> int:
        return len(self.names)

    @property
    def n_links(self) -> int:
        return len(self.link_a)

    @property
    def n_camps(self) -> int:
        return len(self.camp_names)

    def location_index(self, name: str) -> int:
        """Index of the location called ``name`` (KeyError if there is none)."""
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(name) from None

    def total_daily_difference(self, day: int) -> int:
        """3.1's ``get_daily_difference(day, SumFromCamps=False)``: the new refugees of a day.

        ``int(total[0])`` on day 0, else ``int(total[day]) - int(total[day - 1])``.
        """
        if day == 0:
            return int(self.total_int[0])
        return int(self.total_int[day]) - int(self.total_int[day - 1])


def _settings(root: Path, hasten: int | None, warnings: list[str]) -> FleeSettings:
    """``simsetting.yml`` (3.1's defaults when absent, with a warning), ``hasten`` replaced."""
    settings_path = root / "simsetting.yml"
    if settings_path.exists() or settings_path.is_symlink():
        settings = load_settings(settings_path, root=root)
    else:
        settings = load_settings(None)
        warnings.append(f"{settings_path}: not found; using Flee 3.1's default settings")
    if hasten is not None:
        if hasten < 1:
            raise ScenarioError(
                None, f"hasten is {hasten}", field="hasten", expected="a positive integer"
            )
        settings = settings.model_copy(update={"optimisations": Optimisations(hasten=hasten)})
    return settings


def load_flee_scenario(
    path: str | Path, *, hasten: int | None = None, days: int | None = None
) -> FleeScenario:
    """Read a Flee 3.1 scenario directory exactly as Flee 3.1 does.

    ``hasten`` replaces ``optimisations.hasten`` of simsetting.yml; ``days`` replaces the
    ``Length`` of the period file. Every input problem raises
    :class:`~corredor.errors.ScenarioError` naming the file, line and column.
    """
    given = Path(path)
    root = given.resolve()  # files are read inside this folder (the one reader checks)
    if not given.is_dir():
        raise ScenarioError(
            given,
            "is not a directory",
            fix="give the folder that holds input_csv/ and source_data/",
        )
    warnings: list[str] = []
    settings = _settings(root, hasten, warnings)
    scale = settings.hasten

    inputs = root / INPUT_DIR
    if not inputs.is_dir():
        raise ScenarioError(
            inputs, "folder not found", fix="put locations.csv, routes.csv, … in input_csv/"
        )
    start, length = _read_period(inputs, days, root)

    loc = read_locations(
        _required(inputs, "locations.csv"), _shown("locations.csv"), settings, root=root
    )
    warnings += loc.warnings
    links = read_routes(_required(inputs, "routes.csv"), _shown("routes.csv"), loc.names, root=root)
    closures_path = inputs / "closures.csv"
    closures: list[Closure] = []
    if _present(closures_path):
        closures = read_closures(
            closures_path, _shown("closures.csv"), loc.names, loc.countries, root=root
        )
    else:
        warnings.append(
            f"{closures_path}: not found; no closures (Flee 3.1 needs the file, "
            "a header line is enough)"
        )

    conflict_names: list[str] = []
    conflict_index = np.zeros(0, dtype=np.int32)
    conflict_values: FloatArray | None = None
    if _present(inputs / "conflicts.csv"):
        conflicts = read_conflicts(
            inputs / "conflicts.csv", _shown("conflicts.csv"), loc.names, length, root=root
        )
        conflict_names, conflict_index = conflicts.names, conflicts.index
        conflict_values = conflicts.values
        warnings += conflicts.warnings

    camp_index = np.array(
        [k for k, kind in enumerate(loc.kind) if kind in CAMP_KINDS], dtype=np.int32
    )
    camp_names = [loc.names[k] for k in camp_index]
    observed = np.zeros((length, len(camp_names)))
    total_int = np.zeros(length, dtype=np.int64)
    data_driven = settings.spawn_rules.conflict_driven_spawning is None
    if camp_names or data_driven:
        observed, total_int = _read_validation(
            root,
            start=start,
            length=length,
            hasten=scale,
            camp_names=camp_names,
            need_total=data_driven,
        )

    demographics, notes = read_demographics(inputs, loc.names, root=root)
    warnings += notes
    agents_csv = None
    if settings.spawn_rules.read_from_agents_csv_file:
        agents_csv = read_agents_csv(
            inputs / "agents.csv", _shown("agents.csv"), loc.names, root=root
        )

    scenario = FleeScenario(
        name=root.resolve().name,
        path=given,
        settings=settings,
        start_date=start,
        length=length,
        hasten=scale,
        names=loc.names,
        regions=loc.regions,
        countries=loc.countries,
        lat=loc.lat,
        lon=loc.lon,
        kind=loc.kind,
        conflict_type=loc.conflict_type,
        conflict_date=loc.conflict_date,
        population=loc.population,
        capacity=loc.capacity,
        conflict_intensity=loc.conflict_intensity,
        foreign=loc.foreign,
        attributes=loc.attributes,
        home_country=loc.home_country,
        link_a=links.a,
        link_b=links.b,
        link_distance=links.distance,
        link_forced=links.forced,
        link_attributes=links.attributes,
        closures=closures,
        conflict_names=conflict_names,
        conflict_index=conflict_index,
        conflict_values=conflict_values,
        camp_names=camp_names,
        camp_index=camp_index,
        observed=observed,
        observed_total=total_int.astype(np.float64),
        total_int=total_int,
        demographics=demographics,
        agents_csv=agents_csv,
        warnings=warnings,
    )
    _check_runnable(scenario, hasten is not None)
    _freeze(scenario)
    return scenario


#: Bytes of memory per Flee agent: the agent columns (``rules/flee/state.py``, 50 bytes) twice
#: over, as the agent table doubles when it grows.
FLEE_BYTES_PER_AGENT = 100


def _check_runnable(sc: FleeScenario, hasten_given: bool) -> None:
    """What a run would do without a word, refused before it starts: no links, no agent ever
    created (a ``hasten`` that divides every count to 0), more agents than memory holds."""
    if sc.n_links == 0:
        raise ScenarioError(
            _shown("routes.csv"),
            "has no routes: agents could not move",
            fix="add `name1,name2,distance` rows linking the locations",
        )
    agents = expected_flee_agents(sc)
    how = "hasten" if hasten_given else "optimisations.hasten"
    if agents is not None and agents < 1 and sc.hasten > 1:
        raise ScenarioError(
            _shown("simsetting.yml") if not hasten_given else None,
            f"the run would create no agent in {sc.length} days: with {how} {sc.hasten} every "
            "population and observed count is divided down to 0",
            field=None if hasten_given else "optimisations.hasten",
            fix=f"use a smaller {how}",
        )
    if agents is not None and agents < 1:  # nothing to spawn whatever the hasten: say so
        sc.warnings.append(
            f"the run would create no agent in {sc.length} days (no observed refugees to spawn "
            "and no conflict-driven spawning)"
        )
    if agents is not None:
        check_memory(agents, FLEE_BYTES_PER_AGENT, sc.name, fix=f"raise {how}")


def expected_flee_agents(sc: FleeScenario) -> float | None:
    """About how many agents a run creates (``None``: cannot tell without running it)."""
    spawn = sc.settings.spawn_rules
    if sc.agents_csv is not None:
        return float(len(sc.agents_csv.location))
    cds = spawn.conflict_driven_spawning
    if cds is None:  # data-driven: the observed total, plus the camps filled on day 0
        total = float(sc.total_int[: sc.length].max(initial=0))
        prefill = float(sc.observed[0].sum()) if spawn.insert_day0 and sc.n_camps else 0.0
        return total + prefill
    conflict = np.flatnonzero(sc.conflict_type)
    if len(conflict) == 0:
        return 0.0
    if cds.spawn_mode == "pop_ratio":
        per_day = cds.displaced_per_conflict_day * float(sc.population[conflict].max(initial=0))
    else:
        per_day = cds.displaced_per_conflict_day
    intensity = float(sc.conflict_intensity[conflict].max(initial=0))
    if sc.conflict_values is not None and sc.conflict_values.size:
        intensity = max(intensity, float(sc.conflict_values.max()))
    if per_day * intensity < 1 and cds.spawn_mode != "poisson":
        return 0.0  # int(per_day × intensity) is 0 every day
    return None


def _shown(file_name: str) -> str:
    return f"{INPUT_DIR}/{file_name}"


def _present(path: Path) -> bool:
    """Whether something is at ``path`` (the reader then refuses what is not a regular file)."""
    return path.exists() or path.is_symlink()


def _required(inputs: Path, file_name: str) -> Path:
    path = inputs / file_name
    if not _present(path):
        raise ScenarioError(
            path, "file not found", fix=f"add {INPUT_DIR}/{file_name} (docs/flee-notes.md §2)"
        )
    return path


def _period_file(inputs: Path) -> tuple[Path, str]:
    """conflict_period.csv (3.1's name) or else sim_period.csv, and its name."""
    for file_name in PERIOD_FILES:
        path = inputs / file_name
        if _present(path):
            return path, file_name
    raise ScenarioError(
        inputs / PERIOD_FILES[0],
        "file not found (nor sim_period.csv)",
        fix="add input_csv/conflict_period.csv with rows `StartDate,YYYY-MM-DD` and "
        "`Length,<days>`",
    )


def _read_period(inputs: Path, days: int | None, root: Path) -> tuple[dt.date, int]:
    """``read_period.read_conflict_period``: ``StartDate,<date>`` and ``Length,<days>`` rows
    (case-insensitive names), from conflict_period.csv (3.1's name) or else sim_period.csv."""
    path, file_name = _period_file(inputs)
    display = _shown(file_name)
    start: dt.date | None = None
    length: int | None = None
    for row in read_rows(path, display=display, root=root):
        if not row.fields:
            continue
        key = row.fields[0].lower()
        if key in ("startdate", "length") and len(row.fields) < 2:
            raise ScenarioError(display, f"{row.fields[0]} has no value", line=row.line, column=2)
        if key == "startdate":
            start = parse_date(row.fields[1], display, row.line, 2)
        elif key == "length":
            length = parse_int(row.fields[1], display, row.line, 2, "a number of days")
    if start is None:
        raise ScenarioError(display, "has no StartDate row", expected="`StartDate,YYYY-MM-DD`")
    if days is not None:
        if days < 1:
            raise ScenarioError(None, f"days is {days}", field="days", expected="at least 1")
        length = days
    if length is not None:
        check_days(length, f"the scenario in {display}" if days is None else "the run")
    if length is None or length < 1:
        raise ScenarioError(
            display,
            "has no Length row" if length is None else f"Length is {length}",
            expected="`Length,<days>` with at least 1 day",
        )
    return start, length


def _read_validation(
    root: Path,
    *,
    start: dt.date,
    length: int,
    hasten: int,
    camp_names: list[str],
    need_total: bool,
) -> tuple[FloatArray, IntArray]:
    """Observed camp series and the total, as 3.1's ``RefugeeTable.get_field`` returns them."""
    layout = read_data_layout(root / DATA_DIR, start, hasten, root=root)
    corrections = root / INPUT_DIR / "registration_corrections.csv"
    apply_registration_corrections(
        layout, corrections, _shown("registration_corrections.csv"), start, root=root
    )
    observed = np.zeros((length, len(camp_names)))
    for c, camp in enumerate(camp_names):
        if layout.index(camp) is None:
            raise ScenarioError(
                layout.display,
                f"camp {camp!r} has no validation series; every camp in locations.csv needs a "
                f"row `{camp},<file>.csv` in {DATA_DIR}/data_layout.csv",
                expected=f"a row `{camp},<file>.csv`",
                fix="add the row (a file with a single `YYYY-MM-DD,0` line will do)",
            )
        observed[:, c] = layout.field(camp, length)
    total = np.zeros(length, dtype=np.int64)
    if layout.index("total") is not None:
        total = layout.field("total", length)
    elif need_total:
        raise ScenarioError(
            layout.display,
            "has no row `total,<file>.csv`; data-driven spawning takes the daily number of new "
            "refugees from it",
            expected="a row `total,refugees.csv`",
        )
    return observed, total


def _freeze(scenario: FleeScenario) -> None:
    """Make every array of the scenario read-only."""
    arrays: list[np.ndarray] = []
    for value in vars(scenario).values():
        if isinstance(value, np.ndarray):
            arrays.append(value)
        elif isinstance(value, dict):
            arrays += [v for v in value.values() if isinstance(v, np.ndarray)]
    for item in scenario.demographics.values():
        arrays += [item.weights, *item.overrides.values()]
    if scenario.agents_csv is not None:
        arrays.append(scenario.agents_csv.location)
        arrays += [col.codes for col in scenario.agents_csv.attributes.values()]
    for array in arrays:
        array.flags.writeable = False
