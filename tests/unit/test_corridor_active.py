"""The corridor's numba kernels over the active agents agree bit for bit with their NumPy twins
(hypothesis on random agent tables)."""

from __future__ import annotations

import numba as nb
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from corredor.engine.rng import stream_key_np
from corredor.rules.corridor.active import (
    active_stocks,
    active_stocks_np,
    active_stocks_parallel,
    border_choice,
    border_choice_np,
    decide_lists,
    decide_lists_np,
    drain_hops,
    drain_hops_np,
    enforce_draws,
    enforce_draws_np,
    enforce_draws_parallel,
    keep_active,
    keep_active_np,
    merge_ids,
    merge_ids_np,
    move_inputs,
    move_inputs_np,
    new_at_border,
    new_at_border_np,
    office_choice,
    office_choice_np,
    rows_in_use,
    rows_in_use_np,
)
from corredor.rules.corridor.transitions import phase_at_k, phase_at_np
from corredor.trackers.corridor.recorder import count_events, count_events_np
from corredor.trackers.corridor.seen import (
    PeriodSet,
    PeriodSets,
    count_day,
    count_matching,
    count_matching_np,
    count_segments,
    count_segments_np,
)


def random_table(seed: int, n_table: int, n_active: int, n_loc: int, n_border: int):
    r = np.random.default_rng(seed)
    n_active = min(n_active, n_table)
    n_border = min(n_border, n_loc)
    # the active ids in no particular order (new agents are appended, returning ones are not)
    active = r.permutation(n_table)[:n_active].astype(np.int32)
    groups, nats, queues, caravans = 6, 3, 5, 3
    return dict(
        active=active,
        phase=r.integers(0, 8, n_table).astype(np.int8),
        loc=r.integers(0, n_loc, n_table).astype(np.int32),
        link=np.where(r.random(n_table) < 0.5, r.integers(0, 9, n_table), -1).astype(np.int32),
        group=r.integers(0, groups, n_table).astype(np.int16),
        target=r.integers(-1, n_border, n_table).astype(np.int16),
        caravan=r.integers(0, caravans + 1, n_table).astype(np.int16),
        svc_state=r.integers(0, 4, n_table).astype(np.int8),
        svc_queue=r.integers(-1, queues, n_table).astype(np.int32),
        border_ix=np.sort(r.choice(n_loc, min(n_border, n_loc), replace=False)).astype(np.int32),
        caravan_hazard=np.concatenate([[1.0], r.uniform(0, 1, caravans)]),
        group_nat=r.integers(0, nats, groups).astype(np.int32),
        queue_is_port=r.random(queues) < 0.5,
        nats=nats,
    )


def equal(x, y) -> None:
    assert len(x) == len(y)
    for a, b in zip(x, y, strict=True):
        assert a.dtype == b.dtype, (a.dtype, b.dtype)
        np.testing.assert_array_equal(a, b)


def on_threads(fn, *args):
    """``fn(*args)`` on one numba thread and on two: the two results (to compare)."""
    before = nb.get_num_threads()
    try:
        out = []
        for threads in (1, min(2, nb.config.NUMBA_NUM_THREADS)):
            nb.set_num_threads(threads)
            out.append(fn(*args))
        return out
    finally:
        nb.set_num_threads(before)


tables = dict(
    seed=st.integers(0, 2**31 - 1),
    n_table=st.integers(1, 400),
    n_active=st.integers(0, 400),
    n_loc=st.integers(1, 12),
    n_border=st.integers(0, 4),
)


@settings(max_examples=60, deadline=None)
@given(**tables)
def test_keep_and_decide_lists_match_their_twins(seed, n_table, n_active, n_loc, n_border):
    t = random_table(seed, n_table, n_active, n_loc, n_border)
    want = keep_active_np(t["active"], t["phase"])
    got = keep_active(t["active"].copy(), t["phase"])
    equal([got], [want])
    args = (t["active"], t["phase"], t["link"], t["svc_state"])
    equal(decide_lists(*args), decide_lists_np(*args))


@settings(max_examples=60, deadline=None)
@given(**tables, n_office=st.integers(0, 6))
def test_office_choice_matches_its_twin(seed, n_table, n_active, n_loc, n_border, n_office):
    """Offices at a place tried in turn (two may share a place), each agent applying to one at
    most; offices in the agent's own country and agents with a status are skipped."""
    t = random_table(seed, n_table, n_active, n_loc, n_border)
    r = np.random.default_rng(seed + 3)
    S = n_office + 2
    off_svc = np.sort(r.choice(S, n_office, replace=False)).astype(np.int64)
    off_loc = r.integers(0, n_loc, n_office).astype(np.int64)
    p = r.uniform(0, 1, (n_office, 6)) * (r.random((n_office, 6)) < 0.8)
    own = r.random((t["nats"], S)) < 0.3
    status = r.integers(0, 3, n_table).astype(np.int8)
    key = stream_key_np(seed, 11)
    args = (
        t["active"], t["loc"], t["group"], status, t["group_nat"], off_loc, off_svc, p, own,
        key, 40,
    )  # fmt: skip
    got, want = office_choice(*args), office_choice_np(*args)
    equal([got], [want])
    # with p = 1, no status and no office at home, everyone applies to the first office at
    # its place (the lowest service there)
    sure = (*args[:3], np.zeros(n_table, np.int8), args[4], off_loc, off_svc,
            np.ones_like(p), np.zeros_like(own), key, 40)  # fmt: skip
    first = {int(x): int(s) for x, s in zip(off_loc[::-1], off_svc[::-1], strict=True)}
    expect = [first.get(int(x), -1) for x in t["loc"][t["active"]]]
    np.testing.assert_array_equal(office_choice(*sure), expect)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(0, 300), m=st.integers(0, 60))
def test_merge_ids_matches_its_twin(seed, n, m):
    """The active set in id order, returning agents merged in: the union, in order."""
    r = np.random.default_rng(seed)
    ids = r.permutation(2 * (n + m) + 1)[: n + m].astype(np.int32)
    active, back = np.sort(ids[:n]), np.sort(ids[n:])
    got, want = merge_ids(active, back), merge_ids_np(active, back)
    equal([got], [want])
    np.testing.assert_array_equal(got, np.sort(ids))
    # new agents (ids past every active one) are appended in order
    new = np.arange(2 * (n + m) + 1, 2 * (n + m) + 1 + m, dtype=np.int32)
    np.testing.assert_array_equal(merge_ids(active, new), np.concatenate([active, new]))
    # out of order (not made by the processes): still every agent once
    shuffled = r.permutation(active)
    np.testing.assert_array_equal(np.sort(merge_ids(shuffled, back[::-1])), np.sort(ids))


@settings(max_examples=60, deadline=None)
@given(**tables)
def test_move_inputs_and_border_arrivals_match_their_twins(
    seed, n_table, n_active, n_loc, n_border
):
    t = random_table(seed, n_table, n_active, n_loc, n_border)
    # groups share the tables of a group (at most their own index)
    rep = np.random.default_rng(seed + 2).integers(0, np.arange(6) + 1).astype(np.int64)
    args = (
        t["active"], t["phase"], t["group"], t["target"], t["caravan"], t["border_ix"],
        t["caravan_hazard"], rep,
    )  # fmt: skip
    got, want = move_inputs(*args), move_inputs_np(*args)
    equal(got, want)
    exposed, was = want[0], want[4]
    # the rows in use and each mover's index into them (rows past n_rows count too)
    n_rows = 6 * max(t["border_ix"].shape[0], 1)
    for rows in (n_rows, 0):
        equal(rows_in_use(want[2], was, rows), rows_in_use_np(want[2], was, rows))
    moved = np.random.default_rng(seed + 1).integers(0, 4, t["phase"].shape[0]).astype(np.int8)
    equal([new_at_border(exposed, was, moved)], [new_at_border_np(exposed, was, moved)])


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    hops=st.integers(1, 12),
    n=st.integers(0, 300),
    share=st.floats(0, 1),
)
def test_drain_hops_match_their_twin(seed, hops, n, share):
    r = np.random.default_rng(seed)
    table = np.where(r.random((hops, n)) < share, r.integers(0, 50, (hops, n)), -1).astype(np.int32)
    for rows, stop in ((hops, False), (hops, True), (max(hops - 2, 0), False)):
        t_nb, t_np = table.copy(), table.copy()
        got, want = drain_hops(t_nb, rows, stop), drain_hops_np(t_np, rows, stop)
        assert got[3] == want[3]
        equal(got[:3], want[:3])
        np.testing.assert_array_equal(t_nb, t_np)
        if got[3] == hops:
            assert (t_nb == -1).all()


@settings(max_examples=60, deadline=None)
@given(**tables, share=st.floats(0, 1))
def test_enforce_draws_match_their_twin(seed, n_table, n_active, n_loc, n_border, share):
    t = random_table(seed, n_table, n_active, n_loc, n_border)
    r = np.random.default_rng(seed + 2)
    ids = t["active"]
    n, zones = ids.shape[0], 4
    expo = np.where(r.random(n) < share, r.exponential(0.5, n), 0.0)
    zone = r.integers(-1, zones, n).astype(np.int32)
    args = (
        ids, expo, zone, r.integers(0, 3, n_table).astype(np.int8), np.array([False, True, True]),
        r.random(zones) < 0.5, t["phase"], t["link"], t["loc"], r.random(n_loc) < 0.3,
        stream_key_np(seed, 105), int(r.integers(0, 4000)),
    )  # fmt: skip
    ref = enforce_draws_np(*args)
    equal(enforce_draws(*args), ref)
    # the parallel kernel: the serial order of both lists, on one thread or two
    for got in on_threads(enforce_draws_parallel, *args):
        equal(got, ref)


@settings(max_examples=60, deadline=None)
@given(**tables)
def test_active_stocks_match_their_twin(seed, n_table, n_active, n_loc, n_border):
    t = random_table(seed, n_table, n_active, n_loc, n_border)
    # the tracker runs after the active set is compacted: only active phases remain
    active = keep_active_np(t["active"], t["phase"])
    args = (
        active, t["phase"], t["loc"], t["group"], t["svc_state"], t["svc_queue"],
        t["group_nat"], t["queue_is_port"], n_loc, t["nats"],
    )  # fmt: skip
    ref = active_stocks_np(*args)
    equal(active_stocks(*args), ref)
    # the parallel kernel in blocks (more blocks than agents too), on one thread or two
    for chunks in (1, 2, 7, 500):
        for got in on_threads(active_stocks_parallel, *args, chunks):
            equal(got, ref)


@settings(max_examples=60, deadline=None)
@given(**tables, scale=st.sampled_from([0.01, 0.3, 1.0, 3.0]))
def test_border_choice_matches_its_twin(seed, n_table, n_active, n_loc, n_border, scale):
    t = random_table(seed, n_table, n_active, n_loc, n_border)
    r = np.random.default_rng(seed + 3)
    S, G = 4, 6
    port_of_loc = np.where(r.random(n_loc) < 0.6, r.integers(0, S, n_loc), -1).astype(np.int64)
    since = r.integers(0, 60, n_table).astype(np.int32)
    args = (
        t["active"], t["loc"], t["group"], since, port_of_loc,
        np.where(r.random((S, G)) < 0.3, 0.0, r.random((S, G))), r.random(S),
        *(float(x) for x in r.random(2) * scale), float(r.integers(1, 40)),
        *(float(x) for x in r.random(2) * scale * 0.1), stream_key_np(seed, 103),
        int(r.integers(30, 3000)),
    )  # fmt: skip
    equal(border_choice(*args), border_choice_np(*args))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(0, 300), broadcast=st.booleans())
def test_count_events_matches_its_twin(seed, n, broadcast):
    r = np.random.default_rng(seed)
    X, G, n_table = 7, 5, 400
    group = r.integers(0, G, n_table).astype(np.int16)
    ids = r.integers(0, n_table, n).astype(np.int32)  # an agent may appear twice
    target = r.integers(-1, X - 1, n).astype(np.int64)
    if broadcast:
        target = np.broadcast_to(np.int64(r.integers(-1, X - 1)), (n,))
    ev_nb = r.integers(0, 9, (X, G)).astype(np.int64)
    ev_np = ev_nb.copy()
    g_nb = count_events(ev_nb, target, group, ids)
    g_np = count_events_np(ev_np, target, group, ids)
    equal([g_nb, ev_nb], [g_np, ev_np])


def last_period_count(target_ok, grp_ok, want, status, tgt, g, ids, last, p):
    """The recorder's count before the sets: one last counted period per agent (``last``)."""
    ok = target_ok[tgt] & grp_ok[g]
    if want >= 0:
        ok &= status == want
    if p >= 0 and ok.any():
        who = ids[ok]
        new = last[who] != p
        last[who] = p
        ok[ok] = new
    return int(np.count_nonzero(ok))


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(0, 300),
    want=st.integers(-1, 2),
    people=st.booleans(),
    broadcast=st.booleans(),
    calls=st.integers(1, 6),
)
def test_count_matching_matches_its_twin(seed, n, want, people, broadcast, calls):
    """Several days of events (the period moving on now and then): the kernel on a
    :class:`PeriodSet` (which starts small and must grow), its twin on a sorted array, and the
    former per-agent last period give the same counts; the set holds the twin's ids."""
    r = np.random.default_rng(seed)
    T, G, n_table = 7, 5, 4000
    target_ok = r.random(T) < 0.6
    grp_ok = r.random(G) < 0.6
    seen = PeriodSet(capacity=4)
    seen_np = np.zeros(0, dtype=np.int32)
    last = np.full(n_table, -1, dtype=np.int32)
    p = 0
    for _ in range(calls):
        ids = r.integers(0, n_table, n).astype(np.int32)  # an agent may appear twice
        ids[: n // 3] = r.integers(0, 20, n // 3)  # and again on later days
        tgt = r.integers(-1, T - 1, n).astype(np.int64)  # -1: no target, the last slot
        if broadcast:
            tgt = np.broadcast_to(np.int64(r.integers(-1, T - 1)), (n,))
        g = r.integers(0, G, n).astype(np.int64)
        status = r.integers(0, 3, n).astype(np.int64)
        if r.random() < 0.3:
            p += 1  # a new period
            seen_np = np.zeros(0, dtype=np.int32)
        if people:
            seen.ready(p, n)
        args = (target_ok, grp_ok, want, status, tgt, g, ids)
        c_nb = count_matching(*args, seen.keys, seen.size, people)
        c_np, seen_np = count_matching_np(*args, seen_np, people)
        c_last = last_period_count(*args, last, p if people else -1)
        assert c_nb == c_np == c_last
        if people:
            equal([seen.members()], [seen_np])
            assert len(seen) == seen_np.shape[0]
            assert 2 * len(seen) <= seen.keys.shape[0]


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    segments=st.integers(1, 8),
    want=st.integers(-1, 2),
    people=st.booleans(),
)
def test_count_segments_matches_its_twin_and_one_call_per_segment(seed, segments, want, people):
    """A day's events in segments of several kinds (each kind its own allowed targets, some
    segments not used): the kernel, its twin, and :func:`count_matching` called segment by
    segment as the events came give the same count and the same set."""
    r = np.random.default_rng(seed)
    G, K = 5, 3
    klen = r.integers(2, 7, K).astype(np.int64)
    kbase = np.concatenate([[0], np.cumsum(klen)[:-1]]).astype(np.int64)
    ok_all = r.random(int(klen.sum())) < 0.6
    grp_ok = r.random(G) < 0.6
    seg_kind = r.integers(0, K, segments).astype(np.int64)
    lens = r.integers(0, 40, segments)
    off = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    n = int(off[-1])
    use = r.random(segments) < 0.8
    ids = r.integers(0, 30, n).astype(np.int32)  # agents listed twice, within and across
    tgt = np.concatenate(
        [r.integers(-1, klen[k] - 1, m) for k, m in zip(seg_kind, lens, strict=True)]
    )
    tgt = tgt.astype(np.int64)
    g = r.integers(0, G, n).astype(np.int64)
    status = r.integers(0, 3, n).astype(np.int64)
    before = r.choice(40, 5, replace=False).astype(np.int32)  # counted earlier in the period
    seen = PeriodSet(capacity=4)
    seen.ready(0, before.shape[0])
    count_matching(np.ones(1, dtype=bool), np.ones(G, dtype=bool), -1, status[:0],
                   np.zeros(5, dtype=np.int64), np.zeros(5, dtype=np.int64), before,
                   seen.keys, seen.size, True)  # fmt: skip
    seen.ready(0, n)
    args = (ok_all, kbase, klen, grp_ok, use, want, seg_kind, off, status, tgt, g, ids)
    c_nb = count_segments(*args, seen.keys, seen.size, people)
    c_np, seen_np = count_segments_np(*args, np.sort(before), people)
    one = PeriodSet(capacity=4)
    one.ready(0, before.shape[0] + n)
    count_matching(np.ones(1, dtype=bool), np.ones(G, dtype=bool), -1, status[:0],
                   np.zeros(5, dtype=np.int64), np.zeros(5, dtype=np.int64), before,
                   one.keys, one.size, True)  # fmt: skip
    c_one = 0
    for j in np.flatnonzero(use):
        k, lo, hi = seg_kind[j], off[j], off[j + 1]
        c_one += count_matching(
            ok_all[kbase[k] : kbase[k] + klen[k]], grp_ok, want, status[lo:hi], tgt[lo:hi],
            g[lo:hi], ids[lo:hi], one.keys, one.size, people,
        )  # fmt: skip
    assert c_nb == c_np == c_one
    if people:
        equal([seen.members()], [seen_np])
        equal([one.members()], [seen_np])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(0, 200))
def test_phase_at_matches_its_twin(seed, n):
    r = np.random.default_rng(seed)
    L, n_table, B = 9, 300, 3
    ids = r.integers(0, n_table, n).astype(np.int32)  # an agent may appear twice
    loc_kind = r.integers(0, 4, L).astype(np.int8)
    loc_in_dest = r.random(L) < 0.3
    border_of_loc = np.where(r.random(L) < 0.4, r.integers(0, B, L), -1).astype(np.int32)
    cols_nb = [
        r.integers(0, L, n_table).astype(np.int32),  # loc
        r.integers(0, 8, n_table).astype(np.int8),  # phase
        r.integers(0, 99, n_table).astype(np.int32),  # since
        r.integers(-1, 20, n_table).astype(np.int32),  # link
        r.integers(0, 4, n_table).astype(np.int16),  # caravan
        r.integers(-1, B, n_table).astype(np.int16),  # target
    ]
    cols_np = [x.copy() for x in cols_nb]
    rest = (loc_in_dest, loc_kind, border_of_loc, 2, int(r.integers(0, 500)))
    phase_at_k(ids, *cols_nb, *rest)
    phase_at_np(ids, *cols_np, *rest)
    equal(cols_nb, cols_np)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), observables=st.integers(1, 5), segments=st.integers(1, 6))
def test_count_day_is_count_segments_per_observable(seed, observables, segments):
    """One call for every observable, on the sets of one :class:`PeriodSets` (which start
    small and grow, one set relaying the others), equals :func:`count_segments_np` per
    observable on its own set, over two days (a new period for some observables on the second:
    its set starts empty); some observables count people, some want a status."""
    r = np.random.default_rng(seed)
    G, K, n_obs = 4, 3, observables
    klen = r.integers(2, 6, K).astype(np.int64)
    kbase = np.concatenate([[0], np.cumsum(klen)[:-1]]).astype(np.int64)
    ok_all = r.random((n_obs, int(klen.sum()))) < 0.6
    grp_ok = r.random((n_obs, G)) < 0.7
    want = r.integers(-1, 2, n_obs).astype(np.int64)
    people = r.random(n_obs) < 0.6
    sets = PeriodSets(n_obs, capacity=4)
    seen_np = [np.zeros(0, dtype=np.int32) for _ in range(n_obs)]
    period = np.zeros(n_obs, dtype=np.int64)
    for day in range(2):
        if day:
            period += r.random(n_obs) < 0.5
        seg_kind = r.integers(0, K, segments).astype(np.int64)
        lens = r.integers(0, 30, segments)
        off = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        n = int(off[-1])
        use = r.random((n_obs, segments)) < 0.7
        ids = r.integers(0, 25, n).astype(np.int32)
        tgt = np.concatenate(
            [r.integers(-1, klen[k] - 1, m) for k, m in zip(seg_kind, lens, strict=True)]
        ).astype(np.int64)
        g = r.integers(0, G, n).astype(np.int64)
        status = r.integers(0, 2, n).astype(np.int64)
        for o in r.permutation(n_obs):
            sets.ready(int(o), int(period[o]), n)
        got = count_day(
            ok_all, kbase, klen, grp_ok, use, want, people, seg_kind, off, status, tgt, g, ids,
            sets.keys, sets.off, sets.size,
        )  # fmt: skip
        for o in range(n_obs):
            if day and period[o] > 0:
                seen_np[o] = np.zeros(0, dtype=np.int32)  # a new period
            c_np, seen_np[o] = count_segments_np(
                ok_all[o], kbase, klen, grp_ok[o], use[o], int(want[o]), seg_kind, off, status,
                tgt, g, ids, seen_np[o], bool(people[o]),
            )  # fmt: skip
            assert got[o] == c_np
            equal([sets.members(o)], [seen_np[o]])
            assert sets.size[o] == seen_np[o].shape[0]
            assert 2 * sets.size[o] <= sets.off[o + 1] - sets.off[o]
