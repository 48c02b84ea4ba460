"""Write a small Flee 3.1 scenario directory from Python lists (a test helper).

Tests build tiny scenarios with :func:`write_flee_dir` and run them through the normal loader,
so that every rule is exercised from the same files a user would write. Everything is written as
Flee 3.1 reads it (docs/flee-compatibility.md, "What is read")::

    <root>/simsetting.yml                       from the ``simsetting`` dict (YAML)
    <root>/input_csv/locations.csv              ``locations`` rows (+ ``location_columns``)
    <root>/input_csv/routes.csv                 ``routes`` rows (+ ``route_columns``)
    <root>/input_csv/closures.csv               ``closures`` rows (header only when empty)
    <root>/input_csv/conflicts.csv              ``conflicts`` (only when given)
    <root>/input_csv/conflict_period.csv        ``start`` and ``days``
    <root>/input_csv/agents.csv                 ``agents`` rows (only when given)
    <root>/source_data/data_layout.csv          ``total`` + one row per camp
    <root>/source_data/refugees.csv, <camp>.csv the series
    <root>/<path>                               anything in ``extra_files``

Example::

    from flee_dirs import loc, write_flee_dir

    root = write_flee_dir(
        tmp_path / "s",
        locations=[loc("Z", "conflict_zone", 1000), loc("C", "camp")],
        routes=[("Z", "C", 10)],
        days=3,
        simsetting={"move_rules": {"camp_movechance": 0.0}},
    )
    result = corredor.run(root, seed=0)

``tests/`` is not a package: a test module imports this file after putting ``tests/`` on
``sys.path`` (``sys.path.insert(0, str(Path(__file__).resolve().parents[1]))``).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

LOCATION_HEADER = (
    "#name",
    "region",
    "country",
    "latitude",
    "longitude",
    "location_type",
    "conflict_date",
    "population",
)
ROUTE_HEADER = ("#name1", "name2", "distance", "forced_redirection")
CLOSURE_HEADER = ("#closure_type", "name1", "name2", "closure_start", "closure_end")

Series = Sequence[float] | Mapping[int, float]
"""An observed series: a list (value of day 0, 1, 2, …) or a mapping {day: value}. Values are
written as integers (Flee reads counts with ``int()``); Flee interpolates linearly between the
written days and holds the end values constant."""


def loc(
    name: str,
    kind: str,
    population: int | str = "",
    *,
    country: str = "Xland",
    region: str = "R",
    lat: float = 0.0,
    lon: float = 0.0,
    conflict_date: int | str | None = None,
    extra: Sequence[object] = (),
) -> list[object]:
    """One ``locations.csv`` row. ``kind`` is Flee's type text (``conflict_zone``, ``town``,
    ``camp``, ``idpcamp``, ``forwarding_hub``, ``marker``); ``population`` is the capacity of a
    camp (empty or 0 = unlimited). ``conflict_date`` defaults to 0 for conflict types (active
    from day 0) and to empty for the others. ``extra`` values fill the columns named by
    ``write_flee_dir(location_columns=…)``. The first row's country is Flee's home country."""
    if conflict_date is None:
        conflict_date = 0 if "conflict" in kind.lower() else ""
    return [name, region, country, lat, lon, kind, conflict_date, population, *extra]


def _write_csv(path: Path, rows: Sequence[Sequence[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])


def _series_rows(series: Series, start: dt.date) -> list[list[object]]:
    items = series.items() if isinstance(series, Mapping) else enumerate(series)
    return [[(start + dt.timedelta(days=int(d))).isoformat(), int(v)] for d, v in items]


def _is_camp(row: Sequence[object]) -> bool:
    return "camp" in str(row[5]).lower()


def write_flee_dir(
    root: Path,
    *,
    locations: Sequence[Sequence[object]],
    routes: Sequence[Sequence[object]],
    days: int,
    start: dt.date = dt.date(2020, 1, 1),
    simsetting: Mapping[str, Any] | None = None,
    closures: Sequence[Sequence[object]] = (),
    conflicts: Mapping[str, Sequence[float]] | None = None,
    total: Series | None = None,
    camps: Mapping[str, Series] | None = None,
    agents: Sequence[Sequence[object]] | None = None,
    agents_header: Sequence[str] = ("location",),
    location_columns: Sequence[str] = (),
    route_columns: Sequence[str] = (),
    extra_files: Mapping[str, str] | None = None,
) -> Path:
    """Write a Flee scenario directory under ``root`` (created) and return ``root``.

    Args:
        locations: rows of ``locations.csv`` (see :func:`loc`), in file order.
        routes: rows ``(name1, name2, distance[, forced_redirection[, extra…]])``.
        days: ``Length`` of the period file (``conflict_period.csv``); ``start`` its ``StartDate``.
        simsetting: the YAML content as a dict (``None`` → an empty file, Flee's defaults).
            When ``agents`` is given and the dict does not set
            ``spawn_rules.read_from_agents_csv_file``, it is set to true.
        closures: rows ``(closure_type, name1, name2, closure_start, closure_end)``.
        conflicts: intensity per day for each named location (``conflicts.csv``, row t = day
            t); a column shorter than ``days`` is padded with its last value.
        total: the ``total`` series (``refugees.csv``) that drives data-driven spawning;
            default a single 0 on day 0 (no spawning).
        camps: observed series per camp; every camp of ``locations`` gets a series file
            (default a single 0 on day 0). Day 0 is the pre-fill count (``insert_day0``).
        agents: rows of ``agents.csv`` (location first), under the header ``agents_header``.
        location_columns, route_columns: names of extra columns (header entries after the
            positional ones), filled by the rows' extra values.
        extra_files: other files, ``{relative path: text}`` (demographics, corrections, …).
    """
    root = Path(root)
    inputs, source = root / "input_csv", root / "source_data"
    inputs.mkdir(parents=True, exist_ok=True)
    source.mkdir(parents=True, exist_ok=True)

    settings: dict[str, Any] = {
        k: dict(v) if isinstance(v, Mapping) else v for k, v in (simsetting or {}).items()
    }
    if agents is not None:
        spawn = settings.setdefault("spawn_rules", {})
        spawn.setdefault("read_from_agents_csv_file", True)
    (root / "simsetting.yml").write_text(yaml.safe_dump(settings) if settings else "")

    _write_csv(inputs / "locations.csv", [[*LOCATION_HEADER, *location_columns], *locations])
    _write_csv(inputs / "routes.csv", [[*ROUTE_HEADER, *route_columns], *routes])
    _write_csv(inputs / "closures.csv", [CLOSURE_HEADER, *closures])
    _write_csv(inputs / "conflict_period.csv", [["StartDate", start.isoformat()], ["Length", days]])
    if conflicts is not None:
        names = list(conflicts)
        columns = [list(conflicts[n]) for n in names]
        width = max([days, *(len(c) for c in columns)])
        columns = [c + [c[-1]] * (width - len(c)) for c in columns]
        rows = [[t, *(c[t] for c in columns)] for t in range(width)]
        _write_csv(inputs / "conflicts.csv", [["#Day", *names], *rows])
    if agents is not None:
        _write_csv(inputs / "agents.csv", [list(agents_header), *agents])

    layout: list[list[object]] = [["total", "refugees.csv"]]
    _write_csv(source / "refugees.csv", _series_rows(total if total is not None else [0], start))
    observed = dict(camps or {})
    for row in locations:
        if _is_camp(row):
            name = str(row[0])
            file_name = f"camp-{name}.csv"
            layout.append([name, file_name])
            _write_csv(source / file_name, _series_rows(observed.pop(name, [0]), start))
    if observed:
        raise ValueError(f"camps= names locations that are not camps: {sorted(observed)}")
    _write_csv(source / "data_layout.csv", layout)

    for rel, text in (extra_files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
