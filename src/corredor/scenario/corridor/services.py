"""Services: institutions at a place, with a queue, a capacity and outcome tables.

The engine side lives in ``corredor.engine.services``; this module only describes a service as a
scenario writes it. Outcomes are the generic verbs of docs/model.md §3.3.4; each verb takes the
parameters listed in :data:`VERB_FIELDS` (required ones first).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from pydantic import Field

from corredor.scenario.corridor.base import Name, Selector, Strict, Text
from corredor.scenario.corridor.params import NonNeg, Prob, ProbOrRest

#: A verb as a scenario writes it (the engine's integer code is ``corredor.engine.services.Verb``).
VerbName = Literal[
    "release",
    "grant",
    "deny",
    "detain",
    "deport",
    "expel",
    "return_to_wait",
    "admit",
    "settle",
    "abandon",
]
VERBS: tuple[VerbName, ...] = get_args(VerbName)
#: Per verb: (required parameters, optional parameters).
VERB_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "release": ((), ("place",)),
    "grant": (("status",), ()),
    "deny": ((), ("status",)),
    "detain": (("service",), ()),
    "deport": (("to",), ()),
    "expel": (("place",), ()),
    "return_to_wait": (("place", "days"), ("service",)),
    "admit": (("place",), ()),
    "settle": ((), ("place",)),
    "abandon": ((), ()),
}
#: ``deport: {to: origin}`` sends an agent to the origin it departed from.
TO_ORIGIN = "origin"

ServiceKind = Literal[
    "asylum_office",
    "detention",
    "visa_office",
    "port_intake",
    "border_processing",
    "immigration_court",
    "shelter",
    "other",
]


class Outcome(Strict):
    """One row of an outcome table: the probability of a verb and the verb's parameters.

    ``place`` is a location; ``service`` a service name (``detain``: the service joined;
    ``return_to_wait``: the service rejoined when the wait ends, e.g. a hearing); ``to`` is a
    location or ``origin``; ``days`` the length of a wait; ``status`` a legal status label.
    """

    p: ProbOrRest
    place: str | None = None
    service: Name | None = None
    to: str | None = None
    days: NonNeg | None = None
    status: Name | None = None
    source: str | None = None

    def given(self) -> set[str]:
        """The verb parameters set in this row."""
        names = ("place", "service", "to", "days", "status")
        return {n for n in names if getattr(self, n) is not None}


class ServiceTiming(Strict):
    """``immediate``: up to ``capacity`` people are served each day, at once.
    ``servers``: ``servers`` parallel servers with a mean service time of ``mean_days``."""

    model: Literal["immediate", "servers"] = "immediate"
    servers: NonNeg | None = None
    mean_days: NonNeg | None = None


class Screening(Strict):
    """A due-process screening step before a deportation (docs/model.md §3.3.3).

    Of the agents this service deports, the share ``p`` is screened; of those, the share
    ``claim`` states a fear of return and is referred to the ``refer`` service (an asylum office)
    instead of being deported. A deportation without screening is counted in the ledger.
    """

    p: Prob
    claim: Prob
    refer: Name
    source: str | None = None


class Service(Strict):
    """A capacity-limited queue at a location with outcome tables by group.

    ``priority`` lists the priority classes in serving order, each a list of group selectors;
    groups not listed form the last class. ``abandonment`` is a daily hazard of leaving the
    queue. ``start``/``end`` limit the days the service is open (``end`` excluded).

    ``presents`` (a ``port_intake`` only) is a port route: per group selector, the share of the
    people of the group in the port's city who, having chosen to cross irregularly, present at
    the port instead (docs/model.md §3.3.6; 0, the default, leaves the choice as it is).
    """

    name: Name
    kind: ServiceKind
    location: Text
    capacity: NonNeg | None = None
    service_time: ServiceTiming = Field(default_factory=ServiceTiming)
    priority: tuple[tuple[Selector, ...], ...] = ()
    abandonment: Prob | None = None
    outcomes: dict[Selector, dict[VerbName, Outcome]]
    screening: Screening | None = None
    presents: dict[Selector, Prob] = Field(default_factory=dict)
    start: dt.date | None = None
    end: dt.date | None = None
    source: str | None = None
    note: str = ""
