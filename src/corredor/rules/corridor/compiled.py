"""A corridor scenario compiled to arrays: what the day processes read.

:func:`compile_corridor` turns a validated :class:`~corredor.scenario.corridor.CorridorScenario`
(plus calibration overrides) into :class:`Compiled`: integer codes for places, groups, services
and zones; the link graph in CSR order; the km to the northern border from every place; and
every parameter as a daily NumPy array over the simulated days, with the scenario's policy events
applied (``corredor.policy.PolicyTimeline``). Nothing here is specific to Mexico: the mechanisms
read kinds (``border_city``, ``asylum_office``…) and the scenario's names.

A parameter written ``$name`` follows ``calibration.<name>`` on every day unless a policy event
changes the site itself, so an event on a calibration parameter changes all its uses. Outcome
tables are recomputed on the days one of their probabilities changes; ``rest`` is one minus the
others that day.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from corredor.engine.services import N_VERBS, ServiceTable, ServiceTime, Verb
from corredor.errors import ScenarioError
from corredor.policy import PolicyTimeline
from corredor.scenario.corridor import CorridorScenario, Param, parameter_index
from corredor.scenario.corridor.base import DEFAULT_SELECTOR, best_selector
from corredor.scenario.corridor.runcheck import check_run
from corredor.scenario.corridor.services import TO_ORIGIN

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]

#: Location kind codes (``Compiled.loc_kind``).
KIND_CODES = {
    "origin": 0,
    "crossing": 1,
    "town": 2,
    "city": 3,
    "border_city": 4,
    "port": 5,
    "destination": 6,
}
BORDER_CITY = KIND_CODES["border_city"]
#: Service kinds an agent may apply to on the way (asylum, visas) and at the border (ports).
TRANSIT_KINDS = ("asylum_office", "visa_office")
PORT_KIND = "port_intake"
DETENTION_KIND = "detention"
#: Verbs that leave the agent inside the destination country for good.
_DEST_VERBS = (Verb.ADMIT,)


@dataclass
class VerbArgs:
    """The arguments of every (service, group, verb) outcome: place, service, days, status."""

    place: IntArray  # (S, G, V) location index or -1
    service: IntArray  # (S, G, V) target service or -1
    days: FloatArray  # (S, G, V) wait length (return_to_wait)
    status: IntArray  # (S, G, V) status code (0 = none)
    to_origin: npt.NDArray[np.bool_]  # (S, G, V) deport to the agent's origin


@dataclass
class Compiled:
    scenario: CorridorScenario
    calibration: dict[str, float]
    start: dt.date
    days: int
    # places
    loc_names: tuple[str, ...]
    loc_kind: npt.NDArray[np.int8]
    loc_country: tuple[str, ...]
    loc_in_dest: npt.NDArray[np.bool_]  # in the destination country (United States)
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
    # groups
    nat_names: tuple[str, ...]
    dem_names: tuple[str, ...]
    group_nat: IntArray
    group_dem: IntArray
    nat_country: tuple[str, ...]
    share_cum: FloatArray  # (N, D) cumulative demographic shares per nationality
    # origins
    origin_names: tuple[str, ...]
    origin_loc: IntArray
    origin_nat: IntArray
    departures: FloatArray  # (T, O) expected departures per day
    # caravans (group departures)
    caravan_names: tuple[str, ...]
    caravan_origin: IntArray  # (K,) origin index
    caravan_target: IntArray  # (K,) border city index, -1: each agent chooses
    caravan_departures: FloatArray  # (T, K) expected caravan departures per day
    caravan_hazard: FloatArray  # (K + 1,) hazard multiplier on the way; [0] = 1 (no caravan)
    # zones
    zone_names: tuple[str, ...]
    zone_of_loc: IntArray  # (L,) -1: none
    zone_hazard: FloatArray  # (T, Z, G) hazard per unit of effort per day
    zone_effort: FloatArray  # (T, Z)
    zone_detention: IntArray  # (Z,) service index
    zone_in_dest: npt.NDArray[np.bool_]
    # services
    svc_names: tuple[str, ...]
    svc_kind: tuple[str, ...]
    svc_loc: IntArray
    svc_model: npt.NDArray[np.int8]
    svc_capacity: FloatArray  # (T, S) per-day capacity or servers
    svc_mean_days: FloatArray  # (T, S)
    svc_abandon: FloatArray  # (T, S)
    svc_open: npt.NDArray[np.bool_]  # (T, S)
    svc_screen_p: FloatArray  # (T, S)
    svc_screen_claim: FloatArray  # (T, S)
    svc_screen_refer: IntArray  # (S,) -1: no screening
    outcome_days: tuple[int, ...]  # days on which outcome tables change (0 first)
    outcome_tables: tuple[FloatArray, ...]  # each (S, G, V)
    verb_args: VerbArgs
    status_names: tuple[str, ...]
    protected_status: npt.NDArray[np.bool_]  # (statuses,) exempt from transit enforcement
    # decisions (T,) arrays by name, e.g. "weights.distance", "options.wait.max_days"
    decision: dict[str, FloatArray] = field(default_factory=dict)
    # every parameter per day (dotted name -> (T,)), for reports and tests
    timeline: PolicyTimeline | None = None
    #: what validation says the run does that a user should know (one line each)
    warnings: tuple[str, ...] = ()

    @property
    def n_groups(self) -> int:
        return len(self.group_nat)

    def group_name(self, g: int) -> str:
        return f"{self.nat_names[self.group_nat[g]]}_{self.dem_names[self.group_dem[g]]}"

    def outcome_table_on(self, day: int) -> FloatArray:
        i = int(np.searchsorted(self.outcome_days, day, side="right")) - 1
        return self.outcome_tables[i]

    def service_table(self) -> ServiceTable:
        return ServiceTable.create(
            self.svc_names,
            n_groups=self.n_groups,
            capacity=self.svc_capacity[0],
            model=self.svc_model,
            mean_days=np.maximum(self.svc_mean_days[0], 1.0),
            abandon_hazard=self.svc_abandon[0],
            outcome_p=self.outcome_tables[0],
        )


# ============================================================================== compile
def compile_corridor(
    scenario: CorridorScenario,
    calibration: Mapping[str, float] | None = None,
    *,
    days: int | None = None,
    extra_events: tuple[Any, ...] = (),
) -> Compiled:
    """Arrays for the engine (module docstring). ``calibration`` overrides parameter defaults;
    ``days`` shortens the run; ``extra_events`` are added to the scenario's policy events."""
    # the one validation of `corredor validate` and of every run: calibration values, every
    # parameter on every day of the policy timeline, sizes (raises ScenarioError)
    check = check_run(scenario, calibration, days=days, extra_events=extra_events)
    cal, timeline, T = check.calibration, check.timeline, check.days
    start = scenario.start
    daily = timeline.daily(start, start + dt.timedelta(days=T))
    index = parameter_index(scenario)
    touched = {c.parameter for e in timeline.events for c in e.changes}

    def series(dotted: str) -> FloatArray:
        """A site's daily values: the site's own changes, else its calibration parameter's."""
        p = index.get(dotted)
        if p is not None and p.ref is not None and dotted not in touched:
            return np.asarray(daily[f"calibration.{p.ref}"])
        if dotted in daily:
            return np.asarray(daily[dotted])
        raise KeyError(dotted)

    def const(p: Param) -> float:
        v = p.default(cal)
        if v is None:
            raise ValueError("rest is only allowed in outcome tables")
        return float(v)

    # ------------------------------------------------------------------ places and links
    locs = scenario.locations.rows
    loc_names = tuple(loc.name for loc in locs)
    loc_ix = {n: i for i, n in enumerate(loc_names)}
    dest_country = _destination_country(scenario)
    loc_kind = np.array([KIND_CODES[loc.kind] for loc in locs], dtype=np.int8)
    loc_in_dest = np.array([loc.country == dest_country for loc in locs])
    zone_names = tuple(z.name for z in scenario.enforcement.zones)
    zone_ix = {n: i for i, n in enumerate(zone_names)}
    edges: list[tuple[int, int, float, float, float, int]] = []
    for ln in scenario.links.rows:
        a, b = loc_ix[ln.from_], loc_ix[ln.to]
        km, speed, risk = const(ln.km), const(ln.speed), const(ln.risk)
        if ln.km_type in scenario.circuity:
            # e.g. great-circle km × circuity = the distance actually travelled
            km *= const(scenario.circuity[ln.km_type])
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
    link_crossing = loc_in_dest[link_to] & ~loc_in_dest[link_from]
    link_km = np.array([e[2] for e in edges])
    border_ix = np.flatnonzero(loc_kind == BORDER_CITY).astype(np.int32)
    dist = _dist_to(L, edges, targets=border_ix, blocked=loc_in_dest)
    dist_to_city = np.array(
        [_dist_to(L, edges, targets=np.array([b]), blocked=loc_in_dest) for b in border_ix]
    ).reshape(len(border_ix), L)
    border_of_loc = np.full(L, -1, dtype=np.int32)
    border_of_loc[border_ix] = np.arange(len(border_ix), dtype=np.int32)

    # ------------------------------------------------------------------ groups
    nat_names = tuple(scenario.nationalities)
    dem_names = tuple(scenario.groups.demographics)
    N, D = len(nat_names), len(dem_names)
    group_nat = np.repeat(np.arange(N, dtype=np.int32), D)
    group_dem = np.tile(np.arange(D, dtype=np.int32), N)
    shares = np.zeros((N, D))
    for n, nat in enumerate(nat_names):
        table = scenario.groups.shares.get(nat, {})
        fixed = {d: const(p) for d, p in table.items() if not p.rest}
        rest = max(0.0, 1.0 - sum(fixed.values()))
        for d, dem in enumerate(dem_names):
            p = table.get(dem)
            shares[n, d] = 0.0 if p is None else (rest if p.rest else fixed[dem])
        if shares[n].sum() <= 0:
            shares[n, 0] = 1.0
        shares[n] /= shares[n].sum()
    share_cum = np.cumsum(shares, axis=1)
    share_cum[:, -1] = 1.0

    # ------------------------------------------------------------------ origins
    origin_names = tuple(o.name for o in scenario.origins)
    origin_loc = np.array([loc_ix[o.location] for o in scenario.origins], dtype=np.int32)
    origin_nat = np.array([nat_names.index(o.nationality) for o in scenario.origins], np.int32)
    departures = np.zeros((T, len(scenario.origins)))
    dates = np.array([start + dt.timedelta(days=i) for i in range(T)], dtype="datetime64[D]")
    for k, o in enumerate(scenario.origins):
        lam = series(f"origins.{o.name}.base_daily_departures").copy()
        if o.share is not None and o.share.rest:
            # one minus the shares of the nationality's other origins
            others = [
                series(f"origins.{x.name}.share")
                for x in scenario.origins
                if x.nationality == o.nationality and x is not o and x.share is not None
            ]
            lam *= np.clip(1.0 - np.sum(others, axis=0), 0.0, 1.0)
        elif o.share is not None:
            lam *= series(f"origins.{o.name}.share")
        for driver in o.drivers:
            x = _driver_daily(o.series, driver, dates)
            x0 = _driver_daily(o.series, driver, dates[:1])[0]
            e = series(f"origins.{o.name}.drivers.{driver}")
            lam *= (np.maximum(x, 1e-12) / max(x0, 1e-12)) ** e
        departures[:, k] = lam / scenario.people_per_agent

    # ------------------------------------------------------------------ caravans
    K = len(scenario.caravans)
    origin_ix = {n: i for i, n in enumerate(origin_names)}
    caravan_origin = np.array(
        [origin_ix[k.origin] for k in scenario.caravans], dtype=np.int32
    ).reshape(K)
    caravan_target = np.full(K, -1, dtype=np.int32)
    caravan_departures = np.zeros((T, K))
    # index 0: not in a caravan; caravan k is k + 1 in the agents' ``caravan`` column
    caravan_hazard = np.ones(K + 1)
    for k, car in enumerate(scenario.caravans):
        name = f"caravans.{car.name}"
        if car.target is not None:
            caravan_target[k] = border_of_loc[loc_ix[car.target]]
        d0 = (car.date - start).days
        people = series(f"{name}.people")
        for d in range(max(d0, 0), min(d0 + car.days, T)):
            caravan_departures[d, k] = people[d] / car.days / scenario.people_per_agent
        caravan_hazard[k + 1] = float(series(f"{name}.hazard_multiplier")[max(min(d0, T - 1), 0)])

    # ------------------------------------------------------------------ services
    services = scenario.services
    svc_names = tuple(s.name for s in services)
    svc_ix = {n: i for i, n in enumerate(svc_names)}
    S, G = len(services), N * D
    svc_loc = np.array([loc_ix[s.location] for s in services], dtype=np.int32)
    svc_model = np.array(
        [
            ServiceTime.SERVERS if s.service_time.model == "servers" else ServiceTime.IMMEDIATE
            for s in services
        ],
        dtype=np.int8,
    )
    cap = np.zeros((T, S))
    mean_days = np.ones((T, S))
    abandon = np.zeros((T, S))
    is_open = np.ones((T, S), dtype=bool)
    screen_p = np.zeros((T, S))
    screen_claim = np.zeros((T, S))
    screen_refer = np.full(S, -1, dtype=np.int32)
    for s, svc in enumerate(services):
        name = f"services.{svc.name}"
        if svc_model[s] == ServiceTime.SERVERS:
            cap[:, s] = np.floor(series(f"{name}.service_time.servers") + 1e-9)
            mean_days[:, s] = np.maximum(series(f"{name}.service_time.mean_days"), 1.0)
        else:
            cap[:, s] = series(f"{name}.capacity") if svc.capacity is not None else np.inf
        if svc.abandonment is not None:
            abandon[:, s] = np.clip(series(f"{name}.abandonment"), 0, 1)
        if svc.start is not None:
            is_open[: max(0, min(T, (svc.start - start).days)), s] = False
        if svc.end is not None:
            is_open[max(0, (svc.end - start).days) :, s] = False
        if svc.screening is not None:
            if svc.screening.refer not in svc_ix:
                raise ScenarioError(
                    scenario.path,
                    f"service {svc.name!r} refers screened agents to unknown service "
                    f"{svc.screening.refer!r}",
                    field=f"services.{svc.name}.screening.refer",
                    fix=f"use one of: {', '.join(svc_names)}",
                )
            screen_refer[s] = svc_ix[svc.screening.refer]
            screen_p[:, s] = series(f"{name}.screening.p")
            screen_claim[:, s] = series(f"{name}.screening.claim")
    cap[~is_open] = 0.0

    # statuses
    statuses: list[str] = ["none"]
    for svc in services:
        for table in svc.outcomes.values():
            for oc in table.values():
                if oc.status and oc.status not in statuses:
                    statuses.append(oc.status)
    protected = np.array([_protects_in_transit(s) for s in statuses])

    # outcome tables: which selector applies to each group, daily probabilities
    V = N_VERBS
    args = VerbArgs(
        place=np.full((S, G, V), -1, dtype=np.int32),
        service=np.full((S, G, V), -1, dtype=np.int32),
        days=np.zeros((S, G, V)),
        status=np.zeros((S, G, V), dtype=np.int32),
        to_origin=np.zeros((S, G, V), dtype=bool),
    )
    # (s, g) -> [(verb, daily p array or None for rest)]
    cells: list[tuple[int, int, list[tuple[int, FloatArray | None]]]] = []
    change_days: set[int] = {0}
    for s, svc in enumerate(services):
        for g in range(G):
            sel = best_selector(
                svc.outcomes, nat_names[group_nat[g]], dem_names[group_dem[g]], nat_names, dem_names
            )
            if sel is None:
                sel = DEFAULT_SELECTOR if DEFAULT_SELECTOR in svc.outcomes else None
            if sel is None:
                cells.append((s, g, [(int(Verb.RELEASE), None)]))
                continue
            row: list[tuple[int, FloatArray | None]] = []
            for verb_name, oc in svc.outcomes[sel].items():
                v = int(Verb[verb_name.upper()])
                path = f"services.{svc.name}.outcomes.{sel}.{verb_name}"
                if oc.p.rest and f"{path}.p" not in touched:
                    row.append((v, None))
                else:
                    arr = series(f"{path}.p")
                    change_days.update((np.flatnonzero(np.diff(arr)) + 1).tolist())
                    row.append((v, arr))
                if oc.place is not None:
                    args.place[s, g, v] = loc_ix[oc.place]
                if oc.to is not None:
                    if oc.to == TO_ORIGIN:
                        args.to_origin[s, g, v] = True
                    else:
                        args.place[s, g, v] = loc_ix[oc.to]
                if oc.service is not None:
                    args.service[s, g, v] = svc_ix[oc.service]
                if oc.days is not None:
                    args.days[s, g, v] = float(series(f"{path}.days")[0])
                if oc.status is not None:
                    args.status[s, g, v] = statuses.index(oc.status)
            cells.append((s, g, row))
    outcome_days = tuple(sorted(d for d in change_days if d < T))
    tables = []
    for d in outcome_days:
        p = np.zeros((S, G, V))
        for s, g, row in cells:
            rest_v = -1
            for v, arr in row:
                if arr is None:
                    rest_v = v
                else:
                    p[s, g, v] = float(np.clip(arr[d], 0.0, 1.0))
            total = p[s, g].sum()
            if rest_v >= 0:
                p[s, g, rest_v] = max(0.0, 1.0 - total)
            total = p[s, g].sum()
            if total <= 0:
                p[s, g, Verb.RELEASE] = 1.0
            else:
                p[s, g] /= total
        tables.append(p)

    # ------------------------------------------------------------------ zones
    Z = len(zone_names)
    zone_of_loc = np.full(L, -1, dtype=np.int32)
    zone_hazard = np.zeros((T, Z, G))
    zone_effort = np.zeros((T, Z))
    zone_detention = np.zeros(Z, dtype=np.int32)
    zone_in_dest = np.zeros(Z, dtype=bool)
    for zi, zone in enumerate(scenario.enforcement.zones):
        for name in zone.locations:
            zone_of_loc[loc_ix[name]] = zi
        zone_effort[:, zi] = series(f"enforcement.{zone.name}.effort")
        for g in range(G):
            sel = best_selector(
                zone.hazard, nat_names[group_nat[g]], dem_names[group_dem[g]], nat_names, dem_names
            )
            if sel is not None:
                zone_hazard[:, zi, g] = series(f"enforcement.{zone.name}.hazard.{sel}")
        zone_detention[zi] = svc_ix[zone.detention]
        zone_in_dest[zi] = bool(loc_in_dest[svc_loc[svc_ix[zone.detention]]])

    decision: dict[str, FloatArray] = {}
    if scenario.decisions is not None:
        for key in type(scenario.decisions.weights).model_fields:
            if key != "source":
                decision[f"weights.{key}"] = series(f"decisions.weights.{key}")
        for opt, params in scenario.decisions.options.items():
            for key in params:
                decision[f"options.{opt}.{key}"] = series(f"decisions.options.{opt}.{key}")
    for name in scenario.calibration:
        decision.setdefault(f"calibration.{name}", series(f"calibration.{name}"))

    return Compiled(
        scenario=scenario,
        calibration=cal,
        start=start,
        days=T,
        loc_names=loc_names,
        loc_kind=loc_kind,
        loc_country=tuple(loc.country for loc in locs),
        loc_in_dest=loc_in_dest,
        loc_lat=np.array([np.nan if loc.lat is None else loc.lat for loc in locs]),
        loc_lon=np.array([np.nan if loc.lon is None else loc.lon for loc in locs]),
        out_off=out_off,
        link_from=link_from,
        link_to=link_to,
        link_km=link_km,
        link_days=np.array([e[3] for e in edges]),
        link_risk=np.array([e[4] for e in edges]),
        link_zone=np.array([e[5] for e in edges], dtype=np.int32),
        link_crossing=link_crossing,
        dist_border=dist,
        border_ix=border_ix,
        border_of_loc=border_of_loc,
        dist_to_city=dist_to_city,
        nat_names=nat_names,
        dem_names=dem_names,
        group_nat=group_nat,
        group_dem=group_dem,
        nat_country=tuple(scenario.nationalities[n] for n in nat_names),
        share_cum=share_cum,
        origin_names=origin_names,
        origin_loc=origin_loc,
        origin_nat=origin_nat,
        departures=departures,
        caravan_names=tuple(k.name for k in scenario.caravans),
        caravan_origin=caravan_origin,
        caravan_target=caravan_target,
        caravan_departures=caravan_departures,
        caravan_hazard=caravan_hazard,
        zone_names=zone_names,
        zone_of_loc=zone_of_loc,
        zone_hazard=zone_hazard,
        zone_effort=zone_effort,
        zone_detention=zone_detention,
        zone_in_dest=zone_in_dest,
        svc_names=svc_names,
        svc_kind=tuple(s.kind for s in services),
        svc_loc=svc_loc,
        svc_model=svc_model,
        svc_capacity=cap,
        svc_mean_days=mean_days,
        svc_abandon=abandon,
        svc_open=is_open,
        svc_screen_p=screen_p,
        svc_screen_claim=screen_claim,
        svc_screen_refer=screen_refer,
        outcome_days=outcome_days,
        outcome_tables=tuple(tables),
        verb_args=args,
        status_names=tuple(statuses),
        protected_status=protected,
        decision=decision,
        timeline=timeline,
        warnings=check.warnings,
    )


# ============================================================================== helpers
def _destination_country(scenario: CorridorScenario) -> str:
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


def _protects_in_transit(status: str) -> bool:
    """Statuses that give a document in the transit country (visa, protection, pending claim)."""
    s = status.lower()
    return any(k in s for k in ("visa", "refugee", "protection", "asylum_pending"))


def _dist_to(
    n: int,
    edges: list[tuple[int, int, float, float, float, int]],
    *,
    targets: npt.NDArray[np.int64],
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


def _driver_daily(series: Any, driver: str, dates: npt.NDArray[Any]) -> FloatArray:
    """A driver's value on each date: linear between its points, held beyond the ends."""
    pts = sorted((p.date, p.value) for p in series if p.driver == driver)
    if not pts:
        return np.ones(dates.shape[0])
    x = np.array([np.datetime64(d, "D").astype(np.int64) for d, _ in pts], dtype=np.float64)
    y = np.array([v for _, v in pts])
    return np.interp(dates.astype(np.int64).astype(np.float64), x, y)
