"""Flee 3.1's movement rules as a plain Mesa 3 model: the Mesa peer of the benchmarks.

Runs under Corredor's interpreter with the ``bench`` extra (``pip install 'mesa[network]>=3'``)::

    python benchmarks/peers/mesa_flee.py SCENARIO_DIR [--seed 0] [--days N] [--camps]

This is what a Mesa user would write to reproduce Flee 3.1 on a Flee scenario directory, restricted
to what the synthetic benchmark scenario (``corredor.scenario.synthetic``) uses:

* one :class:`Location` cell per row of ``locations.csv`` in a Mesa ``discrete_space.Network``
  built from ``routes.csv`` (two-way links, ``distance`` in km); conflict zones, towns and camps
  with Flee's move chances (``conflict_movechance``, ``default_movechance``, ``camp_movechance``);
  camp capacity from the population column (0 = unlimited), divided by ``hasten``;
* one :class:`Refugee` (a Mesa ``CellAgent``) per row of ``input_csv/agents.csv``, in file order;
  an agent on a link has no cell (a travelling person counts at no location, as in Flee);
* conflict zones switched on (and off, with 3.1's rule) from ``conflicts.csv``; each day every
  location's score S = foreign_weight^foreign × camp_weight^camp × conflict_weight^intensity;
* each day two passes over the agents in creation order (``AgentSet.do``):
  ``decide`` (Flee's ``Person.evolve``: leave with the location's move chance, choose a neighbour
  with weight ((weight_softening + S) / (softening + km)^distance_power × capacity factor)^
  weight_power, i.e. ``awareness_level`` 1, and step onto the link unless it leads to a camp whose
  capacity factor is below 0.5) and ``travel`` (Flee's ``Person.finish_travel``: advance
  ``max_move_speed`` km; on arrival with distance to spare decide again at the new location, and
  every new link gets a full day's allowance — Flee 3.1's behaviour);
* Python's ``random`` (the model's ``self.random``), seeded.

Not implemented (none is used by the synthetic scenario; the script stops if it meets them):
spawning beyond ``agents.csv`` and camp pre-filling, closures, awareness levels other than 1,
markers, forwarding hubs and IDP camps, per-link speeds and walking, and the optional move rules
(short stints, staying close to home, demographics, population-scaled move chances, conflict decay).

Cost note: in Mesa 3.3 a ``CellAgent`` leaving a cell costs time proportional to the cell's
occupants (``Cell.remove_agent`` does ``list.remove`` and then ``is_empty``, which copies the
agent list), so run time grows faster than the number of agents when thousands of people share a
location: on the synthetic scenario most of the loop goes there at 100,000 agents.

Prints one JSON line, like the other peers::

    {"wall_s", "loop_s", "agent_steps", "agent_steps_per_s", "peak_rss_mib", "days",
     "agents_final", ...}

``wall_s`` runs from the start of this script (Mesa's import included) to the end of the loop;
``loop_s`` covers the daily loop only; ``agent_steps`` = Σ over days of the agents alive at the end
of the day; ``agent_steps_per_s`` = agent_steps / loop_s. ``--camps`` adds the final population of
every camp (``camps``).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import time
from pathlib import Path
from typing import Any

T_START = time.perf_counter()

import mesa  # noqa: E402
import networkx as nx  # noqa: E402
import yaml  # noqa: E402
from mesa.discrete_space import Cell, CellAgent, Network  # noqa: E402

#: Flee 3.1's code defaults of the ``move_rules`` used here (``SimulationSettings.py``).
MOVE_RULES: dict[str, float] = {
    "max_move_speed": 360.0,
    "conflict_movechance": 1.0,
    "camp_movechance": 0.001,
    "default_movechance": 0.3,
    "foreign_weight": 1.0,
    "camp_weight": 1.0,
    "conflict_weight": 1.0 / 3.16227766017,
    "softening": 10.0,
    "distance_power": 1.0,
    "weight_softening": 0.0,
    "weight_power": 1.0,
    "capacity_buffer": 0.9,
    "awareness_level": 1,
}
#: Optional rules this model does not implement: they must be off (their 3.1 default).
UNSUPPORTED_RULES = (
    "avoid_short_stints",
    "start_on_foot",
    "stay_close_to_home",
    "use_pop_for_loc_weight",
    "ChildrenAvoidHazards",
    "BoysTakeRisk",
    "use_v1_rules",
)
EPS = 0.000001  # Flee's "intensity > 0"


# --------------------------------------------------------------------------- space and agents
class Location(Cell):
    """A Flee location: one cell of the network space (its coordinate is the location's name)."""

    def __init__(self, coordinate: Any, capacity: int | None = None, random: Any = None) -> None:
        super().__init__(coordinate, capacity, random)
        self.kind = "town"  # "conflict", "town" or "camp"
        self.foreign = False
        self.movechance = 0.0
        self.camp_capacity = -1  # Flee's soft capacity of a camp; < 1 means unlimited
        self.conflict = -1.0  # intensity while a conflict zone, else -1
        self.score = 1.0
        self.km: dict[str, float] = {}  # length of the link to each neighbour, by name

    def update_score(self, rules: dict[str, Any]) -> None:
        """Flee's ``scoring.updateLocationScore`` (no conflict decay)."""
        score = 1.0
        if self.foreign:
            score *= rules["foreign_weight"]
        if self.kind == "camp":
            score *= rules["camp_weight"]
        if self.conflict > 0.0:
            score *= rules["conflict_weight"] ** self.conflict
        self.score = score

    def capacity_factor(self, buffer: float) -> float:
        """Flee's ``getCapMultiplier``: 1 below ``buffer × capacity``, 0 at capacity, linear
        between; always 1 without a capacity."""
        if self.camp_capacity < 1:
            return 1.0
        n = len(self.agents)
        if n <= buffer * self.camp_capacity:
            return 1.0
        if n >= self.camp_capacity:
            return 0.0
        return 1.0 - (n - buffer * self.camp_capacity) / ((1.0 - buffer) * self.camp_capacity)


class Refugee(CellAgent):
    """One displaced person. At a location ``cell`` is that location; on a link ``cell`` is None
    and ``link`` holds (origin, destination, km)."""

    def __init__(self, model: FleeModel, cell: Location) -> None:
        super().__init__(model)
        self.cell = cell
        self.link: tuple[Location, Location, float] | None = None
        self.km_on_link = 0.0
        self.km_today = 0.0

    # pass 1 ------------------------------------------------------------------------------
    def decide(self) -> None:
        """Flee's ``Person.evolve``: a person at a location may leave it."""
        self.km_today = 0.0
        if self.link is None:
            self.leave_or_stay()

    def leave_or_stay(self) -> None:
        here = self.cell
        if self.random.random() >= here.movechance:
            return
        there = self.choose_destination(here)
        if there is None:
            return
        buffer = self.model.rules["capacity_buffer"]
        if there.kind == "camp" and there.capacity_factor(buffer) < 0.5:
            return  # the route ends at a (nearly) full camp: stay today
        self.link = (here, there, here.km[there.coordinate])
        self.km_on_link = 0.0
        self.cell = None  # on the link: counted at no location

    def choose_destination(self, here: Location) -> Location | None:
        """Awareness level 1: one neighbour, drawn with Flee's link weights."""
        rules = self.model.rules
        options = list(here.connections.values())
        if not options:
            return None
        weights = [
            (
                (rules["weight_softening"] + there.score)
                / (rules["softening"] + here.km[there.coordinate]) ** rules["distance_power"]
                * there.capacity_factor(rules["capacity_buffer"])
            )
            ** rules["weight_power"]
            for there in options
        ]
        if sum(weights) <= 0.0:
            return self.random.choice(options)
        return self.random.choices(options, weights=weights)[0]

    # pass 2 ------------------------------------------------------------------------------
    def travel(self) -> None:
        """Flee's ``Person.finish_travel``: move along the link; on arrival with distance to
        spare, decide again and, if leaving, travel a full day's allowance on the new link."""
        if self.link is None:
            return
        speed = self.model.rules["max_move_speed"]
        _origin, there, km = self.link
        self.km_on_link += speed
        self.km_today += speed
        if self.km_on_link <= km:
            return  # still on the link tomorrow
        self.km_today += km - self.km_on_link  # count only the km to the end of the link
        self.link = None
        self.cell = there
        if self.km_today < speed:
            self.leave_or_stay()
            self.travel()


# --------------------------------------------------------------------------- model
class FleeModel(mesa.Model):
    """A Flee 3.1 scenario directory as a Mesa model; one ``step`` is one day."""

    def __init__(self, scenario: Path, seed: int = 0, days: int | None = None) -> None:
        super().__init__(seed=seed)
        self.rules, hasten = read_settings(scenario / "simsetting.yml")
        inp = scenario / "input_csv"
        self.days = days or read_period(inp)

        rows = read_rows(inp / "locations.csv")
        graph = nx.Graph()
        graph.add_nodes_from(row[0] for row in rows)
        for a, b, km, *_ in read_rows(inp / "routes.csv"):
            graph.add_edge(a, b, distance=float(km))
        self.space = Network(graph, random=self.random, cell_klass=Location)
        self.locations: dict[str, Location] = {
            cell.coordinate: cell for cell in self.space.all_cells
        }
        home = rows[0][2]
        for name, _region, country, _lat, _lon, kind, conflict_date, pop, *_ in rows:
            kind = kind.lower()
            if "conflict" in kind and int(conflict_date) > 0:
                kind = "town"  # a later conflict zone: switched on by conflicts.csv
            loc = self.locations[name]
            self.setup_location(loc, kind, foreign=country != home)
            if loc.kind == "camp":
                loc.camp_capacity = int(pop or 0) // hasten
        for loc in self.locations.values():
            loc.km = {b: d["distance"] for _, b, d in graph.edges(loc.coordinate, data=True)}

        self.conflict_names, self.conflict_values = read_conflicts(inp / "conflicts.csv")
        homes = [self.locations[row[0]] for row in read_agent_rows(inp / "agents.csv")]
        Refugee.create_agents(self, len(homes), cell=homes)
        self.agent_steps = 0

    def setup_location(self, loc: Location, kind: str, foreign: bool) -> None:
        rules = self.rules
        loc.foreign = foreign
        if "camp" in kind and kind != "idpcamp":
            loc.kind, loc.movechance = "camp", rules["camp_movechance"]
        elif "conflict" in kind:
            loc.kind, loc.movechance = "conflict", rules["conflict_movechance"]
            loc.conflict = 1.0
        elif kind in ("town", "default"):
            loc.kind, loc.movechance = "town", rules["default_movechance"]
        else:
            raise SystemExit(f"location type {kind!r} is not implemented in the Mesa peer")
        if loc.kind != "camp" and loc.movechance < 0.005:  # Flee turns such a place into a camp
            loc.kind = "camp"

    def update_conflict_zones(self, t: int) -> None:
        """Flee 3.1's ``AddNewConflictZones`` with a conflicts.csv."""
        rules = self.rules
        for name, series in zip(self.conflict_names, self.conflict_values, strict=True):
            loc = self.locations[name]
            now, before = series[t], series[t - 1] if t > 0 else 0.0
            if now > EPS and (t == 0 or before < EPS):
                loc.kind, loc.conflict = "conflict", now
                loc.movechance = rules["conflict_movechance"]
            if now < EPS and t > 0 and before == 1:  # 3.1: ends only after an intensity of 1
                loc.kind, loc.conflict = "town", -1.0
                loc.movechance = rules["default_movechance"]

    def step(self) -> None:
        t = self.steps - 1  # Mesa counts the step before calling it
        self.update_conflict_zones(t)
        for loc in self.locations.values():
            loc.update_score(self.rules)
        self.agents.do("decide")
        self.agents.do("travel")
        self.agent_steps += len(self.agents)

    def camp_populations(self) -> dict[str, int]:
        return {n: len(loc.agents) for n, loc in self.locations.items() if loc.kind == "camp"}


# --------------------------------------------------------------------------- scenario files
def read_settings(path: Path) -> tuple[dict[str, Any], int]:
    settings = (yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}) or {}
    given = settings.get("move_rules") or {}
    for key in UNSUPPORTED_RULES:
        if given.get(key):
            raise SystemExit(f"move_rules.{key} is not implemented in the Mesa peer")
    rules = {key: type(default)(given.get(key, default)) for key, default in MOVE_RULES.items()}
    if rules["awareness_level"] != 1:
        raise SystemExit("the Mesa peer implements awareness_level 1 only")
    spawn = settings.get("spawn_rules") or {}
    if not spawn.get("read_from_agents_csv_file"):
        raise SystemExit("the Mesa peer places its agents from agents.csv only")
    hasten = int((settings.get("optimisations") or {}).get("hasten", 1))
    return rules, hasten


def read_rows(path: Path) -> list[list[str]]:
    """Data rows of a Flee CSV (lines starting with ``#`` and empty lines skipped)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [row for row in csv.reader(fh) if row and not row[0].startswith("#")]


def read_period(inp: Path) -> int:
    for name in ("conflict_period.csv", "sim_period.csv"):
        if (inp / name).is_file():
            with (inp / name).open(newline="", encoding="utf-8") as fh:
                return next(int(row[1]) for row in csv.reader(fh) if row and row[0] == "Length")
    raise SystemExit(f"{inp}: no conflict_period.csv or sim_period.csv")


def read_conflicts(path: Path) -> tuple[list[str], list[list[float]]]:
    """Column names and per-column daily intensities of conflicts.csv (first row = header)."""
    with path.open(newline="", encoding="utf-8") as fh:
        header, *rows = [row for row in csv.reader(fh) if row]
    names = [name.strip() for name in header[1:]]
    columns = [[float(row[c + 1]) for row in rows] for c in range(len(names))]
    return names, columns


def read_agent_rows(path: Path) -> list[list[str]]:
    """Flee's ``ReadAgentsFromCSV``: the first data row is the header, every later one an agent."""
    return read_rows(path)[1:]


# --------------------------------------------------------------------------- entry point
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--days", type=int, default=None, help="override the period length")
    ap.add_argument("--camps", action="store_true", help="report the final camp populations")
    args = ap.parse_args()

    model = FleeModel(args.scenario.resolve(), seed=args.seed, days=args.days)
    agents_initial = len(model.agents)
    t_loop = time.perf_counter()
    for _ in range(model.days):
        model.step()
    loop_s = time.perf_counter() - t_loop
    wall_s = time.perf_counter() - T_START

    result: dict[str, Any] = {
        "peer": "mesa",
        "mesa_version": mesa.__version__,
        "scenario": args.scenario.name,
        "seed": args.seed,
        "wall_s": round(wall_s, 3),
        "setup_s": round(t_loop - T_START, 3),
        "loop_s": round(loop_s, 3),
        "agent_steps": model.agent_steps,
        "agent_steps_per_s": round(model.agent_steps / loop_s, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "days": model.days,
        "agents_initial": agents_initial,
        "agents_final": len(model.agents),
    }
    if args.camps:
        result["camps"] = model.camp_populations()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
