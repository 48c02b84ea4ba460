"""The tiny corridor of ``corridor_dirs.py`` with observed border series and forecast events.

``write_forecast_dir(root)`` writes the tiny corridor (2020-01-01 – 2020-03-31, calibration
horizon 2020-03-31) with

* ``observed/encounters.csv``: monthly rows January – March 2020 in the layout of
  ``us_sw_border_encounters_monthly.csv`` (component, slice, citizenship, demographic,
  title_of_authority), for the observables ``dest_apprehensions`` (USBP total),
  ``dest_apprehensions_family`` (USBP family-unit individuals), ``port_joins`` (OFO total) and
  ``expulsions`` (OFO Title 42, which a forecast leaves out);
* ``policy_events_forecast.yaml``: expulsions switched on again from 2020-05-01 (after the
  horizon), with a source.

``tests/`` is not a package: import after ``sys.path.insert(0, <tests dir>)``.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from corridor_dirs import EXPEL_EVENT, scenario_document, write_corridor_dir

HORIZON = dt.date(2020, 3, 31)
DAYS = 91  # 2020-01-01 .. 2020-03-31
SRC = "https://example.org/synthetic-border-series"
HEADER = (
    "period_start,period_end,date,component,slice,citizenship,demographic,"
    "title_of_authority,encounters,value_type,source\n"
)
#: observable -> (component, slice, citizenship, demographic, title_of_authority)
SERIES: dict[str, tuple[str, str, str, str, str]] = {
    "dest_apprehensions": ("USBP", "total", "All", "All", "All"),
    "dest_apprehensions_family": (
        "USBP",
        "by_demographic",
        "All",
        "family_unit_individuals",
        "All",
    ),
    "port_joins": ("OFO", "total", "All", "All", "All"),
    "expulsions": ("OFO", "by_title", "All", "All", "Title 42"),
}
FORECAST_EVENT: dict[str, Any] = {
    **copy.deepcopy(EXPEL_EVENT),
    "id": "expel-again",
    "name": "Expulsions at the port of entry, again",
    "start": dt.date(2020, 5, 1),
    "end": None,
    "source": "https://example.org/second-expulsion-order",
}


def _rows() -> str:
    out = [HEADER]
    for month in (1, 2, 3):
        a = dt.date(2020, month, 1)
        b = dt.date(2020, month + 1, 1) - dt.timedelta(days=1)
        for comp, sl, cit, dem, title in SERIES.values():
            out.append(f"{a},{b},{a},{comp},{sl},{cit},{dem},{title},100,exact,{SRC}\n")
    return "".join(out)


def forecast_document(**kwargs: Any) -> dict[str, Any]:
    doc = scenario_document(days=DAYS, **kwargs)
    doc["calibration_horizon"] = HORIZON
    obs = {o["name"]: o for o in doc["observables"]}
    obs["dest_apprehensions_family"] = {
        "name": "dest_apprehensions_family",
        "definition": {
            "events": ["apprehend"],
            "zones": ["dest_zone"],
            "groups": ["family_unit_member"],
        },
        "unit": "events",
        "frequency": "month",
    }
    obs["port_joins"] = {
        "name": "port_joins",
        "definition": {"events": ["join"], "services": ["port"]},
        "unit": "events",
        "frequency": "month",
    }
    for name, (comp, sl, cit, dem, title) in SERIES.items():
        flt = {"component": comp, "slice": sl}
        if cit != "All":
            flt["citizenship"] = cit
        if dem != "All":
            flt["demographic"] = dem
        if title != "All":
            flt["title_of_authority"] = title
        obs[name]["data"] = {
            "file": "observed/encounters.csv",
            "value_column": "encounters",
            "filter": flt,
        }
    doc["observables"] = list(obs.values())
    # the derived category its observed totals file names (the scenario's analysis settings)
    doc["analysis"] = {
        "forecast": {"derived": [{"component": "CBP_total", "sum": ["USBP", "OFO"]}]}
    }
    return doc


def write_forecast_dir(root: Path, *, forecast_events: bool = True, **kwargs: Any) -> Path:
    """Write the scenario (module docstring) into ``root``; returns ``scenario.yaml``'s path."""
    path = write_corridor_dir(root, days=DAYS, **kwargs)
    (root / "observed").mkdir(exist_ok=True)
    (root / "observed" / "encounters.csv").write_text(_rows(), encoding="utf-8")
    path.write_text(
        yaml.safe_dump(forecast_document(**kwargs), sort_keys=False, width=100), encoding="utf-8"
    )
    if forecast_events:
        event = {k: v for k, v in FORECAST_EVENT.items() if v is not None}
        (root / "policy_events_forecast.yaml").write_text(
            yaml.safe_dump([event], sort_keys=False), encoding="utf-8"
        )
    return path
