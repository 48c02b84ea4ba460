"""``ServiceSystem``: the state of every service (queues, servers, calendar, counts) and its
daily step, over the kernels of :mod:`corredor.engine.services.kernels`."""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt

from corredor.engine.agents import AgentTable
from corredor.engine.rng import stream_key_np
from corredor.engine.services.kernels import (
    _TARGET_PROBLEMS,
    _bucket_length,
    _check_targets,
    _due,
    _join_checked,
    _join_queues,
    _plan_day,
    _push,
    _schedule,
    _stocks_into,
    _withdraw,
    outcome_cumulative,
    serve_day_serial,
    serve_day_threads,
)
from corredor.engine.services.table import (
    _IN_SERVICE,
    _QUEUED,
    _SERVERS,
    N_EVENTS,
    NO,
    STREAM_SERVICES,
    Outcomes,
    ServiceTable,
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


#: People held in all services (queued or in service) from which :meth:`ServiceSystem.serve_day`
#: serves the services on numba's threads when ``parallel`` is None (below: on the calling
#: thread, where waking the others costs more than the work). The full-scale built-in corridor
#: holds about 58,000 a day, the web's reduced-scale preview about 1,200.
PARALLEL_FROM = 20_000


def _pow2(n: int) -> int:
    return 1 << max(int(n) - 1, 0).bit_length()


class ServiceSystem:
    """The state of every service: queues, servers, calendar, event counts and daily stocks.

    The agent state lives in the model's :class:`AgentTable`, which must contain
    :data:`AGENT_COLUMNS` (and ``group_column`` when the table has several outcome groups).
    :meth:`serve_day` must be called for every day from ``start_day`` on, in order.

    ``parallel``: True serves the services on numba's threads every day (in bins of about equal
    work, one per thread: ``kernels.serve_day_threads``), False on the calling thread, None
    (the default) on the threads on days holding at least :data:`PARALLEL_FROM` people. The
    results are the same bits on any number of threads.
    """

    def __init__(
        self,
        table: ServiceTable,
        *,
        seed: int,
        start_day: int = 0,
        group_column: str | None = None,
        parallel: bool | None = None,
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
        self._n_classes = np.asarray(table.n_classes, dtype=np.int64).copy()
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
        self._cum = np.zeros((0, 0, 0))  # today's cumulative outcome tables (_table_arrays)
        self._fallback = np.zeros((0, 0), dtype=np.int64)

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

    def join(
        self,
        agents: AgentTable,
        ids: npt.ArrayLike,
        service: npt.ArrayLike,
        cls: npt.ArrayLike = 0,
        *,
        day: int,
    ) -> None:
        """:meth:`withdraw` the agents from whatever queue, service or wait they are in, then
        :meth:`enqueue` them (the same state and events as the two calls, checked in one pass:
        a day's joins cost one kernel call, not two calls' dozen NumPy calls)."""
        ids_ = np.asarray(ids, dtype=np.int32).ravel()
        n = ids_.shape[0]
        if n == 0:
            return
        s, c = _per_agent(service, n), _per_agent(cls, n)
        A = self._agent_cols(agents)
        queues = np.empty(n, dtype=np.int32)
        ev = self._ev_row(day)
        bad = _join_checked(
            ids_,
            s,
            c,
            agents.n,
            self._n_classes,
            A[5],
            self.table.n_groups if self.group_column is not None else -1,
            self.qbase,
            queues,
            int(day),
            self._queues(),
            A,
            self.queue_service,
            ev,
            self._busy,
            self._wait_live,
        )
        if bad == 0:
            return
        if bad & 63:
            self._refuse(bad)
        self._reserve_queues(np.bincount(queues, minlength=self._qlive.shape[0]))
        _join_queues(
            ids_, queues, int(day), self._queues(), A, self.queue_service, ev, self._busy,
            self._wait_live,
        )  # fmt: skip

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
        # servers and record space for today (one kernel; the slots grow on the rare day
        # a SERVERS service can use more servers than it has slots)
        S = self._busy.shape[0]
        roff = np.empty(S + 1, dtype=np.int64)
        nrec = np.empty(S, dtype=np.int64)
        t = self.table
        if not _plan_day(
            self._qlive, self.qbase, self._busy, t.model, t.capacity, self._slot_off, roff, nrec
        ):
            self._reserve_slots(np.add.reduceat(self._qlive, self.qbase[:-1]))
        if roff[-1] > self._R[0].shape[0]:
            self._R = self._record_buffers(max(int(roff[-1]), 2 * self._R[0].shape[0]))
        stocks = self._stocks[day - self.start_day]
        threads = nb.get_num_threads()
        parallel = self.parallel
        if parallel is None:
            parallel = threads > 1 and roff[-1] >= PARALLEL_FROM
        # the cumulative tables, serving, records moved together and stocks in one kernel
        args = (
            day, self._keys, self.table.outcome_p, self._table_arrays(cumulate=False),
            self._queues(), self._servers(), A, self._R, roff, nrec, ev, self._wait_live, stocks,
        )  # fmt: skip
        n = serve_day_threads(*args, threads) if parallel else serve_day_serial(*args)
        self._next_day = day + 1
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
        out = np.empty((self._busy.shape[0], 3), dtype=np.int64)
        _stocks_into(self._qlive, self.qbase, self._busy, self._wait_live, out)
        return out

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
        if not (t.capacity >= 0).all():  # NaN too
            raise ValueError("service capacity must be >= 0 (inf = unlimited)")
        if t.capacity.dtype != np.float64 or t.capacity.shape != (t.n_services,):
            raise ValueError("ServiceTable.capacity must stay a float64 array of one per service")

    def _table_arrays(self, *, cumulate: bool = True) -> tuple[Any, ...]:
        t = self.table
        # today's cumulative outcome tables, in buffers kept between days (kernel twin:
        # twin.outcome_cumulative_np; NumPy's cumsum along the 11 verbs cost ~0.1 ms a day);
        # cumulate=False: the caller's kernel fills them
        if self._cum.shape != t.outcome_p.shape:
            self._cum = np.empty(t.outcome_p.shape)
            self._fallback = np.empty(t.outcome_p.shape[:2], dtype=np.int64)
        cum, fallback = self._cum, self._fallback
        if cumulate:
            outcome_cumulative(t.outcome_p, cum, fallback)
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
        group = self.group_column
        bad = _check_targets(
            ids_,
            s,
            c,
            agents.n,
            np.asarray(self.table.n_classes, dtype=np.int64),
            agents.raw("svc_state"),
            agents.raw(group) if group is not None else self._no_group,
            self.table.n_groups if group is not None else -1,
        )
        if bad:
            self._refuse(bad)
        return ids_, (self.qbase[s] + c).astype(np.int32)

    def _refuse(self, bad: int) -> None:
        """Raise the first problem of a request's check bits (``kernels._check_targets``)."""
        for bit, message in _TARGET_PROBLEMS:
            if bad & bit:
                raise ValueError(message)
        raise ValueError(f"{self.group_column} out of range of the outcome groups")

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
