"""Queueing laws the services must obey (fixed seeds; tolerances from the estimators' errors).

Each experiment runs ``R`` independent replicas of one queue as ``R`` services of one
:class:`ServiceSystem` (each service has its own random stream), so a per-replica estimate gives
an honest standard error ``SE = sd / sqrt(R)`` even though waits within a run are correlated.

Time convention of the engine: day ``d``'s arrivals join before that day's ``serve_day``; a server
freed by a completion on day ``d`` starts the next agent the same day; a service started on day
``d`` ends on day ``d + T``, ``T ~ Geometric(p)`` on {1, 2, …}. ``N_d`` (people in the system) is
counted at the end of ``serve_day(d)``, so an agent joining on day ``a`` and leaving on day ``c``
is counted on the days ``a … c−1``: ``c − a`` days, and Little's law ``L = λ W`` holds with
``W = E[c − a]``.
"""

from __future__ import annotations

from math import factorial

import numpy as np
import pytest
from scipy import stats

from corredor.engine import services as sv
from corredor.engine.agents import AgentTable
from corredor.engine.services import ServiceSystem, ServiceTable, ServiceTime, Verb

Z = 4.0  # tolerance in standard errors (two-sided p ≈ 6e-5 per check)


def new_agents(agents: AgentTable, n: int) -> np.ndarray:
    rows = agents.add(n)
    return np.arange(rows.start, rows.stop)


def run_replicas(table: ServiceTable, arrivals: np.ndarray, seed: int):
    """Serve ``arrivals[d, s]`` new agents per day and service; returns (system, agents,
    outcomes, join day and service of every agent)."""
    agents = AgentTable(dict(sv.AGENT_COLUMNS), capacity=int(arrivals.sum()) + 1)
    system = ServiceSystem(table, seed=seed)
    outs = []
    days, n_services = arrivals.shape
    svc_of = np.repeat(np.tile(np.arange(n_services), days), arrivals.ravel())
    day_of = np.repeat(np.arange(days), arrivals.sum(axis=1))
    lo = 0
    for d in range(days):
        hi = lo + int(arrivals[d].sum())
        ids = new_agents(agents, hi - lo)
        system.enqueue(agents, ids, svc_of[lo:hi], day=d)
        outs.append(system.serve_day(agents, d))
        lo = hi
    return system, agents, sv.Outcomes.concat(outs), day_of, svc_of


def per_replica_mean(values: np.ndarray, replica: np.ndarray, n: int) -> tuple[float, float]:
    """Mean over replicas of each replica's mean, and its standard error."""
    means = np.bincount(replica, weights=values, minlength=n) / np.bincount(replica, minlength=n)
    return float(means.mean()), float(means.std(ddof=1) / np.sqrt(n))


def geo_geo_c_chain(lam: float, p: float, c: int, bernoulli: bool, n_max: int = 300):
    """Stationary law of ``N_d`` for the engine's discrete-time queue, solved exactly.

    ``N_{d+1} = N_d − D + A`` with ``D ~ Binomial(min(N_d, c), p)`` completions and ``A`` the
    day's arrivals (Bernoulli(λ) or Poisson(λ)); truncated at ``n_max`` (mass beyond < 1e-30).
    """
    k = np.arange(n_max + 1)
    pa = stats.poisson.pmf(k, lam) if not bernoulli else np.r_[1 - lam, lam, np.zeros(n_max - 1)]
    P = np.zeros((n_max + 1, n_max + 1))
    for n in range(n_max + 1):
        b = min(n, c)
        for dd, q in enumerate(stats.binom.pmf(np.arange(b + 1), b, p)):
            P[n, n - dd :] += q * pa[: n_max + 1 - (n - dd)]
    P /= P.sum(axis=1, keepdims=True)
    A = P.T - np.eye(n_max + 1)
    A[-1] = 1.0
    rhs = np.zeros(n_max + 1)
    rhs[-1] = 1.0
    return np.linalg.solve(A, rhs)


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Erlang-C mean wait in queue of the continuous-time M/M/c: ``Wq = C(c, a) / (cμ − λ)``,
    ``a = λ/μ``, ``C = (a^c/c! · c/(c−a)) / (Σ_{k<c} a^k/k! + a^c/c! · c/(c−a))``."""
    a = lam / mu
    top = a**c / factorial(c) * c / (c - a)
    return top / (sum(a**k / factorial(k) for k in range(c)) + top) / (c * mu - lam)


# ------------------------------------------------------------------ (1) Geo/Geo/1, Little's law
def test_geo_geo_1_matches_closed_form_and_littles_law() -> None:
    """Bernoulli(λ) arrivals, one server, Geometric(p) service (mean 1/p days).

    Closed forms of the birth-death chain (up λ(1−p), down p(1−λ)): ``π_0 = 1 − λ/p`` and
    ``L = λ(1−λ)/(p−λ)``, ``W = (1−λ)/(p−λ)``, ``Wq = λ(1−p)/(p(p−λ))``.
    """
    lam, p, R, D, burn = 0.3, 0.4, 300, 2500, 200
    L_true = lam * (1 - lam) / (p - lam)
    W_true = (1 - lam) / (p - lam)
    Wq_true = lam * (1 - p) / (p * (p - lam))
    table = ServiceTable.create(
        [f"r{i}" for i in range(R)], model=ServiceTime.SERVERS, capacity=1.0, mean_days=1 / p
    )
    arrivals = (np.random.default_rng(1).random((D, R)) < lam).astype(np.int64)
    system, agents, out, day_of, _ = run_replicas(table, arrivals, seed=1)
    stock = system.stock_history[:, :, :2].sum(axis=2)  # (D, R) people in the system
    # L: time average per replica after the burn-in
    L_rep = stock[burn:].mean(axis=0)
    L_hat, L_se = float(L_rep.mean()), float(L_rep.std(ddof=1) / np.sqrt(R))
    assert abs(L_hat - L_true) < Z * L_se, (L_hat, L_true, L_se)
    p0_rep = (stock[burn:] == 0).mean(axis=0)
    assert abs(p0_rep.mean() - (1 - lam / p)) < Z * p0_rep.std(ddof=1) / np.sqrt(R)
    # W and Wq for agents joining in [burn, D − 300) (all of them finished: no censoring)
    sel = (out.joined >= burn) & (out.joined < D - 300)
    n_window = int(((day_of >= burn) & (day_of < D - 300)).sum())
    assert sel.sum() == n_window
    W_hat, W_se = per_replica_mean(out.day[sel] - out.joined[sel], out.service[sel], R)
    Wq_hat, Wq_se = per_replica_mean(out.started[sel] - out.joined[sel], out.service[sel], R)
    assert abs(W_hat - W_true) < Z * W_se, (W_hat, W_true, W_se)
    assert abs(Wq_hat - Wq_true) < Z * Wq_se, (Wq_hat, Wq_true, Wq_se)
    # the exact chain agrees with the closed form (checks the chain solver used in test 2)
    pi = geo_geo_c_chain(lam, p, 1, bernoulli=True)
    assert (np.arange(pi.shape[0]) * pi).sum() == pytest.approx(L_true, rel=1e-9)
    # Little's law on the sample path: Σ_d N_d = Σ_agents (min(leave, D) − join), exactly
    leave = np.full(agents.n, D, dtype=np.int64)
    leave[out.agent] = out.day
    assert stock.sum() == int((leave - day_of).sum())
    # and L = λ W on the run (finite-run estimates, so within their errors)
    lam_hat = arrivals[burn:].mean()
    assert abs(L_hat - lam_hat * W_hat) < Z * (L_se + lam_hat * W_se)
    print(f"\nGeo/Geo/1 λ={lam} p={p}: L {L_hat:.3f}±{L_se:.3f} (exact {L_true:.3f}), "
          f"W {W_hat:.3f}±{W_se:.3f} (exact {W_true:.3f}), Wq {Wq_hat:.3f}±{Wq_se:.3f} "
          f"(exact {Wq_true:.3f}), λW {lam_hat * W_hat:.3f}")  # fmt: skip


# ------------------------------------------------------------------ (2) M/M/c vs Erlang-C
def test_mmc_wait_matches_erlang_c() -> None:
    """Poisson(λ) arrivals per day, c servers, Geometric service of mean m = 20 days, ρ = 0.75.

    The approximation: days are discrete. Service times are Geometric (variance m(m−1), not m²)
    and arrivals and completions happen at day boundaries, so the engine's queue is a
    discrete-time M/Geo/c, whose exact mean wait we get from its Markov chain
    (:func:`geo_geo_c_chain`, ``Wq = Lq / λ``). It is shorter than Erlang-C's by about
    ``Wq / (2m)`` (2.5 % here) and tends to it as ``m`` grows. The simulation must match the exact
    discrete value within ``Z`` standard errors, and Erlang-C within ``Z`` SE plus ``Wq/m``.
    """
    m, c, rho, R, D, burn, tail = 20.0, 2, 0.75, 600, 5000, 800, 800
    lam, p = rho * c / m, 1 / m
    table = ServiceTable.create(
        [f"r{i}" for i in range(R)], model=ServiceTime.SERVERS, capacity=float(c), mean_days=m
    )
    arrivals = np.random.default_rng(2).poisson(lam, (D, R))
    system, _, out, day_of, _ = run_replicas(table, arrivals, seed=2)
    pi = geo_geo_c_chain(lam, p, c, bernoulli=False)
    Wq_discrete = float((np.maximum(np.arange(pi.shape[0]) - c, 0) * pi).sum() / lam)
    Wq_erlang = erlang_c_wait(lam, 1 / m, c)
    sel = (out.joined >= burn) & (out.joined < D - tail)
    assert sel.sum() == int(((day_of >= burn) & (day_of < D - tail)).sum())  # none censored
    Wq_hat, Wq_se = per_replica_mean(out.started[sel] - out.joined[sel], out.service[sel], R)
    assert abs(Wq_hat - Wq_discrete) < Z * Wq_se, (Wq_hat, Wq_discrete, Wq_se)
    assert abs(Wq_hat - Wq_erlang) < Z * Wq_se + Wq_erlang / m, (Wq_hat, Wq_erlang)
    assert abs(Wq_discrete / Wq_erlang - (1 - 1 / (2 * m))) < 0.005
    # mean service time and utilisation
    served = out.day[sel] - out.started[sel]
    assert abs(served.mean() - m) < Z * served.std() / np.sqrt(served.shape[0])
    busy = system.stock_history[burn:, :, 1].mean()
    assert abs(busy - lam * m) < 0.02 * lam * m
    print(f"\nM/M/c c={c} m={m} ρ={rho}: Wq {Wq_hat:.2f}±{Wq_se:.2f}, exact discrete "
          f"{Wq_discrete:.2f}, Erlang-C {Wq_erlang:.2f}; busy servers {busy:.3f} "
          f"(λm = {lam * m:.3f})")  # fmt: skip


# ------------------------------------------------------------------ (3) backlog under a daily cap
@pytest.mark.parametrize(
    ("capacity", "rate", "poisson"), [(7.0, 10, False), (2.5, 4, True), (0.3, 1, True)]
)
def test_daily_capacity_backlog_grows_linearly(capacity: float, rate: int, poisson: bool) -> None:
    """IMMEDIATE service: cumulative served after d days is ``⌊capacity × d⌋`` while a backlog
    remains, so backlog = arrivals − ⌊capacity × days⌋, growing at (rate − capacity) per day."""
    D = 400
    table = ServiceTable.create(["port"], capacity=capacity)
    arrivals = np.full((D, 1), rate)
    if poisson:  # random arrivals, above capacity on average, with a head start
        arrivals = np.random.default_rng(3).poisson(rate, (D, 1))
        arrivals[0] = 10
    system, _, out, _, _ = run_replicas(table, arrivals, seed=3)
    days = np.arange(1, D + 1)
    backlog = system.stock_history[:, 0, 0]
    np.testing.assert_array_equal(
        backlog, np.cumsum(arrivals[:, 0]) - np.floor(capacity * days + 1e-9)
    )
    assert np.bincount(out.day, minlength=D).sum() == np.floor(capacity * D + 1e-9)
    slope = np.polyfit(days, backlog, 1)[0]
    assert abs(slope - (arrivals.mean() - capacity)) < 0.05 * rate


# ------------------------------------------------------------------ (4) abandonment
@pytest.mark.parametrize("h", [0.01, 0.05])
def test_abandonment_fraction_matches_hazard(h: float) -> None:
    """Agents queued on day 0 at a closed office that opens (unlimited capacity) on day W:
    P(abandon) = 1 − (1 − h)^W, and the day of abandonment is Geometric(h) truncated at W."""
    waits = np.array([1, 5, 20, 60])
    N = 20_000
    table = ServiceTable.create([f"w{w}" for w in waits], capacity=0.0, abandon_hazard=h)
    agents = AgentTable(dict(sv.AGENT_COLUMNS), capacity=N * waits.shape[0])
    system = ServiceSystem(table, seed=4)
    ids = new_agents(agents, N * waits.shape[0])
    system.enqueue(agents, ids, np.repeat(np.arange(waits.shape[0]), N), day=0)
    outs = []
    for d in range(int(waits.max()) + 1):
        table.capacity[:] = np.where(waits == d, np.inf, table.capacity)
        outs.append(system.serve_day(agents, d))
    out = sv.Outcomes.concat(outs)
    gone = out.verb == Verb.ABANDON
    assert np.bincount(out.service, minlength=waits.shape[0]).tolist() == [N] * waits.shape[0]
    for s, w in enumerate(waits):
        frac = (gone & (out.service == s)).sum() / N
        expected = 1 - (1 - h) ** w
        se = np.sqrt(expected * (1 - expected) / N)
        assert abs(frac - expected) < Z * se + 1e-12, (w, frac, expected)
        # nobody abandons on or after the opening day; the abandonment day is geometric
        d = out.day[gone & (out.service == s)]
        assert d.max(initial=-1) < w
        if w > 1 and d.shape[0] > 100:
            k = np.arange(w)
            pk = (1 - h) ** k * h / expected
            chi2 = stats.chisquare(np.bincount(d, minlength=w), pk * d.shape[0])
            assert chi2.pvalue > 1e-4


# ------------------------------------------------------------------ (5) priority classes
@pytest.mark.parametrize("model", [ServiceTime.IMMEDIATE, ServiceTime.SERVERS])
def test_priority_classes_are_served_first(model: ServiceTime) -> None:
    """A lower class is only served on a day when no higher-class agent remains queued, and
    each class is served FIFO."""
    D, n_cls = 300, 3
    table = ServiceTable.create(
        ["office"], model=model, capacity=3.0, mean_days=2.0, n_classes=n_cls
    )
    agents = AgentTable(dict(sv.AGENT_COLUMNS), capacity=4 * D)
    system = ServiceSystem(table, seed=5)
    r = np.random.default_rng(5)
    cls_of = np.empty(0, dtype=np.int64)
    for d in range(D):
        n = int(r.poisson(1.6 if model == ServiceTime.SERVERS else 3.4))
        cls = r.integers(0, n_cls, n)
        ids = new_agents(agents, n)
        cls_of = np.r_[cls_of, cls]
        system.enqueue(agents, ids, 0, cls, day=d)
        system.serve_day(agents, d)
        started = np.flatnonzero(agents["svc_started"] == d)
        queued = system.queued(by_class=True)
        if started.shape[0]:
            worst = cls_of[started].max()
            assert queued[:worst].sum() == 0, (d, queued, cls_of[started])
    started = agents["svc_started"]
    for c in range(n_cls):  # FIFO: ids are in joining order; starts follow them
        s = started[cls_of == c]
        n_started = int((s >= 0).sum())
        assert (s[n_started:] == -1).all() and (np.diff(s[:n_started]) >= 0).all()
    wait = agents["svc_started"] - agents["svc_joined"]
    done = agents["svc_started"] >= 0
    means = [wait[done & (cls_of == c)].mean() for c in range(n_cls)]
    assert means[0] < means[1] < means[2]


# ------------------------------------------------------------------ (6) return_to_wait
def test_return_to_wait_round_trip_conserves_people() -> None:
    """Processing returns agents to wait (MPP) until a hearing day; they join the court's queue
    exactly on that day. Every day: arrivals = queued + in service + waiting + finished."""
    D = 400
    table = ServiceTable.create(
        ["processing", "court"],
        capacity=[5.0, 3.0],
        model=[ServiceTime.IMMEDIATE, ServiceTime.SERVERS],
        mean_days=[1.0, 4.0],
        abandon_hazard=[0.0, 0.01],
    )
    table.set_outcomes(0, {Verb.RETURN_TO_WAIT: 0.6, Verb.ADMIT: 0.2, Verb.EXPEL: 0.2})
    table.set_outcomes(1, {Verb.GRANT: 0.3, Verb.DENY: 0.5, Verb.RETURN_TO_WAIT: 0.2})
    agents = AgentTable(dict(sv.AGENT_COLUMNS), capacity=16)
    system = ServiceSystem(table, seed=6, calendar_horizon=4)
    r = np.random.default_rng(6)
    hearing = np.full(0, -1, dtype=np.int64)  # the day each agent is due in court
    arrived = finished = 0
    for d in range(D):
        ids = new_agents(agents, int(r.poisson(4.0)))
        hearing = np.r_[hearing, np.full(ids.shape[0], -1)]
        arrived += ids.shape[0]
        system.enqueue(agents, ids, 0, day=d)
        out = system.serve_day(agents, d)
        # agents due today have joined the court's queue today (and possibly started/left)
        due = np.flatnonzero(hearing == d)
        assert (agents["svc_state"][due] != sv.QueueState.WAITING).all()
        assert (agents["svc_joined"][due] == d).all()
        assert system.events[d, 1, sv.EV_JOIN] == due.shape[0]
        # the caller applies the verbs: a hearing 1-180 days ahead for RETURN_TO_WAIT
        back = out.with_verb(Verb.RETURN_TO_WAIT)
        until = d + r.integers(1, 181, back.shape[0])
        system.return_to_wait(agents, back, 1, until, day=d)
        hearing[back] = until
        finished += len(out) - back.shape[0]
        state = agents["svc_state"]
        census = np.bincount(state, minlength=4)
        stocks = system.stocks().sum(axis=0)
        assert census[1:].tolist() == stocks.tolist()
        assert arrived == stocks.sum() + finished
        assert census[0] == finished
    assert system._bk_head.shape[0] >= 128  # the ring of days grew to cover 180 days
    ev = system.events.sum(axis=0)
    assert ev[1, sv.EV_JOIN] == ev[:, sv.EV_WAIT].sum() - system.waiting().sum()
