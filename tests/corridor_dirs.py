"""Write a tiny synthetic corridor scenario (YAML + CSV) into a folder (a test helper).

The corridor (``docs/scenario-format.md``)::

    Alpha (origin, AAA) ── Midtown (town, Mid) ── Bordertown (border_city, Mid)
                           asylum_office           port (port_intake)
                           mid_detention                │ directed crossing link
                           zone mid_zone                ▼
                                                   Portside (port, Dest) ──► Interior (destination)
                                                   processing (border_processing)
                                                   dest_detention, court
                                                   zone dest_zone

``processing`` (the detention service of ``dest_zone``) detains, deports to Bordertown, expels to
Bordertown (off until the policy event ``expel-on`` sets ``expel.p``), returns to wait in
Bordertown for the court, and admits. ``mid_detention`` deports to the origin after a screening
that refers claimants to ``asylum_office``. Every number has a source or is a ``$name`` of
``calibration:`` (:data:`CALIBRATION` gives the defaults).

Example::

    from corridor_dirs import write_corridor_dir

    path = write_corridor_dir(tmp_path / "c")
    c = compile_corridor(load_corridor_scenario(path), days=60)

``tests/`` is not a package: a test module imports this file after putting ``tests/`` on
``sys.path`` (``sys.path.insert(0, str(Path(__file__).resolve().parents[1]))``).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

START = dt.date(2020, 1, 1)
SRC = "https://example.org/synthetic-test-corridor"

LOCATIONS = """\
name,kind,country,lat,lon,population,shelter_capacity,source,note
Alpha,origin,Alpha,14.0,-87.0,500000,,https://example.org/gazetteer,
Midtown,town,Mid,16.0,-92.0,40000,300,https://example.org/gazetteer,
Bordertown,border_city,Mid,25.0,-100.0,200000,,https://example.org/gazetteer,
Portside,port,Dest,25.1,-100.1,50000,,https://example.org/gazetteer,
Interior,destination,Dest,,,,,model construct: the absorbing destination,no coordinates
"""

LINKS = """\
from,to,km,km_type,mode,speed,risk,enforcement_exposure,directed,source
Alpha,Midtown,300,great_circle,road,$speed_road,0.001,none,false,https://example.org/distances
Midtown,Bordertown,600,great_circle,road,$speed_road,0.001,mid_zone,false,https://example.org/distances
Bordertown,Portside,3,great_circle,foot,$speed_foot,0.002,dest_zone,true,https://example.org/distances
Portside,Interior,1,assumed,road,$speed_road,0,none,true,model construct: abstract link
"""


def _cal(
    default: float, low: float, high: float, description: str = "test value"
) -> dict[str, Any]:
    return {
        "default": default,
        "range": [low, high],
        "description": description,
        "status": "hand-set",
    }


#: Calibration parameters of the tiny corridor: name -> (default, low, high).
CALIBRATION: dict[str, tuple[float, float, float]] = {
    "base_departures": (30.0, 0.0, 1000.0),
    "speed_road": (300.0, 50.0, 600.0),
    "speed_foot": (25.0, 10.0, 40.0),
    "asylum_days": (5.0, 1.0, 30.0),
    "processing_capacity": (1000.0, 0.0, 10000.0),
    "mpp_wait_days": (7.0, 1.0, 60.0),
    "mid_effort": (100.0, 0.0, 1000.0),
    "mid_hazard": (5.0e-4, 0.0, 1.0e-2),
    "dest_hazard": (2.0, 0.0, 10.0),
    "expel_share": (0.5, 0.0, 1.0),
    "w_distance": (-0.001, -0.01, 0.0),
    "w_risk": (-10.0, -1000.0, 0.0),
    "w_enforcement": (-1.0, -10.0, 0.0),
    "w_queue": (-1.0e-4, -0.01, 0.0),
    "w_wait": (-0.01, -1.0, 0.0),
    "w_ties": (0.0, 0.0, 10.0),
    "wait_max_days": (10.0, 1.0, 365.0),
    "apply_asylum_propensity": (0.1, 0.0, 1.0),
    "apply_port_propensity": (0.2, 0.0, 1.0),
    "cross_propensity": (0.1, 0.0, 1.0),
    "return_home_hazard": (0.005, 0.0, 1.0),
    "settle_mid_hazard": (0.005, 0.0, 1.0),
    # the engine's roles (corredor.scenario.corridor.roles): conventional names, and one mapped
    "reattempt_share_removed": (0.5, 0.0, 1.0),
    "reattempt_delay_days": (10.0, 1.0, 720.0),
    "reattempt_share_border": (0.8, 0.0, 1.0),
    "mpp_abandon_hazard": (0.002, 0.0, 0.05),
    "settle_after_protection": (0.5, 0.0, 1.0),
    # perceived openness: off (elasticity 0) unless a test sets it
    "openness_elasticity": (0.0, 0.0, 3.0),
    "openness_memory_days": (90.0, 1.0, 365.0),
    "openness_reference_days": (365.0, 1.0, 730.0),
    "openness_multiplier_max": (10.0, 2.0, 20.0),
    # word of the asylum procedure among protected co-nationals: off (a huge scale) by default
    "asylum_network_people": (1.0e12, 1.0, 1.0e12),
}

#: Outcomes of ``processing`` (border_processing at Portside), selector ``default``.
PROCESSING: dict[str, dict[str, Any]] = {
    "detain": {"p": 0.15, "service": "dest_detention"},
    "deport": {"p": 0.15, "to": "Bordertown"},
    "expel": {"p": 0, "place": "Bordertown"},
    "return_to_wait": {
        "p": 0.2,
        "place": "Bordertown",
        "days": "$mpp_wait_days",
        "service": "court",
    },
    "admit": {"p": "rest", "place": "Interior"},
}

#: The policy event of the default scenario: expulsions at ``processing`` in February.
EXPEL_EVENT: dict[str, Any] = {
    "id": "expel-on",
    "name": "Expulsions at the port of entry",
    "country": "DST",
    "policy_area": "border_land_control",
    "tool": "expulsion",
    "target_group": "irregular migrants",
    "direction": 1,
    "magnitude": "major",
    "start": dt.date(2020, 2, 1),
    "end": dt.date(2020, 3, 1),
    "source": "https://example.org/expulsion-order",
    "changes": [
        {
            "parameter": "services.processing.outcomes.default.expel.p",
            "op": "set",
            "value": "$expel_share",
        }
    ],
}


def policy_event(
    changes: Sequence[Mapping[str, Any]],
    *,
    start: dt.date,
    end: dt.date | None = None,
    event_id: str = "test-event",
) -> dict[str, Any]:
    """A policy event (``docs/policy.md``) with the given changes."""
    event = copy.deepcopy(EXPEL_EVENT)
    event.update(id=event_id, start=start, end=end, changes=[dict(c) for c in changes])
    if end is None:
        del event["end"]
    return event


def _services(processing: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": "asylum_office",
            "kind": "asylum_office",
            "location": "Midtown",
            "service_time": {"model": "servers", "servers": 3, "mean_days": "$asylum_days"},
            "abandonment": 0.01,
            "outcomes": {
                "default": {
                    "grant": {"p": 0.5, "status": "refugee"},
                    "deny": {"p": "rest", "status": "asylum_denied"},
                }
            },
            "source": "https://example.org/asylum-office-report",
        },
        {
            "name": "mid_detention",
            "kind": "detention",
            "location": "Midtown",
            "capacity": 20,
            "outcomes": {
                "default": {
                    "deport": {"p": 0.8, "to": "origin"},
                    "release": {"p": "rest"},
                }
            },
            "screening": {"p": 0.5, "claim": 0.3, "refer": "asylum_office"},
            "source": "https://example.org/detention-audit",
        },
        {
            "name": "port",
            "kind": "port_intake",
            "location": "Bordertown",
            "capacity": 5,
            "outcomes": {
                "default": {
                    "admit": {"p": "rest", "place": "Interior"},
                    "deny": {"p": 0.3, "status": "inadmissible"},
                }
            },
            "source": "https://example.org/port-statistics",
        },
        {
            "name": "processing",
            "kind": "border_processing",
            "location": "Portside",
            "capacity": "$processing_capacity",
            "outcomes": {"default": {k: dict(v) for k, v in processing.items()}},
            "source": "https://example.org/processing-statistics",
        },
        {
            "name": "dest_detention",
            "kind": "detention",
            "location": "Interior",
            "service_time": {"model": "servers", "servers": 200, "mean_days": 5},
            "outcomes": {
                "default": {
                    "deport": {"p": 0.5, "to": "origin"},
                    "admit": {"p": "rest", "place": "Interior"},
                }
            },
            "source": "https://example.org/detention-statistics",
        },
        {
            "name": "court",
            "kind": "immigration_court",
            "location": "Portside",
            "capacity": 1000,
            "outcomes": {
                "default": {
                    "grant": {"p": 0.1, "status": "asylum_relief"},
                    "release": {"p": 0.3},
                    "deny": {"p": "rest", "status": "removal_order"},
                }
            },
            "source": "https://example.org/court-statistics",
        },
    ]


def scenario_document(
    *,
    days: int = 120,
    processing: Mapping[str, Mapping[str, Any]] | None = None,
    events: Sequence[Mapping[str, Any]] | None = (EXPEL_EVENT,),
    calibration: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The scenario YAML as a dict (see :func:`write_corridor_dir`)."""
    cal = {name: _cal(*v) for name, v in CALIBRATION.items()}
    for name, value in (calibration or {}).items():
        cal[name]["default"] = value
    doc: dict[str, Any] = {
        "name": "tiny-test-corridor",
        "description": "One origin, a transit town, a border city, a port and the destination.",
        "start": START,
        "end": START + dt.timedelta(days=days - 1),
        "step": "day",
        "people_per_agent": 1,
        "nationalities": {"AAA": "Alpha"},
        "locations": "locations.csv",
        "links": "links.csv",
        "origins": [
            {
                "name": "aland",
                "location": "Alpha",
                "nationality": "AAA",
                "base_daily_departures": "$base_departures",
            }
        ],
        "groups": {
            "demographics": ["single_adult", "family_unit_member"],
            "shares": {"AAA": {"single_adult": 0.7, "family_unit_member": "rest"}},
            "source": SRC,
        },
        "services": _services(PROCESSING if processing is None else processing),
        "enforcement": {
            "zones": [
                {
                    "name": "mid_zone",
                    "locations": ["Midtown"],
                    "effort": "$mid_effort",
                    "hazard": {"default": "$mid_hazard"},
                    "detention": "mid_detention",
                },
                {
                    "name": "dest_zone",
                    "locations": ["Portside"],
                    "effort": {"value": 1, "source": SRC},
                    "effort_unit": "relative",
                    "hazard": {"default": "$dest_hazard"},
                    "detention": "processing",
                },
            ]
        },
        "decisions": {
            "weights": {
                "distance": "$w_distance",
                "risk": "$w_risk",
                "enforcement": "$w_enforcement",
                "queue_length": "$w_queue",
                "expected_wait": "$w_wait",
                "network_ties": "$w_ties",
            },
            "options": {
                "wait": {"max_days": "$wait_max_days"},
                "apply": {
                    "comar_propensity": "$apply_asylum_propensity",
                    "port_propensity": "$apply_port_propensity",
                },
                "cross": {"irregular_propensity": "$cross_propensity"},
                "return": {"daily_hazard": "$return_home_hazard"},
                "settle": {"daily_hazard_mexico": "$settle_mid_hazard"},
            },
        },
        # the scenario's own names for three of the engine's roles (the others: conventional)
        "roles": {
            "transit_country": "Mid",
            "parameters": {
                "hearing_give_up_hazard": "calibration.mpp_abandon_hazard",
                "apply_asylum_propensity": "decisions.options.apply.comar_propensity",
                "settle_transit_hazard": "decisions.options.settle.daily_hazard_mexico",
            },
        },
        "observables": [
            {
                "name": "dest_apprehensions",
                "definition": {"events": ["apprehend"], "zones": ["dest_zone"]},
                "unit": "events",
                "frequency": "month",
            },
            {
                "name": "expulsions",
                "definition": {"events": ["expel"], "services": ["processing"]},
                "unit": "events",
                "frequency": "month",
            },
            {
                "name": "asylum_applicants",
                "definition": {"events": ["join"], "services": ["asylum_office"]},
                "unit": "people",
                "frequency": "year",
            },
        ],
        "calibration": cal,
    }
    if events is not None:
        doc["policy_events"] = "policy.yaml"
    return doc


def write_corridor_dir(
    root: Path,
    *,
    days: int = 120,
    processing: Mapping[str, Mapping[str, Any]] | None = None,
    events: Sequence[Mapping[str, Any]] | None = (EXPEL_EVENT,),
    calibration: Mapping[str, float] | None = None,
) -> Path:
    """Write the tiny corridor into ``root``; returns the path of ``scenario.yaml``.

    ``processing`` replaces the outcome table of ``processing`` (:data:`PROCESSING`); ``events``
    are the policy events written to ``policy.yaml`` (``None``: no policy file); ``calibration``
    changes parameter defaults (the ranges of :data:`CALIBRATION` must hold them).
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "locations.csv").write_text(LOCATIONS, encoding="utf-8")
    (root / "links.csv").write_text(LINKS, encoding="utf-8")
    doc = scenario_document(
        days=days, processing=processing, events=events, calibration=calibration
    )
    if events is not None:
        text = yaml.safe_dump([dict(e) for e in events], sort_keys=False)
        (root / "policy.yaml").write_text(text, encoding="utf-8")
    path = root / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=100), encoding="utf-8")
    return path
