"""Synthetic Flee 3.1 scenario for benchmarks (docs/flee-notes.md §7.2, "synthetic" row).

:func:`write_synthetic_flee_dir` writes a complete, valid Flee 3.1 scenario directory:

* a 20-location graph (4 conflict zones ``C0..C3``, 12 towns ``T0..T11``, 4 camps ``K0..K3``
  with capacity 0 = unlimited) and 32 undirected links with integer distances of 50–400 km,
  generated deterministically from ``seed`` (``numpy.random.default_rng``); the graph is
  connected (so every camp is reachable from every conflict zone) and no link joins a conflict
  zone directly to a camp;
* every conflict zone at intensity 1 on every day (``conflicts.csv``);
* all ``n_agents`` agents placed on day 0 through ``input_csv/agents.csv`` (round-robin over the
  conflict zones: agent ``i`` starts in ``C{i % 4}``), enabled by
  ``spawn_rules: read_from_agents_csv_file: True``;
* validation data that make data-driven spawning add nothing: a constant ``refugees.csv`` total
  (so every daily difference is 0 and no refugee debt arises) and an all-zero series per camp
  (so ``add_initial_refugees`` pre-places nobody).

Format details that matter to Flee 3.1's readers:

* ``ReadAgentsFromCSV`` skips empty rows and rows whose first field starts with ``#``; the first
  remaining row is the header (``location[,attr…]``). A ``#location`` header would therefore be
  skipped and the first agent would be taken as the header, so the header here has no ``#``.
  Every later row adds one agent at the location whose name equals the first field.
* ``ReadConflictInputCSV`` takes the first row as the header whatever it starts with and needs at
  least ``days`` data rows (it indexes by day).
* ``conflict_date`` must be an integer for conflict-zone rows (0 = active from the start).
* Flee 3.1 reads ``input_csv/conflict_period.csv``; later versions read ``sim_period.csv``; both
  are written with the same content.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from corredor.files.atomic import atomic_file, write_text

N_CONFLICT = 4
N_TOWN = 12
N_CAMP = 4
N_LINKS = 32
MIN_KM = 50
MAX_KM = 400
START_DATE = "2020-01-01"
HOME_COUNTRY = "Homeland"
HOST_COUNTRY = "Hostland"
CONFLICT_POPULATION = 500_000
TOWN_POPULATION = 50_000

_AGENT_CHUNK_ROWS = 1_000_000

SIMSETTING_YML = """\
# Synthetic benchmark scenario written by corredor.scenario.synthetic (Flee 3.1 format).
log_levels:
  agent: 0
  link: 0
  camp: 0
  init: 0
  conflict: 0
  idp_totals: 0
spawn_rules:
  read_from_agents_csv_file: True
optimisations:
  hasten: 1
"""


def _names() -> tuple[list[str], list[str], list[str]]:
    conflict = [f"C{i}" for i in range(N_CONFLICT)]
    towns = [f"T{i}" for i in range(N_TOWN)]
    camps = [f"K{i}" for i in range(N_CAMP)]
    return conflict, towns, camps


def synthetic_graph(seed: int = 0) -> tuple[list[str], list[tuple[str, str, int]]]:
    """Location names and the 32 undirected links ``(name1, name2, km)`` for ``seed``.

    Construction: a random spanning tree over the towns (each town after the first joins a
    random earlier one in a shuffled order), every conflict zone and every camp attached to a
    random town, then random extra links (no duplicates, no self-links, no conflict-zone–camp
    links) until there are 32. Distances are uniform integers in [50, 400].
    """
    rng = np.random.default_rng(seed)
    conflict, towns, camps = _names()
    names = conflict + towns + camps

    edges: list[tuple[str, str]] = []
    order = [towns[i] for i in rng.permutation(N_TOWN)]
    for k in range(1, N_TOWN):
        edges.append((order[int(rng.integers(k))], order[k]))
    for loc in conflict + camps:
        edges.append((loc, towns[int(rng.integers(N_TOWN))]))

    present = {frozenset(e) for e in edges}
    forbidden = {frozenset((c, k)) for c in conflict for k in camps}
    while len(edges) < N_LINKS:
        i, j = (int(x) for x in rng.choice(len(names), size=2, replace=False))
        pair = frozenset((names[i], names[j]))
        if pair in present or pair in forbidden:
            continue
        present.add(pair)
        edges.append((names[i], names[j]))

    km = rng.integers(MIN_KM, MAX_KM + 1, size=len(edges))
    links = [(a, b, int(d)) for (a, b), d in zip(edges, km, strict=True)]
    return names, links


def _write_agents_csv(path: Path, n_agents: int, conflict: list[str]) -> None:
    """``location`` header plus one row per agent, round-robin over ``conflict``.

    The file is a repetition of one cycle of names, so it is written in large chunks without a
    per-row Python loop (10 million agents take well under a second).
    """
    cycle = "".join(f"{name}\n" for name in conflict)
    n_cycles, rest = divmod(n_agents, len(conflict))
    chunk_cycles = max(1, _AGENT_CHUNK_ROWS // len(conflict))
    with atomic_file(path, "w") as fh:
        fh.write("location\n")
        full, tail = divmod(n_cycles, chunk_cycles)
        if full:
            block = cycle * chunk_cycles
            for _ in range(full):
                fh.write(block)
        fh.write(cycle * tail)
        fh.write("".join(f"{name}\n" for name in conflict[:rest]))


def write_synthetic_flee_dir(
    path: str | Path, n_agents: int = 100_000, days: int = 100, seed: int = 0
) -> Path:
    """Write the synthetic Flee 3.1 scenario directory at ``path`` and return it.

    Args:
        path: target directory (created if needed; existing scenario files are overwritten).
        n_agents: agents placed in the conflict zones on day 0 (round-robin, via agents.csv).
        days: simulated days (``Length`` of the period files, rows of ``conflicts.csv``).
        seed: seed of the graph generator (the same seed always gives the same files).

    Returns:
        The scenario directory as a :class:`~pathlib.Path`.
    """
    if n_agents < 0:
        raise ValueError(f"n_agents must be >= 0, got {n_agents}")
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")

    root = Path(path)
    inp = root / "input_csv"
    src = root / "source_data"
    inp.mkdir(parents=True, exist_ok=True)
    src.mkdir(parents=True, exist_ok=True)

    conflict, _towns, camps = _names()
    names, links = synthetic_graph(seed)
    rng = np.random.default_rng([seed, 1])
    lat = np.round(rng.uniform(0.0, 10.0, size=len(names)), 4)
    lon = np.round(rng.uniform(20.0, 30.0, size=len(names)), 4)

    rows = ["#name,region,country,latitude,longitude,location_type,conflict_date,population"]
    for k, name in enumerate(names):
        if name in conflict:
            kind, country, pop = "conflict_zone", HOME_COUNTRY, str(CONFLICT_POPULATION)
        elif name in camps:
            kind, country, pop = "camp", HOST_COUNTRY, "0"  # capacity 0 = unlimited
        else:
            kind, country, pop = "town", HOME_COUNTRY, str(TOWN_POPULATION)
        rows.append(f"{name},{name},{country},{lat[k]},{lon[k]},{kind},0,{pop}")
    write_text(inp / "locations.csv", "\n".join(rows) + "\n")

    routes = ["#name1,name2,distance,forced_redirection"]
    routes += [f"{a},{b},{d},0" for a, b, d in links]
    write_text(inp / "routes.csv", "\n".join(routes) + "\n")

    write_text(inp / "closures.csv", "#closure_type,name1,name2,closure_start,closure_end\n")

    ones = ",".join("1" for _ in conflict)
    conflicts = ["#Day," + ",".join(conflict)]
    conflicts += [f"{t},{ones}" for t in range(days)]
    write_text(inp / "conflicts.csv", "\n".join(conflicts) + "\n")

    period = f"StartDate,{START_DATE}\nLength,{days}\n"
    write_text(inp / "conflict_period.csv", period)
    write_text(inp / "sim_period.csv", period)
    write_text(inp / "registration_corrections.csv", "")
    _write_agents_csv(inp / "agents.csv", n_agents, conflict)

    end_date = (dt.date.fromisoformat(START_DATE) + dt.timedelta(days=days)).isoformat()
    layout = ["total,refugees.csv"] + [f"{c},{c.lower()}.csv" for c in camps]
    write_text(src / "data_layout.csv", "\n".join(layout) + "\n")
    write_text(src / "refugees.csv", f"{START_DATE},{n_agents}\n{end_date},{n_agents}\n")
    for c in camps:
        write_text(src / f"{c.lower()}.csv", f"{START_DATE},0\n{end_date},0\n")

    write_text(root / "simsetting.yml", SIMSETTING_YML)
    return root
