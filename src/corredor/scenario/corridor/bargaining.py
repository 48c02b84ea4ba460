"""The optional ``bargaining:`` block of a corridor scenario: how the threat game of
``corredor.bargaining`` (docs/bargaining.md) is coupled to the simulation.

It names the transit state and the hegemon (countries as in ``locations.csv``), the review
period, the first review day, the policy events of the timeline that are the transit state's own
policy (the game replaces them in endogenous mode) and, per lever of the transit state's policy
vector, the scenario parameters it moves::

    bargaining:
      transit: Mexico
      hegemon: United States
      review_days: 90
      first_review: 2019-03-12
      replaces: [mx-gn-south-2019]
      levers:
        enforcement_south:
          parameters: [enforcement.mx_southern.effort]
          op: add                          # lever 1 adds `scale` to the parameter
          scale: {value: 6000, source: "..."}
        mpp_acceptance:
          parameters: ["services.*.outcomes.*.return_to_wait.p"]   # * matches any part
          op: multiply                     # the parameter times the lever

The cross-references (parameters, event ids, countries) are checked by
:func:`check_bargaining` and :func:`check_bargaining_events`.
"""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from corredor.scenario.corridor.base import Strict, Text
from corredor.scenario.corridor.params import NonNeg
from corredor.scenario.corridor.problems import Problem

if TYPE_CHECKING:
    from corredor.scenario.corridor.model import CorridorScenario

#: The levers of the transit state's policy vector (``corredor.bargaining.LEVERS``).
LeverName = Literal[
    "enforcement_south",
    "enforcement_transit",
    "enforcement_north",
    "humanitarian_visas",
    "asylum_capacity",
    "mpp_acceptance",
    "safe_third_country",
]
LEVER_NAMES: tuple[str, ...] = LeverName.__args__  # type: ignore[attr-defined]


class LeverSpec(Strict):
    """The scenario parameters one lever moves.

    ``op: add``: the lever's value ``x`` in [0, 1] adds ``x × scale`` to each parameter (to
    whatever the timeline gives it that day); ``op: multiply``: each parameter is multiplied by
    ``x`` (``scale`` is not used). ``parameters`` are dotted names (docs/scenario-format.md §8);
    ``*`` matches any part of a name.
    """

    parameters: tuple[Text, ...] = Field(min_length=1)
    op: Literal["add", "multiply"]
    scale: NonNeg | None = None
    source: str | None = None
    note: str = ""

    @model_validator(mode="after")
    def _check_scale(self) -> LeverSpec:
        if self.op == "add" and self.scale is None:
            raise ValueError("op add needs a scale: the change at lever 1")
        if self.op == "multiply" and self.scale is not None:
            raise ValueError("op multiply takes no scale (the lever is the factor)")
        return self


class BargainingSpec(Strict):
    """How the hegemon–transit-state game is played on this scenario (module docstring)."""

    transit: Text
    hegemon: Text
    transit_code: Text | None = None
    review_days: int = Field(ge=1)
    first_review: dt.date
    replaces: tuple[Text, ...] = ()
    levers: dict[LeverName, LeverSpec] = Field(min_length=1)
    source: str | None = None
    note: str = ""

    @property
    def event_country(self) -> str:
        """The country code written on the policy events the game adopts."""
        return self.transit_code or self.transit


def lever_parameters(spec: LeverSpec, names: list[str]) -> list[str]:
    """The parameter names (of ``names``) that the lever's patterns match, in ``names`` order."""
    return [n for n in names if any(fnmatchcase(n, pat) for pat in spec.parameters)]


def check_bargaining(scenario: CorridorScenario) -> list[Problem]:
    """Problems of the block that need the rest of the scenario: countries and parameters."""
    b = scenario.bargaining
    if b is None:
        return []
    from corredor.scenario.corridor.index import parameter_index

    problems: list[Problem] = []
    countries = sorted({loc.country for loc in scenario.locations.rows})
    for key in ("transit", "hegemon"):
        name = getattr(b, key)
        if name not in countries:
            problems.append(
                Problem(
                    ("bargaining", key),
                    f"no location is in the country {name!r}",
                    fix="use a country of locations.csv: " + ", ".join(countries),
                )
            )
    if b.transit == b.hegemon:
        problems.append(
            Problem(("bargaining", "hegemon"), "the hegemon is the transit state", fix="change one")
        )
    if b.first_review <= scenario.start or b.first_review > scenario.end:
        problems.append(
            Problem(
                ("bargaining", "first_review"),
                f"first review {b.first_review} is not inside the run",
                expected=f"a day after {scenario.start} and on or before {scenario.end}",
            )
        )
    names = list(parameter_index(scenario))
    for lever, spec in b.levers.items():
        for j, pattern in enumerate(spec.parameters):
            if not lever_parameters(spec.model_copy(update={"parameters": (pattern,)}), names):
                import difflib

                close = difflib.get_close_matches(pattern, names, n=1)
                problems.append(
                    Problem(
                        ("bargaining", "levers", lever, "parameters", j),
                        f"{pattern!r} matches no parameter of the scenario",
                        fix=f"did you mean {close[0]!r}?" if close else "see §8 of the format",
                    )
                )
    return problems


def check_bargaining_events(scenario: CorridorScenario) -> list[Problem]:
    """Problems of ``replaces``: every id must be one of the scenario's policy events."""
    b = scenario.bargaining
    if b is None:
        return []
    ids = [e.id for e in scenario.events]
    problems = []
    for j, event_id in enumerate(b.replaces):
        if event_id not in ids:
            import difflib

            close = difflib.get_close_matches(event_id, ids, n=1)
            problems.append(
                Problem(
                    ("bargaining", "replaces", j),
                    f"no policy event has the id {event_id!r}",
                    fix=f"did you mean {close[0]!r}?" if close else "list ids of policy_events",
                )
            )
    return problems
