"""A second corridor, fictional and small, written into a folder (a reusable test helper).

Four countries: people leave **Norvia** (NRV) and **Ostland** (OST), cross the transit state
**Meridia** (MER) and try to enter **Austral** (AUS)::

    Norvik (origin)  ──┐
                       ├── Gate Sur (crossing) ── Centro (city; zone meridia_transit):
    Ostburg (origin) ──┘                          centro_asylum, centro_visa, meridia_detention
                                                    │                           │
    Puerto Alto (border_city; alto_port) ───────────┘    Puerto Bajo (border_city; bajo_port)
      │ directed crossing, zone austral_west                │ directed, zone austral_east
      ▼                                                     ▼
    West Port (port; west_sector, austral_court)          East Port (port; east_sector)
      └──────────────► Heartland (destination; austral_detention) ◄──────────┘

Every mechanism of the corridor engine is used: origins with a driver series, a caravan, an
asylum office (servers) and a visa office (opening on a date) on the way, transit detention with
a due-process screening, metered ports, border processing that detains, deports to a border
city, expels (a policy event switches it on), returns to wait for a court hearing and admits,
destination detention, a court, two enforcement zones in the destination and one in transit, and
a policy event raising transit enforcement. The scenario uses the engine's *conventional*
parameter names (``decisions.options.apply.asylum_propensity``,
``calibration.hearing_give_up_hazard``…), so its ``roles:`` block only names the transit country
and the ledger's labels; nothing in it is Mexico or the United States.

:func:`write_synthetic_corridor` writes it (scenario.yaml, CSV tables, policy events and, unless
``with_data=False``, observed data made by the model itself: one run with :data:`TRUTH` and seed
:data:`TRUTH_SEED`, as ``tests/calibration_dirs.py`` does for the tiny corridor), so a
calibration started from the defaults should move towards :data:`TRUTH`. ``analysis`` adds an
``analysis:`` block (the scenario's analysis settings) as given.

``tests/`` is not a package: a test module imports this file after putting ``tests/`` on
``sys.path`` (``sys.path.insert(0, str(Path(__file__).resolve().parents[1]))``).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

NAME = "meridia-synthetic"
START = dt.date(2016, 1, 1)
DAYS = 731  # 2016-01-01 .. 2017-12-31
SRC = "https://example.org/meridia-synthetic-corridor"
#: The parameter values the observed data are made with (defaults in :data:`CALIBRATION`).
TRUTH: dict[str, float] = {"base_departures_nrv": 40.0, "austral_hazard": 3.0}
TRUTH_SEED = 17
DATA_SOURCE = "synthetic: corredor run of the meridia-synthetic corridor with known parameters"

LOCATIONS = """\
name,kind,country,lat,lon,population,shelter_capacity,source,note
Norvik,origin,Norvia,12.0,-70.0,900000,,https://example.org/gazetteer,
Ostburg,origin,Ostland,11.0,-64.0,400000,,https://example.org/gazetteer,
Gate Sur,crossing,Meridia,14.0,-68.0,20000,,https://example.org/gazetteer,
Centro,city,Meridia,19.0,-69.0,1500000,800,https://example.org/gazetteer,
Puerto Alto,border_city,Meridia,27.0,-72.0,300000,,https://example.org/gazetteer,
Puerto Bajo,border_city,Meridia,26.0,-65.0,250000,,https://example.org/gazetteer,
West Port,port,Austral,27.2,-72.1,60000,,https://example.org/gazetteer,
East Port,port,Austral,26.2,-65.1,40000,,https://example.org/gazetteer,
Heartland,destination,Austral,,,,,model construct: the absorbing destination,no coordinates
"""

LINKS = """\
from,to,km,km_type,mode,speed,risk,enforcement_exposure,directed,source
Norvik,Gate Sur,350,great_circle,bus,$speed_bus,0.0005,none,false,https://example.org/distances
Ostburg,Gate Sur,500,great_circle,bus,$speed_bus,0.0008,none,false,https://example.org/distances
Gate Sur,Centro,600,great_circle,bus,$speed_bus,0.001,meridia_transit,false,https://example.org/distances
Centro,Puerto Alto,900,great_circle,bus,$speed_bus,0.001,none,false,https://example.org/distances
Centro,Puerto Bajo,800,great_circle,bus,$speed_bus,0.002,none,false,https://example.org/distances
Puerto Alto,West Port,4,great_circle,foot,$speed_foot,0.003,austral_west,true,https://example.org/distances
Puerto Bajo,East Port,6,great_circle,foot,$speed_foot,0.004,austral_east,true,https://example.org/distances
West Port,Heartland,1,assumed,road,$speed_bus,0,none,true,model construct: abstract link
East Port,Heartland,1,assumed,road,$speed_bus,0,none,true,model construct: abstract link
"""

#: Norvia's insecurity index (a driver of departures), yearly points.
DRIVERS = """\
date,driver,value,value_type,source,note
2016-01-01,insecurity,1.0,observed,https://example.org/insecurity-index,
2016-07-01,insecurity,1.1,observed,https://example.org/insecurity-index,
2017-01-01,insecurity,1.4,observed,https://example.org/insecurity-index,
2017-07-01,insecurity,1.2,observed,https://example.org/insecurity-index,
"""

#: Calibration parameters: name -> (default, low, high).
CALIBRATION: dict[str, tuple[float, float, float]] = {
    "base_departures_nrv": (25.0, 1.0, 500.0),
    "base_departures_ost": (10.0, 1.0, 500.0),
    "elasticity_insecurity": (1.0, 0.0, 3.0),
    "caravan_people": (400.0, 0.0, 5000.0),
    "caravan_hazard_multiplier": (0.5, 0.0, 1.0),
    "speed_bus": (400.0, 100.0, 800.0),
    "speed_foot": (20.0, 5.0, 40.0),
    "asylum_servers": (4.0, 1.0, 50.0),
    "asylum_days": (20.0, 1.0, 120.0),
    "asylum_grant": (0.4, 0.0, 1.0),
    "visa_capacity": (30.0, 0.0, 500.0),
    "port_capacity": (6.0, 0.0, 200.0),
    "sector_capacity": (2000.0, 0.0, 20000.0),
    "hearing_days": (30.0, 1.0, 365.0),
    "expel_share": (0.6, 0.0, 1.0),
    "transit_effort": (50.0, 0.0, 500.0),
    "transit_hazard": (2.0e-4, 0.0, 1.0e-2),
    "austral_hazard": (1.5, 0.0, 10.0),
    "w_distance": (-0.001, -0.01, 0.0),
    "w_risk": (-20.0, -1000.0, 0.0),
    "w_enforcement": (-0.5, -10.0, 0.0),
    "w_queue": (-2.0e-4, -0.01, 0.0),
    "w_wait": (-0.005, -1.0, 0.0),
    "w_ties": (0.1, 0.0, 10.0),
    # the engine's roles, under their conventional names (corredor.scenario.corridor.roles)
    "wait_max_days": (20.0, 1.0, 365.0),
    "asylum_propensity": (0.02, 0.0, 1.0),
    "port_propensity": (0.15, 0.0, 1.0),
    "cross_propensity": (0.1, 0.0, 1.0),
    "return_hazard": (0.004, 0.0, 1.0),
    "settle_hazard": (0.003, 0.0, 1.0),
    "reattempt_share_removed": (0.4, 0.0, 1.0),
    "reattempt_delay_days": (60.0, 1.0, 720.0),
    "reattempt_share_border": (0.7, 0.0, 1.0),
    "hearing_give_up_hazard": (0.003, 0.0, 0.05),
    "settle_after_protection": (0.6, 0.0, 1.0),
    "apply_visa_propensity": (0.3, 0.0, 1.0),
    "openness_elasticity": (0.5, 0.0, 3.0),
    "openness_memory_days": (60.0, 1.0, 365.0),
    "openness_reference_days": (180.0, 1.0, 730.0),
    "openness_multiplier_max": (5.0, 2.0, 20.0),
    "asylum_network_people": (500.0, 1.0, 1.0e6),
}


def _cal(default: float, low: float, high: float) -> dict[str, Any]:
    return {
        "default": default,
        "range": [low, high],
        "description": "synthetic test value",
        "status": "hand-set",
    }


def _services() -> list[dict[str, Any]]:
    def svc(name: str, kind: str, location: str, **kw: Any) -> dict[str, Any]:
        return {"name": name, "kind": kind, "location": location, **kw, "source": SRC}

    return [
        svc(
            "centro_asylum",
            "asylum_office",
            "Centro",
            service_time={
                "model": "servers",
                "servers": "$asylum_servers",
                "mean_days": "$asylum_days",
            },
            abandonment=0.005,
            outcomes={
                "default": {
                    "grant": {"p": "$asylum_grant", "status": "refugee"},
                    "deny": {"p": "rest", "status": "asylum_denied"},
                }
            },
        ),
        svc(
            "centro_visa",
            "visa_office",
            "Centro",
            capacity="$visa_capacity",
            start=START + dt.timedelta(days=120),
            outcomes={"default": {"grant": {"p": 1.0, "status": "humanitarian_visa"}}},
        ),
        svc(
            "meridia_detention",
            "detention",
            "Centro",
            capacity=40,
            outcomes={"default": {"deport": {"p": 0.85, "to": "origin"}, "release": {"p": "rest"}}},
            screening={"p": 0.6, "claim": 0.25, "refer": "centro_asylum"},
        ),
        svc(
            "alto_port",
            "port_intake",
            "Puerto Alto",
            capacity="$port_capacity",
            outcomes={
                "default": {
                    "admit": {"p": "rest", "place": "Heartland"},
                    "deny": {"p": 0.4, "status": "inadmissible"},
                }
            },
        ),
        svc(
            "bajo_port",
            "port_intake",
            "Puerto Bajo",
            capacity="$port_capacity",
            outcomes={
                "default": {
                    "admit": {"p": "rest", "place": "Heartland"},
                    "deny": {"p": 0.5, "status": "inadmissible"},
                }
            },
        ),
        svc(
            "west_sector",
            "border_processing",
            "West Port",
            capacity="$sector_capacity",
            outcomes={
                "default": {
                    "detain": {"p": 0.15, "service": "austral_detention"},
                    "deport": {"p": 0.2, "to": "Puerto Alto"},
                    "expel": {"p": 0, "place": "Puerto Alto"},
                    "return_to_wait": {
                        "p": 0.25,
                        "place": "Puerto Alto",
                        "days": "$hearing_days",
                        "service": "austral_court",
                    },
                    "admit": {"p": "rest", "place": "Heartland"},
                },
                "OST": {
                    "deport": {"p": 0.5, "to": "origin"},
                    "admit": {"p": "rest", "place": "Heartland"},
                },
            },
        ),
        svc(
            "east_sector",
            "border_processing",
            "East Port",
            capacity="$sector_capacity",
            outcomes={
                "default": {
                    "detain": {"p": 0.3, "service": "austral_detention"},
                    "deport": {"p": 0.3, "to": "origin"},
                    "admit": {"p": "rest", "place": "Heartland"},
                }
            },
        ),
        svc(
            "austral_detention",
            "detention",
            "Heartland",
            service_time={"model": "servers", "servers": 150, "mean_days": 10},
            outcomes={
                "default": {
                    "deport": {"p": 0.6, "to": "origin"},
                    "admit": {"p": "rest", "place": "Heartland"},
                }
            },
        ),
        svc(
            "austral_court",
            "immigration_court",
            "West Port",
            capacity=200,
            outcomes={
                "default": {
                    "grant": {"p": 0.15, "status": "asylum_relief"},
                    "release": {"p": 0.25, "place": "Heartland"},
                    "deny": {"p": "rest", "status": "removal_order"},
                }
            },
        ),
    ]


#: Policy events: Austral expels at the western sector for four months; Meridia doubles its
#: transit enforcement from mid-2017.
EVENTS: list[dict[str, Any]] = [
    {
        "id": "austral-expulsions",
        "name": "Expulsions at the western sector",
        "country": "AUS",
        "policy_area": "border_land_control",
        "tool": "expulsion",
        "target_group": "irregular migrants",
        "direction": 1,
        "magnitude": "major",
        "start": dt.date(2016, 9, 1),
        "end": dt.date(2017, 1, 1),
        "source": "https://example.org/expulsion-order",
        "changes": [
            {
                "parameter": "services.west_sector.outcomes.default.expel.p",
                "op": "set",
                "value": "$expel_share",
            }
        ],
    },
    {
        "id": "meridia-enforcement",
        "name": "Meridia doubles transit enforcement",
        "country": "MER",
        "policy_area": "border_land_control",
        "tool": "enforcement",
        "target_group": "irregular migrants",
        "direction": 1,
        "magnitude": "major",
        "start": dt.date(2017, 6, 1),
        "source": "https://example.org/enforcement-plan",
        "changes": [
            {"parameter": "enforcement.meridia_transit.effort", "op": "multiply", "value": 2}
        ],
    },
]

#: Observables with observed data: name -> (definition, unit, frequency).
OBSERVED: dict[str, tuple[dict[str, Any], str, str]] = {
    "austral_apprehensions": (
        {"events": ["apprehend"], "zones": ["austral_west", "austral_east"]},
        "events",
        "month",
    ),
    "austral_apprehensions_nrv": (
        {"events": ["apprehend"], "zones": ["austral_west", "austral_east"], "groups": ["NRV"]},
        "events",
        "month",
    ),
    "meridia_apprehensions": (
        {"events": ["apprehend"], "zones": ["meridia_transit"]},
        "events",
        "month",
    ),
    "wait_programme_enrolments": (
        {"events": ["return_to_wait"], "services": ["west_sector"]},
        "events",
        "month",
    ),
    "asylum_applicants": ({"events": ["join"], "services": ["centro_asylum"]}, "people", "year"),
}


def scenario_document(
    *, days: int = DAYS, analysis: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The scenario YAML as a dict (see :func:`write_synthetic_corridor`)."""
    end = START + dt.timedelta(days=days - 1)
    zone = lambda name, locs, effort, hazard, det: {  # noqa: E731
        "name": name,
        "locations": locs,
        "effort": effort,
        "effort_unit": "relative",
        "hazard": {"default": hazard},
        "detention": det,
        "source": SRC,
    }
    observables: list[dict[str, Any]] = [
        {
            "name": name,
            "description": f"synthetic {name.replace('_', ' ')}",
            "definition": definition,
            "unit": unit,
            "frequency": frequency,
            "data": {
                "file": "observed/counts.csv",
                "value_column": "value",
                "filter": {"series": name},
            },
        }
        for name, (definition, unit, frequency) in OBSERVED.items()
    ]
    observables.append(
        {
            "name": "expulsions",
            "definition": {"events": ["expel"]},
            "unit": "events",
            "frequency": "month",
        }
    )
    doc: dict[str, Any] = {
        "name": NAME,
        "description": "A fictional four-country corridor: Norvia and Ostland → Meridia → Austral.",
        "start": START,
        "end": end,
        "step": "day",
        "people_per_agent": 1,
        "calibration_horizon": max(end, dt.date(2017, 12, 31)),
        "nationalities": {"NRV": "Norvia", "OST": "Ostland"},
        "locations": "locations.csv",
        "links": "links.csv",
        "origins": [
            {
                "name": "norvia",
                "location": "Norvik",
                "nationality": "NRV",
                "base_daily_departures": "$base_departures_nrv",
                "driver_series": "drivers/norvia.csv",
                "drivers": {"insecurity": "$elasticity_insecurity"},
                "source": SRC,
            },
            {
                "name": "ostland",
                "location": "Ostburg",
                "nationality": "OST",
                "base_daily_departures": "$base_departures_ost",
                "source": SRC,
            },
        ],
        "groups": {
            "demographics": [
                "single_adult",
                "family_unit_member",
                "unaccompanied_child",
                "accompanied_minor",
            ],
            "shares": {
                "NRV": {
                    "single_adult": 0.6,
                    "family_unit_member": 0.25,
                    "unaccompanied_child": 0.05,
                    "accompanied_minor": "rest",
                },
                "OST": {
                    "single_adult": 0.8,
                    "family_unit_member": "rest",
                    "unaccompanied_child": 0.02,
                    "accompanied_minor": 0.03,
                },
            },
            "source": SRC,
        },
        "caravans": [
            {
                "name": "spring_caravan",
                "origin": "ostland",
                "date": dt.date(2016, 4, 10),
                "days": 5,
                "people": "$caravan_people",
                "target": "Puerto Bajo",
                "hazard_multiplier": "$caravan_hazard_multiplier",
                "source": SRC,
            }
        ],
        "services": _services(),
        "enforcement": {
            "zones": [
                zone(
                    "meridia_transit",
                    ["Centro"],
                    "$transit_effort",
                    "$transit_hazard",
                    "meridia_detention",
                ),
                zone("austral_west", ["West Port"], 1, "$austral_hazard", "west_sector"),
                zone("austral_east", ["East Port"], 1, "$austral_hazard", "east_sector"),
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
                    "asylum_propensity": "$asylum_propensity",
                    "port_propensity": "$port_propensity",
                },
                "cross": {"irregular_propensity": "$cross_propensity"},
                "return": {"daily_hazard": "$return_hazard"},
                "settle": {"daily_hazard": "$settle_hazard"},
            },
        },
        "roles": {
            "transit_country": "Meridia",
            "labels": {
                "transit": "meridia",
                "transit_nationals": "meridians",
                "destination": "austral",
                "return_to_wait": "wait_programme",
            },
        },
        "policy_events": "policy_events.yaml",
        "observables": observables,
        "calibration": {name: _cal(*v) for name, v in CALIBRATION.items()},
    }
    if analysis is not None:
        doc["analysis"] = dict(analysis)
    return doc


def _periods(frequency: str, days: int) -> list[tuple[dt.date, dt.date]]:
    """The months or calendar years of the simulated days (complete ones only)."""
    end = START + dt.timedelta(days=days - 1)
    out = []
    a = START
    while a <= end:
        if frequency == "month":
            b = (a.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        else:
            b = a.replace(month=12, day=31)
        if b <= end:
            out.append((a, b))
        a = b + dt.timedelta(days=1)
    return out


def write_observed(root: Path, daily: Mapping[str, np.ndarray] | None, days: int) -> None:
    """``observed/counts.csv`` from per-observable daily values (None: zeros, a placeholder)."""
    (root / "observed").mkdir(parents=True, exist_ok=True)
    with open(root / "observed" / "counts.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["series", "period_start", "period_end", "value", "value_type", "source"])
        for name, (_, _, frequency) in OBSERVED.items():
            values = np.zeros(days) if daily is None else np.asarray(daily[name])
            for a, b in _periods(frequency, days):
                total = float(values[(a - START).days : (b - START).days + 1].sum())
                w.writerow([name, a.isoformat(), b.isoformat(), f"{total:g}", "exact", DATA_SOURCE])


def write_synthetic_corridor(
    root: Path,
    *,
    days: int = DAYS,
    with_data: bool = True,
    truth: Mapping[str, float] | None = None,
    seed: int = TRUTH_SEED,
    analysis: Mapping[str, Any] | None = None,
) -> Path:
    """Write the corridor into ``root``; returns the path of ``scenario.yaml``.

    With ``with_data`` (default) the observed data are one run of the model with ``truth``
    (default :data:`TRUTH`) and ``seed``; without, they are zeros (the scenario loads and runs;
    its fit statistics mean nothing).
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "locations.csv").write_text(LOCATIONS, encoding="utf-8")
    (root / "links.csv").write_text(LINKS, encoding="utf-8")
    (root / "drivers").mkdir(exist_ok=True)
    (root / "drivers" / "norvia.csv").write_text(DRIVERS, encoding="utf-8")
    events = yaml.safe_dump(EVENTS, sort_keys=False)
    (root / "policy_events.yaml").write_text(events, encoding="utf-8")
    path = root / "scenario.yaml"
    doc = scenario_document(days=days, analysis=analysis)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=100), encoding="utf-8")
    write_observed(root, None, days)
    if with_data:
        from corredor.simulation.corridor import run_corridor

        result = run_corridor(path, seed=seed, calibration=dict(TRUTH if truth is None else truth))
        names = [o.name for o in result.compiled.scenario.observables]
        daily = {name: result.obs_daily[:, names.index(name)] for name in OBSERVED}
        write_observed(root, daily, days)
    return path
