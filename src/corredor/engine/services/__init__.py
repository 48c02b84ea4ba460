"""Capacity-limited services: FIFO queues, servers, outcomes and a calendar of dated returns.

A *service* (docs/model.md §3.3.3) is an institution at a place — an asylum office, a detention
station, a port of entry's daily intake, Border Patrol processing, an immigration court, a
shelter — seen as a queue with a daily capacity, a service-time model, an abandonment hazard and
outcome probabilities by group. Serving an agent ends in one of the generic outcome verbs of
docs/model.md §3.3.4 (:class:`Verb`); the caller applies the verb (moves the agent, sets its
status, schedules its hearing); this module only decides *who* leaves *which* service *when*,
and *with what verb*.

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
Then for every service ``s`` (independently; on numba's threads on days with many people held,
in bins of about equal work: ``ServiceSystem(parallel=...)``):

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

The NumPy/Python twin (:mod:`corredor.engine.services.twin`) is the readable specification and the
tests' oracle: the same days give the same outcomes bit for bit.

Modules: :mod:`~corredor.engine.services.table` (the service table, verbs, event kinds, agent
columns, :class:`Outcomes`), :mod:`~corredor.engine.services.kernels` (the numba kernels),
:mod:`~corredor.engine.services.system` (:class:`ServiceSystem`) and
:mod:`~corredor.engine.services.twin` (the NumPy twin, never used in a model).
"""

from __future__ import annotations

from corredor.engine.services.kernels import serve_day, serve_day_parallel
from corredor.engine.services.system import ServiceSystem
from corredor.engine.services.table import (
    AGENT_COLUMNS,
    EV_JOIN,
    EV_START,
    EV_WAIT,
    EVENT_NAMES,
    K_ABANDON,
    K_COMPLETE,
    K_OUTCOME,
    N_EVENTS,
    N_VERBS,
    NO,
    STREAM_SERVICES,
    Outcomes,
    QueueState,
    ServiceTable,
    ServiceTime,
    Verb,
)

__all__ = [
    "AGENT_COLUMNS",
    "EVENT_NAMES",
    "EV_JOIN",
    "EV_START",
    "EV_WAIT",
    "K_ABANDON",
    "K_COMPLETE",
    "K_OUTCOME",
    "NO",
    "N_EVENTS",
    "N_VERBS",
    "STREAM_SERVICES",
    "Outcomes",
    "QueueState",
    "ServiceSystem",
    "ServiceTable",
    "ServiceTime",
    "Verb",
    "serve_day",
    "serve_day_parallel",
]
