"""Scenario details for the map, re-read from the scenario's files: links and conflict zones."""

from __future__ import annotations

from pathlib import Path

from corredor.errors import ScenarioError
from corredor.files.read import read_csv
from corredor.results import RunResult

#: Flee 3.1's threshold for "in conflict" (``> 0.000001``).
_CONFLICT_EPSILON = 0.000001


def read_links(result: RunResult) -> list[tuple[int, int]]:
    """Pairs of location indices from ``<scenario_path>/input_csv/routes.csv``; [] if unreadable.

    Flee's routes.csv has ``name1,name2,distance[,forced_redirection]`` rows; ``#`` starts a
    comment or header line. Names that are not locations of the run are skipped.
    """
    path = Path(result.scenario_path) / "input_csv" / "routes.csv"
    index = {name: i for i, name in enumerate(result.location_names)}
    links: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for row in _read_rows(path):
        if len(row) < 2 or not row[0].strip() or row[0].lstrip().startswith("#"):
            continue
        a, b = index.get(row[0].strip()), index.get(row[1].strip())
        if a is None or b is None or a == b:
            continue
        key = (min(a, b), max(a, b))
        if key not in seen:
            seen.add(key)
            links.append((a, b))
    return links


def _read_rows(path: Path) -> list[list[str]]:
    """The rows of a file of the run's scenario, read by the one reader (inside the scenario
    folder). The map is drawn from the stored run; a scenario folder moved or changed since the
    run only loses the map's decoration, never results: then no rows."""
    try:
        return [r.fields for r in read_csv(path, root=path.parent.parent)]
    except ScenarioError:
        return []


def _onsets_from_conflicts_csv(path: Path, index: dict[str, int], days: int) -> dict[int, int]:
    """First day on which each column of Flee's ``conflicts.csv`` is in conflict."""
    rows = _read_rows(path)
    if not rows:
        return {}
    header = [h.strip() for h in rows[0]]
    onsets: dict[int, int] = {}
    for day, row in enumerate(rows[1 : days + 1]):
        for col in range(1, min(len(row), len(header))):
            i = index.get(header[col])
            if i is None or i in onsets:
                continue
            try:
                value = float(row[col].strip())
            except ValueError:
                continue
            if value > _CONFLICT_EPSILON:
                onsets[i] = day
    return onsets


def _onsets_from_locations_csv(path: Path, index: dict[str, int], days: int) -> dict[int, int]:
    """Conflict zones of Flee's ``locations.csv`` (``location_type``, ``conflict_date``)."""
    onsets: dict[int, int] = {}
    for row in _read_rows(path):
        if len(row) < 6 or not row[0].strip() or row[0].lstrip().startswith("#"):
            continue
        i = index.get(row[0].strip())
        if i is None or "conflict" not in row[5].lower():
            continue
        try:
            day = max(0, int(float(row[6]))) if len(row) > 6 and row[6].strip() else 0
        except ValueError:
            day = 0
        if day < days:
            onsets[i] = day
    return onsets


def read_conflict_onsets(result: RunResult) -> dict[int, int]:
    """``{location index: first day in conflict}`` for the locations in conflict during the run.

    Locations whose kind is a conflict zone from the start get day 0. The others are looked up
    in ``<scenario_path>/input_csv/conflicts.csv`` (the first day with an intensity above Flee's
    threshold) or, without that file, in ``locations.csv`` (conflict zones and their
    ``conflict_date``). Unreadable files add nothing.
    """
    inputs = Path(result.scenario_path) / "input_csv"
    index = {name: i for i, name in enumerate(result.location_names)}
    days = max(result.days, 1)
    conflicts_csv = inputs / "conflicts.csv"
    if conflicts_csv.is_file():
        onsets = _onsets_from_conflicts_csv(conflicts_csv, index, days)
    else:
        onsets = _onsets_from_locations_csv(inputs / "locations.csv", index, days)
    for i, kind in enumerate(result.location_kinds):
        if "conflict" in kind.lower():
            onsets[i] = 0
    return dict(sorted(onsets.items()))
