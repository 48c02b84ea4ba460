"""The solution of a review period: T's best response over the policy grid (exact, vectorised),
optionally refined continuously with its KKT conditions checked (:mod:`.optimality`), the
feasible space, and T's preferred (no-hegemon) policy. The stage game itself is in
:mod:`.stage`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from corredor.bargaining.feasible import FeasibleSpace
from corredor.bargaining.optimality import KKTReport, kkt_check, refine
from corredor.bargaining.policy import STC, BoolArray, FloatArray, PolicyGrid, TransitPolicy
from corredor.bargaining.stage import StageEvaluation, StageGame, on_its_own
from corredor.errors import ScenarioError

Mode = Literal["endogenous", "exogenous"]


@dataclass(frozen=True)
class PeriodSolution:
    """The outcome of one review period: T's policy (chosen, or given in exogenous mode), its
    outcomes and loss terms, the feasible space and T's preferred (no-hegemon) policy."""

    game: StageGame
    mode: Mode
    policy: TransitPolicy
    outcomes: dict[str, float]
    terms: dict[str, float]
    feasible: FeasibleSpace
    preferred: TransitPolicy
    in_feasible_space: bool
    refined: bool = False
    kkt: KKTReport | None = None
    grid_index: int | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def distance_from_preferred(self) -> float:
        return self.policy.distance(self.preferred)

    def row(self) -> dict[str, object]:
        """One flat row (for a DataFrame)."""
        ctx = self.game.context
        row: dict[str, object] = {
            "period": ctx.index,
            "start": ctx.start,
            "end": ctx.end,
            "days": ctx.days,
            "mode": self.mode,
            "tariff_mean": self.game.hegemon.threat.schedule.mean_rate(ctx.start, ctx.days)
            if self.game.hegemon.threat is not None
            else 0.0,
            "credibility": self.game.credibility,
            "export_share": self.game.transit.exposure.export_share,
            "stc_demanded": self.game.active_demand.safe_third_country,
            "sanction_loss_musd": self.game.sanction_loss,
        }
        row.update(self.policy.as_dict())
        row["enforcement_mean"] = self.policy.enforcement
        row.update(self.outcomes)
        row["arrivals_per_day"] = self.outcomes["arrivals"] / ctx.days
        row.update(self.terms)
        row.update(self.feasible.summary())
        row["in_feasible_space"] = self.in_feasible_space
        row["distance_from_preferred"] = self.distance_from_preferred
        row["preferred_to_feasible"] = self.feasible.distance_to(self.preferred)
        row["refined"] = self.refined
        row.update(self.extra)
        return row


def _terms(ev: StageEvaluation, i: int) -> dict[str, float]:
    return {
        "loss": float(ev.loss[i]),
        "fiscal_loss": float(ev.fiscal[i]),
        "humanitarian_loss": float(ev.humanitarian[i]),
        "audience_loss": float(ev.audience[i]),
        "expected_sanction": float(ev.expected_sanction[i]),
        "expected_aid": float(ev.expected_aid[i]),
        "noncompliance": float(ev.noncompliance[i]),
        "sanction_probability": float(ev.sanction_probability[i]),
    }


def _argmin(values: FloatArray, allowed: BoolArray, what: str) -> int:
    if not allowed.any():
        raise ScenarioError(
            None,
            f"no affordable policy on the grid ({what})",
            field="transit.budget_musd_per_year",
            fix="raise the budget or add cheaper grid levels",
        )
    return int(np.argmin(np.where(allowed, values, np.inf)))


def _solution(
    game: StageGame,
    grid: PolicyGrid,
    ev: StageEvaluation,
    policy: TransitPolicy,
    mode: Mode,
    *,
    refined: bool = False,
    kkt: KKTReport | None = None,
    grid_index: int | None = None,
) -> PeriodSolution:
    at = game.evaluate(policy.to_array())
    pref = grid.policy(_argmin(ev.own_loss, ev.affordable, "preferred policy"))
    if refined:
        p, _, ok = refine(on_its_own(game), pref)
        pref = p if ok else pref
    return PeriodSolution(
        game=game,
        mode=mode,
        policy=policy,
        outcomes=at.outcomes.row(0),
        terms=_terms(at, 0),
        feasible=FeasibleSpace(grid, ev.feasible, ev.affordable),
        preferred=pref,
        in_feasible_space=bool(at.feasible[0]),
        refined=refined,
        kkt=kkt,
        grid_index=grid_index,
    )


def solve_period(
    game: StageGame, grid: PolicyGrid | None = None, *, refine_solution: bool = False
) -> PeriodSolution:
    """T's best response (endogenous mode): the exact minimiser of its expected loss over the
    affordable grid points, optionally refined continuously from the best grid point of each
    STC branch (the better of the refined points, if it improves on the grid)."""
    grid = grid if grid is not None else PolicyGrid()
    ev = game.evaluate(grid.points)
    best = _argmin(ev.loss, ev.affordable, "best response")
    policy = grid.policy(best)
    if not refine_solution:
        return _solution(game, grid, ev, policy, "endogenous", grid_index=best)
    candidates: list[tuple[float, TransitPolicy]] = []
    for stc in np.unique(grid.points[:, STC]):
        branch = ev.affordable & (grid.points[:, STC] == stc)
        if branch.any():
            start = grid.policy(_argmin(ev.loss, branch, "refinement start"))
            p, loss, ok = refine(game, start)
            if ok:
                candidates.append((loss, p))
    grid_loss = float(ev.loss[best])
    if candidates:
        loss, p = min(candidates, key=lambda c: c[0])
        if loss <= grid_loss:
            policy = p
    kkt = kkt_check(game, policy)
    return _solution(game, grid, ev, policy, "endogenous", refined=True, kkt=kkt, grid_index=best)


def evaluate_period(
    game: StageGame, policy: TransitPolicy, grid: PolicyGrid | None = None
) -> PeriodSolution:
    """Exogenous mode: the given policy's outcomes and losses, with the feasible space."""
    grid = grid if grid is not None else PolicyGrid()
    ev = game.evaluate(grid.points)
    return _solution(game, grid, ev, policy, "exogenous", grid_index=grid.index_of(policy))
