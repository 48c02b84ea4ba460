"""Checks of a study against its scenario (levers, events, event files, outputs).

Each error is a :class:`~corredor.errors.ScenarioError` naming the study file, the line and the
field of the study that is wrong, and the fix (``corredor scenario levers``/``events``).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from corredor.errors import ScenarioError
from corredor.files.read import PathKey
from corredor.scenario.corridor import load_scenario_events
from corredor.studies.outputs import check_output
from corredor.studies.schema import LeftOut, Study, Variant, study_error

__all__ = [
    "check_against_scenario",
    "events_file",
    "events_of",
    "unsourced_rates",
    "with_unsourced_left_out",
]


def check_against_scenario(study: Study, scenario: Any) -> None:
    """Every lever a declared parameter within its range, every event id one of the
    scenario's, every event file readable, every output's names known (errors: file and line
    of the study)."""
    for i, v in enumerate(study.variants):
        _check_levers(study, scenario, v, ("variants", i, "set"))
        known = [e.id for e in scenario.events]
        for j, event_id in enumerate(v.without_events):
            if event_id not in known:
                close = difflib.get_close_matches(event_id, known, n=1)
                raise study_error(
                    study,
                    ("variants", i, "without_events", j),
                    f"variant {v.name}: {scenario.name} has no policy event {event_id!r}",
                    fix=(f"did you mean {close[0]!r}? " if close else "")
                    + f"see corredor scenario events {scenario.name}",
                )
        for j, file in enumerate(v.events):
            try:
                events_of(study, scenario, file)
            except ScenarioError as exc:
                raise study_error(
                    study,
                    ("variants", i, "events", j),
                    f"variant {v.name}: events file {file}: {exc}",
                    fix="give a policy events file relative to the study file or the scenario "
                    "folder",
                ) from None
    for i, o in enumerate(study.outputs):
        problem = check_output(o, scenario)
        if problem is not None:
            where, message = problem
            raise study_error(study, ("outputs", i, *where), f"output {o.name}: {message}")


def _check_levers(study: Study, scenario: Any, v: Variant, where: PathKey) -> None:
    for name, value in v.set.items():
        declared = scenario.calibration.get(name)
        if declared is None:
            close = difflib.get_close_matches(name, list(scenario.calibration), n=1)
            raise study_error(
                study,
                (*where, name),
                f"variant {v.name}: {scenario.name} declares no lever or parameter {name!r}",
                fix=(f"did you mean {close[0]!r}? " if close else "")
                + f"see corredor scenario levers {scenario.name}",
            )
        low, high = declared.range
        if not low <= value <= high:
            unit = f" {declared.unit}" if declared.unit else ""
            raise study_error(
                study,
                (*where, name),
                f"variant {v.name}: {name} = {value:g} is outside its range "
                f"[{low:g}, {high:g}]{unit}",
                expected=f"a value in [{low:g}, {high:g}] (default {declared.default:g})",
            )


def events_file(study: Study, scenario: Any, file: str) -> Path:
    """An events file: relative to the study file first, then to the scenario's folder."""
    p = Path(file)
    if p.is_absolute():
        return p
    for base in (study.folder, scenario.base_dir):
        if (base / p).is_file():
            return base / p
    return study.folder / p


def events_of(study: Study, scenario: Any, file: str) -> tuple[Any, ...]:
    """The policy events of ``file`` checked against the scenario."""
    return tuple(load_scenario_events(scenario, events_file(study, scenario, file)))


def unsourced_rates(scenario: Any) -> dict[str, list[str]]:
    """Ledger entries that are a rate applied to people, whose rate has no source in the
    scenario: ``{entry: [parameters]}``. Today one: ``harm_events``, the daily harm hazards of
    the links (``risk``), unsourced when they refer to a calibration parameter that cites no
    source (a hand-set guess, or a value fitted to flows, which says nothing of harm)."""
    params: list[str] = []
    for link in scenario.links.rows:
        ref = getattr(link.risk, "ref", None)
        if ref is None:
            continue  # a number, covered by the link row's source (checked by the scenario)
        declared = scenario.calibration.get(ref)
        if declared is not None and not declared.source and ref not in params:
            params.append(ref)
    return {"harm_events": sorted(params)} if params else {}


def with_unsourced_left_out(study: Study, scenario: Any) -> Study:
    """``study`` with every unsourced ledger entry (:func:`unsourced_rates`) in its
    ``left_out``, so that the report says so even when the study file forgot it."""
    named = {x.ledger for x in study.left_out}
    added = [
        LeftOut(
            what=f"the ledger entry {entry} (people harmed on the way)",
            what_es=f"las personas dañadas en el camino (la entrada «{entry}» del balance)",
            why=(
                f"its rates ({', '.join(params)}) have no source in {scenario.name}: a study "
                "reports no harm figure without a sourced rate"
            ),
            ledger=entry,
        )
        for entry, params in unsourced_rates(scenario).items()
        if entry not in named
    ]
    if not added:
        return study
    return study.model_copy(update={"left_out": [*study.left_out, *added]})
