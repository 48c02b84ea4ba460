"""One validation for ``corredor validate`` and every run: what a run would clip, ignore or die
on, refused before it starts.

:func:`check_run` takes a loaded scenario and what a run adds to it (calibration values, the
number of days, extra policy events) and checks, over the whole policy timeline:

* **calibration values** — the scenario's defaults, ``calibrated.yaml`` and any override: known
  names, finite, inside the bounds of every field that uses them (a probability parameter may
  not be set to 2);
* **every parameter on every day** — each site (``services.x.capacity``, ``...outcomes.default.
  deport.p``…) and each calibration parameter stays finite and inside its field's bounds on
  every simulated day once the policy events are applied: an event that sets a probability to 5,
  an effort to −1e12 or a capacity to infinity is an error naming the event, the day and the
  value, instead of a value the run silently clips;
* **events on what a run reads once** — demographic shares, circuity, the days of an outcome and
  the calibration parameters of the link table are read at the start: an event changing one is
  an error (the run would ignore it);
* **probability tables** — where overlapping events make the probabilities other than ``rest``
  sum above 1 (``rest`` becomes 0) or a table without ``rest`` stop summing to 1, the run
  rescales the table to sum to 1: a warning (``RunCheck.warnings``) says which, from when and by
  which events, since the built-in scenario relies on this rule (Title 42 and MPP overlap);
* **links** — every link's speed is above 0 with the calibration values;
* **sizes** — the agents the run would create (the expected departures over the run's days, with
  the drivers and events) fit in memory (``base_daily_departures: 1e12`` is an error with the
  number), and people who depart make at least one agent (``people_per_agent: 1e18`` is an
  error); departures of 0 (a point of a sensitivity analysis) are only a warning.

``load_corridor_scenario`` runs it with the scenario's own inputs (what ``validate`` reports);
``compile_corridor`` runs it with the run's inputs and uses the timeline it returns, so a run
cannot start on anything ``validate`` would have refused.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from corredor.engine.capacity import MemoryNeed, check_days, memory_need
from corredor.errors import ScenarioError
from corredor.files.read import excerpt
from corredor.policy.bounds import Violation, first_bad_day, first_violation
from corredor.policy.loading import change_line
from corredor.policy.timeline import PolicyTimeline
from corredor.scenario.corridor.calibrated import calibrated_parameters, calibrated_path
from corredor.scenario.corridor.index import parameter_index, parameter_values
from corredor.scenario.corridor.model import CorridorScenario
from corredor.scenario.corridor.params import Param

FloatArray = npt.NDArray[np.float64]

#: Bytes of memory per agent of a corridor run, everything included (agent columns, their
#: growth, queues): the full ``mexico-us`` run (main 35e3875, extra-regional origins, no
#: installed calibration, seed 0) created 3,798,434 agents with a peak of 900 MiB, where the
#: same run with 1,000 people per agent (4,205 agents) peaks at 329 MiB: 158 bytes an agent,
#: rounded up (docs/reliability.md). Calibration v5 on the earlier scenario gave 106.
BYTES_PER_AGENT = 160
#: Bytes of memory per simulated day besides the agents (the compiled daily parameters, the
#: recorder's daily counts): that full-length run of 3,195 days with 4,205 agents peaks 75 MiB
#: above a 2-day run (254 MiB).
BYTES_PER_DAY = 24 * 1024
#: Tolerance of a probability table's sum.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class RunCheck:
    """What :func:`check_run` found acceptable: the calibration values the run uses, its policy
    timeline, its days, and the agents and memory it should need."""

    calibration: dict[str, float]
    timeline: PolicyTimeline
    days: int
    agents: float
    memory: MemoryNeed
    #: what the run does that a user should know (tables it rescales), one line each
    warnings: tuple[str, ...] = ()


def effective_calibration(
    scenario: CorridorScenario,
    calibration: Mapping[str, float] | None = None,
    *,
    calibrated_file: bool = True,
) -> dict[str, float]:
    """Scenario defaults < ``calibrated.yaml`` (if any) < ``calibration``, every name known.
    ``calibrated_file=False`` leaves the file out: ``calibration`` then already holds the
    calibration a run resolved (``resolve_calibration``; what ``compile_corridor`` gets)."""
    unknown = sorted(set(calibration or {}) - set(scenario.calibration))
    if unknown:
        raise ScenarioError(
            scenario.path,
            f"unknown calibration parameter(s): {excerpt(', '.join(unknown), 200)}",
            field="calibration",
            fix="use names declared under calibration: " + ", ".join(sorted(scenario.calibration)),
        )
    return {
        **scenario.calibration_defaults(),
        **(calibrated_parameters(scenario) if calibrated_file else {}),
        **dict(calibration or {}),
    }


def calibration_bounds(
    scenario: CorridorScenario, index: Mapping[str, Param] | None = None
) -> dict[str, tuple[float, float]]:
    """The bounds of each calibration parameter: the intersection of the bounds of every field
    that uses it (YAML sites and link table cells); (-inf, inf) when only events use it."""
    bounds = {name: (-math.inf, math.inf) for name in scenario.calibration}

    def narrow(p: Param) -> None:
        if p.ref is not None and p.ref in bounds:
            low, high = bounds[p.ref]
            bounds[p.ref] = (max(low, p.low), min(high, p.high))

    for dotted, p in (index if index is not None else parameter_index(scenario)).items():
        if not dotted.startswith("calibration."):
            narrow(p)
    for link in scenario.links.rows:
        for p in (link.km, link.speed, link.risk):
            narrow(p)
    return bounds


def check_run(
    scenario: CorridorScenario,
    calibration: Mapping[str, float] | None = None,
    *,
    days: int | None = None,
    extra_events: Sequence[Any] = (),
    calibrated_file: bool = True,
) -> RunCheck:
    """Check what a run of ``scenario`` would use (module docstring); raise a
    :class:`ScenarioError` naming the file, field, event, day and value, or return the checked
    calibration values, timeline and sizes. ``calibrated_file=False``: ``calibration`` is the
    run's resolved calibration, no ``calibrated.yaml`` is read (:func:`effective_calibration`)."""
    cal = effective_calibration(scenario, calibration, calibrated_file=calibrated_file)
    T = scenario.days if days is None else int(days)
    if T < 1:
        raise ScenarioError(None, f"days is {T}", field="days", expected="at least 1 day")
    check_days(T, f"{scenario.name}", field="days" if days is not None else "end")
    if scenario.start.toordinal() + T >= dt.date.max.toordinal():
        raise ScenarioError(
            scenario.path, "the run would end after the year 9999", field="end", fix="end earlier"
        )
    index = parameter_index(scenario)
    cal_bounds = calibration_bounds(scenario, index)
    _check_calibration_values(scenario, cal, cal_bounds, calibration or {})
    _check_link_speeds(scenario, cal)
    base = parameter_values(scenario, cal)
    events = (*scenario.events, *extra_events)
    timeline = PolicyTimeline(events, base, day0=scenario.start, file=scenario.path)
    start = scenario.start
    daily = timeline.daily(start, start + dt.timedelta(days=T))
    touched = {c.parameter for e in timeline.events for c in e.changes}
    series, bounds, cause = _site_series(index, daily, touched, cal_bounds)
    violation = first_violation(timeline, series, bounds, start, cause=cause)
    if violation is not None:
        raise _violation_error(scenario, violation, extra_events)
    _check_static(scenario, index, timeline, extra_events)
    warnings = _check_tables(scenario, index, series, touched, timeline)
    agents, by_origin = expected_agents(scenario, series, T)
    memory = memory_need(agents, BYTES_PER_AGENT, T * BYTES_PER_DAY)
    warnings += _check_size(scenario, agents, by_origin, memory, T)
    return RunCheck(cal, timeline, T, agents, memory, tuple(warnings))


# ------------------------------------------------------------------------------ calibration
def _check_calibration_values(
    scenario: CorridorScenario,
    cal: Mapping[str, float],
    bounds: Mapping[str, tuple[float, float]],
    overrides: Mapping[str, float],
) -> None:
    for name, value in cal.items():
        low, high = bounds.get(name, (-math.inf, math.inf))
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and math.isfinite(value) and low <= value <= high:
            continue
        if name in overrides:
            where, field = None, f"calibration.{name}"
            origin = "the calibration value given for the run"
        elif value != scenario.calibration[name].default:
            where, field = calibrated_path(scenario), f"parameters.{name}"
            origin = "calibrated.yaml"
        else:
            where, field, origin = scenario.path, f"calibration.{name}.default", "the default"
        raise ScenarioError(
            where,
            f"{origin} of {name} is {excerpt(value)}, outside the bounds [{low:g}, {high:g}] of "
            "the fields that use it",
            field=field,
            fix=f"give {name} a finite value within [{low:g}, {high:g}]",
        )


def _check_link_speeds(scenario: CorridorScenario, cal: Mapping[str, float]) -> None:
    links = scenario.links
    for link, line in zip(links.rows, links.lines, strict=False):
        speed = link.speed.default(dict(cal))
        if speed is not None and speed <= 0:
            raise ScenarioError(
                scenario.base_dir / links.file,
                f"the speed of {excerpt(link.label)} is {speed:g} with "
                f"{'$' + link.speed.ref if link.speed.ref else 'this value'}: agents could "
                "never cross it",
                line=line,
                column="speed",
                fix="give a speed above 0 km/day (or narrow the calibration range above 0)",
            )


# ------------------------------------------------------------------------------ timeline
def _site_series(
    index: Mapping[str, Param],
    daily: Mapping[str, FloatArray],
    touched: set[str],
    cal_bounds: Mapping[str, tuple[float, float]],
) -> tuple[dict[str, FloatArray], dict[str, tuple[float, float]], dict[str, str]]:
    """The series a run reads for each parameter (a site written ``$name`` and not changed by an
    event follows ``calibration.<name>``), the bounds to hold, and the parameter whose events
    make each series."""
    series: dict[str, FloatArray] = {}
    bounds: dict[str, tuple[float, float]] = {}
    cause: dict[str, str] = {}
    for dotted, p in index.items():
        if dotted.startswith("calibration."):
            name = dotted.removeprefix("calibration.")
            series[dotted] = daily[dotted]
            bounds[dotted] = cal_bounds.get(name, (-math.inf, math.inf))
            continue
        if p.rest and dotted not in touched:
            continue  # computed from its table (checked there)
        if p.ref is not None and dotted not in touched:
            ref = f"calibration.{p.ref}"
            if ref in daily:
                series[dotted] = daily[ref]
                cause[dotted] = ref
                bounds[dotted] = (p.low, p.high)
            continue
        if dotted in daily:
            series[dotted] = daily[dotted]
            bounds[dotted] = (p.low, p.high)
    return series, bounds, cause


def _event_where(
    scenario: CorridorScenario, event: Any, extra_events: Sequence[Any]
) -> tuple[Any, str]:
    if event is None:
        return scenario.path, "its value"
    own = any(e is event or getattr(e, "id", None) == event.id for e in scenario.events)
    if own and scenario.policy_events is not None:
        return scenario.base_dir / scenario.policy_events, f"policy event {event.id!r}"
    return None, f"policy event {event.id!r} (added to the run)"


def _violation_error(
    scenario: CorridorScenario, v: Violation, extra_events: Sequence[Any]
) -> ScenarioError:
    file, who = _event_where(scenario, v.event, extra_events)
    value = f"{v.value:g}"
    field = (
        f"events[{v.event.id}].changes[{v.change}]"
        if v.event is not None and v.change is not None
        else v.parameter
    )
    line = None
    if file is not None and v.event is not None and v.change is not None:
        line = change_line(file, v.event.id, v.change, root=scenario.base_dir)
    if v.event is None:
        message = f"{v.parameter} is {value} on {v.day}, outside its bounds {v.bounds_text()}"
    else:
        message = (
            f"{who} makes {v.parameter} {value} on {v.day}, outside its bounds "
            f"{v.bounds_text()} (a run would clip it)"
        )
    return ScenarioError(
        file,
        message,
        line=line,
        field=field,
        fix=f"change the event so that {v.parameter} stays within {v.bounds_text()} on every day",
    )


def _tables(index: Mapping[str, Param], scenario: CorridorScenario) -> dict[str, list[str]]:
    """Probability tables: name → the dotted names of their entries."""
    tables: dict[str, list[str]] = {}
    for dotted in index:
        parts = dotted.split(".")
        if parts[0] == "services" and "outcomes" in parts and parts[-1] == "p":
            tables.setdefault(".".join(parts[:-2]), []).append(dotted)
    by_nat: dict[str, list[str]] = {}
    for o in scenario.origins:
        if o.share is not None:
            by_nat.setdefault(o.nationality, []).append(f"origins.{o.name}.share")
    for nat, names in by_nat.items():
        tables[f"origin shares of {nat}"] = names
    return tables


def _check_tables(
    scenario: CorridorScenario,
    index: Mapping[str, Param],
    series: Mapping[str, FloatArray],
    touched: set[str],
    timeline: PolicyTimeline,
) -> list[str]:
    """Warnings for the tables whose probabilities events push above a sum of 1 (the run sets
    ``rest`` to 0 and rescales the table to sum to 1) or, without ``rest``, away from 1."""
    found: list[tuple[str, dt.date, float, str]] = []
    for table, names in _tables(index, scenario).items():
        rest = [n for n in names if index[n].rest and n not in touched]
        fixed = [n for n in names if n not in rest and n in series]
        if not any(n in touched for n in names) or not fixed:
            continue  # a table no event changes was summed to 1 at load
        total = np.sum([series[n] for n in fixed], axis=0)
        if rest:
            i = first_bad_day(total, -math.inf, 1.0 + TOLERANCE)
        else:
            i = first_bad_day(np.abs(total - 1.0), 0.0, TOLERANCE)
        if i is None:
            continue
        day = scenario.start + dt.timedelta(days=i)
        ids = dict.fromkeys(
            e.id for e in timeline.active_events(day) for c in e.changes if c.parameter in names
        )
        found.append((table, day, float(total[i]), ", ".join(ids)))
    if not found:
        return []
    name, first, worst, who = max(found, key=lambda f: abs(f[2] - 1.0))
    more = f" and {len(found) - 1} more table(s)" if len(found) > 1 else ""
    return [
        f"policy events make the probabilities of {name}{more} sum to {worst:.6g} "
        f"(from {first}, events {who}); the run sets 'rest' to 0 and rescales each such table to "
        "sum to 1"
    ]


#: Parameters a run reads once, at the start: a policy event cannot change them.
STATIC_PREFIXES = ("groups.", "circuity.")


def static_parameters(
    scenario: CorridorScenario, index: Mapping[str, Param] | None = None
) -> dict[str, str]:
    """Parameters the run reads once (dotted name → why), so events on them would be ignored:
    demographic shares, circuity, the days of an outcome, and the calibration parameters that
    link tables or circuity use."""
    out: dict[str, str] = {}
    for dotted in index if index is not None else parameter_index(scenario):
        if dotted.startswith(STATIC_PREFIXES):
            out[dotted] = "the run reads it once, at the start"
        elif ".outcomes." in dotted and dotted.endswith(".days"):
            out[dotted] = "the run reads the length of a wait once, at the start"
    for link in scenario.links.rows:
        for p in (link.km, link.speed, link.risk):
            if p.ref is not None:
                out[f"calibration.{p.ref}"] = f"the links table uses it ({link.label})"
    for key, p in scenario.circuity.items():
        if p.ref is not None:
            out[f"calibration.{p.ref}"] = f"circuity.{key} uses it"
    return out


def _check_static(
    scenario: CorridorScenario,
    index: Mapping[str, Param],
    timeline: PolicyTimeline,
    extra_events: Sequence[Any],
) -> None:
    static = static_parameters(scenario, index)
    for event in timeline.events:
        for j, change in enumerate(event.changes):
            why = static.get(change.parameter)
            if why is None:
                continue
            file, who = _event_where(scenario, event, extra_events)
            line = None
            if file is not None:
                line = change_line(file, event.id, j, root=scenario.base_dir)
            raise ScenarioError(
                file,
                f"{who} changes {change.parameter}, which a policy event cannot change: {why} "
                "(a run would ignore the change)",
                line=line,
                field=f"events[{event.id}].changes[{j}].parameter",
                fix="change a parameter the run reads every day, or give the scenario another "
                "value for the whole run",
            )


# ------------------------------------------------------------------------------ sizes
def expected_agents(
    scenario: CorridorScenario, series: Mapping[str, FloatArray], days: int
) -> tuple[float, dict[str, float]]:
    """The agents a run of ``days`` days is expected to create (departures of every origin with
    its share and drivers, and caravans, divided by ``people_per_agent``), and per origin."""
    start = scenario.start
    dates = np.array([start + dt.timedelta(days=i) for i in range(days)], dtype="datetime64[D]")
    ppa = float(scenario.people_per_agent)
    by_origin: dict[str, float] = {}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for o in scenario.origins:
            lam = np.asarray(series[f"origins.{o.name}.base_daily_departures"], dtype=np.float64)
            if o.share is not None:
                share = series.get(f"origins.{o.name}.share")
                if share is None:  # rest: one minus the others
                    others = [
                        series[f"origins.{x.name}.share"]
                        for x in scenario.origins
                        if x.nationality == o.nationality and x is not o and x.share is not None
                    ]
                    share = np.clip(1.0 - np.sum(others, axis=0), 0.0, 1.0)
                lam = lam * share
            for driver in o.drivers:
                x = o.driver_daily(driver, dates)
                e = series[f"origins.{o.name}.drivers.{driver}"]
                lam = lam * (np.maximum(x, 1e-12) / max(float(x[0]), 1e-12)) ** e
            by_origin[f"origins.{o.name}"] = float(np.sum(lam)) / ppa
        for k in scenario.caravans:
            people = np.asarray(series[f"caravans.{k.name}.people"], dtype=np.float64)
            d0 = (k.date - start).days
            sl = slice(max(d0, 0), max(min(d0 + k.days, days), 0))
            # spread over its days, as the run spreads it
            by_origin[f"caravans.{k.name}"] = float(np.sum(people[sl])) / k.days / ppa
    total = float(sum(by_origin.values()))
    return (total if math.isfinite(total) else math.inf), by_origin


def _check_size(
    scenario: CorridorScenario,
    agents: float,
    by_origin: Mapping[str, float],
    memory: MemoryNeed,
    days: int,
) -> list[str]:
    ppa = scenario.people_per_agent
    people = agents * ppa
    if agents < 1 <= people:  # people depart, but too few to make one agent
        raise ScenarioError(
            scenario.path,
            f"the run would create no agent: about {people:.3g} people depart in {days} days, "
            f"{agents:.3g} agents at {ppa:,} people per agent",
            field="people_per_agent",
            fix="lower people_per_agent (the scenario's, or --people-per-agent), or run longer",
        )
    if memory.fits:
        if people < 1:  # a sensitivity or counterfactual point may ask for no departures
            return [f"no one departs in the {days} days of the run: it has no agent"]
        return []
    top = max(by_origin, key=lambda k: by_origin[k]) if by_origin else "origins"
    field = f"{top}.base_daily_departures" if top.startswith("origins.") else top
    raise ScenarioError(
        scenario.path,
        f"the run would create about {agents:,.3g} agents in {days} days ({top} alone about "
        f"{by_origin.get(top, math.nan):,.3g}, {ppa:,} people per agent): {memory.describe()}",
        field=field,
        fix="check the departures (base_daily_departures, drivers, caravans), raise "
        "people_per_agent, or shorten the run",
    )
