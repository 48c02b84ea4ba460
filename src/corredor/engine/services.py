"""Capacity-limited services: FIFO queues, servers, outcomes and a calendar of dated returns.

A *service* (MODEL.md §2) is an institution at a place — an asylum office, a detention station, a
port of entry's daily intake, Border Patrol processing, an immigration court, a shelter — seen as
a queue with a daily capacity, a service-time model, an abandonment hazard and outcome
probabilities by group. Serving an agent ends in one of the generic outcome verbs of MODEL.md §3
(:class:`Verb`); the caller applies the verb (moves the agent, sets its status, schedules its
hearing); this module only decides *who* leaves *which* service *when*, and *with what verb*.

Data layout (struct of arrays, nothing per agent in Python)
-----------------------------------------------------------
* :class:`ServiceTable`: one row per service — ``capacity`` (float, policies change it),
  ``model`` (:class:`ServiceTime`), ``mean_days``, ``abandon_hazard``, ``n_classes`` (priority
  classes, 0 = highest) — and ``outcome_p[service, group, verb]``.
* Queues: one FIFO ring buffer of agent ids per (service, priority class) in one flat ``int32``
  buffer; ``head``/``tail`` are ever-increasing positions (slot = position & (capacity − 1)) and a
  full ring doubles. An agent leaving a queue early (abandonment, :meth:`ServiceSystem.withdraw`)
  is not searched for: its state changes, the queue's live counter drops, and the stale entry is
  skipped when it reaches the head (or dropped by the daily abandonment sweep). An entry at
  position ``p`` of queue ``q`` is live iff the agent's ``svc_state == QUEUED``, ``svc_queue == q``
  and ``svc_ticket == p`` (its queue ticket), so a re-queued agent never matches an old entry.
* Servers (:attr:`ServiceTime.SERVERS`): per service, the agents in service in start order.
* Calendar (:meth:`ServiceSystem.return_to_wait`): a ring of day buckets, each a linked list of
  pooled entries (agent, target queue, day); scheduling and releasing cost O(1) per agent.
* Agent columns (:data:`AGENT_COLUMNS`, added to the model's :class:`AgentTable`):
  ``svc_state``, ``svc_queue``, ``svc_ticket``, ``svc_joined`` (day the agent joined its queue or
  started waiting), ``svc_started`` (day its service started).

One day (:meth:`ServiceSystem.serve_day`, the kernel :func:`serve_day`)
----------------------------------------------------------------------
0. Calendar: agents whose return day is today join their queue (at the tail, in the order they
   were scheduled).
Then for every service ``s`` (independently; in parallel if asked):

1. Completions (``SERVERS``): each agent in service completes with probability ``p = 1/m``
   (``m = mean_days``), so its service time ``T`` is Geometric on {1, 2, …}:
   ``P(T = t) = (1 − p)^(t−1) p``, ``E[T] = m`` — the discrete-time analogue of an exponential
   service time; with ``c`` servers the queue is the discrete-day analogue of M/M/c
   (Geo/Geo/c with Bernoulli arrivals, M/Geo/c with Poisson ones; its mean wait is Erlang-C's
   shortened by about ``1/(2m)``, see ``tests/scientific/test_queueing.py``).
2. Serving from the queues in priority order, FIFO within a class:
   ``SERVERS``: the ``c − busy`` free servers (``c = ⌊capacity⌋``) take the next agents, whose
   service starts today (so ``T ≥ 1`` day). ``IMMEDIATE``: up to ``⌊κ + capacity⌋`` agents are
   served today, where ``κ ∈ [0, 1)`` is the fractional capacity carried over
   (``κ ← frac(κ + capacity)``; unused whole capacity is lost; the floor allows 1e-9 of
   rounding so that sums of decimal capacities do not lose a day), so while a backlog lasts the
   service serves exactly ``⌊capacity × days⌋`` agents.
   A served agent's verb is ``min{v : u < Σ_{j≤v} outcome_p[s, g, j]}`` with ``u`` uniform.
3. Abandonment: every agent still queued leaves with probability ``h = abandon_hazard`` — so an
   agent that would wait ``w`` days abandons with probability ``1 − (1 − h)^w``.

Agents enqueued before a day's :meth:`ServiceSystem.serve_day` can be served that day (wait 0);
people are counted at the end of it, so an agent joining on day ``a`` and leaving on day ``c``
is counted ``c − a`` times (Little's law ``L = λW`` with ``W = E[c − a]``).

Every draw is ``uniform_k(key_s, day, agent, k)`` with the per-service key ``key_s`` of stream
``STREAM_SERVICES + s`` and ``k`` the kind of draw, so results do not depend on processing order,
threads or backend. Every transition is counted as an *event* per day × service × event kind
(the verbs plus ``join``, ``start``, ``wait``); stocks of *people* (queued, in service, waiting)
are recorded per day too.

The NumPy/Python twin (:mod:`corredor.engine.services_twin`) is the readable specification and the
tests' oracle: the same days give the same outcomes bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt

from corredor.engine import rng
from corredor.engine.agents import AgentTable, ColumnSpec
from corredor.engine.rng import stream_key_np, uniform_k

FloatArray = npt.NDArray[np.float64]


class Verb(IntEnum):
    """The generic outcome verbs of MODEL.md §3: what a service (or a rule) does to an agent.

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


# ===================================================================== numba kernels
@nb.njit(inline="always", cache=True)
def _draw_verb(cum_row, fallback, u):
    """The first verb whose cumulative probability exceeds ``u`` (rounding: last possible)."""
    for j in range(cum_row.shape[0]):
        if u < cum_row[j]:
            return j
    return fallback


@nb.njit(cache=True)
def _serve_service(s, day, keys, T, Q, V, A, R, roff, nrec, ev):
    """Completions, serving and abandonment of service ``s`` on ``day`` (module docstring)."""
    model, capacity, mean_days, hazard, qbase, cum, fallback, credit = T
    qbuf, qoff, qmask, qhead, qtail, qlive = Q
    slot_agent, slot_ticket, slot_off, nslot, busy, nstarts = V
    state, aqueue, ticket, joined, started, group = A
    r_agent, r_verb, r_service, r_joined, r_started = R
    key = keys[s]
    one_group = cum.shape[1] == 1
    r = roff[s]
    servers = model[s] == _SERVERS

    # 1. completions, in start order (kept in start order by compaction)
    if servers:
        p = 1.0 / mean_days[s]
        base = slot_off[s]
        w = 0
        for j in range(nslot[s]):
            a = slot_agent[base + j]
            t = slot_ticket[base + j]
            if state[a] != _IN_SERVICE or ticket[a] != t or aqueue[a] < qbase[s]:
                continue  # withdrawn while in service
            if aqueue[a] >= qbase[s + 1]:
                continue
            if uniform_k(key, day, a, K_COMPLETE) < p:
                g = 0 if one_group else group[a]
                v = _draw_verb(cum[s, g], fallback[s, g], uniform_k(key, day, a, K_OUTCOME))
                r_agent[r], r_verb[r], r_service[r] = a, v, s
                r_joined[r], r_started[r] = joined[a], started[a]
                r += 1
                ev[s, v] += 1
                state[a] = _NONE
                aqueue[a] = NO
                busy[s] -= 1
            else:
                slot_agent[base + w] = a
                slot_ticket[base + w] = t
                w += 1
        nslot[s] = w

    # 2. serve from the queues: priority classes in order, FIFO within a class
    live = 0
    for q in range(qbase[s], qbase[s + 1]):
        live += qlive[q]
    if servers:  # c = ⌊capacity⌋ servers (an infinite capacity is never reached)
        c = capacity[s]
        n_free = live if c >= busy[s] + live else max(int(np.floor(c)) - busy[s], 0)
    else:  # ⌊κ + capacity⌋ agents today, κ ← frac(κ + capacity)
        avail = credit[s] + capacity[s]
        whole = np.floor(avail + _EPS)
        n_free = live if whole >= live else int(whole)
        credit[s] = max(avail - whole, 0.0) if avail < np.inf else 0.0
    for q in range(qbase[s], qbase[s + 1]):
        off = qoff[q]
        mask = qmask[q]
        while n_free > 0 and qlive[q] > 0:
            pos = qhead[q]
            a = qbuf[off + (pos & mask)]
            qhead[q] = pos + 1
            if state[a] != _QUEUED or aqueue[a] != q or ticket[a] != pos:
                continue  # stale entry (abandoned or withdrawn)
            qlive[q] -= 1
            n_free -= 1
            started[a] = day
            if servers:
                state[a] = _IN_SERVICE
                t = nstarts[s]
                nstarts[s] = t + 1
                ticket[a] = t
                slot_agent[slot_off[s] + nslot[s]] = a
                slot_ticket[slot_off[s] + nslot[s]] = t
                nslot[s] += 1
                busy[s] += 1
                ev[s, EV_START] += 1
            else:
                g = 0 if one_group else group[a]
                v = _draw_verb(cum[s, g], fallback[s, g], uniform_k(key, day, a, K_OUTCOME))
                r_agent[r], r_verb[r], r_service[r] = a, v, s
                r_joined[r], r_started[r] = joined[a], day
                r += 1
                ev[s, v] += 1
                state[a] = _NONE
                aqueue[a] = NO
        if qlive[q] == 0:
            qhead[q] = qtail[q]  # only stale entries left: drop them

    # 3. abandonment by the agents still queued (the sweep also compacts the ring)
    h = hazard[s]
    if h > 0.0:
        for q in range(qbase[s], qbase[s + 1]):
            off = qoff[q]
            mask = qmask[q]
            w = qhead[q]
            for pos in range(qhead[q], qtail[q]):
                a = qbuf[off + (pos & mask)]
                if state[a] != _QUEUED or aqueue[a] != q or ticket[a] != pos:
                    continue
                if uniform_k(key, day, a, K_ABANDON) < h:
                    r_agent[r], r_verb[r], r_service[r] = a, _ABANDON, s
                    r_joined[r], r_started[r] = joined[a], NO
                    r += 1
                    ev[s, _ABANDON] += 1
                    state[a] = _NONE
                    aqueue[a] = NO
                    qlive[q] -= 1
                else:
                    qbuf[off + (w & mask)] = a
                    ticket[a] = w
                    w += 1
            qtail[q] = w
    nrec[s] = r - roff[s]


@nb.njit(cache=True)
def serve_day(day, keys, T, Q, V, A, R, roff, nrec, ev):
    """One day of every service, services in order (see the module docstring for the rules).

    ``keys[s]`` is service ``s``'s stream key; ``T`` the table, ``Q`` the queues, ``V`` the
    servers, ``A`` the agent columns; service ``s`` writes its outcome records to
    ``R[:, roff[s]:roff[s] + nrec[s]]`` and its event counts to ``ev[s]``.
    """
    for s in range(keys.shape[0]):
        _serve_service(s, day, keys, T, Q, V, A, R, roff, nrec, ev)


@nb.njit(parallel=True, cache=True)
def serve_day_parallel(day, keys, T, Q, V, A, R, roff, nrec, ev):
    """:func:`serve_day` with services on several threads (an agent is in one service at most,
    and draws are keyed on the agent, so the result does not depend on the thread count)."""
    for s in nb.prange(keys.shape[0]):
        _serve_service(s, day, keys, T, Q, V, A, R, roff, nrec, ev)


@nb.njit(cache=True)
def _gather(roff, nrec, R):
    """Move the per-service record blocks together; returns the number of records."""
    r_agent, r_verb, r_service, r_joined, r_started = R
    n = 0
    for s in range(nrec.shape[0]):
        for j in range(roff[s], roff[s] + nrec[s]):
            r_agent[n], r_verb[n], r_service[n] = r_agent[j], r_verb[j], r_service[j]
            r_joined[n], r_started[n] = r_joined[j], r_started[j]
            n += 1
    return n


@nb.njit(cache=True)
def _push(ids, queues, day, Q, A, queue_service, ev):
    """Append agents to the tail of their queues (capacity reserved by the caller)."""
    qbuf, qoff, qmask, _qhead, qtail, qlive = Q
    state, aqueue, ticket, joined = A[0], A[1], A[2], A[3]
    for j in range(ids.shape[0]):
        a = ids[j]
        q = queues[j]
        pos = qtail[q]
        qbuf[qoff[q] + (pos & qmask[q])] = a
        qtail[q] = pos + 1
        qlive[q] += 1
        state[a] = _QUEUED
        aqueue[a] = q
        ticket[a] = pos
        joined[a] = day
        ev[queue_service[q], EV_JOIN] += 1


@nb.njit(cache=True)
def _withdraw(ids, qlive, busy, wait_live, queue_service, A):
    """Take agents out of any queue, service or calendar in O(1) each (entries go stale)."""
    state, aqueue = A[0], A[1]
    for j in range(ids.shape[0]):
        a = ids[j]
        st = state[a]
        q = aqueue[a]
        if st == _QUEUED:
            qlive[q] -= 1
        elif st == _IN_SERVICE:
            busy[queue_service[q]] -= 1
        elif st == _WAITING:
            wait_live[q] -= 1
        state[a] = _NONE
        aqueue[a] = NO


@nb.njit(cache=True)
def _schedule(ids, queues, days, today, C, A, wait_live, queue_service, ev):
    """Put agents on the calendar: agent ``ids[j]`` joins ``queues[j]`` on ``days[j]``."""
    bk_head, bk_tail, ent_agent, ent_queue, ent_day, ent_next, meta = C
    state, aqueue, ticket, joined = A[0], A[1], A[2], A[3]
    hmask = bk_head.shape[0] - 1
    for j in range(ids.shape[0]):
        a = ids[j]
        e = meta[0]  # free list first, then fresh entries
        if e != NO:
            meta[0] = ent_next[e]
        else:
            e = meta[1]
            meta[1] = e + 1
        ent_agent[e] = a
        ent_queue[e] = queues[j]
        ent_day[e] = days[j]
        ent_next[e] = NO
        b = days[j] & hmask
        if bk_head[b] == NO:
            bk_head[b] = e
        else:
            ent_next[bk_tail[b]] = e
        bk_tail[b] = e
        state[a] = _WAITING
        aqueue[a] = queues[j]
        ticket[a] = e
        joined[a] = today
        wait_live[queues[j]] += 1
        ev[queue_service[queues[j]], EV_WAIT] += 1


@nb.njit(cache=True)
def _due(day, C, A, need, ids, queues):
    """The live calendar entries of ``day`` in scheduling order; frees the day's bucket.

    Fills ``ids``/``queues`` (sized by the caller to the bucket length) and counts ``need[q]``;
    returns the number of agents due.
    """
    bk_head, bk_tail, ent_agent, ent_queue, _ent_day, ent_next, meta = C
    state, ticket = A[0], A[2]
    b = day & (bk_head.shape[0] - 1)
    e = bk_head[b]
    n = 0
    while e != NO:
        nxt = ent_next[e]
        a = ent_agent[e]
        if state[a] == _WAITING and ticket[a] == e:
            ids[n] = a
            queues[n] = ent_queue[e]
            need[ent_queue[e]] += 1
            n += 1
        ent_next[e] = meta[0]
        meta[0] = e
        e = nxt
    bk_head[b] = NO
    bk_tail[b] = NO
    return n


@nb.njit(cache=True)
def _bucket_length(day, bk_head, ent_next):
    e = bk_head[day & (bk_head.shape[0] - 1)]
    n = 0
    while e != NO:
        n += 1
        e = ent_next[e]
    return n


@nb.njit(cache=True)
def _check_targets(ids, services, classes, n_agents, n_classes, state, group, n_groups):
    """The problems of an enqueue request as bits, checked in one pass: 1 an agent id out of
    range, 2 a service out of range, 4 a class out of range, 8 an agent already in a queue, in
    service or waiting, 16 an agent twice, 32 a group out of range (``n_groups < 0``: none)."""
    bad = 0
    for j in range(ids.shape[0]):
        a = ids[j]
        sv = services[j]
        if a < 0 or a >= n_agents:
            bad |= 1
            continue
        if sv < 0 or sv >= n_classes.shape[0]:
            bad |= 2
        elif classes[j] < 0 or classes[j] >= n_classes[sv]:
            bad |= 4
        if state[a] != _NONE:
            bad |= 8
        if n_groups >= 0 and (group[a] < 0 or group[a] >= n_groups):
            bad |= 32
    if bad & 1 == 0 and ids.shape[0] > 1:
        srt = np.sort(ids)
        for j in range(1, srt.shape[0]):
            if srt[j] == srt[j - 1]:
                bad |= 16
                break
    return bad


_TARGET_PROBLEMS = (
    (1, "agent id out of range"),
    (2, "service index out of range"),
    (4, "priority class out of range for its service"),
    (8, "an agent is already queued, in service or waiting; withdraw it"),
    (16, "an agent appears twice"),
)


# ===================================================================== the system
def _per_agent(x: npt.ArrayLike, n: int) -> npt.NDArray[np.int64]:
    """``x`` as one int64 per agent (a scalar is repeated; cheaper than ``broadcast_to``)."""
    arr = np.asarray(x, dtype=np.int64)
    if arr.shape == (n,):
        return arr
    if arr.ndim == 0:
        return np.full(n, arr, dtype=np.int64)
    return np.ascontiguousarray(np.broadcast_to(arr, (n,)))


def _pow2(n: int) -> int:
    return 1 << max(int(n) - 1, 0).bit_length()


class ServiceSystem:
    """The state of every service: queues, servers, calendar, event counts and daily stocks.

    The agent state lives in the model's :class:`AgentTable`, which must contain
    :data:`AGENT_COLUMNS` (and ``group_column`` when the table has several outcome groups).
    :meth:`serve_day` must be called for every day from ``start_day`` on, in order.
    """

    def __init__(
        self,
        table: ServiceTable,
        *,
        seed: int,
        start_day: int = 0,
        group_column: str | None = None,
        parallel: bool = False,
        queue_capacity: int = 16,
        calendar_horizon: int = 64,
    ) -> None:
        table.validate()
        if group_column is None and table.n_groups != 1:
            raise ValueError("a table with several outcome groups needs a group_column")
        self.table = table
        self.seed = int(seed)
        self.start_day = int(start_day)
        self.group_column = group_column
        self.parallel = parallel
        S = table.n_services
        self._keys = np.array(
            [stream_key_np(self.seed, STREAM_SERVICES + s) for s in range(S)], dtype=np.uint64
        )
        self.qbase = np.zeros(S + 1, dtype=np.int64)
        np.cumsum(table.n_classes, out=self.qbase[1:])
        n_q = int(self.qbase[-1])
        self.queue_service = np.repeat(np.arange(S, dtype=np.int32), table.n_classes)
        cap = _pow2(max(queue_capacity, 1))
        self._qbuf = np.full(n_q * cap, NO, dtype=np.int32)
        self._qoff = np.arange(n_q, dtype=np.int64) * cap
        self._qmask = np.full(n_q, cap - 1, dtype=np.int64)
        self._qhead = np.zeros(n_q, dtype=np.int64)
        self._qtail = np.zeros(n_q, dtype=np.int64)
        self._qlive = np.zeros(n_q, dtype=np.int64)
        self._qused = n_q * cap
        self._credit = np.zeros(S, dtype=np.float64)
        # servers: slots of service s are slot_off[s]:slot_off[s+1]
        self._slot_off = np.zeros(S + 1, dtype=np.int64)
        self._slot_agent = np.zeros(0, dtype=np.int32)
        self._slot_ticket = np.zeros(0, dtype=np.int64)
        self._nslot = np.zeros(S, dtype=np.int64)
        self._busy = np.zeros(S, dtype=np.int64)
        self._nstarts = np.zeros(S, dtype=np.int64)
        # calendar: ring of day buckets + pooled linked-list entries
        h = _pow2(max(calendar_horizon, 1))
        self._bk_head = np.full(h, NO, dtype=np.int64)
        self._bk_tail = np.full(h, NO, dtype=np.int64)
        self._ent_agent = np.zeros(64, dtype=np.int32)
        self._ent_queue = np.zeros(64, dtype=np.int32)
        self._ent_day = np.zeros(64, dtype=np.int64)
        self._ent_next = np.zeros(64, dtype=np.int64)
        self._cal_meta = np.array([NO, 0], dtype=np.int64)  # free-list head, entries used
        self._wait_live = np.zeros(n_q, dtype=np.int64)
        # outcome records (reused buffers) and daily counts
        self._R = self._record_buffers(64)
        self._ev = np.zeros((64, S, N_EVENTS), dtype=np.int32)
        self._stocks = np.zeros((64, S, 3), dtype=np.int32)
        self._ev_used = 0  # event rows touched (enqueues may count on a day not yet served)
        self._next_day = self.start_day
        self._no_group = np.zeros(1, dtype=np.int32)

    # ------------------------------------------------------------------ public API
    @property
    def next_day(self) -> int:
        """The day the next :meth:`serve_day` call must process."""
        return self._next_day

    def enqueue(
        self,
        agents: AgentTable,
        ids: npt.ArrayLike,
        service: npt.ArrayLike,
        cls: npt.ArrayLike = 0,
        *,
        day: int,
    ) -> None:
        """Agents join the tail of ``service``'s queue of priority class ``cls`` on ``day``.

        ``ids`` are appended in the given order; ``service``/``cls`` broadcast. Agents must not be
        in a queue, in service or waiting (:meth:`withdraw` them first).
        """
        ids_, queues = self._targets(agents, ids, service, cls)
        if ids_.shape[0] == 0:
            return
        self._reserve_queues(np.bincount(queues, minlength=self._qlive.shape[0]))
        _push(
            ids_,
            queues,
            int(day),
            self._queues(),
            self._agent_cols(agents),
            self.queue_service,
            self._ev_row(day),
        )

    def return_to_wait(
        self,
        agents: AgentTable,
        ids: npt.ArrayLike,
        service: npt.ArrayLike,
        until_day: npt.ArrayLike,
        cls: npt.ArrayLike = 0,
        *,
        day: int,
    ) -> None:
        """Agents wait (wherever the caller puts them) and join ``service``'s queue on
        ``until_day``, at the start of that day's :meth:`serve_day` — O(1) per agent.

        ``until_day`` must be ``>= next_day`` (a day not yet served).
        """
        ids_, queues = self._targets(agents, ids, service, cls)
        if ids_.shape[0] == 0:
            return
        days = np.broadcast_to(np.asarray(until_day, dtype=np.int64), ids_.shape).copy()
        if days.min() < self._next_day:
            raise ValueError(
                f"return day {int(days.min())} is already served (next day {self._next_day})"
            )
        self._reserve_calendar(int(days.max()), ids_.shape[0])
        _schedule(
            ids_,
            queues,
            days,
            int(day),
            self._calendar(),
            self._agent_cols(agents),
            self._wait_live,
            self.queue_service,
            self._ev_row(day),
        )

    def withdraw(self, agents: AgentTable, ids: npt.ArrayLike) -> None:
        """Take agents out of whatever queue, service or wait they are in (O(1) each; no event —
        the caller counts its own verb). Agents in none are left as they are."""
        ids_ = np.asarray(ids, dtype=np.int32).ravel()
        if ids_.shape[0] == 0:
            return
        self._check_ids(agents, ids_)
        _withdraw(
            ids_,
            self._qlive,
            self._busy,
            self._wait_live,
            self.queue_service,
            self._agent_cols(agents),
        )

    def serve_day(self, agents: AgentTable, day: int) -> Outcomes:
        """Run one day of every service (module docstring) and return who left, with which verb.

        The verbs are the caller's to apply; event counts and end-of-step stocks are recorded.
        """
        day = int(day)
        if day != self._next_day:
            raise ValueError(
                f"serve_day({day}): services must run every day; the next is {self._next_day}"
            )
        self._check_table()
        A = self._agent_cols(agents)
        ev = self._ev_row(day)
        # 0. dated returns due today join their queues
        n_bucket = _bucket_length(day, self._bk_head, self._ent_next)
        if n_bucket:
            need = np.zeros(self._qlive.shape[0], dtype=np.int64)
            ids = np.empty(n_bucket, dtype=np.int32)
            queues = np.empty(n_bucket, dtype=np.int32)
            n_due = _due(day, self._calendar(), A, need, ids, queues)
            self._reserve_queues(need)
            self._wait_live -= need
            _push(ids[:n_due], queues[:n_due], day, self._queues(), A, self.queue_service, ev)
        # servers and record space for today
        live = np.add.reduceat(self._qlive, self.qbase[:-1])
        self._reserve_slots(live)
        bound = self._busy + live
        roff = np.zeros(bound.shape[0] + 1, dtype=np.int64)
        np.cumsum(bound, out=roff[1:])
        if roff[-1] > self._R[0].shape[0]:
            self._R = self._record_buffers(max(int(roff[-1]), 2 * self._R[0].shape[0]))
        nrec = np.zeros(bound.shape[0], dtype=np.int64)
        kernel = serve_day_parallel if self.parallel else serve_day
        kernel(
            day,
            self._keys,
            self._table_arrays(),
            self._queues(),
            self._servers(),
            A,
            self._R,
            roff,
            nrec,
            ev,
        )
        n = _gather(roff, nrec, self._R)
        self._next_day = day + 1
        self._stocks[day - self.start_day] = self.stocks()
        r_agent, r_verb, r_service, r_joined, r_started = (c[:n].copy() for c in self._R)
        return Outcomes(
            agent=r_agent,
            verb=r_verb,
            service=r_service,
            day=np.full(n, day, dtype=np.int32),
            joined=r_joined,
            started=r_started,
        )

    # ------------------------------------------------------------------ people and events
    def queued(self, by_class: bool = False) -> npt.NDArray[np.int64]:
        """People queued now, per service (or per (service, class) queue: ``qbase[s] + cls``)."""
        if by_class:
            return self._qlive.copy()
        return np.add.reduceat(self._qlive, self.qbase[:-1])

    def in_service(self) -> npt.NDArray[np.int64]:
        """People being served now, per service."""
        return self._busy.copy()

    def waiting(self) -> npt.NDArray[np.int64]:
        """People on the calendar now, per service they will join."""
        return np.add.reduceat(self._wait_live, self.qbase[:-1])

    def stocks(self) -> npt.NDArray[np.int64]:
        """People now, per service × (queued, in service, waiting)."""
        return np.stack([self.queued(), self.in_service(), self.waiting()], axis=1)

    @property
    def events(self) -> npt.NDArray[np.int32]:
        """Event counts per day × service × event kind (:data:`EVENT_NAMES`), from
        ``start_day`` to the last day served (a copy)."""
        return self._ev[: max(self._next_day - self.start_day, self._ev_used)].copy()

    @property
    def stock_history(self) -> npt.NDArray[np.int32]:
        """People per day × service × (queued, in service, waiting) at the end of each
        :meth:`serve_day` (before the rest of the day adds or removes anyone)."""
        return self._stocks[: self._next_day - self.start_day].copy()

    def queue_contents(
        self, agents: AgentTable, service: int, cls: int = 0
    ) -> npt.NDArray[np.int32]:
        """The agents queued at (``service``, ``cls``), head first (for tests and reports)."""
        q = int(self.qbase[service]) + int(cls)
        pos = np.arange(self._qhead[q], self._qtail[q], dtype=np.int64)
        a = self._qbuf[self._qoff[q] + (pos & self._qmask[q])]
        A = self._agent_cols(agents)
        ok = (A[0][a] == _QUEUED) & (A[1][a] == q) & (A[2][a] == pos)
        return np.asarray(a[ok], dtype=np.int32)

    def in_service_agents(self, agents: AgentTable, service: int) -> npt.NDArray[np.int32]:
        """The agents in service at ``service``, in the order their service started."""
        lo = int(self._slot_off[service])
        a = self._slot_agent[lo : lo + self._nslot[service]]
        t = self._slot_ticket[lo : lo + self._nslot[service]]
        A = self._agent_cols(agents)
        q = A[1][a]
        ok = (A[0][a] == _IN_SERVICE) & (A[2][a] == t)
        ok &= (q >= self.qbase[service]) & (q < self.qbase[service + 1])
        return np.asarray(a[ok], dtype=np.int32)

    # ------------------------------------------------------------------ internals
    def _ev_row(self, day: int) -> npt.NDArray[np.int32]:
        i = int(day) - self.start_day
        if i < 0:
            raise ValueError(f"day {day} is before the services' start day {self.start_day}")
        if i >= self._ev.shape[0]:
            new = max(2 * self._ev.shape[0], i + 1)
            for name in ("_ev", "_stocks"):
                old = getattr(self, name)
                grown = np.zeros((new, *old.shape[1:]), dtype=old.dtype)
                grown[: old.shape[0]] = old
                setattr(self, name, grown)
        self._ev_used = max(self._ev_used, i + 1)
        row: npt.NDArray[np.int32] = self._ev[i]
        return row

    def _check_table(self) -> None:
        t = self.table
        if np.isnan(t.capacity).any() or (t.capacity < 0).any():
            raise ValueError("service capacity must be >= 0 (inf = unlimited)")
        if t.capacity.dtype != np.float64 or t.capacity.shape != (t.n_services,):
            raise ValueError("ServiceTable.capacity must stay a float64 array of one per service")

    def _table_arrays(self) -> tuple[Any, ...]:
        t = self.table
        cum = np.cumsum(t.outcome_p, axis=2)
        fallback = (N_VERBS - 1 - np.argmax(t.outcome_p[:, :, ::-1] > 0, axis=2)).astype(np.int64)
        return (
            t.model,
            t.capacity,
            t.mean_days,
            t.abandon_hazard,
            self.qbase,
            cum,
            fallback,
            self._credit,
        )

    def _queues(self) -> tuple[Any, ...]:
        return (self._qbuf, self._qoff, self._qmask, self._qhead, self._qtail, self._qlive)

    def _servers(self) -> tuple[Any, ...]:
        return (
            self._slot_agent,
            self._slot_ticket,
            self._slot_off,
            self._nslot,
            self._busy,
            self._nstarts,
        )

    def _calendar(self) -> tuple[Any, ...]:
        return (
            self._bk_head,
            self._bk_tail,
            self._ent_agent,
            self._ent_queue,
            self._ent_day,
            self._ent_next,
            self._cal_meta,
        )

    def _agent_cols(self, agents: AgentTable) -> tuple[Any, ...]:
        group = self._no_group if self.group_column is None else agents.raw(self.group_column)
        return (
            agents.raw("svc_state"),
            agents.raw("svc_queue"),
            agents.raw("svc_ticket"),
            agents.raw("svc_joined"),
            agents.raw("svc_started"),
            group,
        )

    @staticmethod
    def _record_buffers(n: int) -> tuple[Any, ...]:
        return (
            np.empty(n, np.int32),
            np.empty(n, np.int8),
            np.empty(n, np.int32),
            np.empty(n, np.int32),
            np.empty(n, np.int32),
        )

    def _check_ids(self, agents: AgentTable, ids: npt.NDArray[np.int32]) -> None:
        if ids.min() < 0 or ids.max() >= agents.n:
            raise ValueError("agent id out of range")

    def _targets(
        self, agents: AgentTable, ids: npt.ArrayLike, service: npt.ArrayLike, cls: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        ids_ = np.asarray(ids, dtype=np.int32).ravel()
        if ids_.shape[0] == 0:
            return ids_, ids_
        s, c = _per_agent(service, ids_.shape[0]), _per_agent(cls, ids_.shape[0])
        # every check in one pass (the first problem in the order below is reported)
        grouped = self.group_column is not None
        bad = _check_targets(
            ids_,
            s,
            c,
            agents.n,
            np.asarray(self.table.n_classes, dtype=np.int64),
            agents.raw("svc_state"),
            agents.raw(self.group_column) if grouped else self._no_group,
            self.table.n_groups if grouped else -1,
        )
        if bad:
            for bit, message in _TARGET_PROBLEMS:
                if bad & bit:
                    raise ValueError(message)
            raise ValueError(f"{self.group_column} out of range of the outcome groups")
        return ids_, (self.qbase[s] + c).astype(np.int32)

    def _reserve_queues(self, need: npt.NDArray[np.int64]) -> None:
        """Make room for ``need[q]`` more entries in every queue (doubling full rings)."""
        phys = self._qtail - self._qhead
        cap = self._qmask + 1
        for q in np.flatnonzero(phys + need > cap).tolist():
            new_cap = _pow2(max(2 * int(cap[q]), int(phys[q] + need[q])))
            if self._qused + new_cap > self._qbuf.shape[0]:
                self._compact_queues(q, new_cap)
            else:
                self._move_queue(self._qbuf, q, self._qused, new_cap)
                self._qused += new_cap

    def _move_queue(self, new_buf: npt.NDArray[np.int32], q: int, off: int, cap: int) -> None:
        """Copy queue ``q``'s entries to ``new_buf[off:off + cap]`` (positions are kept)."""
        pos = np.arange(self._qhead[q], self._qtail[q], dtype=np.int64)
        new_buf[off + (pos & (cap - 1))] = self._qbuf[self._qoff[q] + (pos & self._qmask[q])]
        self._qoff[q] = off
        self._qmask[q] = cap - 1

    def _compact_queues(self, grow: int, new_cap: int) -> None:
        """Lay every queue out again in a new buffer (dropping regions left by growth)."""
        caps = self._qmask + 1
        caps[grow] = new_cap
        total = int(caps.sum())
        new_buf = np.full(max(total, 2 * self._qbuf.shape[0]), NO, dtype=np.int32)
        off = 0
        for q in range(caps.shape[0]):
            self._move_queue(new_buf, q, off, int(caps[q]))
            off += int(caps[q])
        self._qbuf = new_buf
        self._qused = off

    def _reserve_slots(self, live: npt.NDArray[np.int64]) -> None:
        """Make sure each SERVERS service has slots for every agent it can hold today."""
        t = self.table
        servers = t.model == _SERVERS
        cap = np.minimum(t.capacity, (self._busy + live).astype(np.float64))
        want = np.where(servers, np.floor(cap), 0).astype(np.int64)
        have = np.diff(self._slot_off)
        if (want <= have).all():
            return
        size = np.where(want > have, np.maximum(want, 2 * have), have)
        off = np.zeros(size.shape[0] + 1, dtype=np.int64)
        np.cumsum(size, out=off[1:])
        agent = np.zeros(int(off[-1]), dtype=np.int32)
        ticket = np.zeros(int(off[-1]), dtype=np.int64)
        for s in np.flatnonzero(self._nslot):
            lo, n = int(self._slot_off[s]), int(self._nslot[s])
            agent[off[s] : off[s] + n] = self._slot_agent[lo : lo + n]
            ticket[off[s] : off[s] + n] = self._slot_ticket[lo : lo + n]
        self._slot_off, self._slot_agent, self._slot_ticket = off, agent, ticket

    def _reserve_calendar(self, last_day: int, n_new: int) -> None:
        """Grow the entry pool (doubling) and the ring of days so ``last_day`` fits in it."""
        used = int(self._cal_meta[1])
        if used + n_new > self._ent_agent.shape[0]:
            new = max(2 * self._ent_agent.shape[0], used + n_new)
            for name in ("_ent_agent", "_ent_queue", "_ent_day", "_ent_next"):
                old = getattr(self, name)
                grown = np.zeros(new, dtype=old.dtype)
                grown[:used] = old[:used]
                setattr(self, name, grown)
        h = self._bk_head.shape[0]
        span = last_day - self._next_day + 1
        if span <= h:
            return
        # every pending entry's day is in [next_day, next_day + h): one day per bucket
        new_h = _pow2(max(2 * h, span))
        head = np.full(new_h, NO, dtype=np.int64)
        tail = np.full(new_h, NO, dtype=np.int64)
        for b in np.flatnonzero(self._bk_head != NO):
            d = int(self._ent_day[self._bk_head[b]])
            head[d & (new_h - 1)] = self._bk_head[b]
            tail[d & (new_h - 1)] = self._bk_tail[b]
        self._bk_head, self._bk_tail = head, tail
