"""The optional ``levers:`` block of a corridor scenario: its policy levers, in groups.

Every calibration parameter can be set for a run (``corredor run SCENARIO --set NAME=VALUE``,
``corredor.run(..., set={NAME: VALUE})``) within its range; the ``levers:`` block says which of
them are the *policy levers* a user came for, how they are grouped, and completes their metadata
(a unit or a plain-language meaning the ``calibration:`` entry lacks)::

    levers:
      mexico_enforcement:
        title: Mexico's enforcement
        description: INM and National Guard personnel and how hard they apprehend.
        parameters:
          - inm_effort_southern                      # unit and meaning from calibration:
          - {name: pfs_effort_multiplier, unit: ×, meaning: "Programa Frontera Sur: ..."}

``corredor scenario levers SCENARIO`` lists them (group, name, meaning, unit, historical value,
range, source), then every other calibration parameter.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import Field, model_validator

from corredor.scenario.corridor.base import Name, Strict, Text

__all__ = ["LeverGroup", "LeverRef", "check_lever_names"]


class LeverRef(Strict):
    """One lever: a calibration parameter's name, with a unit or meaning that completes (or
    replaces) those of its ``calibration:`` entry."""

    name: Name
    unit: str | None = None
    meaning: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


class LeverGroup(Strict):
    """A group of levers (``Mexico's enforcement``, ``US programmes``…)."""

    title: Text
    description: str = ""
    parameters: tuple[LeverRef, ...] = Field(min_length=1)


def check_lever_names(levers: Mapping[str, LeverGroup], declared: Mapping[str, Any]) -> None:
    """Every lever is a declared calibration parameter, listed once (ValueError otherwise)."""
    seen: dict[str, str] = {}
    for key, group in levers.items():
        for ref in group.parameters:
            if ref.name not in declared:
                close = difflib.get_close_matches(ref.name, list(declared), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(
                    f"lever {ref.name!r} of group {key!r} is not a parameter declared under "
                    f"calibration:{hint}"
                )
            if ref.name in seen:
                raise ValueError(
                    f"lever {ref.name!r} is in the groups {seen[ref.name]!r} and {key!r}; "
                    "list it once"
                )
            seen[ref.name] = key
