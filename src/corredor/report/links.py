"""Links between locations for the map: given, or re-read from the scenario's routes.csv."""

from __future__ import annotations

import csv
from pathlib import Path

from corredor.results import RunResult


def read_links(result: RunResult) -> list[tuple[int, int]]:
    """Pairs of location indices from ``<scenario_path>/input_csv/routes.csv``; [] if unreadable.

    Flee's routes.csv has ``name1,name2,distance[,forced_redirection]`` rows; ``#`` starts a
    comment or header line. Names that are not locations of the run are skipped.
    """
    path = Path(result.scenario_path) / "input_csv" / "routes.csv"
    index = {name: i for i, name in enumerate(result.location_names)}
    links: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.reader(fh):
                if len(row) < 2 or not row[0].strip() or row[0].lstrip().startswith("#"):
                    continue
                a, b = index.get(row[0].strip()), index.get(row[1].strip())
                if a is None or b is None or a == b:
                    continue
                key = (min(a, b), max(a, b))
                if key not in seen:
                    seen.add(key)
                    links.append((a, b))
    except (OSError, UnicodeDecodeError, csv.Error):
        return []
    return links
