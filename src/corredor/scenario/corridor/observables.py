"""Observables: model outputs defined exactly like the observed series they are compared with."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from corredor.scenario.corridor.base import Name, Selector, Strict, Text
from corredor.scenario.corridor.services import VerbName

#: Events the engine counts: the outcome verbs, plus departing from an origin, arriving at a
#: location, joining the queue of a service (applying) and being apprehended in a zone.
EventKind = Literal["depart", "arrive", "join", "apprehend"] | VerbName
Unit = Literal["events", "people"]
Frequency = Literal["month", "year", "fiscal_year"]


class Definition(Strict):
    """Which events count. Empty lists mean "any" (any service, zone, location or group)."""

    events: tuple[EventKind, ...] = Field(min_length=1)
    services: tuple[Name, ...] = ()
    zones: tuple[Name, ...] = ()
    locations: tuple[Text, ...] = ()
    groups: tuple[Selector, ...] = ()
    status: Name | None = None


class ObservedData(Strict):
    """The observed series: a CSV file of the scenario folder, the value column and the rows.

    Rows are those whose columns equal every ``filter`` value. Each row covers the period
    ``[period_start, period_end]`` (dates, both included) and must carry a ``source``.
    """

    file: Text
    value_column: Text
    period_start_column: Text = "period_start"
    period_end_column: Text = "period_end"
    filter: dict[Text, str] = Field(default_factory=dict)


class Observable(Strict):
    """A model output and, optionally, the observed series it is compared with.

    ``fit: false`` keeps the observable out of the calibration: it is reported everywhere
    (``fit_table``, the ``corredor run`` summary, the validation statistics) with weight 0 in
    the loss, whatever weights the calibration is given. Use it for a series the model can only
    bound (it lacks part of what the data count), not reproduce.
    """

    name: Name
    description: str = ""
    definition: Definition
    unit: Unit
    frequency: Frequency
    data: ObservedData | None = None
    fit: bool = Field(
        default=True,
        description="false: compared with its data but weight 0 in the calibration loss",
    )
    note: str = ""
