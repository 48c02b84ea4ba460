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
      episode: june-2019                   # the replayed episode, the actors' data (optional)
      levers:
        enforcement_south:
          parameters: [enforcement.mx_southern.effort]
          op: add                          # lever 1 adds `scale` to the parameter
          scale: {value: 6000, source: "..."}
        mpp_acceptance:
          parameters: ["services.*.outcomes.*.return_to_wait.p"]   # * matches any part
          op: multiply                     # the parameter times the lever

The cross-references (parameters, event ids, countries) are checked by
:mod:`corredor.scenario.corridor.bargaining_checks`.
"""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase
from typing import Literal

from pydantic import Field, model_validator

from corredor.scenario.corridor.base import Strict, Text
from corredor.scenario.corridor.params import NonNeg

#: The levers of the transit state's policy vector, in the column order of its arrays (the one
#: list of them: ``corredor.bargaining.LEVERS`` is :data:`LEVER_NAMES`).
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
#: The historical threat episodes whose data ``corredor.bargaining`` holds (its ``EPISODES``):
#: ``june-2019``, the US tariff threat against Mexico of 30 May – 7 June 2019.
EpisodeName = Literal["june-2019"]


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
    review_days: int = Field(ge=1, le=365)  # as `corredor bargain --review-days`
    first_review: dt.date
    replaces: tuple[Text, ...] = ()
    #: The historical episode these two states played, whose data ``corredor.bargaining``
    #: holds: ``corredor bargain --mode episode`` replays it and the game's actors default to
    #: its data (a room-for-manoeuvre study's too); none: no replay, give the actors.
    episode: EpisodeName | None = None
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
