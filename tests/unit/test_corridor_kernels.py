"""The corridor's numba movement kernel agrees bit for bit with its NumPy twin, and the logit
choice tables are what ``docs/model.md`` §3.3.7 says (hypothesis on random small worlds)."""

from __future__ import annotations

import numba as nb
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corredor.engine.rng import stream_key_np
from corredor.rules.corridor.kernels import (
    BORDER,
    CROSSING,
    TRAVEL,
    draw_links,
    draw_links_np,
    move_day,
    move_day_np,
    within_table,
    within_table_np,
)


def random_world(seed: int, n_loc: int, n_agents: int, rows: int, zones: int, groups: int):
    r = np.random.default_rng(seed)
    edges = [(i, i + 1) for i in range(n_loc - 1)] + [(i + 1, i) for i in range(n_loc - 1)]
    for _ in range(int(r.integers(0, 2 * n_loc))):
        i, j = r.choice(n_loc, 2, replace=False)
        edges.append((int(i), int(j)))
    edges.sort()
    link_from = np.array([e[0] for e in edges], dtype=np.int32)
    link_to = np.array([e[1] for e in edges], dtype=np.int32)
    E = len(edges)
    out_off = np.zeros(n_loc + 1, dtype=np.int64)
    np.cumsum(np.bincount(link_from, minlength=n_loc), out=out_off[1:])
    util = r.normal(size=(rows, E)) * 2
    cand = r.random((rows, E)) < 0.7
    within, has = within_table(util, cand, out_off, link_from)
    world = dict(
        out_off=out_off,
        link_to=link_to,
        link_days=r.uniform(0.05, 2.0, E),
        link_zone=np.where(r.random(E) < 0.6, r.integers(0, zones, E), -1).astype(np.int32),
        link_risk=r.uniform(0, 0.5, E),
        link_crossing=r.random(E) < 0.1,
        zone_of_loc=np.where(r.random(n_loc) < 0.5, r.integers(0, zones, n_loc), -1).astype(
            np.int32
        ),
        hazard=r.uniform(0, 0.3, (zones, groups)),
        effort=r.uniform(0, 3, zones),
        within=within,
        has=has,
        stop_loc=r.random(n_loc) < 0.2,
        loc_in_dest=r.random(n_loc) < 0.1,
    )
    n_table = n_agents + 7
    ids = np.sort(r.choice(n_table, n_agents, replace=False)).astype(np.int32)
    loc = r.integers(0, n_loc, n_table).astype(np.int32)
    on_link = r.random(n_table) < 0.3
    pick = r.integers(0, E, n_table)
    link = np.where(on_link, pick, -1).astype(np.int32)
    loc = np.where(on_link, link_from[pick], loc).astype(np.int32)
    t_left = np.where(on_link, r.uniform(0, 2, n_table), 0).astype(np.float32)
    phase = r.choice(np.array([TRAVEL, TRAVEL, BORDER, CROSSING], dtype=np.int8), n_table)
    agents = dict(
        ids=ids,
        loc=loc,
        link=link,
        t_left=t_left,
        phase=phase,
        row=r.integers(0, rows, n_agents).astype(np.int64),
        group=r.integers(0, groups, n_agents).astype(np.int64),
        target_loc=np.where(r.random(n_agents) < 0.8, r.integers(0, n_loc, n_agents), -1),
        mult=np.where(r.random(n_agents) < 0.2, r.uniform(0, 1, n_agents), 1.0),
    )
    return world, agents


def run(fn, world, agents, seed: int, max_hops: int):
    ag = {k: v.copy() for k, v in agents.items()}
    n = ag["ids"].shape[0]
    out = dict(
        expo=np.zeros(n),
        ezone=np.full(n, -1, dtype=np.int32),
        arrived=np.full((max_hops, n), -1, dtype=np.int32),
        harmed=np.full((max_hops, n), -1, dtype=np.int32),
    )
    fn(
        ag["ids"], ag["loc"], ag["link"], ag["t_left"], ag["phase"], ag["row"], ag["group"],
        ag["target_loc"], ag["mult"],
        world["out_off"], world["link_to"], world["link_days"], world["link_zone"],
        world["link_risk"], world["link_crossing"], world["zone_of_loc"], world["hazard"],
        world["effort"], world["within"], world["has"], world["stop_loc"], world["loc_in_dest"],
        stream_key_np(seed, 104), stream_key_np(seed, 107), 3, max_hops,
        out["expo"], out["ezone"], out["arrived"], out["harmed"],
    )  # fmt: skip
    return ag, out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31 - 1),
    n_loc=st.integers(2, 12),
    n_agents=st.integers(0, 300),
    rows=st.integers(1, 5),
    max_hops=st.integers(1, 12),
)
def test_move_kernel_matches_its_numpy_twin(
    seed: int, n_loc: int, n_agents: int, rows: int, max_hops: int
) -> None:
    world, agents = random_world(seed, n_loc, n_agents, rows, zones=3, groups=4)
    ag_np, out_np = run(move_day_np, world, agents, seed, max_hops)
    threads = nb.get_num_threads()
    try:
        # on two threads (as on a day with many people in motion), and on one (few)
        nb.set_num_threads(min(2, nb.config.NUMBA_NUM_THREADS))
        ag_nb, out_nb = run(move_day, world, agents, seed, max_hops)
        nb.set_num_threads(1)
        ag_s, out_s = run(move_day, world, agents, seed, max_hops)
    finally:
        nb.set_num_threads(threads)
    for k in ("loc", "link", "t_left", "phase"):
        np.testing.assert_array_equal(ag_nb[k], ag_np[k], err_msg=k)
        np.testing.assert_array_equal(ag_s[k], ag_np[k], err_msg=k)
    for k in ("expo", "ezone", "arrived", "harmed"):
        np.testing.assert_array_equal(out_nb[k], out_np[k], err_msg=k)
        np.testing.assert_array_equal(out_s[k], out_np[k], err_msg=k)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_loc=st.integers(2, 10), rows=st.integers(1, 4))
def test_within_tables_are_cumulative_logit_probabilities(seed: int, n_loc: int, rows: int) -> None:
    world, _ = random_world(seed, n_loc, 0, rows, zones=1, groups=1)
    r = np.random.default_rng(seed + 1)
    out_off = world["out_off"]
    E = int(out_off[-1])
    link_from = np.repeat(np.arange(n_loc), np.diff(out_off)).astype(np.int32)
    util = r.normal(size=(rows, E))
    cand = r.random((rows, E)) < 0.6
    within, has = within_table(util, cand, out_off, link_from)
    for i in range(rows):
        for v in range(n_loc):
            lo, hi = int(out_off[v]), int(out_off[v + 1])
            c = cand[i, lo:hi]
            assert has[i, v] == bool(c.any())
            if not c.any():
                continue
            p = np.where(c, np.exp(util[i, lo:hi] - util[i, lo:hi][c].max()), 0.0)
            np.testing.assert_allclose(within[i, lo:hi], np.cumsum(p) / p.sum(), rtol=1e-12)
            assert within[i, lo + int(np.flatnonzero(c)[-1])] == 1.0  # exactly
            # a draw never picks a non-candidate, and always picks one
            u = r.random(200)
            got = draw_links_np(u, np.full(200, v), np.full(200, i), out_off, within, has)
            assert (got >= lo).all() and (got < hi).all()
            assert c[got - lo].all()
    # the kernel draws what its twin draws, at every place and row (-1 without a candidate)
    u = r.random(300)
    place = r.integers(0, n_loc, 300)
    row = r.integers(0, rows, 300)
    want = draw_links_np(u, place, row, out_off, within, has)
    np.testing.assert_array_equal(draw_links(u, place, row, out_off, within, has), want)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_loc=st.integers(1, 10),
    rows=st.integers(0, 5),
    grouped=st.booleans(),
    one_row=st.booleans(),
)
def test_within_table_matches_its_twin(
    seed: int, n_loc: int, rows: int, grouped: bool, one_row: bool
) -> None:
    """The numba tables equal the NumPy twin's bit for bit: links grouped by origin node or
    not, a candidate mask per row or one for all rows, places without links, infinite and
    NaN utilities."""
    r = np.random.default_rng(seed)
    E = int(r.integers(1, 3 * n_loc + 1))
    link_from = np.sort(r.integers(0, n_loc, E)).astype(np.int32)
    out_off = np.zeros(n_loc + 1, dtype=np.int64)
    np.cumsum(np.bincount(link_from, minlength=n_loc), out=out_off[1:])
    if not grouped:
        r.shuffle(link_from)
    util = r.normal(size=(rows, E)) * 3
    odd = r.random((rows, E))
    util[odd < 0.05] = -np.inf
    util[(odd >= 0.05) & (odd < 0.08)] = np.nan
    cand = r.random(E if one_row else (rows, E)) < 0.6
    got = within_table(util, cand, out_off, link_from)
    want = within_table_np(util, cand, out_off, link_from)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
