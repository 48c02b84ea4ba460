"""Numba kernels over the corridor's active agents, each with its NumPy twin (the test oracle).

The active set (agents in ``TRAVEL``, ``BORDER``, ``SERVICE`` or ``CROSSING``) is large, and the
day's processes each used to make several whole-array NumPy passes over it (a gather of
``phase``, a mask, a fancy-index, a bincount, ...). These kernels do each process's passes in one
loop over the active ids, in the same order, with the same results bit for bit
(``tests/unit/test_corridor_active.py``):

* :func:`enforce_draws` who is apprehended today, and who entered the destination (enforce;
  :func:`enforce_draws_parallel` on numba's threads);
* :func:`keep_active`   the active set without agents that left it (enforce);
* :func:`merge_ids`     the active set with the agents who leave home again today (redepart);
* :func:`decide_lists`  who decides today: travellers at a place, people in a border city, people
  waiting for a dated hearing (decide);
* :func:`office_choice` the office each traveller at a place applies to today (decide);
* :func:`border_choice` what people in a border city do today (decide);
* :func:`move_inputs`   the exposed agents and the movement kernel's per-agent inputs (move);
* :func:`new_at_border` exposed agents that reached their border city today (move);
* :func:`rows_in_use`   the choice-table rows the movers use today, and each mover's index
  into them (move);
* :func:`drain_hops`    per hop, the agents with an arrival or a harm and where (move's events),
  resetting the table to -1 (so that the movement kernel's event tables are allocated once);
* :func:`active_stocks` people per phase, per place (and nationality) outside services, stranded
  in border cities and waiting for a hearing (census; :func:`active_stocks_parallel` on
  numba's threads).

The kernels are serial: they are single passes bounded by memory, and a serial loop keeps the order
of the ids (which the twins' boolean masks keep too). Two have a parallel version for the large
days (their processes choose by the day's size): :func:`enforce_draws_parallel` (each agent's
outcome into its own entry, then the lists made in order) and :func:`active_stocks_parallel`
(blocks of the active set counted into their own rows, then added up); the same results on
any number of threads. The active set is kept in increasing id
order (new agents have the largest ids and are appended; agents who leave home again are merged
in by :func:`merge_ids`), so that every pass reads the agent columns front to back: at full
scale the active ids are spread over millions of rows, and in id order the memory is read
ahead of the loop instead of in jumps (the results do not depend on the order: every draw is
keyed by the agent's id, every count is a sum, and a service's queue takes the agents who join
it together in id order). Some loops are written without branches on the agents' state (every
candidate is written, the count advances if it qualifies; counts add a 0 or 1): the phases of
consecutive active agents are mixed, and a mispredicted branch costs more than a load from a
small table. :func:`decide_lists`, :func:`move_inputs` and :func:`active_stocks` branch on
the phase instead: most active agents are in a service, and the columns a service agent does
not need would each be a cache miss (measured on the built-in corridor after 1,200 days:
1.3 → 0.9 and 1.7 → 1.2 ms a day for the last two).
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

from corredor.engine.rng import uniform_from_key_np, uniform_k

#: phase codes (corredor.rules.corridor.state.Phase)
TRAVEL, BORDER, SERVICE, CROSSING = 0, 1, 2, 3
#: svc_state codes (corredor.engine.services.QueueState)
QUEUED, WAITING = 1, 3

IntArray = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]
Int8Array = npt.NDArray[np.int8]
FloatArray = npt.NDArray[np.float64]


# ---------------------------------------------------------------------- enforce
@nb.njit(cache=True)
def enforce_draws(  # type: ignore[no-untyped-def]
    ids, expo, zone, status, protected_status, zone_in_dest, phase, link, loc, loc_in_dest,
    key, day,
):  # fmt: skip
    """Apprehensions on today's exposure: agent ``ids[i]`` (exposure ``expo[i]`` in zone
    ``zone[i]``, -1: none) is caught if ``uniform(key, day, agent, 0) < 1 - exp(-expo)``, unless
    its status protects it outside the destination. Returns the positions caught and the agents
    not caught that ended a crossing in the destination (``CROSSING``, at a place there)."""
    n = ids.shape[0]
    caught = np.empty(n, dtype=np.int64)
    entered = np.empty(n, dtype=ids.dtype)
    nc = ne = 0
    for i in range(n):
        a = ids[i]
        z = zone[i]
        hit = False
        if z >= 0 and not (protected_status[status[a]] and not zone_in_dest[z]):
            # caught iff u < 1 - exp(-x), which is at most x < 2x (x >= 0): the exponential
            # only for the draws below 2x (the same bits; x < 0 or NaN: never caught)
            x = expo[i]
            u = uniform_k(key, day, a, 0)
            hit = u < 2.0 * x and u < -np.expm1(-x)
        if hit:
            caught[nc] = i
            nc += 1
        elif phase[a] == CROSSING and link[a] < 0 and loc_in_dest[loc[a]]:
            entered[ne] = a
            ne += 1
    return caught[:nc].copy(), entered[:ne].copy()


@nb.njit(cache=True, parallel=True)
def enforce_draws_parallel(  # type: ignore[no-untyped-def]
    ids, expo, zone, status, protected_status, zone_in_dest, phase, link, loc, loc_in_dest,
    key, day,
):  # fmt: skip
    """:func:`enforce_draws` with the agents on several threads: each writes only its own
    entry of a table of outcomes (1 caught, 2 entered), read in order afterwards, so the
    results are :func:`enforce_draws`' on any number of threads (draws are keyed on the
    agent). (The test of one agent is written out here as in :func:`enforce_draws`: shared as
    an inlined function, both loops ran several times slower.)"""
    n = ids.shape[0]
    what = np.empty(n, dtype=np.int8)
    for i in nb.prange(n):
        a = ids[i]
        z = zone[i]
        hit = False
        if z >= 0 and not (protected_status[status[a]] and not zone_in_dest[z]):
            x = expo[i]
            u = uniform_k(key, day, a, 0)
            hit = u < 2.0 * x and u < -np.expm1(-x)
        what[i] = 1 if hit else 0
        if not hit and phase[a] == CROSSING and link[a] < 0 and loc_in_dest[loc[a]]:
            what[i] = 2
    nc = ne = 0
    for i in range(n):
        nc += what[i] == 1
        ne += what[i] == 2
    caught = np.empty(nc, dtype=np.int64)
    entered = np.empty(ne, dtype=ids.dtype)
    nc = ne = 0
    for i in range(n):
        if what[i] == 1:
            caught[nc] = i
            nc += 1
        elif what[i] == 2:
            entered[ne] = ids[i]
            ne += 1
    return caught, entered


def enforce_draws_np(
    ids: IntArray,
    expo: FloatArray,
    zone: IntArray,
    status: Int8Array,
    protected_status: npt.NDArray[np.bool_],
    zone_in_dest: npt.NDArray[np.bool_],
    phase: Int8Array,
    link: IntArray,
    loc: IntArray,
    loc_in_dest: npt.NDArray[np.bool_],
    key: np.uint64,
    day: int,
) -> tuple[Int64Array, IntArray]:
    """The NumPy twin of :func:`enforce_draws`."""
    protected = protected_status[status[ids]] & ~zone_in_dest[np.maximum(zone, 0)]
    p = -np.expm1(-expo)
    u = uniform_from_key_np(key, day, ids.astype(np.int64), 0)
    caught = (u < p) & (zone >= 0) & ~protected
    entered = ids[~caught & (phase[ids] == CROSSING) & (link[ids] < 0)]
    return np.flatnonzero(caught), entered[loc_in_dest[loc[entered]]]


@nb.njit(cache=True)
def keep_active(active, phase):  # type: ignore[no-untyped-def]
    """``active`` without agents whose phase is no longer active (in place; a view of it)."""
    n = 0
    for i in range(active.shape[0]):
        a = active[i]
        active[n] = a
        n += phase[a] <= CROSSING
    return active[:n]


def keep_active_np(active: IntArray, phase: npt.NDArray[np.int8]) -> IntArray:
    """The NumPy twin of :func:`keep_active` (a new array)."""
    return active[np.isin(phase[active], (TRAVEL, BORDER, SERVICE, CROSSING))]


# ---------------------------------------------------------------------- join
@nb.njit(cache=True)
def merge_ids(active, ids):  # type: ignore[no-untyped-def]
    """``active`` and ``ids``, both in increasing order, merged in increasing order (a new
    array; on a tie the entry of ``active`` comes first). The runs of ``active`` between two
    of the (few) ``ids`` are copied as blocks. Inputs out of order still give every entry of
    both once (in some order)."""
    n, m = active.shape[0], ids.shape[0]
    out = np.empty(n + m, dtype=active.dtype)
    pos = np.searchsorted(active, ids, side="right")
    prev = 0
    for j in range(m):
        p = max(pos[j], prev)
        out[prev + j : p + j] = active[prev:p]
        out[p + j] = ids[j]
        prev = p
    out[prev + m :] = active[prev:]
    return out


def merge_ids_np(active: IntArray, ids: IntArray) -> IntArray:
    """The NumPy twin of :func:`merge_ids`."""
    out: IntArray = np.sort(np.concatenate([active, ids.astype(active.dtype)]), kind="stable")
    return out


# ---------------------------------------------------------------------- decide
@nb.njit(cache=True)
def decide_lists(active, phase, link, svc_state):  # type: ignore[no-untyped-def]
    """(travellers at a place, people in a border city, people in a service waiting for a
    dated return), each in the order of ``active``. Branches on the phase: an agent's ``link``
    is read only while travelling, its ``svc_state`` only in a service (each a cache miss)."""
    n = active.shape[0]
    transit = np.empty(n, dtype=active.dtype)
    border = np.empty(n, dtype=active.dtype)
    waiting = np.empty(n, dtype=active.dtype)
    nt = nb_ = nw = 0
    for i in range(n):
        a = active[i]
        p = phase[a]
        if p == TRAVEL:
            if link[a] < 0:
                transit[nt] = a
                nt += 1
        elif p == BORDER:
            border[nb_] = a
            nb_ += 1
        elif p == SERVICE and svc_state[a] == WAITING:
            waiting[nw] = a
            nw += 1
    return transit[:nt].copy(), border[:nb_].copy(), waiting[:nw].copy()


def decide_lists_np(
    active: IntArray,
    phase: npt.NDArray[np.int8],
    link: IntArray,
    svc_state: npt.NDArray[np.int8],
) -> tuple[IntArray, IntArray, IntArray]:
    """The NumPy twin of :func:`decide_lists`."""
    ph = phase[active]
    transit = active[(ph == TRAVEL) & (link[active] < 0)]
    border = active[ph == BORDER]
    svc = active[ph == SERVICE]
    return transit, border, svc[svc_state[svc] == WAITING]


@nb.njit(cache=True)
def office_choice(ids, loc, group, status, group_nat, off_loc, off_svc, p, own_country, key, day):  # type: ignore[no-untyped-def]
    """The office each traveller at a place applies to today (-1: none): the open offices
    ``off_svc`` (at places ``off_loc``, in increasing service order) at the agent's place are
    tried in turn; the agent applies to the first one outside its own country, if it has no
    status yet and ``uniform(key, day, agent, 10 + service) < p[office, group]``."""
    n = ids.shape[0]
    K = off_svc.shape[0]
    out = np.full(n, -1, dtype=np.int32)
    for i in range(n):
        a = ids[i]
        x = loc[a]
        for k in range(K):
            if off_loc[k] != x:
                continue
            s = off_svc[k]
            g = group[a]
            if own_country[group_nat[g], s] or status[a] != 0:
                continue
            if uniform_k(key, day, a, 10 + s) < p[k, g]:
                out[i] = s
                break
    return out


def office_choice_np(
    ids: IntArray,
    loc: IntArray,
    group: npt.NDArray[np.int16],
    status: Int8Array,
    group_nat: IntArray,
    off_loc: Int64Array,
    off_svc: Int64Array,
    p: FloatArray,
    own_country: npt.NDArray[np.bool_],
    key: np.uint64,
    day: int,
) -> IntArray:
    """The NumPy twin of :func:`office_choice` (office by office, as the process did)."""
    out = np.full(ids.shape[0], -1, dtype=np.int32)
    here, g = loc[ids], group[ids].astype(np.int64)
    for k in range(off_svc.shape[0]):
        s = int(off_svc[k])
        eligible = ~own_country[group_nat[g], s] & (status[ids] == 0)
        u = uniform_from_key_np(key, day, ids.astype(np.int64), 10 + s)
        go = (here == off_loc[k]) & (out < 0) & eligible & (u < p[k, g])
        out[go] = s
    return out


@nb.njit(cache=True)
def border_choice(  # type: ignore[no-untyped-def]
    ids, loc, group, since, port_of_loc, attract, factor, p_port, p_cross, max_days, p_ret,
    p_set, key, day,
):  # fmt: skip
    """The choice of each agent in a border city (docs/model.md §3.3.6): 0 home, 1 settle, 2 apply
    at the port, 3 cross, 4 wait, and the port (-1: none). Probabilities: ``p_ret``, ``p_set``,
    ``p_port × attract[port, group] × factor[port]`` (0 without a port), ``p_cross`` (1 once
    the agent has waited ``max_days``), scaled to sum to at most 1, against
    ``uniform(key, day, agent, 2)``."""
    n = ids.shape[0]
    choice = np.empty(n, dtype=np.int64)
    port = np.empty(n, dtype=np.int64)
    for i in range(n):
        a = ids[i]
        s = port_of_loc[loc[a]]
        ps = max(s, 0)
        at = attract[ps, group[a]] if s >= 0 else 0.0
        pp = p_port * at * factor[ps]
        pc = 1.0 if day - np.int64(since[a]) >= max_days else p_cross
        d = max(((p_ret + p_set) + pp) + pc, 1.0)
        c0 = p_ret / d
        c1 = c0 + p_set / d
        c2 = c1 + pp / d
        c3 = c2 + pc / d
        u = uniform_k(key, day, a, 2)
        choice[i] = (u >= c0) + (u >= c1) + (u >= c2) + (u >= c3)
        port[i] = s
    return choice, port


def border_choice_np(
    ids: IntArray,
    loc: IntArray,
    group: npt.NDArray[np.int16],
    since: IntArray,
    port_of_loc: Int64Array,
    attract: FloatArray,
    factor: FloatArray,
    p_port: float,
    p_cross: float,
    max_days: float,
    p_ret: float,
    p_set: float,
    key: np.uint64,
    day: int,
) -> tuple[Int64Array, Int64Array]:
    """The NumPy twin of :func:`border_choice`."""
    n = ids.shape[0]
    g = group[ids].astype(np.int64)
    port = port_of_loc[loc[ids]]
    has_port = port >= 0
    ps = np.where(has_port, port, 0)
    pp = p_port * np.where(has_port, attract[ps, g], 0.0) * factor[ps]
    pc = np.full(n, p_cross)
    pc[day - since[ids].astype(np.int64) >= max_days] = 1.0
    # order: home, settle, port, cross (probabilities scaled to sum to at most 1)
    stack = np.stack([np.full(n, p_ret), np.full(n, p_set), pp, pc], axis=1)
    total = stack.sum(axis=1)
    stack /= np.maximum(total, 1.0)[:, None]
    cum = np.cumsum(stack, axis=1)
    u = uniform_from_key_np(key, day, ids.astype(np.int64), 2)
    return (u[:, None] >= cum).sum(axis=1).astype(np.int64), port


# ---------------------------------------------------------------------- move
@nb.njit(cache=True)
def move_inputs(active, phase, group, target, caravan, border_ix, caravan_hazard, rep):  # type: ignore[no-untyped-def]
    """The exposed agents (``TRAVEL``, ``BORDER``, ``CROSSING``, in the order of ``active``) and
    the movement kernel's inputs: group, choice-table row (``rep[group]`` × border cities +
    target: ``rep`` maps a group to the group whose table it shares), the target's place (-1:
    none), the phase before moving and the hazard multiplier (the caravan's while travelling,
    else 1). Two passes: the exposed agents (only their phase is
    read), then their inputs into arrays of their number (arrays of the active set's size,
    touched once and cut, cost more than the second pass)."""
    n = active.shape[0]
    B = border_ix.shape[0]
    exposed = np.empty(n, dtype=active.dtype)
    k = 0
    for i in range(n):
        a = active[i]
        p = phase[a]
        exposed[k] = a
        k += (p <= CROSSING) & (p != SERVICE)
    g = np.empty(k, dtype=np.int64)
    row = np.empty(k, dtype=np.int64)
    target_loc = np.empty(k, dtype=np.int64)
    was = np.empty(k, dtype=phase.dtype)
    mult = np.empty(k, dtype=np.float64)
    for j in range(k):
        a = exposed[j]
        p = phase[a]
        gk = np.int64(group[a])
        t = np.int64(target[a])
        g[j] = gk
        row[j] = rep[gk] * B + max(t, 0)
        target_loc[j] = (np.int64(border_ix[t]) if B > 0 else np.int64(-1)) if t >= 0 else -1
        was[j] = p
        mult[j] = caravan_hazard[caravan[a]] if p == TRAVEL else 1.0
    return exposed[:k].copy(), g, row, target_loc, was, mult


def move_inputs_np(
    active: IntArray,
    phase: npt.NDArray[np.int8],
    group: npt.NDArray[np.int16],
    target: npt.NDArray[np.int16],
    caravan: npt.NDArray[np.int16],
    border_ix: IntArray,
    caravan_hazard: npt.NDArray[np.float64],
    rep: Int64Array,
) -> tuple[IntArray, Int64Array, Int64Array, Int64Array, Int8Array, FloatArray]:
    """The NumPy twin of :func:`move_inputs`."""
    ph = phase[active]
    exposed = active[(ph == TRAVEL) | (ph == BORDER) | (ph == CROSSING)]
    g = group[exposed].astype(np.int64)
    tgt = target[exposed].astype(np.int64)
    row = rep[g] * len(border_ix) + np.maximum(tgt, 0)
    bix = border_ix if len(border_ix) else np.zeros(1, dtype=border_ix.dtype)
    target_loc = np.where(tgt >= 0, bix[np.maximum(tgt, 0)], -1).astype(np.int64)
    was = phase[exposed].copy()
    mult = np.where(was == TRAVEL, caravan_hazard[caravan[exposed]], 1.0)
    return exposed, g, row, target_loc, was, mult


@nb.njit(cache=True)
def new_at_border(exposed, was, phase):  # type: ignore[no-untyped-def]
    """The exposed agents now ``BORDER`` that were not before moving."""
    out = np.empty(exposed.shape[0], dtype=exposed.dtype)
    k = 0
    for i in range(exposed.shape[0]):
        a = exposed[i]
        if was[i] != BORDER and phase[a] == BORDER:
            out[k] = a
            k += 1
    return out[:k].copy()


def new_at_border_np(exposed: IntArray, was: Int8Array, phase: Int8Array) -> IntArray:
    """The NumPy twin of :func:`new_at_border`."""
    out: IntArray = exposed[(was != BORDER) & (phase[exposed] == BORDER)]
    return out


@nb.njit(cache=True)
def rows_in_use(row, was, n_rows):  # type: ignore[no-untyped-def]
    """The choice-table rows the movers use (agents not ``BORDER`` before moving: people in a
    border city do not choose links), in increasing order, and each agent's index into them
    (0 for those in a border city). Rows past ``n_rows`` count too (as in ``np.bincount``)."""
    n = row.shape[0]
    for i in range(n):
        if was[i] != BORDER and row[i] >= n_rows:
            n_rows = row[i] + 1
    present = np.zeros(n_rows, dtype=np.bool_)
    for i in range(n):
        if was[i] != BORDER:
            present[row[i]] = True
    local = np.zeros(n_rows, dtype=np.int64)
    used = np.empty(n_rows, dtype=np.int64)
    k = 0
    for r in range(n_rows):
        if present[r]:
            local[r] = k
            used[k] = r
            k += 1
    out = np.zeros(n, dtype=np.int64)
    for i in range(n):
        if was[i] != BORDER:
            out[i] = local[row[i]]
    return used[:k].copy(), out


def rows_in_use_np(row: Int64Array, was: Int8Array, n_rows: int) -> tuple[Int64Array, Int64Array]:
    """The NumPy twin of :func:`rows_in_use`."""
    moving = was != BORDER
    present = np.bincount(row[moving], minlength=n_rows) > 0
    local = np.cumsum(present) - 1
    out = np.zeros(row.shape[0], dtype=np.int64)
    out[moving] = local[row[moving]]
    return np.flatnonzero(present), out


@nb.njit(cache=True)
def drain_hops(table, rows, stop_at_empty):  # type: ignore[no-untyped-def]
    """``table`` (hops, n), -1 where nothing happened: ``off`` (hops + 1), ``idx`` and ``val``
    such that ``idx[off[h]:off[h + 1]]`` are the columns with an entry at hop ``h`` (in increasing
    order) and ``val`` their entries, and the number of rows read. The entries are reset to -1
    (the table can be reused). Only the first ``rows`` rows are read, and with
    ``stop_at_empty`` none after the first empty one: the caller knows the rest are empty
    (nobody moves on after a hop without an arrival)."""
    H, n = table.shape
    off = np.zeros(H + 1, dtype=np.int64)
    idx = np.empty(H * n, dtype=np.int64)
    val = np.empty(H * n, dtype=table.dtype)
    k = 0
    read = 0
    for h in range(H):
        if h < rows and not (stop_at_empty and h > 0 and off[h] == off[h - 1]):
            read += 1
            for i in range(n):
                v = table[h, i]
                if v >= 0:
                    idx[k] = i
                    val[k] = v
                    table[h, i] = -1
                    k += 1
        off[h + 1] = k
    return off, idx[:k].copy(), val[:k].copy(), read


def drain_hops_np(
    table: IntArray, rows: int, stop_at_empty: bool
) -> tuple[Int64Array, Int64Array, IntArray, int]:
    """The NumPy twin of :func:`drain_hops`."""
    H = table.shape[0]
    read = min(rows, H)
    if stop_at_empty:
        empty = np.flatnonzero(~(table[:read] >= 0).any(axis=1))
        read = min(read, int(empty[0]) + 1) if empty.shape[0] else read
    parts = [np.flatnonzero(table[h] >= 0) for h in range(read)]
    parts += [np.zeros(0, dtype=np.int64)] * (H - read)
    off = np.zeros(H + 1, dtype=np.int64)
    np.cumsum([p.shape[0] for p in parts], out=off[1:])
    idx = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
    hop = np.repeat(np.arange(H), np.diff(off))
    val = table[hop, idx]
    table[hop, idx] = -1
    return off, idx, val, read


# ---------------------------------------------------------------------- track
@nb.njit(inline="always", cache=True)
def _stocks_range(  # type: ignore[no-untyped-def]
    active, lo, hi, phase, loc, group, svc_state, svc_queue, group_nat, queue_is_port, N,
    phases, here, here_nat, stranded, waiting,
):  # fmt: skip
    """The counts of :func:`active_stocks` over ``active[lo:hi]``, added to the arrays given."""
    for i in range(lo, hi):
        a = active[i]
        p = phase[a]
        x = loc[a]
        phases[min(p, 4)] += 1
        if p == SERVICE:  # its group is not read; its queue only on a list
            st = svc_state[a]
            if st == WAITING:
                stranded[x] += 1
                waiting[x] += 1
            elif st == QUEUED and queue_is_port[max(svc_queue[a], 0)]:
                stranded[x] += 1
        else:  # its service columns are not read
            here[x] += 1
            here_nat[x * N + group_nat[group[a]]] += 1
            stranded[x] += np.int64(p == BORDER)


@nb.njit(cache=True)
def active_stocks(active, phase, loc, group, svc_state, svc_queue, group_nat, queue_is_port, L, N):  # type: ignore[no-untyped-def]
    """People per phase (the four active ones), per place outside services (``here``), per
    place × nationality outside services (``here_nat``, (L * N,)), stranded per place (in a
    border city, on a port's list, or waiting for a dated return) and waiting per place."""
    phases = np.zeros(5, dtype=np.int64)  # [4]: any other phase
    here = np.zeros(L, dtype=np.int64)
    here_nat = np.zeros(L * N, dtype=np.int64)
    stranded = np.zeros(L, dtype=np.int64)
    waiting = np.zeros(L, dtype=np.int64)
    _stocks_range(
        active, 0, active.shape[0], phase, loc, group, svc_state, svc_queue, group_nat,
        queue_is_port, N, phases, here, here_nat, stranded, waiting,
    )  # fmt: skip
    return phases[:4].copy(), here, here_nat, stranded, waiting


@nb.njit(cache=True, parallel=True)
def active_stocks_parallel(  # type: ignore[no-untyped-def]
    active, phase, loc, group, svc_state, svc_queue, group_nat, queue_is_port, L, N, chunks,
):  # fmt: skip
    """:func:`active_stocks` over ``chunks`` blocks of the active set on several threads, each
    counting into its own row, then the rows added up (integer sums: the same counts on any
    number of threads and chunks). A row holds the five counts one after the other and ends in
    64 bytes never written, so that two threads never write to one cache line (a shared line
    would go back and forth between the cores at every count)."""
    n = active.shape[0]
    C = max(chunks, 1)
    o1 = 5
    o2 = o1 + L
    o3 = o2 + L * N
    o4 = o3 + L
    o5 = o4 + L
    part = np.zeros((C, o5 + 8), dtype=np.int64)
    for c in nb.prange(C):
        row = part[c]
        _stocks_range(
            active, n * c // C, n * (c + 1) // C, phase, loc, group, svc_state, svc_queue,
            group_nat, queue_is_port, N, row[:o1], row[o1:o2], row[o2:o3], row[o3:o4],
            row[o4:o5],
        )  # fmt: skip
    total = part.sum(axis=0)
    return (
        total[:4].copy(),
        total[o1:o2].copy(),
        total[o2:o3].copy(),
        total[o3:o4].copy(),
        total[o4:o5].copy(),
    )


def active_stocks_np(
    active: IntArray,
    phase: npt.NDArray[np.int8],
    loc: IntArray,
    group: npt.NDArray[np.int16],
    svc_state: npt.NDArray[np.int8],
    svc_queue: IntArray,
    group_nat: IntArray,
    queue_is_port: npt.NDArray[np.bool_],
    L: int,
    N: int,
) -> tuple[Int64Array, Int64Array, Int64Array, Int64Array, Int64Array]:
    """The NumPy twin of :func:`active_stocks`."""
    ph = phase[active]
    lc = loc[active]
    phases = np.bincount(ph, minlength=4)[:4].astype(np.int64)
    out = ph != SERVICE
    here = np.bincount(lc[out], minlength=L)
    nat = group_nat[group[active[out]]]
    here_nat = np.bincount(lc[out] * N + nat, minlength=L * N)
    svc = ph == SERVICE
    state = svc_state[active]
    on_list = svc & (state == QUEUED)
    on_list &= queue_is_port[np.maximum(svc_queue[active], 0)]
    hearing = svc & (state == WAITING)
    stranded = np.bincount(lc[(ph == BORDER) | on_list | hearing], minlength=L)
    waiting = np.bincount(lc[hearing], minlength=L)
    return phases, here, here_nat.astype(np.int64), stranded, waiting
