"""Comparative statics of the hegemon–transit-state threat game (corredor.bargaining).

* the feasible space does not grow when exposure or credibility rises (property test over
  parameter draws);
* with zero exposure the threat changes nothing; with no threat T chooses its preferred
  (autarkic) policy;
* the solution satisfies its own optimality conditions: no grid point has a lower loss; after
  continuous refinement, the KKT conditions hold;
* the June 2019 episode: with data-based exposure the threat moves Mexico to high enforcement,
  ends the visa approach and shrinks the feasible space to (near) "enforce"; with half the
  export share the space stays wider and Mexico keeps more of its own policy.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corredor.bargaining import (
    Hegemon,
    PeriodContext,
    PolicyGrid,
    ReducedFormOutcomes,
    StageGame,
    episode_2019,
    kkt_check,
    mexico_2019,
    solve_period,
    sweep,
    united_states_2019,
)

JUNE10 = dt.date(2019, 6, 10)
SMALL = PolicyGrid.regular(3)
GRID = PolicyGrid()
MODEL = ReducedFormOutcomes()
DATA_SHARE = 0.815
#: the 2019 US without its threat (the transit state on its own)
NO_THREAT = dataclasses.replace(united_states_2019(), threat=None)


def make_game(
    share: float | None = None,
    credibility: float | None = None,
    *,
    hegemon: Hegemon | None = None,
    start: dt.date = JUNE10,
    budget: float | None = None,
) -> StageGame:
    h = hegemon if hegemon is not None else united_states_2019()
    h = h.with_credibility(credibility) if credibility is not None else h
    t = mexico_2019(share)
    if budget is not None:
        t = dataclasses.replace(t, budget_musd_per_year=budget)
    return StageGame(h, t, PeriodContext(start, 90, mpp_return_share=h.mpp_return_share), MODEL)


# --------------------------------------------------------------------- monotone feasible space
draws = st.fixed_dictionaries(
    {
        "noise": st.floats(0.05, 0.6),
        "reduction": st.floats(0.2, 0.8),
        "tolerance": st.floats(0.0005, 0.01),
        "loss_share": st.floats(0.1, 1.0),
        "budget": st.floats(200.0, 3000.0),
        "credibility": st.floats(0.0, 1.0),
        "share": st.floats(0.0, 1.0),
    }
)


def drawn_game(d: dict[str, float], share: float, credibility: float) -> StageGame:
    base = united_states_2019()
    h = dataclasses.replace(
        base,
        observation_noise=d["noise"],
        demand=dataclasses.replace(base.demand, arrivals_reduction=d["reduction"]),
    ).with_credibility(credibility)
    t = mexico_2019(share)
    t = dataclasses.replace(
        t,
        exposure=dataclasses.replace(t.exposure, tariff_loss_share=d["loss_share"]),
        budget_musd_per_year=d["budget"],
        sanction_tolerance_gdp=d["tolerance"],
    )
    return StageGame(h, t, PeriodContext(JUNE10, 90, mpp_return_share=h.mpp_return_share), MODEL)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=draws, more=st.floats(0.0, 1.0))
def test_feasible_space_does_not_grow_with_exposure(d: dict[str, float], more: float) -> None:
    lo, hi = sorted((d["share"], more))
    small = drawn_game(d, hi, d["credibility"]).evaluate(SMALL.points).feasible
    large = drawn_game(d, lo, d["credibility"]).evaluate(SMALL.points).feasible
    assert not (small & ~large).any()  # nested: F(higher exposure) ⊆ F(lower exposure)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=draws, more=st.floats(0.0, 1.0))
def test_feasible_space_does_not_grow_with_credibility(d: dict[str, float], more: float) -> None:
    lo, hi = sorted((d["credibility"], more))
    small = drawn_game(d, d["share"], hi).evaluate(SMALL.points).feasible
    large = drawn_game(d, d["share"], lo).evaluate(SMALL.points).feasible
    assert not (small & ~large).any()


def test_sweep_sizes_are_monotone() -> None:
    actors = {"hegemon": united_states_2019(), "transit": mexico_2019(), "start": JUNE10}
    df = sweep([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], [0.0, 0.5, 1.0], grid=SMALL, **actors)
    table = df.pivot(index="exposure", columns="credibility", values="feasible_share")
    assert (np.diff(table.to_numpy(), axis=0) <= 1e-12).all()  # down the exposures
    assert (np.diff(table.to_numpy(), axis=1) <= 1e-12).all()  # across the credibilities
    sizes = table.to_numpy()
    assert sizes[-1, -1] < sizes[0, -1]  # exposure 1 vs 0 at credibility 1
    assert {"arrivals", "stranded", "deportations_unscreened"} <= set(df.columns)


# ------------------------------------------------------------ zero exposure, no threat
@pytest.mark.parametrize("refine", [False, True])
def test_zero_exposure_the_threat_changes_nothing(refine: bool) -> None:
    threat = solve_period(make_game(0.0), GRID, refine_solution=refine)
    none = solve_period(make_game(0.0, hegemon=NO_THREAT), GRID, refine_solution=refine)
    assert threat.policy.distance(none.policy) < 1e-9
    assert (threat.feasible.mask == none.feasible.mask).all()
    assert threat.terms["expected_sanction"] == 0.0


@pytest.mark.parametrize("refine", [False, True])
@pytest.mark.parametrize("hegemon", [NO_THREAT, united_states_2019(0.0)])
def test_without_a_threat_t_chooses_its_preferred_policy(refine: bool, hegemon: Hegemon) -> None:
    sol = solve_period(make_game(hegemon=hegemon), GRID, refine_solution=refine)
    assert sol.policy.distance(sol.preferred) < 1e-6
    assert sol.feasible.share == sol.feasible.affordable_share
    # the preferred policy is the 2018-19 humanitarian approach: visas, little enforcement
    assert sol.policy.humanitarian_visas >= 0.5
    assert sol.policy.enforcement <= 0.1
    assert not sol.policy.safe_third_country


# ------------------------------------------------------------------- optimality conditions
@pytest.mark.parametrize("share", [DATA_SHARE, DATA_SHARE / 2, 0.2])
def test_no_grid_point_has_a_lower_loss(share: float) -> None:
    g = make_game(share)
    sol = solve_period(g, GRID)
    best = sol.terms["loss"]
    # recompute every grid point's loss in chunks, independently of the solver's batch
    for chunk in np.array_split(np.arange(GRID.size), 7):
        ev = g.evaluate(GRID.points[chunk])
        assert (ev.loss[ev.affordable] >= best - 1e-9 * abs(best)).all()
    assert sol.grid_index is not None and GRID.policy(sol.grid_index) == sol.policy


@pytest.mark.parametrize(
    ("share", "budget"),
    [(DATA_SHARE, None), (DATA_SHARE / 2, None), (0.2, None), (0.0, None), (DATA_SHARE, 300.0)],
)
def test_refined_solution_satisfies_kkt(share: float, budget: float | None) -> None:
    g = make_game(share, budget=budget)
    grid_sol = solve_period(g, GRID)
    sol = solve_period(g, GRID, refine_solution=True)
    assert sol.refined and sol.kkt is not None
    assert sol.terms["loss"] <= grid_sol.terms["loss"] + 1e-9
    assert sol.kkt.satisfied(1e-4), sol.kkt
    if budget is not None:  # a binding budget: the multiplier is positive, spending = budget
        assert sol.kkt.budget_active and sol.kkt.multiplier > 0
        assert sol.outcomes["fiscal_cost_musd"] == pytest.approx(g.budget, rel=1e-6)
    # an independent check: the KKT report of a perturbed policy is violated
    worse = dataclasses.replace(sol.policy, humanitarian_visas=0.5)
    assert not kkt_check(g, worse).satisfied(1e-4)


# --------------------------------------------------------------------- the 2019 episode
def test_june_2019_episode_with_data_based_exposure() -> None:
    r = episode_2019(grid=GRID)
    before, under = r[0], r[1]
    assert before.game.context.end == JUNE10 and under.game.context.start == JUNE10
    # before the schedule: Mexico's own policy (visa approach, little enforcement)
    assert before.policy == before.preferred
    assert before.policy.humanitarian_visas >= 0.5 and before.policy.enforcement <= 0.1
    # under the threat: high enforcement in every region, no visas
    p = under.policy
    assert p.enforcement >= 0.6
    assert min(p.enforcement_south, p.enforcement_transit, p.enforcement_north) >= 0.5
    assert p.humanitarian_visas == 0.0
    assert under.in_feasible_space
    # the feasible space shrinks to (near) "enforce"
    fs = under.feasible
    assert fs.share <= 0.12
    assert before.feasible.share >= 0.9
    assert fs.min_enforcement >= 0.5  # every feasible policy enforces
    assert fs.centroid()["humanitarian_visas"] <= 0.25
    assert fs.distance_to(under.preferred) >= 0.4  # Mexico's own policy is far outside it
    assert under.outcomes["arrivals"] < 0.5 * before.outcomes["arrivals"]


@pytest.mark.parametrize("refine", [False, True])
def test_half_the_export_share_leaves_more_room(refine: bool) -> None:
    data = episode_2019(refine=refine, grid=GRID, periods=2)[1]
    half = episode_2019(DATA_SHARE / 2, refine=refine, grid=GRID, periods=2)[1]
    assert half.feasible.share >= 2 * data.feasible.share
    assert half.feasible.min_enforcement < data.feasible.min_enforcement
    assert half.feasible.distance_to(half.preferred) < data.feasible.distance_to(data.preferred)
    # Mexico keeps more of its own policy: closer to its preferred one, less enforcement
    assert half.distance_from_preferred < data.distance_from_preferred
    assert half.policy.enforcement < data.policy.enforcement
    assert half.policy.humanitarian_visas >= data.policy.humanitarian_visas
