"""Services: ring-buffer queues, servers, calendar — and the kernel equals its twin bit for bit."""

from __future__ import annotations

import numba as nb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corredor.engine import services as sv
from corredor.engine.agents import AgentTable
from corredor.engine.services import ServiceSystem, ServiceTable, ServiceTime, Verb
from corredor.engine.services.kernels import balance_bins, outcome_cumulative
from corredor.engine.services.twin import ServicesTwin, outcome_cumulative_np

IMM, SRV = ServiceTime.IMMEDIATE, ServiceTime.SERVERS


def make_agents(n: int = 0, groups: int = 1, seed: int = 0) -> AgentTable:
    agents = AgentTable({"group": (np.int8, 0), **sv.AGENT_COLUMNS}, capacity=4)
    if n:
        agents.add(n, group=np.random.default_rng(seed).integers(0, groups, n))
    return agents


def new_agents(agents: AgentTable, n: int, groups: int = 1, r=None) -> np.ndarray:
    g = 0 if r is None else r.integers(0, groups, n)
    rows = agents.add(n, group=g)
    return np.arange(rows.start, rows.stop)


# ------------------------------------------------------------------ the verbs and the table
def test_verbs_are_the_model_verbs() -> None:
    assert [v.name for v in Verb] == [
        "RELEASE", "GRANT", "DENY", "DETAIN", "DEPORT", "EXPEL", "RETURN_TO_WAIT", "ADMIT",
        "SETTLE", "ABANDON", "DIE",
    ]  # fmt: skip
    assert sv.EVENT_NAMES[: sv.N_VERBS] == tuple(v.name.lower() for v in Verb)
    assert sv.EVENT_NAMES[sv.EV_JOIN] == "join" and len(sv.EVENT_NAMES) == sv.N_EVENTS


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("capacity", -1.0, "capacity"),
        ("capacity", np.nan, "capacity"),
        ("abandon_hazard", 1.5, "hazard"),
        ("n_classes", 0, "priority class"),
        ("model", 7, "model"),
    ],
)
def test_table_rejects_bad_values(field: str, value: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ServiceTable.create(["a"], **{field: value})


def test_table_rejects_bad_outcomes_and_service_times() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        ServiceTable.create(["a"], outcome_p=np.full(sv.N_VERBS, 0.5))
    with pytest.raises(ValueError, match=">= 1 day"):
        ServiceTable.create(["a"], model=SRV, mean_days=0.5)
    t = ServiceTable.create(["a", "b"], n_groups=2)
    t.set_outcomes(1, {Verb.GRANT: 0.25, Verb.DENY: 0.75}, group=1)
    assert t.outcome_p[1, 1, Verb.GRANT] == 0.25 and t.outcome_p[1, 0, Verb.RELEASE] == 1.0
    with pytest.raises(ValueError, match="sum to 1"):
        t.set_outcomes(0, {Verb.GRANT: 0.5})
    assert t.index("b") == 1
    with pytest.raises(ValueError, match="group_column"):
        ServiceSystem(t, seed=0)


# ------------------------------------------------------------------ queues
def test_ring_grows_by_doubling_and_keeps_fifo_order_across_wraparound() -> None:
    t = ServiceTable.create(["office", "other"], capacity=[3.0, 0.0])
    agents = make_agents()
    svc = ServiceSystem(t, seed=1, queue_capacity=2)
    expected: list[int] = []
    served: list[int] = []
    for day in range(30):
        ids = new_agents(agents, 1 + day % 7)
        svc.enqueue(agents, ids, 0, day=day)
        svc.enqueue(agents, new_agents(agents, 1), 1, day=day)  # the other queue grows too
        expected += ids.tolist()
        out = svc.serve_day(agents, day)
        served += out.agent[out.service == 0].tolist()
        assert served + svc.queue_contents(agents, 0).tolist() == expected
    assert svc.queued().tolist() == [len(expected) - len(served), 30]
    assert int(svc._qmask[0] + 1) >= 8 and (svc._qmask + 1).tolist()[1] == 32


def test_withdrawn_and_requeued_agents_are_skipped_lazily() -> None:
    t = ServiceTable.create(["office"], capacity=0.0)
    agents = make_agents(10)
    svc = ServiceSystem(t, seed=1)
    svc.enqueue(agents, np.arange(10), 0, day=0)
    svc.withdraw(agents, [0, 3, 4, 9])
    assert svc.queued().tolist() == [6]
    assert svc.queue_contents(agents, 0).tolist() == [1, 2, 5, 6, 7, 8]
    svc.enqueue(agents, [3], 0, day=0)  # back at the tail, the old entry stays stale
    assert svc.queue_contents(agents, 0).tolist() == [1, 2, 5, 6, 7, 8, 3]
    with pytest.raises(ValueError, match="already queued"):
        svc.enqueue(agents, [1], 0, day=0)
    svc.serve_day(agents, 0)
    t.capacity[0] = 4.0  # a policy change between days
    out = svc.serve_day(agents, 1)
    assert out.agent.tolist() == [1, 2, 5, 6]
    assert out.joined.tolist() == [0, 0, 0, 0] and out.started.tolist() == [1, 1, 1, 1]
    assert svc.queue_contents(agents, 0).tolist() == [7, 8, 3]
    assert (agents["svc_state"][[1, 2, 5, 6, 0]] == sv.QueueState.NONE).all()


def test_fractional_daily_capacity_carries_over() -> None:
    t = ServiceTable.create(["port"], capacity=2.5)
    agents = make_agents(100)
    svc = ServiceSystem(t, seed=1)
    svc.enqueue(agents, np.arange(100), 0, day=0)
    served = [len(svc.serve_day(agents, d)) for d in range(10)]
    assert served == [2, 3] * 5


def test_priority_classes_and_servers() -> None:
    t = ServiceTable.create(["court"], model=SRV, capacity=2.0, mean_days=1.0, n_classes=3)
    agents = make_agents(9)
    svc = ServiceSystem(t, seed=1)
    svc.enqueue(agents, np.arange(9), 0, cls=[2, 2, 1, 0, 1, 2, 0, 1, 2], day=0)
    svc.serve_day(agents, 0)
    assert svc.in_service_agents(agents, 0).tolist() == [3, 6]
    out = svc.serve_day(agents, 1)  # mean 1 day: every service ends the next day
    assert out.agent.tolist() == [3, 6] and out.started.tolist() == [0, 0]
    assert svc.in_service_agents(agents, 0).tolist() == [2, 4]
    svc.withdraw(agents, [4])  # frees its server at once
    assert svc.in_service().tolist() == [1]
    out = svc.serve_day(agents, 2)
    assert out.agent.tolist() == [2]
    assert svc.in_service_agents(agents, 0).tolist() == [7, 0]
    assert svc.queue_contents(agents, 0, 2).tolist() == [1, 5, 8]


def test_calendar_releases_on_the_day_and_grows_its_horizon() -> None:
    t = ServiceTable.create(["court", "office"], capacity=0.0)
    agents = make_agents(6)
    svc = ServiceSystem(t, seed=1, calendar_horizon=2)
    svc.return_to_wait(agents, [0, 1, 2], 0, [3, 200, 3], day=0)
    svc.return_to_wait(agents, [3, 4], 1, 3, day=0)
    svc.return_to_wait(agents, [5], 0, 3, cls=0, day=0)
    svc.withdraw(agents, [2])
    assert svc.waiting().tolist() == [3, 2]
    with pytest.raises(ValueError, match="already queued"):
        svc.enqueue(agents, [0], 1, day=0)
    for d in range(3):
        svc.serve_day(agents, d)
    assert svc.queued().tolist() == [0, 0]
    svc.serve_day(agents, 3)
    assert svc.queue_contents(agents, 0).tolist() == [0, 5]
    assert svc.queue_contents(agents, 1).tolist() == [3, 4]
    assert agents["svc_joined"][[0, 5, 3]].tolist() == [3, 3, 3]
    assert svc.waiting().tolist() == [1, 0]
    with pytest.raises(ValueError, match="already served"):
        svc.return_to_wait(agents, [2], 0, 3, day=3)
    with pytest.raises(ValueError, match="every day"):
        svc.serve_day(agents, 5)
    ev = svc.events
    assert ev[0, :, sv.EV_WAIT].tolist() == [4, 2] and ev[3, :, sv.EV_JOIN].tolist() == [2, 2]


def test_events_and_stocks_balance() -> None:
    t = ServiceTable.create(
        ["a", "b"], capacity=[1.5, 2.0], model=[IMM, SRV], mean_days=[1, 4], abandon_hazard=0.05
    )
    t.set_outcomes(0, {Verb.GRANT: 0.5, Verb.DENY: 0.5})
    agents = make_agents()
    svc = ServiceSystem(t, seed=3)
    r = np.random.default_rng(0)
    for d in range(60):
        svc.enqueue(agents, new_agents(agents, int(r.integers(0, 5))), r.integers(0, 2), day=d)
        svc.serve_day(agents, d)
    ev = svc.events.sum(axis=0)
    left = ev[:, : sv.N_VERBS].sum(axis=1)
    np.testing.assert_array_equal(ev[:, sv.EV_JOIN] - left, svc.stocks()[:, :2].sum(axis=1))
    assert ev[1, sv.EV_START] - (left[1] - ev[1, Verb.ABANDON]) == svc.in_service()[1]
    np.testing.assert_array_equal(svc.stock_history[-1], svc.stocks())


# ------------------------------------------------------------------ kernel == twin
def random_table(r: np.random.Generator, n_groups: int) -> ServiceTable:
    n = int(r.integers(1, 5))
    caps = np.array([0.0, 1.0, 2.5, np.inf, 0.7, 3.0])
    p = r.random((n, n_groups, sv.N_VERBS)) * (r.random((n, n_groups, sv.N_VERBS)) < 0.4)
    p[:, :, Verb.RETURN_TO_WAIT] += 0.3
    return ServiceTable.create(
        [f"s{i}" for i in range(n)],
        n_groups=n_groups,
        capacity=r.choice(caps, n),
        model=r.integers(0, 2, n),
        mean_days=r.choice([1.0, 1.5, 3.0, 7.0], n),
        abandon_hazard=np.where(r.random(n) < 0.4, 0.0, r.uniform(0, 0.4, n)),
        n_classes=r.integers(1, 4, n),
        outcome_p=p / p.sum(axis=2, keepdims=True),
    )


def run_pair(seed: int, days: int, parallel: bool = False):
    """Drive a ServiceSystem and its twin with the same random operations; compare every day."""
    r = np.random.default_rng(seed)
    n_groups = int(r.integers(1, 4))
    table = random_table(r, n_groups)
    S = table.n_services
    agents = make_agents()
    col = "group" if n_groups > 1 else None
    a = ServiceSystem(table, seed=seed, group_column=col, parallel=parallel, queue_capacity=1,
                      calendar_horizon=1)  # fmt: skip
    b = ServicesTwin(table, seed=seed, group_column=col)
    outs = []
    for d in range(days):
        ids = new_agents(agents, int(r.integers(0, 9)), n_groups, r)
        svc, cls = r.integers(0, S, ids.shape[0]), r.integers(0, 3, ids.shape[0])
        cls = np.minimum(cls, table.n_classes[svc] - 1)
        for system in (a, b):
            system.enqueue(agents, ids, svc, cls, day=d)
        if agents.n and r.random() < 0.4:
            gone = r.choice(agents.n, min(agents.n, 3), replace=False)
            for system in (b, a):
                system.withdraw(agents, gone)
        if r.random() < 0.2:
            table.capacity[r.integers(0, S)] = r.choice([0.0, 1.0, 2.0, 4.5])
        out = a.serve_day(agents, d)
        ref = b.serve_day(agents, d)
        for name in ("agent", "verb", "service", "day", "joined", "started"):
            np.testing.assert_array_equal(getattr(out, name), getattr(ref, name), err_msg=name)
        outs.append(out)
        # caller applies verbs: RETURN_TO_WAIT -> a dated return, some others queue again
        back = out.with_verb(Verb.RETURN_TO_WAIT)
        until = d + 1 + r.integers(0, 90, back.shape[0])
        to = r.integers(0, S, back.shape[0])
        again = out.agent[(out.verb != Verb.RETURN_TO_WAIT) & (r.random(len(out)) < 0.3)]
        to_again = r.integers(0, S, again.shape[0])
        for system in (a, b):
            system.return_to_wait(agents, back, to, until, day=d)
            system.enqueue(agents, again, to_again, day=d)
        # agents in any state (queued, in service, waiting, none) leave it and join a queue
        if agents.n and r.random() < 0.5:
            moved = r.choice(agents.n, min(agents.n, int(r.integers(1, 6))), replace=False)
            to_m = r.integers(0, S, moved.shape[0])
            cls_m = np.minimum(r.integers(0, 3, moved.shape[0]), table.n_classes[to_m] - 1)
            for system in (a, b):
                system.join(agents, moved, to_m, cls_m, day=d)
        np.testing.assert_array_equal(a.stocks(), b.stocks())
        for s in range(S):
            assert a.in_service_agents(agents, s).tolist() == b.in_service_agents(s)
            for c in range(table.n_classes[s]):
                assert a.queue_contents(agents, s, c).tolist() == b.queue_contents(s, c)
    np.testing.assert_array_equal(a.events, b.events(days))
    return sv.Outcomes.concat(outs), a


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(seed=st.integers(0, 2**31 - 1), days=st.integers(1, 40))
def test_kernel_equals_twin(seed: int, days: int) -> None:
    run_pair(seed, days)


def test_parallel_kernel_is_thread_count_independent() -> None:
    ref, _ = run_pair(11, 50, parallel=False)
    before = nb.get_num_threads()
    try:
        for threads in sorted({1, min(2, nb.config.NUMBA_NUM_THREADS)}):
            nb.set_num_threads(threads)
            out, _ = run_pair(11, 50, parallel=True)
            for name in ("agent", "verb", "service", "joined", "started"):
                np.testing.assert_array_equal(getattr(out, name), getattr(ref, name))
    finally:
        nb.set_num_threads(before)


@settings(max_examples=60, deadline=None)
@given(held=st.lists(st.integers(0, 1000), min_size=1, max_size=30), n_bins=st.integers(1, 8))
def test_balance_bins_share_the_services_out(held: list[int], n_bins: int) -> None:
    roff = np.concatenate([[0], np.cumsum(held)]).astype(np.int64)
    bin_off = np.empty(n_bins + 1, dtype=np.int64)
    bin_svc = np.empty(len(held), dtype=np.int64)
    balance_bins(roff, n_bins, bin_off, bin_svc)
    # every service once, in increasing order within its bin
    assert sorted(bin_svc.tolist()) == list(range(len(held)))
    assert bin_off[0] == 0 and bin_off[-1] == len(held) and (np.diff(bin_off) >= 0).all()
    bins = [bin_svc[bin_off[b] : bin_off[b + 1]].tolist() for b in range(n_bins)]
    assert all(b == sorted(b) for b in bins)
    # largest first into the least loaded bin: no bin exceeds the mean by more than its
    # smallest service (the greedy bound), and with as many bins as (non-empty) services each
    # holds one
    load = [sum(held[s] for s in b) for b in bins]
    for b, items in zip(load, bins, strict=True):
        if len(items) > 1:
            assert b - min(held[s] for s in items) <= sum(held) / n_bins
    if n_bins >= len(held) and min(held) > 0:
        assert all(len(b) == 1 for b in bins[: len(held)])


@pytest.mark.parametrize(
    ("ids", "service", "cls", "group", "match"),
    [
        ([0, 10], 0, 0, 0, "agent id out of range"),
        ([-1, 1], 5, 0, 0, "agent id out of range"),
        ([0, 1], [0, 2], 0, 0, "service index out of range"),
        ([0, 1], 1, [0, 2], 0, "priority class out of range"),
        ([0, 1], 0, [0, 1], 0, "priority class out of range"),
        ([5, 1], 1, 0, 0, "already queued"),
        ([1, 2, 1], 1, 0, 0, "appears twice"),
        ([1, 2], 1, 0, 3, "group out of range"),
    ],
)
def test_enqueue_reports_the_first_problem(ids, service, cls, group, match) -> None:
    """The one-pass check reports the first problem in the documented order."""
    t = ServiceTable.create(["a", "b"], n_classes=[1, 2], n_groups=2)
    agents = make_agents(10)
    agents["group"][2] = group
    svc = ServiceSystem(t, seed=0, group_column="group")
    svc.enqueue(agents, [5], 0, day=0)
    with pytest.raises(ValueError, match=match):
        svc.enqueue(agents, ids, service, cls, day=0)
    svc.enqueue(agents, [1, 2 if group == 0 else 3], 1, [1, 0], day=0)
    assert svc.queued(by_class=True).tolist() == [1, 1, 1]


@pytest.mark.parametrize(
    ("ids", "service", "cls", "group", "match"),
    [
        ([0, 10], 0, 0, 0, "agent id out of range"),
        ([0, 1], [0, 2], 0, 0, "service index out of range"),
        ([0, 1], 1, [0, 2], 0, "priority class out of range"),
        ([1, 2, 1], 1, 0, 0, "appears twice"),
        ([1, 2], 1, 0, 3, "group out of range"),
    ],
)
def test_join_reports_the_first_problem_and_moves_queued_agents(
    ids, service, cls, group, match
) -> None:
    """``join`` checks like ``enqueue`` (an agent already queued is moved, not refused) and
    grows a full ring."""
    t = ServiceTable.create(["a", "b"], n_classes=[1, 2], n_groups=2)
    agents = make_agents(10)
    agents["group"][2] = group
    svc = ServiceSystem(t, seed=0, group_column="group", queue_capacity=1)
    svc.enqueue(agents, [5], 0, day=0)
    with pytest.raises(ValueError, match=match):
        svc.join(agents, ids, service, cls, day=0)
    svc.join(agents, [5, 1, 4, 6], 1, [1, 0, 0, 0], day=0)
    assert svc.queued(by_class=True).tolist() == [0, 3, 1]
    assert svc.queue_contents(agents, 1, 0).tolist() == [1, 4, 6]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), services=st.integers(1, 5), groups=st.integers(1, 4))
def test_outcome_cumulative_matches_its_twin(seed: int, services: int, groups: int) -> None:
    """The day's cumulative outcome tables and last possible verbs, bit for bit: rows with
    zeros, rows without any possible verb, probabilities that do not sum to exactly 1."""
    r = np.random.default_rng(seed)
    p = r.dirichlet(np.ones(sv.N_VERBS), (services, groups))
    p[r.random(p.shape) < 0.4] = 0.0
    p[r.random((services, groups)) < 0.2] = 0.0  # no verb possible: the last verb
    cum = np.empty_like(p)
    fallback = np.empty((services, groups), dtype=np.int64)
    outcome_cumulative(p, cum, fallback)
    cum_np, fallback_np = outcome_cumulative_np(p)
    np.testing.assert_array_equal(cum, cum_np)
    np.testing.assert_array_equal(fallback, fallback_np)
