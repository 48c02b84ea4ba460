"""The corridor day's small fused kernels (transitions, verbs, recorder) equal their NumPy twins
bit for bit (STYLE.md: the twin is the oracle)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corredor.engine.rng import stream_key_np
from corredor.rules.corridor.compile.outcomes import table_on, tables_on
from corredor.rules.corridor.process_openness import bound, bound_np, decay, decay_np
from corredor.rules.corridor.state import KeyedPhilox, Phase
from corredor.rules.corridor.transitions import (
    enter_service_k,
    enter_service_np,
    join_order,
    join_order_np,
    set_phase_k,
    set_phase_np,
)
from corredor.rules.corridor.verbs import (
    deport_k,
    deport_np,
    simple_verbs_k,
    simple_verbs_np,
    verb_rows,
    verb_rows_np,
)
from corredor.trackers.corridor.recorder import (
    count_events_day,
    count_events_day_np,
    day_segments,
    day_segments_np,
)


def equal(x, y) -> None:
    assert len(x) == len(y)
    for a, b in zip(x, y, strict=True):
        assert a.dtype == b.dtype, (a.dtype, b.dtype)
        np.testing.assert_array_equal(a, b)


def agent_columns(r: np.random.Generator, n: int, n_loc: int) -> list[np.ndarray]:
    """loc, link, phase, since, caravan: random values of the corridor's column types."""
    return [
        r.integers(0, n_loc, n).astype(np.int32),
        r.integers(-1, 9, n).astype(np.int32),
        r.integers(0, 8, n).astype(np.int8),
        r.integers(0, 50, n).astype(np.int32),
        r.integers(0, 4, n).astype(np.int16),
    ]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 200), k=st.integers(0, 60))
def test_enter_service_matches_its_twin(seed: int, n: int, k: int) -> None:
    r = np.random.default_rng(seed)
    n_loc, n_svc = 12, 5
    ids = r.choice(n, min(n, k), replace=False).astype(np.int32)
    svc = r.integers(0, n_svc, ids.shape[0]).astype(np.int64)
    svc_loc = r.integers(0, n_loc, n_svc).astype(np.int32)
    cols_nb = agent_columns(r, n, n_loc)
    cols_np = [c.copy() for c in cols_nb]
    enter_service_k(ids, svc, svc_loc, *cols_nb, 77)
    enter_service_np(ids, svc, svc_loc, *cols_np, 77)
    equal(cols_nb, cols_np)
    assert (cols_nb[2][ids] == Phase.SERVICE).all()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 200), k=st.integers(0, 80))
def test_deport_matches_its_twin(seed: int, n: int, k: int) -> None:
    """Screening, referral, removal home or to a border city (to try again or not): the same
    columns, flags, failed attempts and agents to leave again, bit for bit."""
    r = np.random.default_rng(seed)
    n_loc, n_svc, n_grp, n_origin = 12, 4, 3, 3
    who = r.choice(n, min(n, k), replace=False).astype(np.int32)
    s = r.integers(0, n_svc, who.shape[0]).astype(np.int32)
    gg = r.integers(0, n_grp, who.shape[0]).astype(np.int64)
    loc_kind = r.integers(0, 3, n_loc).astype(np.int8)
    bc = 1
    border_of_loc = np.where(loc_kind == bc, r.integers(0, 4, n_loc), -1).astype(np.int32)
    places = (
        r.integers(0, n_loc, n_origin).astype(np.int32),  # origin_loc
        loc_kind,
        r.random(n_loc) < 0.3,  # loc_in_dest
        border_of_loc,
    )
    fixed = (
        stream_key_np(seed, 106),
        int(r.integers(0, 3000)),
        r.choice([0.0, 0.4, 1.0], n_svc),  # screened
        r.choice([0.0, 0.5, 1.0], n_svc),  # a claim
        r.integers(-1, n_svc, n_svc).astype(np.int32),  # referred to
        r.random((n_svc, n_grp, 11)) < 0.4,  # to the origin (one verb's slice below)
        r.integers(-1, n_loc, (n_svc, n_grp, 11)).astype(np.int32),  # place
        float(r.choice([0.0, 0.3, 1.0])),
        float(r.choice([0.0, 0.6, 1.0])),
    )
    key, day, sp, sc, refer, to_origin, place, p_removed, p_border = fixed
    more = (
        r.integers(-1, 4, n).astype(np.int16),  # target
        r.integers(0, n_origin, n).astype(np.int16),  # origin
        r.integers(0, n_grp, n).astype(np.int16),  # group
    )
    cols_nb = agent_columns(r, n, n_loc)
    out = []
    for kernel, cols in ((deport_k, cols_nb), (deport_np, [c.copy() for c in cols_nb])):
        mine = tuple(c.copy() for c in more)
        fail = np.arange(n_grp, dtype=np.float64)
        flags = (np.empty(who.shape[0], bool), np.empty(who.shape[0], bool))
        back = np.full(who.shape[0], -7, dtype=np.int32)
        nb_ = kernel(
            who, s, gg, key, day, sp, sc, refer, to_origin[:, :, 4], place[:, :, 4],
            p_removed, p_border, tuple(cols), mine, places, bc, fail, *flags, back,
        )  # fmt: skip
        out.append([*cols, *mine, fail, *flags, np.sort(back[:nb_])])
    equal(out[0], out[1])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), segments=st.integers(1, 8))
def test_count_events_day_matches_its_twin(seed: int, segments: int) -> None:
    """A day's event table in one call: the segments not yet counted are added, the groups of
    every event returned."""
    r = np.random.default_rng(seed)
    K, X, G, n_agents = 5, 7, 4, 60
    lens = r.integers(0, 12, segments)
    off = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    seg_kind = r.integers(0, K, segments).astype(np.int64)
    counted = r.random(segments) < 0.3
    target = r.integers(-1, X - 1, int(off[-1])).astype(np.int64)
    group = r.integers(0, G, n_agents).astype(np.int16)
    ids = r.integers(0, n_agents, int(off[-1])).astype(np.int32)
    ev_nb = r.integers(0, 9, (K, X, G)).astype(np.int64)
    ev_np = ev_nb.copy()
    g_nb = count_events_day(ev_nb, seg_kind, counted, off, target, group, ids)
    g_np = count_events_day_np(ev_np, seg_kind, counted, off, target, group, ids)
    equal([g_nb, ev_nb], [g_np, ev_np])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 100), k=st.integers(0, 40))
def test_set_phase_matches_its_twin(seed: int, n: int, k: int) -> None:
    """Every phase (travel keeps the caravan, the others end it), ids given twice included."""
    r = np.random.default_rng(seed)
    ids = r.integers(0, n, k).astype(np.int32)
    for ph in Phase:
        cols_nb = agent_columns(r, n, 5)[2:]  # phase, since, caravan
        cols_np = [c.copy() for c in cols_nb]
        set_phase_k(ids, *cols_nb, int(ph), 31)
        set_phase_np(ids, *cols_np, int(ph), 31)
        equal(cols_nb, cols_np)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), services=st.integers(1, 4), groups=st.integers(1, 5))
def test_outcome_tables_of_a_period_equal_the_cell_by_cell_tables(seed, services, groups):
    """``tables_on`` (every cell of a day at once) equals ``table_on`` bit for bit: daily
    probabilities outside [0, 1], a verb taking the rest or none, cells with nothing."""
    r = np.random.default_rng(seed)
    V, days = 11, 6
    cells = []
    for s in range(services):
        for g in range(groups):
            verbs = r.choice(V, int(r.integers(0, 5)), replace=False).tolist()
            row = []
            for j, v in enumerate(verbs):
                if j == 0 and r.random() < 0.6:
                    row.append((int(v), None))
                else:
                    x = r.choice([0.0, 1.0, -0.2, 1.3]) if r.random() < 0.3 else r.random()
                    row.append((int(v), np.full(days, x) * r.uniform(0.2, 1.5, days)))
            cells.append((s, g, row))
    shape = (services, groups, V)
    on = tuple(range(days))
    for d, table in zip(on, tables_on(on, cells, shape), strict=True):
        np.testing.assert_array_equal(table, table_on(d, cells, shape))


def test_mexico_us_outcome_tables_equal_the_cell_by_cell_tables(monkeypatch) -> None:
    """Every outcome table of mexico-us's whole period, as compiled, equals the cell-by-cell
    table of its day."""
    from corredor.rules.corridor.compile import outcomes
    from corredor.rules.corridor.compiled import compile_corridor
    from corredor.scenario.corridor import load_corridor_scenario

    seen = {}
    real = outcomes._cells

    def keep(*args):
        seen["cells"] = real(*args)
        return seen["cells"]

    monkeypatch.setattr(outcomes, "_cells", keep)
    c = compile_corridor(load_corridor_scenario("mexico-us"))
    shape = c.outcome_tables[0].shape
    assert len(c.outcome_days) > 3
    for d, table in zip(c.outcome_days, c.outcome_tables, strict=True):
        np.testing.assert_array_equal(table, table_on(d, seen["cells"][0], shape))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 200), k=st.integers(0, 80))
def test_simple_verbs_match_their_twin(seed: int, n: int, k: int) -> None:
    """Release, expel, admit, settle, abandon, die (and rows of other verbs, left alone): the
    same columns and successes and failures, bit for bit."""
    r = np.random.default_rng(seed)
    n_loc, n_grp, n_origin = 12, 3, 3
    ids = r.choice(n, min(n, k), replace=False).astype(np.int32)
    verb = r.integers(0, 11, ids.shape[0]).astype(np.int64)
    place = r.integers(-1, n_loc, ids.shape[0]).astype(np.int32)
    loc_kind = r.integers(0, 3, n_loc).astype(np.int8)
    places = (
        r.integers(0, n_loc, n_origin).astype(np.int32),
        loc_kind,
        r.random(n_loc) < 0.3,
        np.where(loc_kind == 1, r.integers(0, 4, n_loc), -1).astype(np.int32),
    )
    key, day, p_border = stream_key_np(seed, 106), int(r.integers(0, 3000)), float(r.random())
    more = (
        r.integers(-1, 4, n).astype(np.int16),
        r.integers(0, n_origin, n).astype(np.int16),
        r.integers(0, n_grp, n).astype(np.int16),
    )
    cols = agent_columns(r, n, n_loc)
    out = []
    for kernel in (simple_verbs_k, simple_verbs_np):
        mine = [c.copy() for c in cols]
        tgt = [c.copy() for c in more]
        succ, fail = np.arange(n_grp, dtype=np.float64), np.ones(n_grp)
        kernel(ids, verb, place, key, day, p_border, tuple(mine), tuple(tgt), places, 1, succ,
               fail)  # fmt: skip
        out.append([*mine, *tgt, succ, fail])
    equal(out[0], out[1])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), segments=st.integers(0, 8), n_obs=st.integers(0, 6))
def test_day_segments_matches_its_twin(seed: int, segments: int, n_obs: int) -> None:
    """A day's segments prepared in one call: the event table, every event's group and status,
    the segments each observable counts, and the sets to ready (a new period, or too full)."""
    r = np.random.default_rng(seed)
    K, X, G, n_agents = 5, 7, 4, 60
    lens = r.integers(0, 12, segments)
    with_status = r.random(segments) < 0.5
    meta = (
        np.stack([r.integers(0, K, segments), r.random(segments) < 0.3, with_status, lens], axis=1)
        .astype(np.int64)
        .reshape(segments, 4)
    )
    E = int(lens.sum())
    tgt = r.integers(-1, X - 1, E).astype(np.int64)
    ids = r.integers(0, n_agents, E).astype(np.int32)
    stat = r.integers(0, 3, int(lens[with_status].sum())).astype(np.int64)
    group = r.integers(0, G, n_agents).astype(np.int16)
    kind_ok = r.random((n_obs, K)) < 0.5
    any_status = r.random(n_obs) < 0.5
    people_ix = np.flatnonzero(r.random(n_obs) < 0.6).astype(np.int64)
    set_off = np.concatenate([[0], np.cumsum(2 ** r.integers(1, 5, n_obs))]).astype(np.int64)
    set_size = r.integers(0, 4, n_obs).astype(np.int64)
    set_period = r.integers(0, 2, n_obs).astype(np.int64)
    period = r.integers(0, 2, n_obs).astype(np.int64)
    ev_nb = r.integers(0, 9, (K, X, G)).astype(np.int64)
    ev_np = ev_nb.copy()
    args = (kind_ok, any_status, people_ix, set_period, set_size, set_off, period)
    got = day_segments(meta, tgt, ids, stat, ev_nb, group, *args)
    want = day_segments_np(meta, tgt, ids, stat, ev_np, group, *args)
    equal([*got, ev_nb], [*want, ev_np])


@pytest.mark.parametrize("key", [0, 1, 2**63, 2**64 - 1, 123456789123])
def test_keyed_philox_is_a_new_philox_of_the_key(key: int) -> None:
    """The departures' generator reset to a key draws what a new Philox of that key draws,
    whatever was drawn from it before."""
    g = KeyedPhilox()
    g.at_key(7).standard_normal(5)  # used before
    lam = np.linspace(0.0, 40.0, 23)
    got = g.at_key(key).poisson(lam)
    np.testing.assert_array_equal(got, np.random.Generator(np.random.Philox(key=key)).poisson(lam))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(0, 40))
def test_verb_rows_matches_its_twin(seed: int, n: int) -> None:
    """The released agents' rows: moved to their service's place unless they abandoned, sorted
    by verb (stable), with groups, places, statuses and one (verb, start, end) row per verb."""
    r = np.random.default_rng(seed)
    S, G, V, L, n_agents = 4, 3, 11, 9, 80
    ids = r.permutation(n_agents)[:n].astype(np.int32)
    verb = r.integers(0, V, n).astype(np.int64)
    svc = r.integers(0, S, n).astype(np.int32)
    group = r.integers(0, G, n_agents).astype(np.int16)
    svc_loc = r.integers(0, L, S).astype(np.int32)
    place = r.integers(-1, L, (S, G, V)).astype(np.int32)
    status = r.integers(0, 4, (S, G, V)).astype(np.int32)
    loc_nb = r.integers(0, L, n_agents).astype(np.int32)
    loc_np = loc_nb.copy()
    got = verb_rows(ids, verb, svc, group, loc_nb, svc_loc, place, status, 8)
    want = verb_rows_np(ids, verb, svc, group, loc_np, svc_loc, place, status, 8)
    equal([*got, loc_nb], [*want, loc_np])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(0, 40), wide=st.booleans())
def test_join_order_matches_its_twin(seed: int, n: int, wide: bool) -> None:
    """Joiners sorted by service then agent id (repeats and large ids included), dtypes kept."""
    r = np.random.default_rng(seed)
    ids = r.integers(0, 2**31 - 1 if wide else 12, n).astype(np.int32)
    svc = r.integers(0, 2**20 if wide else 4, n).astype(np.int64 if wide else np.int32)
    equal(join_order(ids, svc), join_order_np(ids, svc))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), G=st.integers(0, 12), cap=st.floats(0.5, 20.0))
def test_openness_kernels_match_their_twins(seed: int, G: int, cap: float) -> None:
    """The weighted counts and level, and the bounded multiplier (NaN, the bounds and exact
    ones included), as NumPy computes them."""
    r = np.random.default_rng(seed)
    cols = [r.random(G) * 100.0, r.random(G) * 100.0, r.integers(0, 9, G) * 1.0, r.random(G)]
    cols_np = [c.copy() for c in cols]
    keep = float(np.exp(-1.0 / r.uniform(1.0, 400.0)))
    level = decay(*cols, keep)
    equal([level, *cols], [decay_np(*cols_np, keep), *cols_np])
    mult = np.exp(r.normal(0.0, 2.0, G))
    mult[r.random(G) < 0.2] = 1.0
    mult[r.random(G) < 0.1] = np.nan
    got, ones = bound(mult, 1.0 / cap, cap)
    want, ones_np = bound_np(mult, 1.0 / cap, cap)
    equal([got], [want])
    assert ones == ones_np
    assert bound(np.ones(G), 0.5, 2.0)[1] and bound_np(np.ones(G), 0.5, 2.0)[1]
