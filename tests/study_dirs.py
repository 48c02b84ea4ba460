"""A small study on the tiny corridor of ``corridor_dirs.py`` (a test helper).

The corridor gets a history of three dated policies — the transit state deploys troops
(``deploy``: effort in ``mid_zone`` × 4 from day 40), the destination returns people to wait
for their hearings (``mpp``: ``return_to_wait`` from day 30) and expels (``expel-on``, February)
— a lever ``asylum_multiplier`` (status ``lever``, read by the counterfactual events file
``cf/asylum.yaml`` only), and a study file with the variants whose effect has a known sign::

    history · no-deploy · no-mpp · asylum (asylum officers × asylum_multiplier from day 40)

``write_study_dir(root)`` writes it all and returns the study file's path.

``tests/`` is not a package: a test module imports this file after putting ``tests/`` on
``sys.path``.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from corridor_dirs import (
    EXPEL_EVENT,
    LINKS,
    LOCATIONS,
    PROCESSING,
    START,
    policy_event,
    scenario_document,
)

DAYS = 120
DEPLOY = policy_event(
    [{"parameter": "enforcement.mid_zone.effort", "op": "multiply", "value": 4}],
    start=START + dt.timedelta(days=40),
    event_id="deploy",
)
MPP = policy_event(
    [
        {
            "parameter": "services.processing.outcomes.default.return_to_wait.p",
            "op": "set",
            "value": 0.3,
        }
    ],
    start=START + dt.timedelta(days=30),
    event_id="mpp",
)
ASYLUM_CF = policy_event(
    [
        {
            "parameter": "services.asylum_office.service_time.servers",
            "op": "multiply",
            "value": "$asylum_multiplier",
        }
    ],
    start=START + dt.timedelta(days=40),
    event_id="cf-asylum",
)

OUTPUTS: list[dict[str, Any]] = [
    {"name": "dest_apprehensions", "measure": "observable", "observable": "dest_apprehensions"},
    {"name": "encounters", "measure": "encounters_destination"},
    {"name": "repeat", "measure": "repeat_encounters_destination"},
    {"name": "apprehended_mid", "measure": "apprehensions_transit"},
    {"name": "deported_mid", "measure": "deportations_transit"},
    {"name": "unscreened", "measure": "deportations_without_screening"},
    {"name": "detention_mid", "measure": "detention_days_transit"},
    {"name": "detention_dest", "measure": "detention_days_destination"},
    {"name": "stranded", "measure": "stranded_person_days", "by": "place"},
    {"name": "waiting", "measure": "hearing_waiting_person_days"},
    {"name": "applications", "measure": "asylum_applications_transit"},
    {"name": "decisions", "measure": "asylum_decisions_transit"},
    {"name": "backlog", "measure": "asylum_backlog_transit_end"},
    {"name": "wait", "measure": "asylum_wait_transit_mean_days"},
    {"name": "settled", "measure": "settled_transit"},
    {"name": "expulsions", "measure": "expulsions"},
    {"name": "returned", "measure": "returned_to_wait"},
    {
        "name": "families",
        "measure": "encounters_destination",
        "demographics": ["family_unit_member"],
    },
]

VARIANTS: list[dict[str, Any]] = [
    {"name": "history", "label": "History"},
    {"name": "no-deploy", "label": "No deployment", "without_events": ["deploy"]},
    {"name": "no-mpp", "label": "No MPP", "without_events": ["mpp"]},
    {
        "name": "asylum",
        "label": "Asylum officers",
        "events": ["cf/asylum.yaml"],
        "set": {"asylum_multiplier": 4},
    },
]


def study_document(scenario: str, **changes: Any) -> dict[str, Any]:
    """The study file as a dict (``changes`` replace top-level fields)."""
    doc: dict[str, Any] = {
        "study": "tiny-study",
        "title": "A study of the tiny corridor",
        "question": "What do the deployment, MPP and more asylum officers change?",
        "scenario": scenario,
        "calibration": "none",
        "period": {
            "start": START + dt.timedelta(days=30),
            "end": START + dt.timedelta(days=DAYS - 1),
        },
        "ensemble": {"replicas": 3, "seed": 5},
        "baseline": "history",
        "variants": copy.deepcopy(VARIANTS),
        "outputs": copy.deepcopy(OUTPUTS),
        "headline": ["encounters", "stranded", "wait"],
        "left_out": [{"what": "harm per person-day", "why": "no sourced rate"}],
        "assumptions": ["a test"],
        "summary": {"en": "A test study.", "es": "Un estudio de prueba."},
    }
    doc.update(changes)
    return doc


def write_study_dir(root: Path, study: Mapping[str, Any] | None = None, **changes: Any) -> Path:
    """Write the corridor (``root/corridor``), the counterfactual file and the study file
    (``root/study.yaml``, or ``study`` as given); returns the study file's path."""
    corridor = root / "corridor"
    corridor.mkdir(parents=True, exist_ok=True)
    (corridor / "locations.csv").write_text(LOCATIONS, encoding="utf-8")
    (corridor / "links.csv").write_text(LINKS, encoding="utf-8")
    events = [EXPEL_EVENT, DEPLOY, MPP]
    processing = copy.deepcopy(PROCESSING)
    processing["return_to_wait"]["p"] = 0
    doc = scenario_document(days=DAYS, events=events, processing=processing)
    doc["calibration"]["asylum_multiplier"] = {
        "default": 2,
        "range": [1, 10],
        "description": "a lever: asylum officers multiplied (counterfactual events only)",
        "status": "lever",
    }
    (corridor / "policy.yaml").write_text(yaml.safe_dump(events, sort_keys=False), encoding="utf-8")
    (corridor / "scenario.yaml").write_text(
        yaml.safe_dump(doc, sort_keys=False, width=100), encoding="utf-8"
    )
    (root / "cf").mkdir(exist_ok=True)
    (root / "cf" / "asylum.yaml").write_text(
        yaml.safe_dump([ASYLUM_CF], sort_keys=False), encoding="utf-8"
    )
    text = study if study is not None else study_document("corridor/scenario.yaml", **changes)
    path = root / "study.yaml"
    path.write_text(yaml.safe_dump(dict(text), sort_keys=False, width=100), encoding="utf-8")
    return path
