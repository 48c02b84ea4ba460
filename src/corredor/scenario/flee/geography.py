"""``locations.csv``, ``routes.csv`` and ``closures.csv``, as Flee 3.1's ``InputGeography``.

Mirrors ``ReadLocationsFromCSV``/``ReadLinksFromCSV``/``ReadClosuresFromCSV`` and
``StoreInputGeographyInEcosystem`` plus ``Location.__init__`` (docs/flee-notes.md §2.1–2.3):
positional columns, extra columns named by ``#`` header lines, substring rules for the
location type, populations and capacities ``int(int(x) // hasten)`` (empty → 0), the home
country taken from the first data row. Where 3.1 crashes, exits or silently misbehaves on bad
input (unknown names, unparsable numbers, too few columns, duplicate names) a
:class:`~corredor.errors.ScenarioError` says where and what.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from corredor.errors import ScenarioError
from corredor.files.read import excerpt
from corredor.scenario.flee._csv import Row, parse_float, parse_int, read_rows, require_columns
from corredor.scenario.flee.settings import FleeSettings

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

LOCATION_COLUMNS = (
    "name",
    "region",
    "country",
    "latitude",
    "longitude",
    "location_type",
    "conflict_date",
    "population",
)
ROUTE_COLUMNS = ("name1", "name2", "distance", "forced_redirection")
CLOSURE_COLUMNS = ("closure_type", "name1", "name2", "closure_start", "closure_end")
CLOSURE_KINDS = ("country", "location", "link", "camp", "idpcamp", "remove_forced_redirection")
LOCATION_KINDS = ("conflict", "town", "camp", "idpcamp", "forward", "marker")

#: 3.1 turns any non-camp location whose move chance is below this into a camp.
AUTO_CAMP_MOVECHANCE = 0.005


@dataclass
class Locations:
    """Column arrays of ``locations.csv`` (one entry per data row, in file order)."""

    names: list[str]
    regions: list[str]
    countries: list[str]
    lat: FloatArray
    lon: FloatArray
    kind: list[str]
    conflict_type: npt.NDArray[np.bool_]
    conflict_date: IntArray
    population: IntArray
    capacity: IntArray
    conflict_intensity: FloatArray
    foreign: npt.NDArray[np.bool_]
    attributes: dict[str, list[str]]
    home_country: str
    lines: list[int]
    warnings: list[str] = field(default_factory=list)


def _comment_or_blank(row: Row, display: str) -> bool:
    """Flee's ``len(row) == 0 or row[0][0] == "#"`` (an empty first field crashes 3.1)."""
    if row.is_blank():
        return True
    if row.fields[0] == "":
        raise ScenarioError(
            display, "the first field is empty", line=row.line, column=1, expected="a name"
        )
    return row.is_comment()


def _kind_of(type_text: str, name: str, display: str, line: int) -> str:
    """Location.__init__'s substring rules (case-insensitive): camp > conflict > forward >
    marker > default/town."""
    low = type_text.lower()
    if "camp" in low:
        return "idpcamp" if "idp" in low else "camp"
    for key, kind in (("conflict", "conflict"), ("forward", "forward"), ("marker", "marker")):
        if key in low:
            return kind
    if "default" in low or "town" in low:
        return "town"
    raise ScenarioError(
        display,
        f"location {name!r} has type {type_text!r}, which matches none of Flee's types",
        line=line,
        column="location_type",
        expected="a type containing camp, idpcamp, conflict, forward, marker, town or default",
    )


def _header_and_rows(
    path: Path, display: str, root: Path | None, base: tuple[str, ...], required: int
) -> tuple[list[str], list[Row]]:
    """The column names (``base``; every ``#`` header line longer than ``base`` adds its extra
    names) and the data rows, each with at least the first ``required`` columns and no more
    than the header names."""
    columns = list(base)
    rows: list[Row] = []
    for row in read_rows(path, display=display, root=root):
        if _comment_or_blank(row, display):
            if len(row.fields) > len(base):
                columns.extend(row.fields[len(base) :])
            continue
        require_columns(row, required, display, ",".join(base[:required]))
        if len(row.fields) > len(columns):
            raise ScenarioError(
                display,
                f"has {len(row.fields)} columns but the header names only {len(columns)}",
                line=row.line,
                fix=f"name every extra column in the `#{','.join(base[:3])},…` header line",
            )
        rows.append(row)
    return columns, rows


def _location_rows(path: Path, display: str, root: Path | None) -> tuple[list[str], list[Row]]:
    """The column names (``#`` header lines add extra ones) and the data rows."""
    columns, data = _header_and_rows(path, display, root, LOCATION_COLUMNS, len(LOCATION_COLUMNS))
    if not data:
        raise ScenarioError(display, "has no locations", fix="add one row per location")
    return columns, data


def read_locations(
    path: Path, display: str, settings: FleeSettings, *, root: Path | None = None
) -> Locations:
    """Read ``locations.csv`` with 3.1's rules; ``settings`` gives hasten and move chances."""
    columns, data = _location_rows(path, display, root)
    n = len(data)
    out = Locations(
        names=[],
        regions=[],
        countries=[],
        lat=np.zeros(n),
        lon=np.zeros(n),
        kind=[],
        conflict_type=np.zeros(n, dtype=np.bool_),
        conflict_date=np.full(n, -1, dtype=np.int64),
        population=np.zeros(n, dtype=np.int64),
        capacity=np.full(n, -1, dtype=np.int64),
        conflict_intensity=np.ones(n),
        foreign=np.zeros(n, dtype=np.bool_),
        attributes={},
        home_country=data[0].fields[2] or "unknown",
        lines=[row.line for row in data],
    )
    extra = columns[len(LOCATION_COLUMNS) :]
    for name in dict.fromkeys(extra):
        out.attributes[name] = [""] * n
    seen: dict[str, int] = {}
    for k, row in enumerate(data):
        name = row.fields[0]
        if name in seen:
            raise ScenarioError(
                display,
                f"location {excerpt(name)} is listed twice (first on line {seen[name]})",
                line=row.line,
                column="name",
                expected="unique location names",
            )
        seen[name] = row.line
        _read_location(out, k, row, columns, display, settings)
    return out


def _read_location(
    out: Locations, k: int, row: Row, columns: list[str], display: str, settings: FleeSettings
) -> None:
    """Fill entry ``k`` of ``out`` from one data row of ``locations.csv``."""
    f = row.fields
    name = f[0]
    attrs = {columns[i]: f[i] for i in range(len(LOCATION_COLUMNS), len(f))}
    for key, value in attrs.items():
        out.attributes[key][k] = value
    out.names.append(name)
    out.regions.append(f[1])
    country = f[2] or "unknown"
    out.countries.append(country)
    out.foreign[k] = country != out.home_country
    out.lat[k] = _coordinate(f[3], display, row.line, "latitude")
    out.lon[k] = _coordinate(f[4], display, row.line, "longitude")

    type_text = f[5]
    if "conflict" in type_text.lower():
        out.conflict_type[k] = True
        out.conflict_date[k] = parse_int(
            f[6], display, row.line, "conflict_date", "an integer day (conflict zones need one)"
        )
        if out.conflict_date[k] > 0:  # switched on later by conflicts.csv
            type_text = "town"
    kind = _kind_of(type_text, name, display, row.line)

    amount = 0
    if len(f[7]) >= 1:
        amount = parse_int(f[7], display, row.line, "population", "an integer head count")
        if amount < 0:  # a negative count became a negative population or camp capacity
            raise ScenarioError(
                display,
                f"population {amount} is negative",
                line=row.line,
                column="population",
                expected="a head count of 0 or more (a camp's capacity; empty: 0)",
            )
        amount = int(amount // settings.hasten)
    if kind in ("camp", "idpcamp"):
        out.capacity[k] = amount
    else:
        out.population[k] = amount

    if kind == "conflict":
        if "conflict_intensity" in attrs:
            out.conflict_intensity[k] = parse_float(
                attrs["conflict_intensity"],
                display,
                row.line,
                "conflict_intensity",
                "a number (Flee 3.1 reads it for active conflict zones)",
            )
    elif "conflict_intensity" in attrs:
        with contextlib.suppress(ValueError):  # 3.1 never reads it for other types
            out.conflict_intensity[k] = float(attrs["conflict_intensity"])

    moves = settings.move_rules
    chance = {"conflict": moves.conflict_movechance, "town": moves.default_movechance}
    if kind in chance and chance[kind] < AUTO_CAMP_MOVECHANCE:
        out.warnings.append(
            f"{display} line {row.line}: {excerpt(name)} becomes a camp, as in Flee 3.1, because "
            f"its move chance {chance[kind]} is below {AUTO_CAMP_MOVECHANCE}"
        )
        kind = "camp"
    out.kind.append(kind)


def _coordinate(text: str, display: str, line: int, column: str) -> float:
    if len(text) == 0:
        return 0.0
    return parse_float(text, display, line, column, "a number of degrees (or empty)")


# --------------------------------------------------------------------------- routes
@dataclass
class Links:
    """One entry per ``routes.csv`` data row (each row is a two-way link)."""

    a: npt.NDArray[np.int32]
    b: npt.NDArray[np.int32]
    distance: FloatArray
    forced: npt.NDArray[np.int8]
    attributes: dict[str, npt.NDArray[np.generic]]
    lines: list[int]


#: Link attributes 3.1 honours, their value when absent or empty, and how to describe them.
NUMERIC_LINK_ATTRIBUTES = {
    "max_move_speed": (math.nan, "a speed in km/day (or empty)"),
    "walk_probability": (0.0, "a probability between 0 and 1 (or empty)"),
}


def read_routes(path: Path, display: str, names: list[str], *, root: Path | None = None) -> Links:
    """Read ``routes.csv``; endpoints must be location names."""
    index = {name: i for i, name in enumerate(names)}
    columns, rows = _header_and_rows(path, display, root, ROUTE_COLUMNS, 3)
    n = len(rows)
    a = np.zeros(n, dtype=np.int32)
    b = np.zeros(n, dtype=np.int32)
    distance = np.zeros(n)
    forced = np.zeros(n, dtype=np.int8)
    extra = list(dict.fromkeys(columns[len(ROUTE_COLUMNS) :]))
    raw: dict[str, list[str]] = {key: [""] * n for key in extra}
    for k, row in enumerate(rows):
        f = row.fields
        for col, target in ((0, a), (1, b)):
            if f[col] not in index:
                raise ScenarioError(
                    display,
                    f"{excerpt(f[col])} is not a location in locations.csv",
                    line=row.line,
                    column=ROUTE_COLUMNS[col],
                    expected="a name from the first column of locations.csv",
                )
            target[k] = index[f[col]]
        distance[k] = _distance(f[2], display, row.line)
        forced[k] = _forced(f, display, row.line)
        for i in range(len(ROUTE_COLUMNS), len(f)):
            raw[columns[i]][k] = f[i]
    attributes = _link_attributes(raw, extra, rows, display)
    return Links(a, b, distance, forced, attributes, [row.line for row in rows])


def _distance(text: str, display: str, line: int) -> float:
    value = parse_float(text, display, line, "distance", "a distance in km")
    if not (value >= 0.0 and math.isfinite(value)):
        raise ScenarioError(
            display,
            f"distance {excerpt(text)} is not a usable length",
            line=line,
            column="distance",
            expected="a non-negative number of km",
        )
    return value


def _forced(f: list[str], display: str, line: int) -> int:
    if len(f) <= 3 or f[3] == "":
        return 0
    value = parse_int(f[3], display, line, "forced_redirection", "0, 1, 2 or empty")
    if value not in (0, 1, 2):
        raise ScenarioError(
            display,
            f"forced_redirection is {value}",
            line=line,
            column="forced_redirection",
            expected="0, 1, 2 or empty",
        )
    return value


def _link_attributes(
    raw: dict[str, list[str]], extra: list[str], rows: list[Row], display: str
) -> dict[str, npt.NDArray[np.generic]]:
    """Numeric attributes 3.1 honours as floats (their default when empty), others as text."""
    n = len(rows)
    attributes: dict[str, npt.NDArray[np.generic]] = {}
    for key in dict.fromkeys([*NUMERIC_LINK_ATTRIBUTES, *extra]):
        values = raw.get(key, [""] * n)
        if key in NUMERIC_LINK_ATTRIBUTES:
            default, expected = NUMERIC_LINK_ATTRIBUTES[key]
            attributes[key] = np.array(
                [
                    default if v == "" else parse_float(v, display, r.line, key, expected)
                    for v, r in zip(values, rows, strict=True)
                ],
                dtype=np.float64,
            )
        else:
            attributes[key] = np.array(values, dtype=np.str_)
    return attributes


# --------------------------------------------------------------------------- closures
@dataclass(frozen=True)
class Closure:
    """One ``closures.csv`` row: the action fires on day ``start``, its reverse on ``end``."""

    kind: str
    name1: str
    name2: str
    start: int
    end: int
    line: int


def read_closures(
    path: Path, display: str, names: list[str], countries: list[str], *, root: Path | None = None
) -> list[Closure]:
    """Read ``closures.csv``, checking the type and that the names it uses exist."""
    locations = set(names)
    country_set = set(countries)
    out: list[Closure] = []
    for row in read_rows(path, display=display, root=root):
        if _comment_or_blank(row, display):
            continue
        require_columns(row, len(CLOSURE_COLUMNS), display, ",".join(CLOSURE_COLUMNS))
        f = row.fields
        kind = f[0]
        if kind not in CLOSURE_KINDS:
            raise ScenarioError(
                display,
                f"unknown closure type {kind!r} (Flee 3.1 would silently ignore the row)",
                line=row.line,
                column="closure_type",
                expected="one of " + ", ".join(CLOSURE_KINDS),
            )
        start = parse_int(f[3], display, row.line, "closure_start", "an integer day")
        end = parse_int(f[4], display, row.line, "closure_end", "an integer day (-1 = never)")
        if kind == "country":
            checks = [(1, country_set, "a country from the third column of locations.csv")]
            checks.append((2, country_set, checks[0][2]))
        else:
            what = "a location name from locations.csv"
            checks = [(1, locations, what)]
            if kind in ("link", "remove_forced_redirection"):
                checks.append((2, locations, what))
        for col, known, expected in checks:
            if f[col] not in known:
                raise ScenarioError(
                    display,
                    f"{f[col]!r} is not known for a {kind!r} closure",
                    line=row.line,
                    column=CLOSURE_COLUMNS[col],
                    expected=expected,
                )
        out.append(Closure(kind, f[1], f[2], start, end, row.line))
    return out
