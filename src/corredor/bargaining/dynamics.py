"""Review periods in sequence: the endogenous mode (the game chooses T's policy each period) and
the exogenous mode (a given policy path, e.g. the historical timeline; the feasible space is
computed alongside). State carried between periods: the asylum backlog, and the hegemon's
demand, which escalates to a safe-third-country agreement after a review in which arrivals
exceeded its cap (the June 2019 Joint Declaration's fallback)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from corredor.bargaining.actors import Hegemon, TransitState, mexico_2019, united_states_2019
from corredor.bargaining.calibration import default
from corredor.bargaining.game import Mode, PeriodSolution, evaluate_period, solve_period
from corredor.bargaining.outcomes import OutcomeModel, PeriodContext, ReducedFormOutcomes
from corredor.bargaining.policy import (
    LeverMap,
    PolicyGrid,
    TransitPolicy,
    mexico_us_lever_map,
    policy_path_from_timeline,
)
from corredor.bargaining.stage import StageGame
from corredor.errors import ScenarioError
from corredor.policy import load_timeline
from corredor.scenario.corridor import (
    builtin_corridor_scenarios,
    load_corridor_scenario,
    parameter_values,
)

#: First day of the June 2019 tariff schedule.
TARIFF_START_2019 = dt.date(2019, 6, 10)


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


def _check_review_days(review_days: int) -> int:
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
    review_days = _check_review_days(review_days)
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


def episode_2019(
    export_share: float | None = None,
    credibility: float = 1.0,
    *,
    review_days: int = 90,
    periods: int = 3,
    refine: bool = False,
    grid: PolicyGrid | None = None,
    model: OutcomeModel | None = None,
) -> BargainingResult:
    """The June 2019 episode in endogenous mode: one review period before the tariff schedule
    starts (10 June 2019), then ``periods - 1`` under the threat. ``export_share`` replaces
    Mexico's data-based share of exports to the US (0.815) for counterfactuals."""
    review_days = _check_review_days(review_days)
    return run_game(
        united_states_2019(credibility),
        mexico_2019(export_share),
        start=TARIFF_START_2019 - dt.timedelta(days=review_days),
        periods=periods,
        review_days=review_days,
        refine=refine,
        grid=grid,
        model=model,
    )


@dataclass(frozen=True)
class Episode:
    """A historical threat episode whose data this package holds: its replay (as
    :func:`episode_2019`), its two actors made from data (``hegemon()``, ``transit()``) and the
    first day of the threatened sanctions (``start``: where a sweep's review period begins)."""

    replay: Callable[..., BargainingResult]
    hegemon: Callable[[], Hegemon]
    transit: Callable[[], TransitState]
    start: dt.date


#: The episodes a scenario's ``bargaining.episode`` may name (the names are
#: ``corredor.scenario.corridor.bargaining.EpisodeName``).
EPISODES: dict[str, Episode] = {
    "june-2019": Episode(episode_2019, united_states_2019, mexico_2019, TARIFF_START_2019),
}


def historical_policy_path(
    starts: Sequence[dt.date],
    review_days: int,
    *,
    fallback: TransitPolicy | None = None,
    mapping: Mapping[str, LeverMap] | None = None,
) -> list[TransitPolicy]:
    """Mexico's enforcement levers per period from the ``mexico-us`` scenario's policy timeline
    (National Guard deployments of June 2019 and 2021); the other levers are ``fallback``'s
    (default: the domestic audience's ideal policy)."""

    path = builtin_corridor_scenarios()["mexico-us"]
    folder = path.parent if path.is_file() else path
    base = parameter_values(load_corridor_scenario(path))
    timeline = load_timeline(folder / "policy_events.yaml", base)
    mapping = mapping if mapping is not None else mexico_us_lever_map(base)
    fallback = fallback if fallback is not None else mexico_2019().preferences.ideal
    return policy_path_from_timeline(timeline, starts, review_days, mapping, fallback)
