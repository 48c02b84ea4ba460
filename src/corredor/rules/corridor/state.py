"""The state of a corridor run: phases, event kinds, the agent columns, and
:class:`CorridorState`, everything the day's processes read and change.

:class:`CorridorState` holds the compiled scenario (``c``, read-only arrays), the agents (one
column per attribute), the services (queues, servers, calendar), the random-stream keys, the
active set, and what the processes carry from one day to the next (the census of the previous
evening, perceived openness, the removed agents' return days, today's route-choice tables and
exposure). The processes (``process_*.py``) are functions of the state and the day; the order
in which they run is ``corredor.rules.corridor.plan``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import IntEnum
from typing import cast

import numpy as np
import numpy.typing as npt

from corredor.engine import rng
from corredor.engine.agents import AgentTable, ColumnSpec
from corredor.engine.services import AGENT_COLUMNS, N_VERBS, ServiceSystem, Verb
from corredor.rules.corridor.compiled import DETENTION_KIND, PORT_KIND, TRANSIT_KINDS, Compiled
from corredor.rules.corridor.events import EventSink, NoEvents
from corredor.rules.corridor.kinds import ASYLUM_KIND
from corredor.scenario.corridor.roles import PARAMETER_ROLES

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Phase(IntEnum):
    """What an agent is doing (the ``phase`` column). The last three are terminal."""

    #: on the way: at a place deciding, or on a link
    TRAVEL = 0
    #: in a border city next to the destination: waiting, deciding to apply or cross
    BORDER = 1
    #: in a service: queued, being served, or waiting elsewhere for a dated return
    #: (a return-to-wait programme)
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


#: The agent table's growth factor once the expected departures are passed.
GROWTH = 1.25

#: Most hops an agent makes in one day (the movement kernel's hop tables have this many rows).
MAX_HOPS = 12


@dataclass(frozen=True)
class StreamKeys:
    """The keys of the corridor's random streams for one seed (``corredor.engine.rng``)."""

    depart: np.uint64
    group: np.uint64
    decide: np.uint64
    route: np.uint64
    enforce: np.uint64
    verbs: np.uint64
    harm: np.uint64

    @classmethod
    def for_seed(cls, seed: int) -> StreamKeys:
        def k(stream: int) -> np.uint64:
            return rng.stream_key_np(seed, stream)

        return cls(
            k(rng.STREAM_CORRIDOR_DEPART),
            k(rng.STREAM_CORRIDOR_GROUP),
            k(rng.STREAM_CORRIDOR_DECIDE),
            k(rng.STREAM_CORRIDOR_ROUTE),
            k(rng.STREAM_CORRIDOR_ENFORCE),
            k(rng.STREAM_CORRIDOR_VERBS),
            k(rng.STREAM_CORRIDOR_HARM),
        )


class KeyedPhilox:
    """One Philox generator, reset to a key on demand: :meth:`at_key` gives the generator
    ``numpy.random.Generator(numpy.random.Philox(key=key))`` would give (the same draws),
    without making a new one each day."""

    def __init__(self) -> None:
        self.bits = np.random.Philox(key=0)
        self.gen = np.random.Generator(self.bits)

    def at_key(self, key: int) -> np.random.Generator:
        """The generator at the start of the stream of ``key`` (0 ≤ key < 2**64)."""
        self.bits.state = {
            "bit_generator": "Philox",
            "state": {
                "counter": np.zeros(4, dtype=np.uint64),
                "key": np.array([key, 0], dtype=np.uint64),
            },
            "buffer": np.zeros(4, dtype=np.uint64),
            "buffer_pos": 4,
            "has_uint32": 0,
            "uinteger": 0,
        }
        return self.gen


@dataclass
class ServiceFacts:
    """What each service is, for the processes (fixed for a corridor)."""

    is_port: BoolArray  # (S,) a port's intake list
    is_transit: BoolArray  # (S,) an office agents apply to on the way (asylum, visas)
    is_asylum: BoolArray  # (S,) an asylum office
    is_detention: BoolArray  # (S,)
    in_dest: BoolArray  # (S,) in the destination country
    own_country: BoolArray  # (N, S) the service is in the nationality's own country

    @classmethod
    def of(cls, c: Compiled) -> ServiceFacts:
        S = len(c.svc_names)
        return cls(
            is_port=np.array([k == PORT_KIND for k in c.svc_kind]),
            is_transit=np.array([k in TRANSIT_KINDS for k in c.svc_kind]),
            is_asylum=np.array([k == ASYLUM_KIND for k in c.svc_kind], dtype=bool),
            is_detention=np.array([k == DETENTION_KIND for k in c.svc_kind]),
            in_dest=c.loc_in_dest[c.svc_loc],
            # asylum offices in a nationality's own country do not apply to it
            own_country=np.array(
                [
                    [c.loc_country[c.svc_loc[s]] == country for s in range(S)]
                    for country in c.nat_country
                ]
            ).reshape(len(c.nat_country), S),
        )


@dataclass
class Openness:
    """Perceived openness of the corridor per group (``process_openness``): outcomes of
    attempts today, their exponentially weighted sums, the reference level and the multiplier
    of departures it gives."""

    succ_today: FloatArray
    fail_today: FloatArray
    succ: FloatArray
    fail: FloatArray
    ref: FloatArray  # openness at the end of the reference period (NaN before)
    multiplier: FloatArray
    #: the multiplier is 1 for every group (departures need not apply it)
    neutral: bool = True
    #: the multiplier 1 (kept: a day without the feedback makes no new array)
    ones: FloatArray = field(default_factory=lambda: np.ones(0))

    @classmethod
    def start(cls, n_groups: int) -> Openness:
        def zeros() -> FloatArray:
            return np.zeros(n_groups)

        ones = np.ones(n_groups)
        return cls(zeros(), zeros(), zeros(), zeros(), np.full(n_groups, np.nan), ones, True, ones)


@dataclass
class Census:
    """The count of the active agents at the end of a day (``process_census``): people outside
    services per place (and per place × nationality), which the next day's choices read, and
    the counts the trackers record (per active phase; per place stranded, and waiting for a
    dated return)."""

    here: FloatArray  # (L,)
    here_nat: FloatArray  # (L, N)
    phases: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(4, np.int64))
    stranded: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    waiting: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))


@dataclass
class RouteTables:
    """Today's logit choice tables (``routes.update_tables``) and the keys of the parts that
    are kept while their inputs do not change."""

    #: (G, E) today's utilities per group, less the distance term (per border city:
    #: ``travel_left``, (B, E)); the movement step makes the tables of rows g × B + b
    travel_group_util: FloatArray
    cross_within: FloatArray
    cross_has: BoolArray
    ahead: FloatArray  # (G, L) hazard-days ahead on the shortest way to the border
    travel_left: FloatArray
    travel_cand: BoolArray
    ahead_key: bytes = b""
    cross_key: bytes = b""
    travel_key: bytes = b""
    #: ``process_movement.same_utility_group`` for the hazards of ``rep_key``
    rep: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    rep_key: bytes = b""

    @classmethod
    def empty(cls, n_groups: int, n_locations: int) -> RouteTables:
        e = np.zeros((0, 0))
        b = np.zeros((0, 0), dtype=bool)
        return cls(e, e, b, np.zeros((n_groups, n_locations)), e, b)

    def forget(self) -> None:
        """Recompute every table at the next update (new arrays for the corridor)."""
        self.ahead_key = self.cross_key = self.travel_key = self.rep_key = b""


@dataclass
class Exposure:
    """Today's movement, for enforcement: the exposed agents, their exposure (hazard-days) and
    the zone of it (-1: none)."""

    ids: IntArray
    expo: FloatArray
    zone: IntArray


class CorridorState:
    """Everything the corridor's processes read and change (module docstring).

        ``events`` receives every transition (:class:`~corredor.rules.corridor.events.EventSink`;
        default: dropped). ``parallel``: the services on numba's threads every day (True), never
    (False) or on the days with many people in them (None; ``ServiceSystem``); the same results.
    """

    def __init__(
        self,
        compiled: Compiled,
        seed: int = 0,
        *,
        events: EventSink | None = None,
        parallel: bool | None = None,
    ) -> None:
        self.c = c = compiled
        self.seed = int(seed)
        self.day = 0
        self.events: EventSink = NoEvents() if events is None else events
        # room for the expected departures (+2 %) from the start: growing by doubling copies
        # every column several times and can leave twice the room needed; past the estimate
        # (openness raises departures above it) the table grows by a quarter at a time
        expected = float(c.departures.sum() + c.caravan_departures.sum())
        self.agents = AgentTable(
            COLUMNS, capacity=max(1 << 16, int(1.02 * expected)), growth=GROWTH
        )
        self.services = ServiceSystem(
            c.service_table(),
            seed=self.seed,
            group_column="group",
            parallel=parallel,
            queue_capacity=1024,
            calendar_horizon=512,
        )
        self.keys = StreamKeys.for_seed(self.seed)
        #: the departures' Poisson counts (``process_departures``)
        self.depart_rng = KeyedPhilox()
        self.svc = ServiceFacts.of(c)
        #: per queue of the services, whether it is a port's list
        self.queue_is_port = self.svc.is_port[self.services.queue_service]
        #: the agents in an active phase, in increasing id order (``active.merge_ids``)
        self.active = np.zeros(0, dtype=np.int32)
        #: removed agents who leave home again on a day: day -> their ids
        self.reattempts: dict[int, list[int]] = defaultdict(list)
        self.exposure = Exposure(
            np.zeros(0, dtype=np.int32), np.zeros(0), np.zeros(0, dtype=np.int32)
        )
        self.hop_buf = np.full((2, 0), -1, dtype=np.int32)
        # today's parameters (process_policy); the outcome table in the services' table
        self.outcome_today: FloatArray | None = None
        self.outcome_day = -1
        self.effort: FloatArray = c.zone_effort[0]
        self.hazard: FloatArray = c.zone_hazard[0]
        L, N, G = len(c.loc_names), len(c.nat_names), c.n_groups
        self.routes = RouteTables.empty(G, L)
        self.census = Census(np.zeros(L), np.zeros((L, N)))
        self.openness = Openness.start(G)
        #: people of each nationality granted protection in a transit country so far
        self.protected_transit = np.zeros(N)
        dem_share = np.diff(np.concatenate([np.zeros((N, 1)), c.share_cum], 1), axis=1)
        self.dem_share = np.maximum(dem_share, 0.0)  # (N, D)

    # ------------------------------------------------------------------ for the day loop
    @property
    def n_agents(self) -> int:
        """Agents created so far."""
        return self.agents.n

    @property
    def n_active(self) -> int:
        """Agents in an active phase now."""
        return int(self.active.size)

    # ------------------------------------------------------------------ random numbers
    def u(self, key: np.uint64, ids: IntArray, k: int = 0) -> FloatArray:
        """Today's uniform draw ``k`` of each agent in stream ``key``."""
        # int32 ids as they are (the kernel has a version for them; the same draws for ids
        # ≥ 0), others as int64
        agents = ids if ids.dtype == np.int32 else ids.astype(np.int64)
        return rng.uniform_many(key, self.day, cast(npt.NDArray[np.int64], agents), k)

    # ------------------------------------------------------------------ parameters
    def role(self, name: str) -> float:
        """Today's value of the parameter that plays the engine role ``name`` in this scenario
        (``corredor.scenario.corridor.roles``; the role's default when none does)."""
        arr = self.c.roles.get(name)
        return PARAMETER_ROLES[name].default if arr is None else float(arr[self.day])

    def weight(self, name: str) -> float:
        """Today's value of the route-choice weight ``name`` (``decisions.weights``; 0 for a
        scenario without decisions)."""
        arr = self.c.decision.get(f"weights.{name}")
        return 0.0 if arr is None else float(arr[self.day])

    def outcome_on(self, day: int) -> FloatArray:
        """The outcome table of ``day`` (today's, as the ``policy`` step set it, without a
        search)."""
        if day == self.outcome_day and self.outcome_today is not None:
            return self.outcome_today
        return self.c.outcome_table_on(day)

    # ------------------------------------------------------------------ new arrays
    def recompile(self, compiled: Compiled) -> None:
        """Continue with new daily arrays for the same corridor (same places, links, services
        and groups), e.g. after a controller adopted new policy events part-way through a run.
        Today's parameters are read from the new arrays at the next ``policy`` step."""
        old = self.c
        if (
            compiled.loc_names != old.loc_names
            or compiled.svc_names != old.svc_names
            or compiled.n_groups != old.n_groups
            or compiled.days != old.days
        ):
            raise ValueError("recompile: the new arrays describe a different corridor")
        self.c = compiled
        self.routes.forget()
        self.outcome_today = None
