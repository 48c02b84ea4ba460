"""The table of services (one row per service), the verbs, event kinds, agent columns and
the daily :class:`Outcomes` of :mod:`corredor.engine.services`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from corredor.engine import rng
from corredor.engine.agents import ColumnSpec

FloatArray = npt.NDArray[np.float64]


class Verb(IntEnum):
    """The generic outcome verbs of docs/model.md §3.3.4: what a service or a rule does to an agent.

    The verb is an integer code; its argument (the status granted, the detention service, the
    place of expulsion or waiting, the hearing day, the destination) is the caller's to apply.
    """

    #: ``release``: back to moving — leaves the service free to decide and travel again.
    RELEASE = 0
    #: ``grant(status)``: a legal status is granted (asylum recognised, visa issued, …).
    GRANT = 1
    #: ``deny``: the claim or application is refused.
    DENY = 2
    #: ``detain(service)``: taken into a detention service.
    DETAIN = 3
    #: ``deport(to origin)``: removed to the country of origin.
    DEPORT = 4
    #: ``expel(to a place)``: pushed to a place, e.g. a Mexican border city under Title 42.
    EXPEL = 5
    #: ``return_to_wait(place, until day)``: wait in a place until a dated return (MPP hearings).
    RETURN_TO_WAIT = 6
    #: ``admit(destination)``: admitted into the destination country.
    ADMIT = 7
    #: ``settle(place)``: stays and integrates where it is.
    SETTLE = 8
    #: ``abandon``: leaves the queue (drawn by the service's abandonment hazard).
    ABANDON = 9
    #: ``die``: only if a scenario supplies mortality data.
    DIE = 10


N_VERBS = len(Verb)
EV_JOIN = N_VERBS  # joined a queue (from outside or, on its day, from the calendar)
EV_START = N_VERBS + 1  # a server started serving the agent (SERVERS model)
EV_WAIT = N_VERBS + 2  # started waiting elsewhere for a dated return to the service's queue
N_EVENTS = N_VERBS + 3
EVENT_NAMES: tuple[str, ...] = (*(v.name.lower() for v in Verb), "join", "start", "wait")


class ServiceTime(IntEnum):
    """The service-time model of a service."""

    #: Served the day the agent reaches the head; ``capacity`` = agents per day.
    IMMEDIATE = 0
    #: ``c = ⌊capacity⌋`` parallel servers, each service lasting Geometric(1/mean_days) days.
    SERVERS = 1


class QueueState(IntEnum):
    """An agent's relation to the services (the ``svc_state`` column)."""

    NONE = 0
    QUEUED = 1
    IN_SERVICE = 2
    WAITING = 3


_NONE, _QUEUED, _IN_SERVICE, _WAITING = 0, 1, 2, 3
_IMMEDIATE, _SERVERS = 0, 1
_ABANDON = int(Verb.ABANDON)
_EPS = 1e-9  # rounding slack of the capacity carry-over: 0.3/day serves exactly ⌊0.3 d⌋
NO = -1

#: Service ``s`` draws from stream ``STREAM_SERVICES + s`` (far above the engine's named streams).
STREAM_SERVICES = rng.STREAM_SERVICES
#: The ``k`` field of a draw: outcome verb, service completion, abandonment.
K_OUTCOME, K_COMPLETE, K_ABANDON = 0, 1, 2

#: Columns the services need in the model's :class:`AgentTable` (name -> (dtype, fill)).
AGENT_COLUMNS: ColumnSpec = {
    "svc_state": (np.int8, _NONE),
    "svc_queue": (np.int32, NO),
    "svc_ticket": (np.int64, NO),
    "svc_joined": (np.int32, NO),
    "svc_started": (np.int32, NO),
}


# ===================================================================== the table of services
@dataclass
class ServiceTable:
    """One row per service (struct of arrays). Policies may change ``capacity`` between days.

    ``outcome_p[s, g, v]`` is the probability that group ``g`` leaves service ``s`` with verb
    ``v``; each ``(s, g)`` row sums to 1.
    """

    names: tuple[str, ...]
    capacity: FloatArray  # (S,) agents/day (IMMEDIATE) or servers (SERVERS)
    model: npt.NDArray[np.int8]  # (S,) ServiceTime
    mean_days: FloatArray  # (S,) mean service time in days (SERVERS), >= 1
    abandon_hazard: FloatArray  # (S,) probability per day that a queued agent abandons
    n_classes: npt.NDArray[np.int32]  # (S,) priority classes, 0 = served first
    outcome_p: FloatArray  # (S, G, N_VERBS)

    @classmethod
    def create(
        cls,
        names: Sequence[str],
        *,
        n_groups: int = 1,
        capacity: npt.ArrayLike = 0.0,
        model: npt.ArrayLike = ServiceTime.IMMEDIATE,
        mean_days: npt.ArrayLike = 1.0,
        abandon_hazard: npt.ArrayLike = 0.0,
        n_classes: npt.ArrayLike = 1,
        outcome_p: npt.ArrayLike | None = None,
    ) -> ServiceTable:
        """A table from per-service values (scalars broadcast); outcomes default to RELEASE."""
        n = len(names)

        def col(x: npt.ArrayLike, dt: npt.DTypeLike) -> npt.NDArray[Any]:
            return np.array(np.broadcast_to(np.asarray(x, dtype=dt), (n,)))

        if outcome_p is None:
            p = np.zeros((n, n_groups, N_VERBS))
            p[:, :, Verb.RELEASE] = 1.0
        else:
            p = np.array(np.broadcast_to(np.asarray(outcome_p, float), (n, n_groups, N_VERBS)))
        table = cls(
            names=tuple(names),
            capacity=col(capacity, np.float64),
            model=col(model, np.int8),
            mean_days=col(mean_days, np.float64),
            abandon_hazard=col(abandon_hazard, np.float64),
            n_classes=col(n_classes, np.int32),
            outcome_p=p,
        )
        table.validate()
        return table

    @property
    def n_services(self) -> int:
        return len(self.names)

    @property
    def n_groups(self) -> int:
        return int(self.outcome_p.shape[1])

    def index(self, name: str) -> int:
        """The row of the service called ``name``."""
        return self.names.index(name)

    def set_outcomes(
        self, service: int, probs: Mapping[Verb, float], group: int | None = None
    ) -> None:
        """Set the outcome probabilities of one service (for one group, or for all groups)."""
        row = np.zeros(N_VERBS)
        for v, p in probs.items():
            row[int(v)] = p
        _check_probs(row[None, :], f"service {self.names[service]!r}")
        groups = slice(None) if group is None else group
        self.outcome_p[service, groups] = row

    def validate(self) -> None:
        """Raise ``ValueError`` on an inconsistent table."""
        n = self.n_services
        for name in ("capacity", "model", "mean_days", "abandon_hazard", "n_classes"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"ServiceTable.{name} must have shape ({n},)")
        if self.outcome_p.ndim != 3 or self.outcome_p.shape[0] != n:
            raise ValueError(f"ServiceTable.outcome_p must have shape ({n}, groups, {N_VERBS})")
        if self.outcome_p.shape[2] != N_VERBS or self.outcome_p.shape[1] < 1:
            raise ValueError(f"ServiceTable.outcome_p must have shape ({n}, groups, {N_VERBS})")
        if np.isnan(self.capacity).any() or (self.capacity < 0).any():
            raise ValueError("service capacity must be >= 0 (inf = unlimited)")
        if not np.isin(self.model, (_IMMEDIATE, _SERVERS)).all():
            raise ValueError("service model must be ServiceTime.IMMEDIATE or SERVERS")
        servers = self.model == _SERVERS
        if not (self.mean_days[servers] >= 1.0).all() or np.isinf(self.mean_days).any():
            raise ValueError("mean service time must be finite and >= 1 day")
        h = self.abandon_hazard
        if np.isnan(h).any() or (h < 0).any() or (h > 1).any():
            raise ValueError("abandonment hazard must be in [0, 1]")
        if (self.n_classes < 1).any():
            raise ValueError("a service needs at least one priority class")
        _check_probs(self.outcome_p.reshape(-1, N_VERBS), "outcome_p")


def _check_probs(p: FloatArray, what: str) -> None:
    if np.isnan(p).any() or (p < 0).any():
        raise ValueError(f"{what}: outcome probabilities must be >= 0")
    if not np.allclose(p.sum(axis=-1), 1.0, rtol=0.0, atol=1e-9):
        raise ValueError(f"{what}: outcome probabilities must sum to 1")


# ===================================================================== results of a day
@dataclass(frozen=True)
class Outcomes:
    """Who left which service with which verb (one row per agent; ``day`` repeated per row).

    ``joined`` is the day the agent joined the queue (wait in queue = ``started − joined``;
    days in the system = ``day − joined``); ``started`` is the day its service started (−1 for
    ABANDON).
    """

    agent: npt.NDArray[np.int32]
    verb: npt.NDArray[np.int8]
    service: npt.NDArray[np.int32]
    day: npt.NDArray[np.int32]
    joined: npt.NDArray[np.int32]
    started: npt.NDArray[np.int32]

    def __len__(self) -> int:
        return int(self.agent.shape[0])

    def with_verb(self, verb: Verb) -> npt.NDArray[np.int32]:
        """Agents that left with ``verb``."""
        out: npt.NDArray[np.int32] = self.agent[self.verb == int(verb)]
        return out

    @classmethod
    def concat(cls, parts: Sequence[Outcomes]) -> Outcomes:
        """Several days' outcomes as one table."""
        names = ("agent", "verb", "service", "day", "joined", "started")
        dts = (np.int32, np.int8, np.int32, np.int32, np.int32, np.int32)
        return cls(
            *(
                np.concatenate([getattr(p, n) for p in parts] or [np.empty(0, dt)]).astype(dt)
                for n, dt in zip(names, dts, strict=True)
            )
        )
