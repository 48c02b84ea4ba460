"""Numba kernels of Flee 3.1's daily movement (``Ecosystem.evolve``).

One day has two passes over the agents in creation order, as in Flee:

* **pass 1** (``Person.evolve``): an agent at a location draws U and leaves if U < move chance;
  without a stored route it samples one among the candidate paths (weight
  ``((ws + S(d)) / (ds + L)^dp × C(d))^wp``), then steps onto the route's next link — unless that
  link is closed or the route ends at a camp whose capacity factor is below 0.5 (route dropped).
* **pass 2** (``Person.finish_travel``): a travelling agent advances by the link's speed; on
  arrival with distance to spare it decides again at the new location and may continue.

Two ways of seeing other agents, both Flee behaviours:

* ``live=True``: location counts change as each agent moves (Flee's serial code); the loop is
  sequential.
* ``live=False``: every decision in a pass sees the counts at the start of the pass, and counts are
  recomputed between passes (Flee's MPI code, ``pflee``); agents are then independent, so the pass
  runs in parallel and gives the same bits on any number of threads.

Every random number comes from the counter-based stream (:mod:`corredor.engine.rng`) keyed on
(seed, stream, day, agent, k), where ``k`` numbers the decisions of one agent within one day.
The NumPy twin used as a test oracle is :mod:`corredor.rules.flee.twin`.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from corredor.engine.rng import uniform_k

# ---- indices into the float64 parameter vector ``P``
MAX_SPEED = 0  # max_move_speed (km/day), also the normaliser of the recent-travel index
WALK_SPEED = 1  # max_walk_speed
WEIGHT_SOFTENING = 2
WEIGHT_POWER = 3
CAPACITY_BUFFER = 4
START_ON_FOOT = 5
AVOID_SHORT_STINTS = 6
FULL_ALLOWANCE = 7  # 3.1 quirk: each newly entered link gets a full day's km allowance
FROZEN = 8  # 3.1 quirk: awareness_level 0 produces routes nobody can follow
UNIFORM_CHOICE = 9  # awareness_level 0 (fixed): a random neighbour
STAY_CLOSE_TO_HOME = 10
HOME_DISTANCE_POWER = 11
DISTANCE_FROM_CURRENT = 12  # 3.1 quirk: stay_close_to_home measures from the current location
CHILDREN_AVOID_HAZARDS = 13
BOYS_TAKE_RISK = 14
N_PARAMS = 15

NO = -1


@nb.njit(inline="always", cache=True)
def capacity_factor(capacity: int, n: int, buffer: float) -> float:
    """Flee's ``getCapMultiplier``: 1 below ``buffer × capacity``, 0 at capacity, linear between."""
    if capacity < 1:
        return 1.0
    if n <= buffer * capacity:
        return 1.0
    if n >= capacity:
        return 0.0
    return 1.0 - (n - buffer * capacity) / (capacity * (1.0 - buffer))


LEAVE = 1
TRAVEL = 2


@nb.njit(cache=True)
def pass_range(which, lo, hi, day, keys, A, G, R, Lc, count, P, live):
    """Pass 1 (``which == 1``) or pass 2 (``which == 2``) for agents ``lo..hi-1`` in order.

    One agent is a small state machine: ``LEAVE`` (Flee's ``Person.evolve``: draw, choose a
    route, step onto its next link) and ``TRAVEL`` (``Person.finish_travel``: advance, arrive,
    decide again). Pass 1 runs one ``LEAVE``; pass 2 runs ``TRAVEL`` and any ``LEAVE``/``TRAVEL``
    chain that arrivals with distance to spare start. Everything is in this one function, with
    the arrays unpacked once: a call per agent that passes dozens of arrays would cost more
    (reference counting) than the decision itself.
    """
    loc_, link_, on_km, moved, recent, places = A[0], A[1], A[2], A[3], A[4], A[5]
    route_path, route_pos, alive, home, age, male = A[6], A[7], A[8], A[9], A[10], A[11]
    link_from, link_to, link_len, link_open, link_speed, link_walk_p = G
    path_ptr, link_ptr, plinks, pend, pdenom, popen = R[0], R[1], R[2], R[3], R[4], R[5]
    path_base = R[7]
    movechance, is_town, is_camp, capacity, score, popw, dist = Lc
    key_move, key_route, key_travel = keys[0], keys[1], keys[2]
    max_speed = P[MAX_SPEED]
    walk_speed = P[WALK_SPEED]
    ws = P[WEIGHT_SOFTENING]
    wp = P[WEIGHT_POWER]
    buf = P[CAPACITY_BUFFER]
    on_foot = P[START_ON_FOOT] > 0.0
    short_stints = P[AVOID_SHORT_STINTS] > 0.0
    full_allowance = P[FULL_ALLOWANCE] > 0.0
    frozen = P[FROZEN] > 0.0
    uniform_choice = P[UNIFORM_CHOICE] > 0.0
    stay_home = P[STAY_CLOSE_TO_HOME] > 0.0
    home_pow = P[HOME_DISTANCE_POWER]
    from_current = P[DISTANCE_FROM_CURRENT] > 0.0
    children = P[CHILDREN_AVOID_HAZARDS] > 0.0
    boys = P[BOYS_TAKE_RISK] > 0.0
    same_for_all = not (children or stay_home)  # the score of a path is the same for everyone
    sw = np.empty(R[6], dtype=np.float64)
    sp = np.empty(R[6], dtype=np.int64)

    # 1. who acts in this pass (a tight loop: for most agents this is the whole day's work)
    acts = np.empty(max(hi - lo, 0), dtype=np.int32)
    m_act = 0
    if which == 1:
        if not frozen:
            for i in range(lo, hi):
                if (
                    alive[i]
                    and link_[i] == NO
                    and uniform_k(key_move, day, i, 0) < movechance[loc_[i]]
                ):
                    acts[m_act] = i
                    m_act += 1
    else:
        for i in range(lo, hi):
            if alive[i] and link_[i] != NO:
                acts[m_act] = i
                m_act += 1
    # 2. their decisions and travel, in creation order (an agent's draw above depends only on
    #    its own state, so drawing first and acting second changes nothing)
    for a in range(m_act):
        i = acts[a]
        if which == 1:
            state = LEAVE
            drawn = True
        else:
            state = TRAVEL
            drawn = False
            moved[i] = 0.0  # km covered today (pass 1 moves nobody along a link)
        k = 0  # number of the decision today (the random-stream key's last field)
        force = False
        day_left = 1.0
        while state != 0:
            if state == LEAVE:
                state = 0
                loc = loc_[i]
                if not drawn:
                    mc = 1.0 if (force and is_town[loc]) else movechance[loc]
                    if uniform_k(key_move, day, i, k) >= mc or frozen:
                        continue
                drawn = False
                if route_path[i] == NO:  # choose a route among the open candidate paths
                    m = 0
                    total = 0.0
                    for p in range(path_ptr[loc], path_ptr[loc + 1]):
                        if not popen[p]:
                            continue
                        if uniform_choice:
                            w = 1.0
                        elif same_for_all:  # (ws + S·popw)/(ds + L)^dp precomputed for today
                            e = pend[p]
                            w = path_base[p] * capacity_factor(capacity[e], count[e], buf)
                            if wp != 1.0:
                                w = w**wp
                        else:
                            e = pend[p]
                            sc = score[e]
                            if children and age[i] >= 0:
                                if age[i] < 19:
                                    sc = sc * sc
                                if boys and male[i] and age[i] > 14:
                                    sc = 1.0
                            if stay_home:
                                ref = loc if from_current else home[i]
                                sc *= 1.0 / max(1.0, dist[e, ref]) ** home_pow
                            sc *= popw[e]
                            w = (ws + sc) / pdenom[p] * capacity_factor(capacity[e], count[e], buf)
                            if wp != 1.0:
                                w = w**wp
                        sw[m] = w
                        sp[m] = p
                        total += w
                        m += 1
                    chosen = NO
                    if m > 0:
                        u = uniform_k(key_route, day, i, k)
                        if total > 0.0:
                            target = u * total
                            acc = 0.0
                            for j in range(m):
                                acc += sw[j]
                                if target < acc:
                                    chosen = sp[j]
                                    break
                            if chosen == NO:  # rounding at the top: last non-zero weight
                                for j in range(m - 1, -1, -1):
                                    if sw[j] > 0.0:
                                        chosen = sp[j]
                                        break
                        else:
                            chosen = sp[min(int(u * m), m - 1)]
                    route_path[i] = chosen
                    route_pos[i] = 0
                p = route_path[i]
                if p == NO:
                    continue
                lk = plinks[link_ptr[p] + route_pos[i]]
                if link_from[lk] != loc or not link_open[lk]:
                    route_path[i] = NO
                    continue
                dest = pend[p]
                if is_camp[dest] and capacity_factor(capacity[dest], count[dest], buf) < 0.5:
                    route_path[i] = NO
                    continue
                route_pos[i] += 1
                if link_ptr[p] + route_pos[i] == link_ptr[p + 1]:
                    route_path[i] = NO
                if live:
                    count[loc] -= 1
                link_[i] = lk
                on_km[i] = 0.0
                if which == 2:
                    state = TRAVEL
            else:  # TRAVEL
                state = 0
                lk = link_[i]
                speed = link_speed[lk]
                if places[i] == 1 and on_foot:
                    speed = walk_speed
                if link_walk_p[lk] > 0.0 and uniform_k(key_travel, day, i, k) < link_walk_p[lk]:
                    speed = walk_speed
                length = link_len[lk]
                more = False
                if full_allowance:
                    on_km[i] += speed
                    moved[i] += speed
                    arrived = on_km[i] > length
                    if arrived:
                        moved[i] += length - on_km[i]
                        more = moved[i] < speed
                else:
                    avail = day_left * speed
                    arrived = on_km[i] + avail > length
                    if arrived:
                        rest = length - on_km[i]
                        moved[i] += rest
                        day_left -= rest / speed
                        more = day_left > 0.0
                    else:
                        on_km[i] += avail
                        moved[i] += avail
                        day_left = 0.0
                if not arrived:
                    continue
                places[i] += 1
                link_[i] = NO
                on_km[i] = 0.0
                if not link_open[lk]:  # closed while travelling: back to where it starts
                    loc_[i] = link_from[lk]
                    if live:
                        count[link_from[lk]] += 1
                    continue
                loc_[i] = link_to[lk]
                if live:
                    count[link_to[lk]] += 1
                if not more or k >= 250:  # 8 bits for k in the random key; never reached
                    continue
                force = short_stints and (recent[i] + moved[i] / max_speed) / 2.0 < 0.5
                k += 1
                state = LEAVE


@nb.njit(cache=True)
def recount(n, A, count):
    """Agents at each location (not on a link), from the agent columns."""
    loc_, link_, alive = A[0], A[1], A[8]
    count[:] = 0
    for i in range(n):
        if alive[i] and link_[i] == NO:
            count[loc_[i]] += 1


@nb.njit(parallel=True, cache=True)
def recount_parallel(n, A, count, n_chunks):
    """:func:`recount` on several threads: per-chunk integer counts, summed (exact, so the
    result does not depend on the number of threads)."""
    loc_, link_, alive = A[0], A[1], A[8]
    partial = np.zeros((n_chunks, count.shape[0]), dtype=np.int64)
    chunk = (n + n_chunks - 1) // n_chunks
    for c in nb.prange(n_chunks):
        row = partial[c]
        for i in range(c * chunk, min(n, (c + 1) * chunk)):
            if alive[i] and link_[i] == NO:
                row[loc_[i]] += 1
    count[:] = partial.sum(axis=0)


@nb.njit(cache=True)
def end_of_day(n, A, P):
    """Flee's recent-travel index, r ← (r + km today / max_move_speed) / 2, for every agent.

    Only ``avoid_short_stints`` reads it, so without that rule the sweep is skipped (``moved`` is
    reset when an agent starts travelling in pass 2).
    """
    if P[AVOID_SHORT_STINTS] <= 0.0:
        return
    moved, recent = A[3], A[4]
    inv = 1.0 / P[MAX_SPEED]
    for i in range(n):
        recent[i] = (recent[i] + moved[i] * inv) / 2.0
        moved[i] = 0.0


@nb.njit(cache=True)
def day_serial(day, n, keys, A, G, R, Lc, count, P):
    """One day with live counts (Flee's serial semantics), agents in creation order."""
    pass_range(1, 0, n, day, keys, A, G, R, Lc, count, P, True)
    pass_range(2, 0, n, day, keys, A, G, R, Lc, count, P, True)
    end_of_day(n, A, P)


@nb.njit(parallel=True, cache=True)
def _pass_parallel(which, day, n, keys, A, G, R, Lc, count, P, n_chunks):
    chunk = (n + n_chunks - 1) // n_chunks
    for c in nb.prange(n_chunks):
        pass_range(
            which, c * chunk, min(n, (c + 1) * chunk), day, keys, A, G, R, Lc, count, P, False
        )


def day_parallel(day, n, keys, A, G, R, Lc, count, P, n_chunks=64):
    """One day where decisions see the counts at the start of each pass (Flee's MPI semantics).

    Agents are independent within a pass, so the result does not depend on the thread count.
    """
    _pass_parallel(1, day, n, keys, A, G, R, Lc, count, P, n_chunks)
    recount_parallel(n, A, count, n_chunks)
    _pass_parallel(2, day, n, keys, A, G, R, Lc, count, P, n_chunks)
    recount_parallel(n, A, count, n_chunks)
    end_of_day(n, A, P)
