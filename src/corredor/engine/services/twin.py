"""NumPy/Python twin of the service kernels: the readable specification and the tests' oracle.

It keeps its own state in plain Python structures — a list per queue holding only the agents
still queued, a list per service of the agents in service in start order, a dict of day ->
returns — and draws whole phases at once with :func:`uniform_from_key_np`. It shares no code path
with :mod:`corredor.engine.services` except the table, the constants and the random stream, and
must give the same outcomes, events and queues bit for bit. It is slow (removal from a list is
O(queue)); never use it in a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from corredor.engine import services as sv
from corredor.engine.agents import AgentTable
from corredor.engine.rng import stream_key_np, uniform_from_key_np


def outcome_cumulative_np(
    p: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """The NumPy twin of :func:`corredor.engine.services.kernels.outcome_cumulative`: the
    cumulative outcome probabilities and each row's last possible verb."""
    cum = np.cumsum(p, axis=2)
    fallback = (sv.N_VERBS - 1 - np.argmax(p[:, :, ::-1] > 0, axis=2)).astype(np.int64)
    return cum, fallback


class ServicesTwin:
    """Same rules and public methods as :class:`~corredor.engine.services.ServiceSystem`."""

    def __init__(
        self,
        table: sv.ServiceTable,
        *,
        seed: int,
        start_day: int = 0,
        group_column: str | None = None,
    ) -> None:
        self.table = table
        self.seed = seed
        self.start_day = start_day
        self.group_column = group_column
        self.qbase = [0, *np.cumsum(table.n_classes).tolist()]
        n_q = self.qbase[-1]
        self.queue_service = [s for s in range(table.n_services) for _ in range(table.n_classes[s])]
        self.queues: list[list[int]] = [[] for _ in range(n_q)]
        self.serving: list[list[int]] = [[] for _ in range(table.n_services)]
        self.calendar: dict[int, list[tuple[int, int]]] = {}
        self.where: dict[int, tuple[int, int]] = {}  # agent -> (QueueState, queue)
        self.joined: dict[int, int] = {}
        self.started: dict[int, int] = {}
        self.credit = [0.0] * table.n_services
        self.ev: dict[int, npt.NDArray[np.int64]] = {}
        self.next_day = start_day

    # ------------------------------------------------------------------ operations
    def enqueue(
        self,
        agents: AgentTable,
        ids: npt.ArrayLike,
        service: npt.ArrayLike,
        cls: npt.ArrayLike = 0,
        *,
        day: int,
    ) -> None:
        for a, q in self._targets(ids, service, cls):
            self._join(a, q, day)

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
        targets = self._targets(ids, service, cls)
        days = np.broadcast_to(np.asarray(until_day), (len(targets),))
        for (a, q), d in zip(targets, days.tolist(), strict=True):
            assert d >= self.next_day
            self.calendar.setdefault(d, []).append((a, q))
            self.where[a] = (sv.QueueState.WAITING, q)
            self.joined[a] = day
            self._count(day, self.queue_service[q], sv.EV_WAIT)

    def withdraw(self, agents: AgentTable, ids: npt.ArrayLike) -> None:
        for a in np.asarray(ids).ravel().tolist():
            state, q = self.where.pop(a, (sv.QueueState.NONE, -1))
            if state == sv.QueueState.QUEUED:
                self.queues[q].remove(a)
            elif state == sv.QueueState.IN_SERVICE:
                self.serving[self.queue_service[q]].remove(a)
            elif state == sv.QueueState.WAITING:
                for bucket in self.calendar.values():
                    if (a, q) in bucket:
                        bucket.remove((a, q))

    def join(
        self,
        agents: AgentTable,
        ids: npt.ArrayLike,
        service: npt.ArrayLike,
        cls: npt.ArrayLike = 0,
        *,
        day: int,
    ) -> None:
        self.withdraw(agents, ids)
        self.enqueue(agents, ids, service, cls, day=day)

    def serve_day(self, agents: AgentTable, day: int) -> sv.Outcomes:
        assert day == self.next_day
        t = self.table
        groups = None if self.group_column is None else agents.raw(self.group_column)
        cum = np.cumsum(t.outcome_p, axis=2)
        records: list[tuple[int, int, int, int, int]] = []
        for a, q in self.calendar.pop(day, []):
            self._join(a, q, day)
        for s in range(t.n_services):
            key = stream_key_np(self.seed, sv.STREAM_SERVICES + s)
            qs = range(self.qbase[s], self.qbase[s + 1])
            servers = t.model[s] == sv.ServiceTime.SERVERS
            # 1. completions: P(complete today) = 1 / mean_days
            if servers and self.serving[s]:
                ins = np.array(self.serving[s], dtype=np.int64)
                done = uniform_from_key_np(key, day, ins, sv.K_COMPLETE) < 1.0 / t.mean_days[s]
                verbs = self._verbs(cum, s, ins[done], day, key, groups)
                for a, v in zip(ins[done].tolist(), verbs, strict=True):
                    records.append((a, v, s, self.joined[a], self.started[a]))
                    self._leave(a, day, s, v)
                self.serving[s] = ins[~done].tolist()
            # 2. how many agents can be taken from the queues today
            live = sum(len(self.queues[q]) for q in qs)
            if servers:
                c, busy = t.capacity[s], len(self.serving[s])
                n_free = live if c >= busy + live else max(int(np.floor(c)) - busy, 0)
            else:
                avail = self.credit[s] + t.capacity[s]
                whole = np.floor(avail + 1e-9)
                n_free = live if whole >= live else int(whole)
                self.credit[s] = max(avail - whole, 0.0) if avail < np.inf else 0.0
            taken: list[int] = []
            for q in qs:  # priority order, FIFO within a class
                k = min(n_free, len(self.queues[q]))
                taken += self.queues[q][:k]
                del self.queues[q][:k]
                n_free -= k
            for a in taken:
                self.started[a] = day
            if servers:
                for a in taken:
                    self.where[a] = (sv.QueueState.IN_SERVICE, self.where[a][1])
                    self._count(day, s, sv.EV_START)
                self.serving[s] += taken
            else:
                tk = np.array(taken, dtype=np.int64)
                for a, v in zip(taken, self._verbs(cum, s, tk, day, key, groups), strict=True):
                    records.append((a, v, s, self.joined[a], day))
                    self._leave(a, day, s, v)
            # 3. abandonment: P = hazard for every agent still queued
            h = t.abandon_hazard[s]
            if h > 0:
                for q in qs:
                    arr = np.array(self.queues[q], dtype=np.int64)
                    gone = uniform_from_key_np(key, day, arr, sv.K_ABANDON) < h
                    for a in arr[gone].tolist():
                        records.append((a, int(sv.Verb.ABANDON), s, self.joined[a], -1))
                        self._leave(a, day, s, int(sv.Verb.ABANDON))
                    self.queues[q] = arr[~gone].tolist()
        self.next_day = day + 1
        rec = np.array(records, dtype=np.int64).reshape(-1, 5)
        return sv.Outcomes(
            agent=rec[:, 0].astype(np.int32),
            verb=rec[:, 1].astype(np.int8),
            service=rec[:, 2].astype(np.int32),
            day=np.full(rec.shape[0], day, dtype=np.int32),
            joined=rec[:, 3].astype(np.int32),
            started=rec[:, 4].astype(np.int32),
        )

    # ------------------------------------------------------------------ people and events
    def stocks(self) -> npt.NDArray[np.int64]:
        out = np.zeros((self.table.n_services, 3), dtype=np.int64)
        for q, items in enumerate(self.queues):
            out[self.queue_service[q], 0] += len(items)
        for s, items in enumerate(self.serving):
            out[s, 1] = len(items)
        for bucket in self.calendar.values():
            for _, q in bucket:
                out[self.queue_service[q], 2] += 1
        return out

    def events(self, n_days: int) -> npt.NDArray[np.int64]:
        out = np.zeros((n_days, self.table.n_services, sv.N_EVENTS), dtype=np.int64)
        for d, row in self.ev.items():
            out[d - self.start_day] = row
        return out

    def queue_contents(self, service: int, cls: int = 0) -> list[int]:
        return list(self.queues[self.qbase[service] + cls])

    def in_service_agents(self, service: int) -> list[int]:
        return list(self.serving[service])

    # ------------------------------------------------------------------ helpers
    def _targets(
        self, ids: npt.ArrayLike, service: npt.ArrayLike, cls: npt.ArrayLike
    ) -> list[tuple[int, int]]:
        a = np.asarray(ids).ravel()
        s = np.broadcast_to(np.asarray(service), a.shape)
        c = np.broadcast_to(np.asarray(cls), a.shape)
        return [
            (int(x), self.qbase[int(y)] + int(z))
            for x, y, z in zip(a.tolist(), s.tolist(), c.tolist(), strict=True)
        ]

    def _join(self, a: int, q: int, day: int) -> None:
        self.queues[q].append(a)
        self.where[a] = (sv.QueueState.QUEUED, q)
        self.joined[a] = day
        self._count(day, self.queue_service[q], sv.EV_JOIN)

    def _leave(self, a: int, day: int, s: int, verb: int) -> None:
        del self.where[a]
        self._count(day, s, verb)

    def _count(self, day: int, s: int, kind: int) -> None:
        row = self.ev.setdefault(day, np.zeros((self.table.n_services, sv.N_EVENTS), np.int64))
        row[s, kind] += 1

    def _verbs(
        self,
        cum: npt.NDArray[np.float64],
        s: int,
        agents: npt.NDArray[np.int64],
        day: int,
        key: np.uint64,
        groups: npt.NDArray[Any] | None,
    ) -> Sequence[int]:
        """Verb = min{v : u < cumulative p[v]}; if rounding leaves none, the last possible."""
        if agents.shape[0] == 0:
            return []
        g = np.zeros(agents.shape[0], np.int64) if groups is None else groups[agents]
        rows = cum[s, g]  # (n, V)
        u = uniform_from_key_np(key, day, agents, sv.K_OUTCOME)
        hit = u[:, None] < rows
        possible = self.table.outcome_p[s, g] > 0
        last = sv.N_VERBS - 1 - np.argmax(possible[:, ::-1], axis=1)
        verb = np.where(hit.any(axis=1), np.argmax(hit, axis=1), last)
        return [int(v) for v in verb]
