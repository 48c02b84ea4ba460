"""Compile step: the daily arrays the decisions read: the route-choice weights
(``weights.<w>``), every calibration parameter (``calibration.<name>``), and the engine's
parameter roles (:data:`corredor.scenario.corridor.PARAMETER_ROLES`), each from the parameter
the scenario's ``roles:`` block maps to it (else its conventional parameter, when the scenario
has it; else the role's default applies, ``CorridorState.role``).

A role mapped to a parameter the scenario does not have, or a decision option no role reads, is
a :class:`~corredor.errors.ScenarioError` naming the field and the fix.

**Scale.** When an agent stands for k = ``people_per_agent`` people, the processes count agents:
a weight per person queued (``weights.queue_length``) becomes k times larger per agent, and a
number of people (``asylum_network_people``) k times smaller, so that a reduced-scale run makes
the same choices. (Shares, hazards and days are the same at any scale.)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from corredor.errors import ScenarioError
from corredor.rules.corridor.compile.params import DailyParameters
from corredor.scenario.corridor import PARAMETER_ROLES

FloatArray = npt.NDArray[np.float64]


def compile_decisions(p: DailyParameters) -> dict[str, FloatArray]:
    """``weights.<w>`` and ``calibration.<name>`` daily arrays."""
    scenario = p.scenario
    decision: dict[str, FloatArray] = {}
    if scenario.decisions is not None:
        for key in type(scenario.decisions.weights).model_fields:
            if key != "source":
                decision[f"weights.{key}"] = p.series(f"decisions.weights.{key}")
        if p.people_per_agent != 1:
            decision["weights.queue_length"] = decision["weights.queue_length"] * p.people_per_agent
    for name in scenario.calibration:
        decision.setdefault(f"calibration.{name}", p.series(f"calibration.{name}"))
    return decision


def compile_roles(p: DailyParameters) -> dict[str, FloatArray]:
    """Role name → the daily values of the parameter that plays it (roles without one are
    left out: their default applies)."""
    scenario, roles = p.scenario, p.scenario.roles
    out: dict[str, FloatArray] = {}
    for role in PARAMETER_ROLES:
        source = roles.source(role)
        if p.has(source):
            out[role] = p.series(source)
            if role == "asylum_network_people" and p.people_per_agent != 1:
                out[role] = out[role] / p.people_per_agent
        elif role in roles.parameters:
            raise ScenarioError(
                scenario.path,
                f"role {role!r} is mapped to {source!r}, which the scenario does not have",
                field=f"roles.parameters.{role}",
                fix="give a calibration parameter (calibration.NAME) or a decision option "
                "(decisions.options.OPTION.KEY) the scenario declares",
            )
    read = {roles.source(role) for role in PARAMETER_ROLES}
    if scenario.decisions is not None:
        for opt, params in scenario.decisions.options.items():
            for key in params:
                dotted = f"decisions.options.{opt}.{key}"
                if dotted not in read:
                    raise ScenarioError(
                        scenario.path,
                        f"decision option {opt}.{key} is read by no role of the engine",
                        field=dotted,
                        fix="map it to a role under roles: parameters: (roles: "
                        + ", ".join(r for r in PARAMETER_ROLES if "options" in roles.source(r))
                        + "), or remove it",
                    )
    return out
