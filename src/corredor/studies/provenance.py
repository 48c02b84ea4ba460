"""What a study's numbers depend on, as one digest (equal digests, equal numbers).

The digest covers the scenario (its validated content and policy events), every variant's
inputs (events left out, events added with their content, levers set), the parameter sets,
the seeds, the days, the outputs and the scale (people per agent). Texts (titles, summaries,
assumptions) are left out: rewording a study does not rerun it. A resumed study reuses the
tasks stored under the same digest only.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["scenario_digest", "study_digest"]

#: the fields of an output that its numbers depend on (labels are texts)
_NUMERIC_OUTPUT_FIELDS = {"name", "measure", "observable", "nationalities", "demographics", "by"}


def _events(events: Any) -> list[str]:
    return [repr(e) for e in events]


def scenario_digest(scenario: Any) -> str:
    """sha256 of a loaded scenario's content and policy events."""
    doc = scenario.model_dump(mode="json")
    doc.pop("path", None)
    text = json.dumps({"scenario": doc, "events": _events(scenario.events)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def study_digest(prepared: Any) -> str:
    """sha256 of everything the numbers of ``prepared`` (a
    :class:`~corredor.studies.runner.PreparedStudy`) depend on (module docstring)."""
    doc = {
        "variants": [
            {
                "name": v.name,
                "events": sorted(e.id for e in v.scenario.events),
                "scenario": scenario_digest(v.scenario),
                "overrides": v.overrides,
                "files": [sha for _, sha in v.events_files],
                "extra": _events(v.extra_events),
            }
            for v in prepared.variants
        ],
        "base": prepared.base,
        "sets": [dict(sorted(s.items())) for s in prepared.sets],
        "weights": [float(s.weight) for s in prepared.set_info],
        "seeds": list(prepared.seeds),
        "days": prepared.days,
        "start_day": prepared.start_day,
        "outputs": [
            o.model_dump(mode="json", include=_NUMERIC_OUTPUT_FIELDS)
            for o in prepared.study.outputs
        ],
        "people_per_agent": prepared.people_per_agent,
        "version": 1,
    }
    text = json.dumps(doc, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
