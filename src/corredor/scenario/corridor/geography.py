"""Locations and links of a corridor (rows of the scenario's CSV tables)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from corredor.scenario.corridor.base import Strict, Text
from corredor.scenario.corridor.params import NonNeg, Prob

LocationKind = Literal["origin", "crossing", "town", "city", "border_city", "port", "destination"]
LOCATION_KINDS: tuple[LocationKind, ...] = (
    "origin",
    "crossing",
    "town",
    "city",
    "border_city",
    "port",
    "destination",
)
Mode = Literal["road", "bus", "train", "foot", "flight"]
MODES: tuple[Mode, ...] = ("road", "bus", "train", "foot", "flight")
NO_ZONE = "none"


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and value.strip() == "" else value


def _zone(value: object) -> object:
    value = _blank_to_none(value)
    return None if isinstance(value, str) and value.strip().lower() == NO_ZONE else value


Optional = BeforeValidator(_blank_to_none)
Latitude = Annotated[float, Field(ge=-90.0, le=90.0, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180.0, le=180.0, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0)]


class Location(Strict):
    """A node: where people start, pass, wait, are processed or arrive.

    ``lat``/``lon`` may be left blank together for an abstract node (for example a destination
    country's interior); ``population`` and ``shelter_capacity`` may be blank when unknown.
    """

    name: Text
    kind: LocationKind
    country: Text
    lat: Annotated[Latitude | None, Optional] = None
    lon: Annotated[Longitude | None, Optional] = None
    population: Annotated[Count | None, Optional] = None
    shelter_capacity: Annotated[Count | None, Optional] = None
    source: Text
    note: str = ""


class Link(Strict):
    """A route leg. Undirected (``directed: false``) legs become one link each way.

    ``speed`` is in km per day; ``risk`` is a daily hazard of harm while on the link;
    ``enforcement_exposure`` names the enforcement zone the link crosses (``none``: no zone).
    """

    from_: Text = Field(alias="from")
    to: Text
    km: NonNeg
    km_type: str = ""
    mode: Mode
    speed: NonNeg
    risk: Prob
    enforcement_exposure: Annotated[str | None, BeforeValidator(_zone)] = None
    directed: bool = False
    source: Text
    note: str = ""

    @property
    def label(self) -> str:
        """``from -> to``, the way zones refer to links."""
        return f"{self.from_} -> {self.to}"
