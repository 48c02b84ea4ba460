"""Cross-reference checks of a validated scenario: names that must exist, tables that must sum.

Pydantic checks each value on its own; these checks need the whole scenario: a link to an
unknown location, a service at an unknown place, a verb's place unknown, an outcome table whose
probabilities do not sum to 1, a group without an outcome, a zone without its detention service.
Each failure is a :class:`Problem` with the YAML path (or CSV file and line) and a fix.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable

from corredor.scenario.corridor.analysis_checks import check_analysis
from corredor.scenario.corridor.bargaining_checks import check_bargaining
from corredor.scenario.corridor.base import selector_targets
from corredor.scenario.corridor.geography import Link
from corredor.scenario.corridor.model import CorridorScenario
from corredor.scenario.corridor.params import Param
from corredor.scenario.corridor.problems import Problem
from corredor.scenario.corridor.services import TO_ORIGIN, VERB_FIELDS, Service
from corredor.scenario.corridor.yaml_lines import PathKey

TOLERANCE = 1e-9


def _closest(name: str, names: Iterable[str], limit: int = 8) -> str:
    pool = sorted(names)
    close = difflib.get_close_matches(name, pool, n=3)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    shown = ", ".join(pool[:limit]) + (", ..." if len(pool) > limit else "")
    return f"use one of: {shown}" if pool else "define it first"


def _reachable(start: str, ahead: dict[str, set[str]]) -> set[str]:
    """The places reachable from ``start`` (itself included)."""
    seen = {start}
    todo = [start]
    while todo:
        for nxt in ahead[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


class Checker:
    """Collects the problems of one scenario."""

    def __init__(self, scenario: CorridorScenario) -> None:
        self.s = scenario
        self.problems: list[Problem] = []
        self.locations = scenario.location_names()
        self.services = {sv.name for sv in scenario.services}
        self.zones = {z.name for z in scenario.enforcement.zones}
        self.nationalities = tuple(scenario.nationalities)
        self.demographics = tuple(scenario.groups.demographics)
        self.calibration = scenario.calibration_defaults()

    # ------------------------------------------------------------------ helpers
    def add(self, path: PathKey, message: str, **kw: str | None) -> None:
        self.problems.append(Problem(path, message, **kw))  # type: ignore[arg-type]

    def ref(self, path: PathKey, name: str, pool: set[str], what: str) -> None:
        if name not in pool:
            self.add(path, f"unknown {what} {name!r}", fix=_closest(name, pool))

    def unique(self, path: PathKey, names: list[str], what: str) -> None:
        for name, n in Counter(names).items():
            if n > 1:
                self.add(
                    path, f"{what} {name!r} is defined {n} times", fix="give each a unique name"
                )

    def selector(self, path: PathKey, selector: str) -> None:
        if selector_targets(selector, self.nationalities, self.demographics) is None:
            self.add(
                path,
                f"unknown group selector {selector!r}",
                expected="default, a nationality code, a demographic or <CODE>_<demographic>",
                fix=f"nationalities: {', '.join(self.nationalities)}; "
                f"demographics: {', '.join(self.demographics)}",
            )

    def value(self, p: Param) -> float | None:
        return p.default(self.calibration) if p.ref is None or p.ref in self.calibration else None

    def sums_to_one(self, path: PathKey, table: dict[str, Param], what: str) -> None:
        rests = [k for k, p in table.items() if p.rest]
        values = [self.value(p) for p in table.values() if not p.rest]
        if any(v is None for v in values):
            return  # an unknown $ref, reported elsewhere
        total = sum(v for v in values if v is not None)
        if len(rests) > 1:
            self.add(path, f"{what}: 'rest' is used {len(rests)} times", fix="use it at most once")
        elif rests and total > 1.0 + TOLERANCE:
            self.add(
                path,
                f"{what}: the probabilities other than 'rest' sum to {total:.12g} > 1",
                fix="lower them so that 'rest' is not negative",
            )
        elif not rests and abs(total - 1.0) > TOLERANCE:
            self.add(
                path,
                f"{what}: probabilities sum to {total:.12g}, not 1",
                expected="a sum of 1 ± 1e-9",
                fix="correct them, or write 'rest' for one of them",
            )

    # ------------------------------------------------------------------ sections
    def run(self) -> list[Problem]:
        self.check_groups()
        self.check_geography()
        self.check_origins()
        self.check_services()
        self.check_enforcement()
        self.check_observables()
        return self.problems

    def check_groups(self) -> None:
        g = self.s.groups
        self.unique(("groups", "demographics"), list(g.demographics), "demographic")
        for code in self.nationalities:
            if code not in g.shares:
                self.add(
                    ("groups", "shares"),
                    f"no demographic shares for nationality {code!r}",
                    fix=f"add a line for {code} under groups.shares",
                )
        for code, table in g.shares.items():
            path: PathKey = ("groups", "shares", code)
            self.ref(path, code, set(self.nationalities), "nationality")
            missing = [d for d in g.demographics if d not in table]
            extra = [d for d in table if d not in g.demographics]
            if missing:
                self.add(path, f"no share for {', '.join(missing)}", fix="give every demographic")
            if extra:
                self.add(path, f"{', '.join(extra)} not in groups.demographics", fix="remove it")
            self.sums_to_one(
                path, {str(k): v for k, v in table.items()}, f"demographic shares of {code}"
            )

    def check_geography(self) -> None:
        rows = self.s.locations.rows
        first: dict[str, int] = {}
        for loc, line in zip(rows, self.s.locations.lines, strict=False):
            if loc.name in first:  # the CSV row is at fault, not scenario.yaml
                message = f"location {loc.name!r} is listed twice (first on line {first[loc.name]})"
                fix = "give each location a unique name, or remove one row"
                self._csv_problem(self.s.locations.file, line, "name", message, fix)
            first.setdefault(loc.name, line)
        for loc, line in zip(rows, self.s.locations.lines, strict=False):
            if (loc.lat is None) != (loc.lon is None):
                fix = "give both lat and lon, or leave both blank for an abstract node"
                self._csv_problem(self.s.locations.file, line, "lat", "lat and lon differ", fix)
        seen: set[tuple[str, str]] = set()
        for link, line in zip(self.s.links.rows, self.s.links.lines, strict=False):
            self._check_link(link, line, seen)
        self._check_reachability()
        km_types = {link.km_type for link in self.s.links.rows}
        for key in self.s.circuity:
            if key not in km_types:
                fix = _closest(key, {k for k in km_types if k})
                self.add(("circuity", key), f"no link has km_type {key!r}", fix=fix)

    def _check_reachability(self) -> None:
        """Every location has a link, every origin reaches a destination, and every destination
        is reached from some origin (links one way when ``directed``, else both ways)."""
        rows = self.s.locations.rows
        names = [loc.name for loc in rows]
        ahead: dict[str, set[str]] = {n: set() for n in names}
        linked: set[str] = set()
        for link in self.s.links.rows:
            if link.from_ in ahead and link.to in ahead:
                ahead[link.from_].add(link.to)
                if not link.directed:
                    ahead[link.to].add(link.from_)
                linked.update((link.from_, link.to))
        file = self.s.locations.file
        for loc, line in zip(rows, self.s.locations.lines, strict=False):
            if loc.name not in linked and len(rows) > 1:
                fix = f"add a link from or to {loc.name} in {self.s.links.file}, or remove the row"
                self._csv_problem(file, line, "name", f"location {loc.name!r} has no link", fix)
        destinations = {loc.name for loc in rows if loc.kind == "destination"}
        if not destinations:
            self.add(
                ("locations",),
                f"no location of kind 'destination' in {file}",
                fix="give the place agents aim for kind destination",
            )
            return
        reached: set[str] = set()
        for i, origin in enumerate(self.s.origins):
            if origin.location not in ahead:
                continue  # an unknown location, reported by check_origins
            seen = _reachable(origin.location, ahead)
            reached |= seen
            if not seen & destinations:
                self.add(
                    ("origins", i, "location"),
                    f"origin {origin.name!r} at {origin.location!r} reaches no destination "
                    f"({', '.join(sorted(destinations))}) through the links",
                    fix=f"add links from {origin.location} towards a destination "
                    "(check the direction of directed links)",
                )
        for loc, line in zip(rows, self.s.locations.lines, strict=False):
            if loc.name in destinations and loc.name not in reached and self.s.origins:
                self._csv_problem(
                    file,
                    line,
                    "name",
                    f"destination {loc.name!r} is reached from no origin",
                    "link it to the corridor (check the direction of directed links)",
                )

    def _check_link(self, link: Link, line: int, seen: set[tuple[str, str]]) -> None:
        file = self.s.links.file
        for column, name in (("from", link.from_), ("to", link.to)):
            if name not in self.locations:
                fix = _closest(name, self.locations)
                self._csv_problem(file, line, column, f"unknown location {name!r}", fix)
        if link.from_ == link.to:
            fix = "remove the row or correct one end"
            self._csv_problem(file, line, "to", "a link cannot end where it starts", fix)
        zone = link.enforcement_exposure
        if zone is not None and zone not in self.zones:
            fix = _closest(zone, self.zones | {"none"})
            self._csv_problem(file, line, "enforcement_exposure", f"unknown zone {zone!r}", fix)
        for column, p in (("km", link.km), ("speed", link.speed), ("risk", link.risk)):
            if p.ref is not None and p.ref not in self.calibration:
                fix = _closest(p.ref, set(self.calibration))
                message = f"unknown calibration parameter ${p.ref}"
                self._csv_problem(file, line, column, message, fix)
        if link.speed.ref is None and link.speed.value == 0:
            self._csv_problem(file, line, "speed", "speed is 0", "give a speed above 0 km/day")
        if (link.from_, link.to) in seen:
            self._csv_problem(file, line, "from", "the same link appears twice", "keep one row")
        seen.add((link.from_, link.to))

    def _csv_problem(
        self, file: str, line: int, column: str, message: str, fix: str | None = None
    ) -> None:
        self.problems.append(
            Problem((), message, fix=fix, file=self.s.base_dir / file, line=line, column=column)
        )

    def check_origins(self) -> None:
        self.unique(("origins",), [o.name for o in self.s.origins], "origin")
        by_nat: dict[str, list[int]] = {}
        for i, o in enumerate(self.s.origins):
            path: PathKey = ("origins", i)
            self.ref((*path, "location"), o.location, self.locations, "location")
            self.ref((*path, "nationality"), o.nationality, set(self.nationalities), "nationality")
            by_nat.setdefault(o.nationality, []).append(i)
            available = o.driver_names()
            for driver in o.drivers:
                if o.driver_series is None:
                    self.add(
                        (*path, "drivers", driver),
                        "drivers need a driver_series file",
                        fix="add driver_series: <file.csv> with columns date,driver,value",
                    )
                elif driver not in available:
                    self.add(
                        (*path, "drivers", driver),
                        f"driver {driver!r} is not in {o.driver_series}",
                        fix=_closest(driver, available),
                    )
                else:  # two values on one date: the later one was used without a word
                    dates = [p.date for p in o.series if p.driver == driver]
                    twice = sorted({d for d in dates if dates.count(d) > 1})
                    if twice:
                        self.add(
                            (*path, "drivers", driver),
                            f"{o.driver_series} gives driver {driver!r} twice on {twice[0]}",
                            fix="keep one row per driver and date",
                        )
        origins = {o.name for o in self.s.origins}
        self.unique(("caravans",), [k.name for k in self.s.caravans], "caravan")
        for i, k in enumerate(self.s.caravans):
            self.ref(("caravans", i, "origin"), k.origin, origins, "origin")
            if k.target is not None:
                cities = {loc.name for loc in self.s.locations.rows if loc.kind == "border_city"}
                self.ref(("caravans", i, "target"), k.target, cities, "border city")
            if not self.s.start <= k.date <= self.s.end:
                self.add(
                    ("caravans", i, "date"),
                    f"caravan date {k.date} is outside the scenario"
                    f" ({self.s.start} – {self.s.end})",
                    fix="give a date within the scenario, or remove the caravan",
                )
        for code, indices in by_nat.items():
            if len(indices) == 1:
                continue
            shares = {str(i): self.s.origins[i].share for i in indices}
            if any(p is None for p in shares.values()):
                self.add(
                    ("origins", indices[0]),
                    f"nationality {code} has {len(indices)} origins but not every one has a share",
                    fix="give each origin of this nationality a share (they must sum to 1)",
                )
                continue
            self.sums_to_one(
                ("origins", indices[0], "share"),
                {k: p for k, p in shares.items() if p is not None},
                f"origin shares of {code}",
            )

    def check_services(self) -> None:
        self.unique(("services",), [sv.name for sv in self.s.services], "service")
        for i, sv in enumerate(self.s.services):
            self._check_service(("services", i), sv)

    def _check_service_time(self, path: PathKey, sv: Service) -> None:
        st = sv.service_time
        if st.model == "immediate" and sv.capacity is None:
            self.add(
                (*path, "capacity"),
                "an immediate service needs a capacity per day",
                fix="add capacity: <people per day>, or use service_time.model: servers",
            )
        if st.model == "immediate":
            for key in ("servers", "mean_days"):
                if getattr(st, key) is not None:
                    self.add(
                        (*path, "service_time", key),
                        f"model 'immediate' has no {key}",
                        fix="remove it, or write service_time.model: servers",
                    )
        if st.model == "servers":
            for key in ("servers", "mean_days"):
                p = getattr(st, key)
                if p is None:
                    self.add(
                        (*path, "service_time", key),
                        f"model 'servers' needs {key}",
                        fix=f"add service_time.{key}",
                    )
                elif self.value(p) == 0:
                    self.add(
                        (*path, "service_time", key),
                        f"{key} must be above 0",
                        fix=f"give a positive {key}",
                    )

    def _check_service(self, path: PathKey, sv: Service) -> None:
        self.ref((*path, "location"), sv.location, self.locations, "location")
        self._check_service_time(path, sv)
        if sv.start is not None and sv.end is not None and sv.end < sv.start:
            self.add((*path, "end"), "end is before start", fix="swap or correct the dates")
        for k, cls in enumerate(sv.priority):
            for j, sel in enumerate(cls):
                self.selector((*path, "priority", k, j), sel)
        for sel, table in sv.outcomes.items():
            tpath: PathKey = (*path, "outcomes", sel)
            self.selector(tpath, sel)
            self.sums_to_one(tpath, {v: o.p for v, o in table.items()}, f"outcomes of {sel}")
            for verb, outcome in table.items():
                self._check_outcome((*tpath, verb), verb, outcome.given(), outcome)
        self._check_coverage((*path, "outcomes"), list(sv.outcomes), "outcome table")
        for sel in sv.presents:
            self.selector((*path, "presents", sel), sel)
            if sv.kind != "port_intake":
                self.add(
                    (*path, "presents", sel),
                    f"service {sv.name!r} is a {sv.kind}: only a port_intake has a port route",
                    fix="remove presents, or give it to a port_intake service",
                )

    def _check_outcome(self, path: PathKey, verb: str, given: set[str], outcome: object) -> None:
        required, optional = VERB_FIELDS[verb]
        for key in required:
            if key not in given:
                self.add((*path, key), f"{verb} needs {key!r}", fix=f"add {key}: ...")
        for key in sorted(given - set(required) - set(optional)):
            allowed = ", ".join((*required, *optional)) or "no parameters"
            self.add(
                (*path, key),
                f"{verb} does not take {key!r}",
                expected=allowed,
                fix=f"remove {key!r}",
            )
        place = getattr(outcome, "place", None)
        if place is not None:
            self.ref((*path, "place"), place, self.locations, "location")
        to = getattr(outcome, "to", None)
        if to is not None and to != TO_ORIGIN:
            self.ref((*path, "to"), to, self.locations | {TO_ORIGIN}, "location")
        service = getattr(outcome, "service", None)
        if service is not None:
            self.ref((*path, "service"), service, self.services, "service")

    def _check_coverage(self, path: PathKey, selectors: list[str], what: str) -> None:
        covered: set[tuple[str, str]] = set()
        for sel in selectors:
            covered.update(selector_targets(sel, self.nationalities, self.demographics) or [])
        missing = [
            f"{n}_{d}"
            for n in self.nationalities
            for d in self.demographics
            if (n, d) not in covered
        ]
        if missing:
            shown = ", ".join(missing[:4]) + (", ..." if len(missing) > 4 else "")
            self.add(
                path,
                f"no {what} applies to {shown}",
                fix="add a 'default' entry, or entries for these groups",
            )

    def check_enforcement(self) -> None:
        zones = self.s.enforcement.zones
        self.unique(("enforcement", "zones"), [z.name for z in zones], "zone")
        labels = set()
        for link in self.s.links.rows:
            labels.add(link.label)
            if not link.directed:
                labels.add(f"{link.to} -> {link.from_}")
        for i, z in enumerate(zones):
            path: PathKey = ("enforcement", "zones", i)
            for j, loc in enumerate(z.locations):
                self.ref((*path, "locations", j), loc, self.locations, "location")
            for j, label in enumerate(z.links):
                normal = " -> ".join(part.strip() for part in label.split("->"))
                self.ref((*path, "links", j), normal, labels, "link")
            self.ref((*path, "detention"), z.detention, self.services, "service")
            for sel in z.hazard:
                self.selector((*path, "hazard", sel), sel)
            self._check_coverage((*path, "hazard"), list(z.hazard), "hazard")

    def check_observables(self) -> None:
        self.unique(("observables",), [o.name for o in self.s.observables], "observable")
        for i, ob in enumerate(self.s.observables):
            path: PathKey = ("observables", i, "definition")
            d = ob.definition
            for j, name in enumerate(d.services):
                self.ref((*path, "services", j), name, self.services, "service")
            for j, name in enumerate(d.zones):
                self.ref((*path, "zones", j), name, self.zones, "zone")
            for j, name in enumerate(d.locations):
                self.ref((*path, "locations", j), name, self.locations, "location")
            for j, sel in enumerate(d.groups):
                self.selector((*path, "groups", j), sel)


def check_references(scenario: CorridorScenario) -> list[Problem]:
    """All cross-reference problems of ``scenario`` (empty when it is consistent)."""
    return [*Checker(scenario).run(), *check_bargaining(scenario), *check_analysis(scenario)]
