"""Corridor scenarios: the YAML + CSV format, its validation, and the built-in scenarios.

The format is described in ``docs/scenario-format.md``. Public API:

* :func:`load_corridor_scenario` (path, folder or built-in name → :class:`CorridorScenario`);
* :func:`write_corridor_scenario` / :func:`scenario_yaml` (back to files / text);
* :func:`builtin_corridor_scenarios` (name → path);
* :func:`parameter_index` / :func:`parameter_values` (dotted parameter names, as policy events
  use them, → parameters / default values);
* :func:`resolve_calibration` (which calibration a run uses: name, file, sha256, values);
* :func:`read_table` and the row models :class:`Location`, :class:`Link`, :class:`DriverPoint`.
"""

from corredor.scenario.builtin import builtin_corridor_scenarios
from corredor.scenario.corridor.bargaining import BargainingSpec, LeverSpec
from corredor.scenario.corridor.behaviour import Decisions, Enforcement, UtilityWeights, Zone
from corredor.scenario.corridor.builtin import resolve_corridor_scenario
from corredor.scenario.corridor.calibrated import ResolvedCalibration, resolve_calibration
from corredor.scenario.corridor.calibration import CalibrationParameter
from corredor.scenario.corridor.geography import LOCATION_KINDS, MODES, Link, Location
from corredor.scenario.corridor.index import iter_params, parameter_index, parameter_values
from corredor.scenario.corridor.loader import (
    load_corridor_scenario,
    load_scenario_events,
    validate_corridor_scenario,
)
from corredor.scenario.corridor.model import CorridorScenario, Table
from corredor.scenario.corridor.observables import Definition, Observable, ObservedData
from corredor.scenario.corridor.params import Param
from corredor.scenario.corridor.population import DriverPoint, Groups, Origin
from corredor.scenario.corridor.roles import PARAMETER_ROLES, LedgerLabels, ParameterRole, Roles
from corredor.scenario.corridor.services import VERB_FIELDS, VERBS, Outcome, Service, ServiceTiming
from corredor.scenario.corridor.summary import summary_line, summary_rows
from corredor.scenario.corridor.tables import read_table, table_text
from corredor.scenario.corridor.writer import scenario_yaml, write_corridor_scenario

__all__ = [
    "LOCATION_KINDS",
    "MODES",
    "PARAMETER_ROLES",
    "VERBS",
    "VERB_FIELDS",
    "BargainingSpec",
    "CalibrationParameter",
    "CorridorScenario",
    "Decisions",
    "Definition",
    "DriverPoint",
    "Enforcement",
    "Groups",
    "LedgerLabels",
    "LeverSpec",
    "Link",
    "Location",
    "Observable",
    "ObservedData",
    "Origin",
    "Outcome",
    "Param",
    "ParameterRole",
    "ResolvedCalibration",
    "Roles",
    "Service",
    "ServiceTiming",
    "Table",
    "UtilityWeights",
    "Zone",
    "builtin_corridor_scenarios",
    "iter_params",
    "load_corridor_scenario",
    "load_scenario_events",
    "parameter_index",
    "parameter_values",
    "read_table",
    "resolve_calibration",
    "resolve_corridor_scenario",
    "scenario_yaml",
    "summary_line",
    "summary_rows",
    "table_text",
    "validate_corridor_scenario",
    "write_corridor_scenario",
]
