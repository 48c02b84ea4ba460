"""Checks of a scenario's ``bargaining:`` block (:mod:`corredor.scenario.corridor.bargaining`)
that need the rest of the scenario: its countries, its parameters and its policy events."""

from __future__ import annotations

import difflib

from corredor.scenario.corridor.bargaining import lever_parameters
from corredor.scenario.corridor.index import parameter_index
from corredor.scenario.corridor.model import CorridorScenario
from corredor.scenario.corridor.problems import Problem


def check_bargaining(scenario: CorridorScenario) -> list[Problem]:
    """Problems of the block that need the rest of the scenario: countries and parameters."""
    b = scenario.bargaining
    if b is None:
        return []
    problems: list[Problem] = []
    countries = sorted({loc.country for loc in scenario.locations.rows})
    for key in ("transit", "hegemon"):
        name = getattr(b, key)
        if name not in countries:
            problems.append(
                Problem(
                    ("bargaining", key),
                    f"no location is in the country {name!r}",
                    fix="use a country of locations.csv: " + ", ".join(countries),
                )
            )
    if b.transit == b.hegemon:
        problems.append(
            Problem(("bargaining", "hegemon"), "the hegemon is the transit state", fix="change one")
        )
    if b.first_review <= scenario.start or b.first_review > scenario.end:
        problems.append(
            Problem(
                ("bargaining", "first_review"),
                f"first review {b.first_review} is not inside the run",
                expected=f"a day after {scenario.start} and on or before {scenario.end}",
            )
        )
    names = list(parameter_index(scenario))
    for lever, spec in b.levers.items():
        for j, pattern in enumerate(spec.parameters):
            if not lever_parameters(spec.model_copy(update={"parameters": (pattern,)}), names):
                close = difflib.get_close_matches(pattern, names, n=1)
                problems.append(
                    Problem(
                        ("bargaining", "levers", lever, "parameters", j),
                        f"{pattern!r} matches no parameter of the scenario",
                        fix=f"did you mean {close[0]!r}?" if close else "see §8 of the format",
                    )
                )
    return problems


def check_bargaining_events(scenario: CorridorScenario) -> list[Problem]:
    """Problems of ``replaces``: every id must be one of the scenario's policy events."""
    b = scenario.bargaining
    if b is None:
        return []
    ids = [e.id for e in scenario.events]
    problems = []
    for j, event_id in enumerate(b.replaces):
        if event_id not in ids:
            close = difflib.get_close_matches(event_id, ids, n=1)
            problems.append(
                Problem(
                    ("bargaining", "replaces", j),
                    f"no policy event has the id {event_id!r}",
                    fix=f"did you mean {close[0]!r}?" if close else "list ids of policy_events",
                )
            )
    return problems


__all__ = ["check_bargaining", "check_bargaining_events"]
