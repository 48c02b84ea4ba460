"""The numba kernels of :mod:`corredor.engine.services`: one day of every service, queue pushes
and withdrawals, the calendar of dated returns. Their twin is
:mod:`corredor.engine.services.twin`."""

from __future__ import annotations

import numba as nb
import numpy as np

from corredor.engine.rng import uniform_k
from corredor.engine.services.table import (
    _ABANDON,
    _EPS,
    _IN_SERVICE,
    _NONE,
    _QUEUED,
    _SERVERS,
    _WAITING,
    EV_JOIN,
    EV_START,
    EV_WAIT,
    K_ABANDON,
    K_COMPLETE,
    K_OUTCOME,
    NO,
)


# ===================================================================== numba kernels
@nb.njit(cache=True)
def outcome_cumulative(p, cum, fallback):  # type: ignore[no-untyped-def]
    """Per service and group: the running sum of the outcome probabilities ``p`` (S, G, V)
    into ``cum`` (the sum in verb order, as ``np.cumsum``) and the last verb with a positive
    probability into ``fallback`` (S, G; the last verb when none is). Twin:
    :func:`corredor.engine.services.twin.outcome_cumulative_np`."""
    S, G, V = p.shape
    for s in range(S):
        for g in range(G):
            acc = 0.0
            last = V - 1
            for v in range(V):
                acc += p[s, g, v]
                cum[s, g, v] = acc
            for v in range(V - 1, -1, -1):
                if p[s, g, v] > 0:
                    last = v
                    break
            fallback[s, g] = last


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


@nb.njit(cache=True)
def serve_day_serial(day, keys, p, T, Q, V, A, R, roff, nrec, ev, wait_live, stocks):
    """The serial day in one call: today's cumulative outcome tables from ``p``
    (:func:`outcome_cumulative` into ``T``'s buffers), :func:`serve_day`, the records moved
    together (:func:`_gather`; returns their number) and the stocks after serving
    (:func:`_stocks_into`)."""
    outcome_cumulative(p, T[5], T[6])
    for s in range(keys.shape[0]):
        _serve_service(s, day, keys, T, Q, V, A, R, roff, nrec, ev)
    n = _gather(roff, nrec, R)
    _stocks_into(Q[5], T[4], V[4], wait_live, stocks)
    return n


@nb.njit(parallel=True, cache=True)
def serve_day_parallel(day, keys, T, Q, V, A, R, roff, nrec, ev):
    """:func:`serve_day` with services on several threads (an agent is in one service at most,
    and draws are keyed on the agent, so the result does not depend on the thread count)."""
    for s in nb.prange(keys.shape[0]):
        _serve_service(s, day, keys, T, Q, V, A, R, roff, nrec, ev)


@nb.njit(parallel=True, cache=True)
def serve_day_binned(day, keys, T, Q, V, A, R, roff, nrec, ev, bin_off, bin_svc):
    """:func:`serve_day` with the services in bins (:func:`balance_bins`), one bin per thread:
    bin ``b`` serves ``bin_svc[bin_off[b]:bin_off[b + 1]]`` in turn. The services are
    independent (an agent is in one service at most, a service writes only its own queues,
    servers, counts and record block, and draws are keyed on the agent), so the result is
    :func:`serve_day`'s on any number of threads and bins."""
    for b in nb.prange(bin_off.shape[0] - 1):
        for j in range(bin_off[b], bin_off[b + 1]):
            _serve_service(bin_svc[j], day, keys, T, Q, V, A, R, roff, nrec, ev)


@nb.njit(parallel=True, cache=True)
def serve_day_threads(day, keys, p, T, Q, V, A, R, roff, nrec, ev, wait_live, stocks, n_bins):  # type: ignore[no-untyped-def]
    """:func:`serve_day_serial` with the services served in ``n_bins`` bins on numba's threads
    (:func:`balance_bins`, :func:`serve_day_binned`): the same results and return value."""
    outcome_cumulative(p, T[5], T[6])
    S = keys.shape[0]
    bin_off = np.empty(n_bins + 1, dtype=np.int64)
    bin_svc = np.empty(S, dtype=np.int64)
    balance_bins(roff, n_bins, bin_off, bin_svc)
    for b in nb.prange(n_bins):
        for j in range(bin_off[b], bin_off[b + 1]):
            _serve_service(bin_svc[j], day, keys, T, Q, V, A, R, roff, nrec, ev)
    n = _gather(roff, nrec, R)
    _stocks_into(Q[5], T[4], V[4], wait_live, stocks)
    return n


@nb.njit(cache=True)
def balance_bins(roff, n_bins, bin_off, bin_svc):
    """Services into ``n_bins`` bins of about equal work (the people each holds today,
    ``roff[s + 1] - roff[s]``): largest first, each into the bin with the least so far (ties:
    the lowest bin). ``bin_off`` (n_bins + 1) and ``bin_svc`` (S) are filled: bin ``b`` is
    ``bin_svc[bin_off[b]:bin_off[b + 1]]``, in increasing service order."""
    S = roff.shape[0] - 1
    held = np.empty(S, dtype=np.int64)
    for s in range(S):
        held[s] = roff[s + 1] - roff[s]
    order = np.argsort(-held, kind="mergesort")
    load = np.zeros(n_bins, dtype=np.int64)
    which = np.empty(S, dtype=np.int64)
    for j in range(S):
        s = order[j]
        b = 0
        for k in range(1, n_bins):
            if load[k] < load[b]:
                b = k
        which[s] = b
        load[b] += held[s]
    bin_off[0] = 0
    for b in range(n_bins):
        bin_off[b + 1] = bin_off[b]
        for s in range(S):
            if which[s] == b:
                bin_svc[bin_off[b + 1]] = s
                bin_off[b + 1] += 1


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
def _join_queues(ids, queues, day, Q, A, queue_service, ev, busy, wait_live):
    """:func:`_withdraw` then :func:`_push` in one call (``ServiceSystem.join``)."""
    _withdraw(ids, Q[5], busy, wait_live, queue_service, A)
    _push(ids, queues, day, Q, A, queue_service, ev)


@nb.njit(cache=True)
def _join_checked(  # type: ignore[no-untyped-def]
    ids, services, classes, n_agents, n_classes, group, n_groups, qbase, queues, day, Q, A,
    queue_service, ev, busy, wait_live,
):  # fmt: skip
    """:func:`_check_join`, then, when it finds nothing, :func:`_join_queues`: a join in one
    call. Returns the check's bits (not 0: nothing was changed)."""
    bad = _check_join(ids, services, classes, n_agents, n_classes, group, n_groups, qbase, Q,
                      queues)  # fmt: skip
    if bad == 0:
        _join_queues(ids, queues, day, Q, A, queue_service, ev, busy, wait_live)
    return bad


@nb.njit(cache=True)
def _check_join(ids, services, classes, n_agents, n_classes, group, n_groups, qbase, Q, queues):
    """The checks of :func:`_check_targets` but bit 8 (the agents are withdrawn before they are
    queued again), with each agent's queue written to ``queues``; bit 64: a ring has no room
    for its new entries (the caller grows it)."""
    bits = np.empty(ids.shape[0], dtype=np.int8)
    bad = _request_bits(ids, services, classes, n_agents, n_classes, group, n_groups, bits)
    for j in range(ids.shape[0]):
        if bits[j] & 7 == 0:
            queues[j] = qbase[services[j]] + classes[j]
    if bad & 1 == 0 and _has_twice(ids):
        bad |= 16
    if bad == 0:
        _qbuf, _qoff, qmask, qhead, qtail, _qlive = Q
        need = np.zeros(qhead.shape[0], dtype=np.int64)
        for j in range(queues.shape[0]):
            need[queues[j]] += 1
        for q in range(need.shape[0]):
            if need[q] and qtail[q] - qhead[q] + need[q] > qmask[q] + 1:
                bad |= 64
    return bad


@nb.njit(cache=True)
def _plan_day(qlive, qbase, busy, model, capacity, slot_off, roff, nrec):
    """The day's record layout before :func:`serve_day`: ``roff`` (S + 1) the running sum of
    the people each service holds (in service and queued; an upper bound of its records),
    ``nrec`` zeroed. Returns False when a SERVERS service has fewer slots than the servers it
    can use today (``⌊min(capacity, held)⌋``; the caller grows them)."""
    ok = True
    roff[0] = 0
    for s in range(busy.shape[0]):
        live = 0
        for q in range(qbase[s], qbase[s + 1]):
            live += qlive[q]
        held = busy[s] + live
        roff[s + 1] = roff[s] + held
        nrec[s] = 0
        if model[s] == _SERVERS:
            want = np.floor(min(capacity[s], float(held)))
            if want > slot_off[s + 1] - slot_off[s]:
                ok = False
    return ok


@nb.njit(cache=True)
def _stocks_into(qlive, qbase, busy, wait_live, out):
    """People per service × (queued, in service, waiting) into ``out`` (S, 3)."""
    for s in range(busy.shape[0]):
        queued = 0
        waiting = 0
        for q in range(qbase[s], qbase[s + 1]):
            queued += qlive[q]
            waiting += wait_live[q]
        out[s, 0] = queued
        out[s, 1] = busy[s]
        out[s, 2] = waiting


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
def _request_bits(ids, services, classes, n_agents, n_classes, group, n_groups, bits):
    """The problems of each entry ``j`` of a request as bits into ``bits[j]``, and all of them
    together (:func:`_check_targets`): 1 the agent id out of range (nothing else checked),
    2 the service out of range, else 4 the class out of range for it; 32 the agent's group out
    of range (``n_groups < 0``: none). One call for the whole request (a call per entry made
    the checks several times slower)."""
    bad = 0
    for j in range(ids.shape[0]):
        a = ids[j]
        if a < 0 or a >= n_agents:
            bits[j] = 1
            bad |= 1
            continue
        b = 0
        sv = services[j]
        if sv < 0 or sv >= n_classes.shape[0]:
            b |= 2
        elif classes[j] < 0 or classes[j] >= n_classes[sv]:
            b |= 4
        if n_groups >= 0 and (group[a] < 0 or group[a] >= n_groups):
            b |= 32
        bits[j] = b
        bad |= b
    return bad


@nb.njit(cache=True)
def _has_twice(ids):
    """Whether an agent appears twice in ``ids``."""
    if ids.shape[0] > 1:
        srt = np.sort(ids)
        for j in range(1, srt.shape[0]):
            if srt[j] == srt[j - 1]:
                return True
    return False


@nb.njit(cache=True)
def _check_targets(ids, services, classes, n_agents, n_classes, state, group, n_groups):
    """The problems of an enqueue request as bits, checked in one pass: 1 an agent id out of
    range, 2 a service out of range, 4 a class out of range, 8 an agent already in a queue, in
    service or waiting, 16 an agent twice, 32 a group out of range (``n_groups < 0``: none)."""
    bits = np.empty(ids.shape[0], dtype=np.int8)
    bad = _request_bits(ids, services, classes, n_agents, n_classes, group, n_groups, bits)
    for j in range(ids.shape[0]):
        if bits[j] & 1 == 0 and state[ids[j]] != _NONE:
            bad |= 8
    if bad & 1 == 0 and _has_twice(ids):
        bad |= 16
    return bad


_TARGET_PROBLEMS = (
    (1, "agent id out of range"),
    (2, "service index out of range"),
    (4, "priority class out of range for its service"),
    (8, "an agent is already queued, in service or waiting; withdraw it"),
    (16, "an agent appears twice"),
)
