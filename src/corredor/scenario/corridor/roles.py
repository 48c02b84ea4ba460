"""Roles: which of a scenario's parameters, places and names play the parts the corridor engine
knows about.

The engine's mechanisms are generic (a return-to-wait programme, an asylum office in a transit
country, settling in the transit country…); a scenario keeps its own names for its parameters
(``$hearing_quit``, ``options.apply.office_propensity``…) and says in its ``roles:`` block
which of them plays each part::

    roles:
      transit_country: Meridia           # the transit state of the ledger
      labels: {transit: meridia, transit_nationals: meridians, destination: austral,
               return_to_wait: wait_programme}   # names of the ledger's entries
      parameters:                        # role: the scenario's parameter (a dotted name)
        hearing_give_up_hazard: calibration.hearing_quit
        apply_asylum_propensity: decisions.options.apply.office_propensity

A parameter role not listed reads its *conventional* parameter (:data:`PARAMETER_ROLES`, e.g.
``calibration.reattempt_share_removed``) when the scenario has it, and its default otherwise.
Every decision option a scenario declares must be read by a role (a misspelt or unmapped option
is an error, not a silently unused number).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import Field, field_validator

from corredor.scenario.corridor.base import Name, Strict, Text


@dataclass(frozen=True)
class ParameterRole:
    """A number the engine reads: its default (without a parameter), the parameter it reads
    unless the scenario maps another, its unit and meaning."""

    default: float
    conventional: str
    unit: str
    meaning: str


#: Every parameter role of the corridor engine (the process modules that read each say so).
PARAMETER_ROLES: dict[str, ParameterRole] = {
    "reattempt_share_removed": ParameterRole(
        0.3,
        "calibration.reattempt_share_removed",
        "share",
        "share of people removed to their origin who try again",
    ),
    "reattempt_delay_days": ParameterRole(
        180.0,
        "calibration.reattempt_delay_days",
        "days",
        "mean days at home before a removed person leaves again (geometric)",
    ),
    "reattempt_share_border": ParameterRole(
        0.6,
        "calibration.reattempt_share_border",
        "share",
        "share of people deported or expelled to a border city who try again from there",
    ),
    "hearing_give_up_hazard": ParameterRole(
        0.0,
        "calibration.hearing_give_up_hazard",
        "per day",
        "hazard of giving up a wait for a dated hearing (a return-to-wait programme)",
    ),
    "settle_after_protection": ParameterRole(
        0.7,
        "calibration.settle_after_protection",
        "share",
        "share of people granted protection in a transit country who settle there",
    ),
    "apply_visa_propensity": ParameterRole(
        0.5,
        "calibration.apply_visa_propensity",
        "per day",
        "propensity to apply to a visa office on the way",
    ),
    "apply_asylum_propensity": ParameterRole(
        0.0,
        "decisions.options.apply.asylum_propensity",
        "per day",
        "propensity to apply to an asylum office in a transit country on the way",
    ),
    "asylum_network_people": ParameterRole(
        math.inf,
        "calibration.asylum_network_people",
        "people",
        "co-nationals protected in the transit country that double the asylum propensity",
    ),
    "apply_port_propensity": ParameterRole(
        0.0,
        "decisions.options.apply.port_propensity",
        "per day",
        "propensity to apply at a port of entry from a border city",
    ),
    "cross_propensity": ParameterRole(
        0.0,
        "decisions.options.cross.irregular_propensity",
        "per day",
        "propensity to cross irregularly from a border city",
    ),
    "wait_max_days": ParameterRole(
        30.0,
        "decisions.options.wait.max_days",
        "days",
        "days in a border city after which a person no longer only waits",
    ),
    "return_home_hazard": ParameterRole(
        0.0,
        "decisions.options.return.daily_hazard",
        "per day",
        "hazard of going home for good from a border city",
    ),
    "settle_transit_hazard": ParameterRole(
        0.0,
        "decisions.options.settle.daily_hazard",
        "per day",
        "hazard of settling in the transit country from a border city",
    ),
    "openness_elasticity": ParameterRole(
        0.0,
        "calibration.openness_elasticity",
        "",
        "elasticity of departures to the perceived openness of the corridor (0: off)",
    ),
    "openness_memory_days": ParameterRole(
        90.0,
        "calibration.openness_memory_days",
        "days",
        "memory of the recent outcomes the perceived openness weighs",
    ),
    "openness_reference_days": ParameterRole(
        365.0,
        "calibration.openness_reference_days",
        "days",
        "day on which the reference openness is taken",
    ),
    "openness_multiplier_max": ParameterRole(
        10.0,
        "calibration.openness_multiplier_max",
        "",
        "bound of the openness multiplier of departures",
    ),
}


class LedgerLabels(Strict):
    """Names the ledger's entries use (``asylum_backlog_<transit>_end``,
    ``apprehensions_<destination>_non_<transit_nationals>``,
    ``<return_to_wait>_waiting_person_days``…)."""

    transit: Name = "transit"
    transit_nationals: Name = "transit_nationals"
    destination: Name = "destination"
    return_to_wait: Name = "return_to_wait"


class Roles(Strict):
    """The ``roles:`` block of a scenario (module docstring).

    ``transit_country``: the country whose services and enforcement the ledger reports as the
    transit state's (none: everything outside the destination), and whose nationals its
    externalization share leaves out.
    """

    transit_country: Text | None = None
    labels: LedgerLabels = Field(default_factory=LedgerLabels)
    parameters: dict[Name, Text] = Field(default_factory=dict)
    note: str = ""

    @field_validator("parameters")
    @classmethod
    def _known_roles(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(PARAMETER_ROLES))
        if unknown:
            raise ValueError(
                f"unknown role(s) {', '.join(unknown)}; the roles are: "
                + ", ".join(PARAMETER_ROLES)
            )
        return value

    def source(self, role: str) -> str:
        """The dotted name of the parameter that plays ``role`` (mapped, else conventional)."""
        return self.parameters.get(role, PARAMETER_ROLES[role].conventional)
