"""Enforcement zones and the agents' decision rule."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from corredor.scenario.corridor.base import Name, Selector, Strict, Text
from corredor.scenario.corridor.params import NonNeg, Real

DecisionOption = Literal["wait", "apply", "cross", "return", "settle"]


class Zone(Strict):
    """An enforcement zone: places and links where ``effort`` (agents, troops) is deployed.

    The apprehension hazard per day of an agent of group g in the zone is
    ``hazard[g] × effort``; an apprehended agent joins the ``detention`` service. Links are
    written ``"From -> To"``; a link can also name its zone in ``enforcement_exposure``.
    """

    name: Name
    locations: tuple[Text, ...] = ()
    links: tuple[Text, ...] = ()
    effort: NonNeg
    effort_unit: str = "personnel"
    hazard: dict[Selector, NonNeg]
    detention: Name
    source: str | None = None
    note: str = ""


class Enforcement(Strict):
    zones: tuple[Zone, ...] = ()


class UtilityWeights(Strict):
    """Weights of the route-choice utility (per km, per unit of risk, enforcement, people
    queued, expected days of waiting, and the share of co-nationals ahead)."""

    distance: Real
    risk: Real
    enforcement: Real
    queue_length: Real
    expected_wait: Real
    network_ties: Real
    source: str | None = None


class Decisions(Strict):
    """The decision of an agent at a location: move on (by utility) or one of the options.

    ``options`` gives each option's named parameters (for example ``wait: {max_days: ...}``).
    """

    weights: UtilityWeights
    options: dict[DecisionOption, dict[Name, Real]] = Field(default_factory=dict)
    source: str | None = None
    note: str = ""
