"""Agent state of the corridor model: phases, event kinds, and the agent columns."""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from corredor.engine.agents import ColumnSpec
from corredor.engine.services import AGENT_COLUMNS, N_VERBS, Verb


class Phase(IntEnum):
    """What an agent is doing (the ``phase`` column). The last three are terminal."""

    #: on the way: at a place deciding, or on a link
    TRAVEL = 0
    #: in a border city next to the destination: waiting, deciding to apply or cross
    BORDER = 1
    #: in a service: queued, being served, or waiting elsewhere for a dated return (MPP)
    SERVICE = 2
    #: crossing irregularly into the destination country (on a crossing link)
    CROSSING = 3
    #: back at its origin after a removal, until it leaves again
    HOME = 4
    #: in the destination country's interior (admitted, released or entered undetected)
    IN_DEST = 5
    #: settled in the transit country
    SETTLED = 6
    #: went home for good (gave up, or removed and did not try again)
    RETURNED = 7


#: Phases processed every day.
ACTIVE_PHASES = (Phase.TRAVEL, Phase.BORDER, Phase.SERVICE, Phase.CROSSING)
N_PHASES = len(Phase)

# Event kinds: the outcome verbs (0..N_VERBS-1), then the engine's own transitions.
EV_JOIN = N_VERBS  # joined a service's queue (applied, or taken in)
EV_DEPART = N_VERBS + 1  # left an origin (first departure or a new attempt)
EV_ARRIVE = N_VERBS + 2  # arrived at a place
EV_APPREHEND = N_VERBS + 3  # apprehended in an enforcement zone
EV_HARM = N_VERBS + 4  # harmed on a link (risk hazard); counted, the agent goes on
EV_EVADE = N_VERBS + 5  # crossed into the destination without being apprehended
N_EVENT_KINDS = N_VERBS + 6
EVENT_KINDS: tuple[str, ...] = (
    *(v.name.lower() for v in Verb),
    "join",
    "depart",
    "arrive",
    "apprehend",
    "harm",
    "evade",
)
#: What the ``target`` of an event kind indexes.
TARGET_OF: dict[int, str] = {
    **{int(v): "service" for v in Verb},
    EV_JOIN: "service",
    EV_DEPART: "location",
    EV_ARRIVE: "location",
    EV_APPREHEND: "zone",
    EV_HARM: "location",
    EV_EVADE: "location",
}

NO = -1

COLUMNS: ColumnSpec = {
    "loc": (np.int32, NO),  # current place (the start of the link when on one)
    "link": (np.int32, NO),  # link travelled, -1 at a place
    "t_left": (np.float32, 0.0),  # days left on the link
    "phase": (np.int8, Phase.TRAVEL),
    "group": (np.int16, 0),  # nationality * demographics + demographic
    "origin": (np.int16, 0),
    "attempts": (np.int16, 0),  # departures after the first
    "since": (np.int32, 0),  # day the current phase started
    "status": (np.int8, 0),  # legal status code (Compiled.status_names)
    "dest_encounters": (np.int16, 0),  # apprehensions in the destination country so far
    "born": (np.int32, 0),  # day of first departure
    "caravan": (np.int16, 0),  # 1 + caravan index while travelling in one, else 0
    "target": (np.int16, NO),  # border city headed for (index into Compiled.border_ix)
    **AGENT_COLUMNS,
}
