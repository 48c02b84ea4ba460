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
from corredor.studies.schema import Study, Variant, study_error

__all__ = ["check_against_scenario", "events_file", "events_of"]


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
