"""Review periods in sequence: the endogenous mode (the game chooses T's policy each period) and
the exogenous mode (a given policy path, e.g. the historical timeline; the feasible space is
computed alongside). State carried between periods: the asylum backlog, and the hegemon's
demand, which escalates to a safe-third-country agreement after a review in which arrivals
exceeded its cap (the June 2019 Joint Declaration's fallback)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd

from corredor.bargaining.actors import Hegemon, TransitState
from corredor.bargaining.calibration import default
from corredor.bargaining.game import Mode, PeriodSolution, evaluate_period, solve_period
from corredor.bargaining.outcomes import OutcomeModel, PeriodContext, ReducedFormOutcomes
from corredor.bargaining.policy import PolicyGrid, TransitPolicy
from corredor.bargaining.stage import StageGame
from corredor.errors import ScenarioError


@dataclass(frozen=True)
class BargainingResult:
    """The solved review periods, in order."""

    periods: tuple[PeriodSolution, ...]

    def __len__(self) -> int:
        return len(self.periods)

    def __getitem__(self, i: int) -> PeriodSolution:
        return self.periods[i]

    def to_frame(self) -> pd.DataFrame:
        """One row per period: dates, threat, policy levers, outcomes, loss terms, feasible
        space size and the distance of T's policy from its preferred one."""
        return pd.DataFrame([p.row() for p in self.periods])


def check_review_days(review_days: int) -> int:
    if not isinstance(review_days, int) or review_days < 1:
        raise ScenarioError(
            None,
            f"review period of {review_days!r} days",
            field="review_days",
            expected="a whole number of days >= 1 (45 or 90 in 2019)",
        )
    return review_days


def run_game(
    hegemon: Hegemon,
    transit: TransitState,
    *,
    start: dt.date,
    periods: int,
    review_days: int = 90,
    mode: Mode = "endogenous",
    policy_path: Sequence[TransitPolicy] | None = None,
    model: OutcomeModel | None = None,
    grid: PolicyGrid | None = None,
    refine: bool = False,
    backlog_start: float | None = None,
) -> BargainingResult:
    """Play ``periods`` review periods of ``review_days`` days from ``start``.

    ``mode="endogenous"``: each period T best-responds (:func:`solve_period`);
    ``mode="exogenous"``: T's policy is ``policy_path[k]`` (one policy per period) and the
    game only evaluates it and maps the feasible space.
    """
    review_days = check_review_days(review_days)
    if periods < 1:
        raise ScenarioError(None, f"{periods} periods", field="periods", expected=">= 1")
    if mode == "exogenous":
        if policy_path is None or len(policy_path) < periods:
            raise ScenarioError(
                None,
                "exogenous mode needs one policy per period",
                field="policy_path",
                expected=f"{periods} policies",
            )
    elif mode != "endogenous":
        raise ScenarioError(
            None, f"mode {mode!r}", field="mode", expected="'endogenous' or 'exogenous'"
        )
    model = model if model is not None else ReducedFormOutcomes()
    grid = grid if grid is not None else PolicyGrid()
    backlog = default("backlog_start") if backlog_start is None else backlog_start
    demand = hegemon.demand
    out: list[PeriodSolution] = []
    for k in range(periods):
        ctx = PeriodContext(
            start=start + dt.timedelta(days=k * review_days),
            days=review_days,
            backlog_start=backlog,
            mpp_return_share=hegemon.mpp_return_share,
            index=k,
        )
        game = StageGame(hegemon, transit, ctx, model, demand)
        if mode == "endogenous":
            sol = solve_period(game, grid, refine_solution=refine)
        else:
            assert policy_path is not None
            sol = evaluate_period(game, policy_path[k], grid)
        out.append(sol)
        backlog = sol.outcomes["backlog"]
        reviewed = game.threat_in_force  # H reviews the periods its threat covers
        over = sol.outcomes["arrivals"] / review_days > demand.arrivals_cap_per_day
        if hegemon.escalate_to_stc and reviewed and over and not demand.safe_third_country:
            demand = replace(demand, safe_third_country=True)
    return BargainingResult(tuple(out))
