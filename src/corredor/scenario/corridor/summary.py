"""One-line and tabular summaries of a corridor scenario (for ``corredor validate``/``show``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from corredor.scenario.corridor.index import iter_params
from corredor.scenario.corridor.model import CorridorScenario
from corredor.scenario.corridor.params import Param


def summary_line(scenario: CorridorScenario) -> str:
    """``mexico-us: 48 locations, 64 links, 20 services, 5 policy events, 9 observables``."""
    parts = [f"{n} {label}" for label, n in scenario.counts().items()]
    return f"{scenario.name}: {', '.join(parts)}"


def _tally(items: Iterable[str]) -> str:
    counts = Counter(items)
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"


def summary_rows(scenario: CorridorScenario) -> list[tuple[str, str]]:
    """(label, value) rows describing the scenario."""
    s = scenario
    sites = [site.param for site in iter_params(s)]
    link_params = [p for link in s.links.rows for p in (link.km, link.speed, link.risk)]
    status = Counter(p.status for p in s.calibration.values())
    return [
        ("name", s.name),
        ("period", f"{s.start} – {s.end} ({s.days} days, step {s.step})"),
        ("people per agent", str(s.people_per_agent)),
        ("calibration horizon", str(s.calibration_horizon or "none")),
        ("nationalities", ", ".join(f"{k} ({v})" for k, v in s.nationalities.items())),
        ("demographics", ", ".join(s.groups.demographics)),
        ("locations", f"{len(s.locations.rows)}: {_tally(x.kind for x in s.locations.rows)}"),
        ("links", f"{len(s.links.rows)}: {_tally(x.mode for x in s.links.rows)}"),
        ("origins", ", ".join(f"{o.name} ({o.nationality}, {o.location})" for o in s.origins)),
        ("services", f"{len(s.services)}: {_tally(x.kind for x in s.services)}"),
        ("enforcement zones", ", ".join(z.name for z in s.enforcement.zones) or "none"),
        ("policy events", str(len(s.events))),
        ("observables", ", ".join(o.name for o in s.observables) or "none"),
        (
            "calibration parameters",
            f"{len(s.calibration)} ({', '.join(f'{k} {v}' for k, v in sorted(status.items()))})",
        ),
        ("numbers in the YAML", _kinds(sites)),
        ("numbers in the links table", _kinds(link_params)),
    ]


def _kinds(params: list[Param]) -> str:
    sourced = sum(1 for p in params if p.value is not None)
    refs = sum(1 for p in params if p.ref is not None)
    rest = sum(1 for p in params if p.rest)
    text = f"{sourced} sourced values, {refs} calibration references"
    return text + (f", {rest} 'rest'" if rest else "")
