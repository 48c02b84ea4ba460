"""A corridor scenario compiled to arrays: what the day processes read.

:func:`compile_corridor` turns a validated :class:`~corredor.scenario.corridor.CorridorScenario`
(plus calibration values) into :class:`Compiled`: integer codes for places, groups, services
and zones; the link graph in CSR order; the km to the border cities from every place; and every
parameter as a daily NumPy array over the simulated days, with the scenario's policy events
applied (``corredor.policy.PolicyTimeline``). It runs the compile steps of
:mod:`corredor.rules.corridor.compile` in order; :class:`Compiled` is the union of their parts.
Nothing here is specific to one corridor: the mechanisms read kinds (``border_city``,
``asylum_office``…) and the scenario's names.

``calibration`` values are given by the caller (``run_corridor`` resolves the scenario's
calibrated file with :func:`corredor.scenario.corridor.resolve_calibration`): the rules read no
file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from corredor.engine.services import ServiceTable
from corredor.policy import PolicyTimeline
from corredor.rules.corridor.compile.decisions import compile_decisions, compile_roles
from corredor.rules.corridor.compile.network import Network, compile_network
from corredor.rules.corridor.compile.outcomes import OutcomeTables, VerbArgs, compile_outcomes
from corredor.rules.corridor.compile.params import daily_parameters
from corredor.rules.corridor.compile.population import (
    Caravans,
    Groups,
    Origins,
    compile_caravans,
    compile_groups,
    compile_origins,
)
from corredor.rules.corridor.compile.services import ServiceArrays, compile_services
from corredor.rules.corridor.compile.zones import Zones, compile_zones
from corredor.rules.corridor.kinds import (
    BORDER_CITY,
    DETENTION_KIND,
    KIND_CODES,
    PORT_KIND,
    TRANSIT_KINDS,
)
from corredor.scenario.corridor import CorridorScenario

__all__ = [
    "BORDER_CITY",
    "DETENTION_KIND",
    "KIND_CODES",
    "PORT_KIND",
    "TRANSIT_KINDS",
    "Compiled",
    "VerbArgs",
    "compile_corridor",
]

FloatArray = npt.NDArray[np.float64]


@dataclass
class Compiled(Zones, OutcomeTables, ServiceArrays, Caravans, Origins, Groups, Network):
    """A compiled corridor: the parts of the compile steps (:class:`Network`, :class:`Groups`,
    :class:`Origins`, :class:`Caravans`, :class:`ServiceArrays`, :class:`OutcomeTables`,
    :class:`Zones`, whose fields document the arrays), and the run's own fields below."""

    scenario: CorridorScenario
    calibration: dict[str, float]
    start: dt.date
    days: int
    # decisions (T,) arrays by name: "weights.<w>", "calibration.<name>"
    decision: dict[str, FloatArray] = field(default_factory=dict)
    # the engine's parameter roles (T,) arrays by role name (corredor.scenario.corridor.roles)
    roles: dict[str, FloatArray] = field(default_factory=dict)
    # every parameter per day (dotted name -> (T,)), for reports and tests
    timeline: PolicyTimeline | None = None
    #: what validation says the run does that a user should know (one line each)
    warnings: tuple[str, ...] = ()

    @property
    def n_groups(self) -> int:
        return len(self.group_nat)

    def group_name(self, g: int) -> str:
        return f"{self.nat_names[self.group_nat[g]]}_{self.dem_names[self.group_dem[g]]}"

    def outcome_table_on(self, day: int) -> FloatArray:
        i = int(np.searchsorted(self.outcome_days, day, side="right")) - 1
        return self.outcome_tables[i]

    def service_table(self) -> ServiceTable:
        return ServiceTable.create(
            self.svc_names,
            n_groups=self.n_groups,
            capacity=self.svc_capacity[0],
            model=self.svc_model,
            mean_days=np.maximum(self.svc_mean_days[0], 1.0),
            abandon_hazard=self.svc_abandon[0],
            outcome_p=self.outcome_tables[0],
        )


def compile_corridor(
    scenario: CorridorScenario,
    calibration: Mapping[str, float] | None = None,
    *,
    days: int | None = None,
    extra_events: tuple[Any, ...] = (),
) -> Compiled:
    """Arrays for the engine (module docstring). ``calibration`` gives values of calibration
    parameters over the scenario's defaults (the rules read no file: a run's calibration is
    resolved by ``corredor.scenario.corridor.resolve_calibration``); ``days`` shortens the run;
    ``extra_events`` are added to the scenario's policy events."""
    p = daily_parameters(scenario, calibration, days, extra_events)
    net = compile_network(p)
    loc_ix = {n: i for i, n in enumerate(net.loc_names)}
    groups = compile_groups(p)
    origins = compile_origins(p, loc_ix, groups.nat_names)
    caravans = compile_caravans(p, origins.origin_names, loc_ix, net.border_of_loc)
    services = compile_services(p, loc_ix)
    svc_ix = {n: i for i, n in enumerate(services.svc_names)}
    outcomes = compile_outcomes(p, groups, loc_ix, svc_ix)
    zones = compile_zones(p, net, groups, svc_ix, services.svc_loc)
    return Compiled(
        **vars(net),
        **vars(groups),
        **vars(origins),
        **vars(caravans),
        **vars(services),
        **vars(outcomes),
        **vars(zones),
        scenario=scenario,
        calibration=p.calibration,
        start=p.start,
        days=p.days,
        decision=compile_decisions(p),
        roles=compile_roles(p),
        timeline=p.timeline,
        warnings=p.warnings,
    )
