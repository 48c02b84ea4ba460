"""Compile step: places and links (``docs/model.md`` §3.3.1).

Places get integer codes in the scenario's order; links become directed edges (an undirected
link row gives two), sorted by origin place (CSR: ``out_off``), with km × the scenario's
``circuity`` for the link's ``km_type``, days on the link (km / speed), risk and enforcement
zone. A link *crosses* when it leads into the destination country from outside. Distances: the
shortest km from every place to the nearest border city (``dist_border``) and to each border
city (``dist_to_city``), by Dijkstra on the reversed links, never through the destination.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from corredor.errors import ScenarioError
from corredor.rules.corridor.compile.params import DailyParameters
from corredor.rules.corridor.kinds import BORDER_CITY, KIND_CODES
from corredor.scenario.corridor import CorridorScenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
Edge = tuple[int, int, float, float, float, int]  # from, to, km, days, risk, zone


@dataclass
class Network:
    """Places and links of a corridor (part of ``Compiled``)."""

    # places
    loc_names: tuple[str, ...]
    loc_kind: npt.NDArray[np.int8]
    loc_country: tuple[str, ...]
    loc_in_dest: npt.NDArray[np.bool_]  # in the destination country
    loc_lat: FloatArray
    loc_lon: FloatArray
    # links (CSR by origin node)
    out_off: npt.NDArray[np.int64]
    link_from: IntArray
    link_to: IntArray
    link_km: FloatArray
    link_days: FloatArray  # km / speed
    link_risk: FloatArray
    link_zone: IntArray  # -1: none
    link_crossing: npt.NDArray[np.bool_]  # leads into the destination country from outside
    dist_border: FloatArray  # km to the nearest border city (inf: none reachable)
    border_ix: IntArray  # (B,) the border cities (places of kind border_city)
    border_of_loc: IntArray  # (L,) index into border_ix, -1: not a border city
    dist_to_city: FloatArray  # (B, L) km from every place to each border city (inf: none)


def compile_network(p: DailyParameters) -> Network:
    scenario = p.scenario
    locs = scenario.locations.rows
    loc_names = tuple(loc.name for loc in locs)
    loc_ix = {n: i for i, n in enumerate(loc_names)}
    dest_country = destination_country(scenario)
    loc_kind = np.array([KIND_CODES[loc.kind] for loc in locs], dtype=np.int8)
    loc_in_dest = np.array([loc.country == dest_country for loc in locs])
    zone_ix = {z.name: i for i, z in enumerate(scenario.enforcement.zones)}
    edges: list[Edge] = []
    for ln in scenario.links.rows:
        a, b = loc_ix[ln.from_], loc_ix[ln.to]
        km, speed, risk = p.const(ln.km), p.const(ln.speed), p.const(ln.risk)
        if ln.km_type in scenario.circuity:
            # e.g. great-circle km × circuity = the distance actually travelled
            km *= p.const(scenario.circuity[ln.km_type])
        z = zone_ix[ln.enforcement_exposure] if ln.enforcement_exposure else -1
        days_on = km / speed if speed > 0 else np.inf
        edges.append((a, b, km, days_on, risk, z))
        if not ln.directed:
            edges.append((b, a, km, days_on, risk, z))
    for zi, zone in enumerate(scenario.enforcement.zones):
        for label in zone.links:
            a_name, _, b_name = (s.strip() for s in label.partition("->"))
            for k, e in enumerate(edges):
                if e[0] == loc_ix[a_name] and e[1] == loc_ix[b_name]:
                    edges[k] = (*e[:5], zi)
    edges.sort(key=lambda e: (e[0], e[1]))
    L = len(locs)
    link_from = np.array([e[0] for e in edges], dtype=np.int32)
    out_off = np.zeros(L + 1, dtype=np.int64)
    np.cumsum(np.bincount(link_from, minlength=L), out=out_off[1:])
    link_to = np.array([e[1] for e in edges], dtype=np.int32)
    border_ix = np.flatnonzero(loc_kind == BORDER_CITY).astype(np.int32)
    dist = dist_to(L, edges, targets=border_ix, blocked=loc_in_dest)
    dist_to_city = np.array(
        [dist_to(L, edges, targets=np.array([b]), blocked=loc_in_dest) for b in border_ix]
    ).reshape(len(border_ix), L)
    border_of_loc = np.full(L, -1, dtype=np.int32)
    border_of_loc[border_ix] = np.arange(len(border_ix), dtype=np.int32)
    return Network(
        loc_names=loc_names,
        loc_kind=loc_kind,
        loc_country=tuple(loc.country for loc in locs),
        loc_in_dest=loc_in_dest,
        loc_lat=np.array([np.nan if loc.lat is None else loc.lat for loc in locs]),
        loc_lon=np.array([np.nan if loc.lon is None else loc.lon for loc in locs]),
        out_off=out_off,
        link_from=link_from,
        link_to=link_to,
        link_km=np.array([e[2] for e in edges]),
        link_days=np.array([e[3] for e in edges]),
        link_risk=np.array([e[4] for e in edges]),
        link_zone=np.array([e[5] for e in edges], dtype=np.int32),
        link_crossing=loc_in_dest[link_to] & ~loc_in_dest[link_from],
        dist_border=dist,
        border_ix=border_ix,
        border_of_loc=border_of_loc,
        dist_to_city=dist_to_city,
    )


def destination_country(scenario: CorridorScenario) -> str:
    """The country of the scenario's ``destination`` locations."""
    for loc in scenario.locations.rows:
        if loc.kind == "destination":
            return loc.country
    raise ScenarioError(
        scenario.path,
        "the scenario has no location of kind 'destination'",
        field="locations",
        fix="add the destination country's interior as a location with kind destination",
    )


def dist_to(
    n: int,
    edges: list[Edge],
    *,
    targets: npt.NDArray[np.integer],
    blocked: npt.NDArray[np.bool_],
) -> FloatArray:
    """Shortest km from every node to the nearest target (Dijkstra on reversed links), not
    passing through ``blocked`` nodes."""
    rev: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for a, b, km, *_ in edges:
        if not blocked[a] and not blocked[b]:
            rev[b].append((a, km))
    dist = np.full(n, np.inf)
    heap: list[tuple[float, int]] = []
    for t in targets:
        dist[t] = 0.0
        heap.append((0.0, int(t)))
    heapq.heapify(heap)
    while heap:
        d, v = heapq.heappop(heap)
        if d > dist[v]:
            continue
        for u, km in rev[v]:
            if d + km < dist[u]:
                dist[u] = d + km
                heapq.heappush(heap, (d + km, u))
    return dist
