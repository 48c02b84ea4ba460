"""The threat game played on the corridor simulation (``docs/bargaining.md`` §10).

:class:`BargainingController` is a controller of
:func:`~corredor.simulation.corridor.run_corridor`: on each review day of the scenario's
``bargaining:`` block it reads what the simulation showed over the last review period
(:mod:`.observe`), lets the hegemon set its pressure (its demand is relative to the arrivals it
observed before its threat; a review in which the simulated arrivals exceeded its cap escalates
the demand to a safe-third-country agreement) and solves the transit state's problem with an
outcome model anchored to the simulated state (:class:`~corredor.bargaining.anchored.
AnchoredOutcomes`). Then

* in **endogenous** mode the chosen policy becomes policy events (:mod:`.binding`) that the
  run adopts for the review period — the transit state's own historical events listed in
  ``bargaining.replaces`` are removed from the run first;
* in **exogenous** mode the historical timeline keeps setting the policy; the game evaluates
  the policy in force over the period and maps the feasible space alongside.

:func:`run_coupled` runs a scenario this way and returns a :class:`CoupledResult`: the corridor
result and one row per review period (threat, chosen policy, feasible space, predicted and
simulated outcomes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from corredor.bargaining.actors import Demand, Hegemon, TransitState
from corredor.bargaining.anchored import AnchoredOutcomes, SimulatedState
from corredor.bargaining.binding import LeverBinding, baseline_timeline
from corredor.bargaining.episodes import EPISODES
from corredor.bargaining.game import Mode, PeriodSolution, evaluate_period, solve_period
from corredor.bargaining.observe import COUNTS, CorridorView, Recorded
from corredor.bargaining.outcomes import OutcomeModel, PeriodContext
from corredor.bargaining.policy import CONTINUOUS_LEVERS, PolicyGrid
from corredor.bargaining.stage import StageGame
from corredor.errors import ScenarioError
from corredor.scenario.corridor import CorridorScenario, load_corridor_scenario
from corredor.simulation.corridor import run_corridor

if TYPE_CHECKING:
    from corredor.policy import PolicyEvent
    from corredor.results.corridor import CorridorResult
    from corredor.scenario.corridor.bargaining import BargainingSpec
    from corredor.simulation.corridor import CorridorModel

_SOURCE = "corredor.bargaining.coupled: the transit state's best response in the threat game"


def _threat_in_force(hegemon: Hegemon, start: dt.date, days: int) -> bool:
    threat = hegemon.threat
    if threat is None or days < 1:
        return False
    return threat.schedule.rate_days(start, days) > 0 or threat.remittance_tax > 0


def restricted_grid(grid: PolicyGrid, unmapped: Sequence[str]) -> PolicyGrid:
    """``grid`` with the levers the scenario does not map held at 0."""
    levels = list(grid.levels)
    for name in unmapped:
        levels[CONTINUOUS_LEVERS.index(name)] = (0.0,)
    return PolicyGrid(tuple(levels))


@dataclass
class _Review:
    """One review period as it is played, and then observed."""

    index: int
    day: int
    days: int
    solution: PeriodSolution
    observed: dict[str, float]


class BargainingController:
    """A ``run_corridor`` controller that plays the threat game on each review day (module
    docstring). ``review_days`` and ``first_review`` override the block's; ``response`` is the
    outcome model the anchored one moves the simulated levels with (default: the reduced
    form)."""

    def __init__(
        self,
        spec: BargainingSpec,
        hegemon: Hegemon,
        transit: TransitState,
        *,
        mode: Mode = "endogenous",
        review_days: int | None = None,
        first_review: dt.date | None = None,
        grid: PolicyGrid | None = None,
        response: OutcomeModel | None = None,
    ) -> None:
        if mode not in ("endogenous", "exogenous"):
            raise ScenarioError(
                None, f"mode {mode!r}", field="mode", expected="'endogenous' or 'exogenous'"
            )
        if review_days is not None and (not isinstance(review_days, int) or review_days < 1):
            raise ScenarioError(
                None, f"review period of {review_days!r} days", field="review_days", expected=">= 1"
            )
        for actor, name, role in (
            (transit, spec.transit, "transit"),
            (hegemon, spec.hegemon, "hegemon"),
        ):
            if actor.name != name:
                raise ScenarioError(
                    None,
                    f"the {role} actor is {actor.name!r} but the scenario's {role} is {name!r}",
                    field=f"bargaining.{role}",
                    fix=f"pass a {role} actor named {name!r}",
                )
        self.spec = spec
        self.hegemon = hegemon
        self.transit = transit
        self.mode: Mode = mode
        self.review_days = spec.review_days if review_days is None else review_days
        self.first_review = spec.first_review if first_review is None else first_review
        self.grid = grid if grid is not None else PolicyGrid()
        self.response = response
        self.reviews: list[_Review] = []
        self.demand: Demand = hegemon.demand
        self.reference: float | None = None
        self._view: CorridorView | None = None
        self._binding: LeverBinding | None = None
        self._review_days: list[int] = []
        self._snapshots: dict[int, dict[str, float]] = {}
        self._start = dt.date.min
        self._days = 0
        self._stc = False

    # ------------------------------------------------------------------ set-up
    def _setup(self, model: CorridorModel) -> None:
        c = model.c
        assert c.timeline is not None
        self._start, self._days = c.start, c.days
        self._view = CorridorView(c, self.spec.transit, self.spec.hegemon)
        base = c.timeline.base_parameters
        baseline = baseline_timeline(c.timeline.events, base, self.spec.replaces, c.start)
        self._binding = LeverBinding(self.spec, base, baseline, c.start, c.days)
        first = (self.first_review - c.start).days
        self._review_days = [d for d in range(first, c.days, self.review_days) if d >= 1]
        if not self._review_days:
            raise ScenarioError(
                c.scenario.path,
                f"no review day in the run ({c.start} + {c.days} days; first review "
                f"{self.first_review}, every {self.review_days} days)",
                field="bargaining.first_review",
                fix="run more days or review earlier",
            )
        grid = restricted_grid(self.grid, self._binding.unmapped_continuous)
        self.grid = grid

    def _window_start(self, day: int) -> int:
        return max(0, day - self.review_days)

    def _date(self, day: int) -> dt.date:
        return self._start + dt.timedelta(days=day)

    # ------------------------------------------------------------------ the controller
    def __call__(self, model: CorridorModel, day: int) -> Sequence[PolicyEvent]:
        if self._view is None:
            self._setup(model)
        elif day == 0:
            raise ScenarioError(
                None, "a bargaining controller plays one run", fix="make a new one for each run"
            )
        assert self._view is not None
        if day == 0 or day in self._review_days or day + self.review_days in self._review_days:
            self._snapshots[day] = self._view.counts(model.recorder)
        if day not in self._review_days:
            return ()
        return self._review(model, day)

    def _observe(
        self, r: Recorded, day0: int, day1: int, end: dict[str, float]
    ) -> dict[str, float]:
        assert self._view is not None
        begin = self._snapshots.get(day0) or dict.fromkeys(COUNTS, 0.0)
        out = {k: end[k] - begin[k] for k in COUNTS}
        out["days"] = float(day1 - day0)
        out["stranded"] = self._view.stranded_mean(r, day0, day1)
        out["backlog"] = self._view.backlog(r, day1 - 1)
        return out

    def _review(self, model: CorridorModel, day: int) -> Sequence[PolicyEvent]:
        assert self._binding is not None and model.c.timeline is not None
        k = len(self.reviews)
        d = self.review_days
        w0 = self._window_start(day)
        obs = self._observe(model.recorder, w0, day, self._snapshots[day])
        if self.reviews:
            self.reviews[-1].observed = obs
        actual = model.c.timeline.daily(self._start, self._start + dt.timedelta(days=self._days))
        status_quo = self._binding.read(actual, w0, day, stc=self._stc)
        window = max(day - w0, 1)
        per_day = obs["arrivals"] / window
        # the hegemon: its demand is relative to the arrivals it saw before its threat; a review
        # of a period under the threat with arrivals above its cap escalates it to an STC
        if _threat_in_force(self.hegemon, self._date(day), d) and self.reference is None:
            self.reference = per_day if per_day > 0 else self.demand.reference_arrivals_per_day
            self.demand = replace(self.demand, reference_arrivals_per_day=self.reference)
        reviewed = _threat_in_force(self.hegemon, self._date(w0), day - w0)
        if (
            reviewed
            and self.hegemon.escalate_to_stc
            and not self.demand.safe_third_country
            and per_day > self.demand.arrivals_cap_per_day
        ):
            self.demand = replace(self.demand, safe_third_country=True)
        state = SimulatedState(
            days=window,
            arrivals=obs["arrivals"],
            stranded=obs["stranded"],
            backlog=obs["backlog"],
            deportations_unscreened=obs["deportations_unscreened"],
            status_quo=status_quo,
        )
        mpp = status_quo.mpp_acceptance
        mu = self.hegemon.mpp_return_share
        if mpp > 0 and obs["arrivals"] > 0 and "mpp_acceptance" in self._binding.parameters:
            mu = min(1.0, obs["mpp_returns"] / (mpp * obs["arrivals"]))
        ctx = PeriodContext(
            start=self._date(day),
            days=d,
            backlog_start=obs["backlog"],
            mpp_return_share=mu,
            index=k,
        )
        outcomes = AnchoredOutcomes(
            state, self.response, stc_effect="safe_third_country" in self._binding.parameters
        )
        game = StageGame(self.hegemon, self.transit, ctx, outcomes, self.demand)
        if self.mode == "endogenous":
            sol = solve_period(game, self.grid)
        else:
            policy = self._binding.read(actual, day, day + d, stc=self._stc)
            sol = evaluate_period(game, policy, self.grid)
        self._stc = sol.policy.safe_third_country
        extra = {
            "review_day": float(day),
            "inflow_scale": outcomes.inflow_scale(ctx),
            "mpp_return_share": mu,
            "reference_arrivals_per_day": self.demand.reference_arrivals_per_day,
            "arrivals_cap_per_day": self.demand.arrivals_cap_per_day,
            "status_quo_enforcement": status_quo.enforcement,
            "status_quo_visas": status_quo.humanitarian_visas,
            **{f"before_{key}": value for key, value in obs.items() if key != "days"},
        }
        sol = replace(sol, extra=extra)
        self.reviews.append(_Review(k, day, d, sol, {}))
        if self.mode == "exogenous":
            return ()
        return self._binding.events(sol.policy, day, day + d, period=k, source=_SOURCE)

    # ------------------------------------------------------------------ the end
    def finish(self, result: CorridorResult) -> CoupledResult:
        """The result of the run ``result`` this controller played in."""
        if self._view is None:
            raise ScenarioError(None, "the controller has not run", fix="pass it to run_corridor")
        if self.reviews:
            last = self.reviews[-1]
            end = self._view.counts(result)
            last.observed = self._observe(result, last.day, result.days, end)
        periods = []
        for rv in self.reviews:
            extra = dict(rv.solution.extra)
            extra.update({f"sim_{key}": value for key, value in rv.observed.items()})
            if rv.observed:
                days = max(rv.observed["days"], 1.0)
                extra["sim_arrivals_per_day"] = rv.observed["arrivals"] / days
            periods.append(replace(rv.solution, extra=extra))
        return CoupledResult(self.mode, result, tuple(periods))


@dataclass(frozen=True)
class CoupledResult:
    """A corridor run with the game played on it: ``corridor`` (the run) and ``periods`` (the
    review periods' solutions; ``to_frame()`` for the table)."""

    mode: Mode
    corridor: CorridorResult
    periods: tuple[PeriodSolution, ...]

    def __len__(self) -> int:
        return len(self.periods)

    def __getitem__(self, i: int) -> PeriodSolution:
        return self.periods[i]

    @property
    def adopted_events(self) -> tuple[PolicyEvent, ...]:
        return self.corridor.adopted_events

    def period_at(self, date: dt.date) -> PeriodSolution:
        """The review period that contains ``date``."""
        for p in self.periods:
            if p.game.context.start <= date < p.game.context.end:
                return p
        raise ScenarioError(None, f"no review period contains {date}")

    def to_frame(self) -> pd.DataFrame:
        """One row per review period: dates, threat and demand, the policy (chosen or given),
        the game's predicted outcomes and loss terms, the feasible space, the state observed
        before the review (``before_*``) and the simulated outcomes of the period (``sim_*``,
        absent for a period the run did not finish)."""
        return pd.DataFrame([p.row() for p in self.periods])


def _load(scenario: str | Path | CorridorScenario) -> CorridorScenario:

    return scenario if isinstance(scenario, CorridorScenario) else load_corridor_scenario(scenario)


def run_coupled(
    scenario: str | Path | CorridorScenario,
    *,
    mode: Mode = "endogenous",
    export_share: float | None = None,
    credibility: float | None = None,
    hegemon: Hegemon | None = None,
    transit: TransitState | None = None,
    seed: int = 0,
    days: int | None = None,
    review_days: int | None = None,
    first_review: dt.date | None = None,
    calibration: Mapping[str, float] | None = None,
    grid: PolicyGrid | None = None,
    response: OutcomeModel | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CoupledResult:
    """Run a corridor scenario with its ``bargaining:`` block's game played on it.

    ``mode``: ``"endogenous"`` (the game sets the transit state's policy; its own events listed
    in ``bargaining.replaces`` are removed) or ``"exogenous"`` (the timeline sets it; the game
    maps the feasible space alongside). The actors default to the data of the episode the
    block's ``episode`` names (:data:`corredor.bargaining.EPISODES`: ``june-2019`` for
    ``mexico-us``; a block without one needs both actors given) and must carry the block's
    country names; ``export_share`` and ``credibility`` replace theirs. ``seed``, ``days`` and
    ``calibration`` are :func:`run_corridor`'s.
    """

    sc = _load(scenario)
    spec = sc.bargaining
    if spec is None:
        raise ScenarioError(
            sc.path,
            f"scenario {sc.name!r} has no bargaining: block",
            field="bargaining",
            fix="add one (docs/scenario-format.md §12)",
        )
    if hegemon is None or transit is None:
        if spec.episode is None:
            raise ScenarioError(
                sc.path,
                f"the bargaining: block of {sc.name!r} names no episode: whose data make the "
                "game's two actors",
                field="bargaining.episode",
                fix="name one (episode: june-2019 holds the 2019 US and Mexico data), or give "
                "both actors (run_coupled(..., hegemon=..., transit=...))",
            )
        episode = EPISODES[spec.episode]
        hegemon = hegemon if hegemon is not None else episode.hegemon()
        transit = transit if transit is not None else episode.transit()
    if credibility is not None:
        hegemon = hegemon.with_credibility(credibility)
    if export_share is not None:
        transit = transit.with_export_share(export_share)
    controller = BargainingController(
        spec,
        hegemon,
        transit,
        mode=mode,
        review_days=review_days,
        first_review=first_review,
        grid=grid,
        response=response,
    )
    if mode == "endogenous":
        drop = set(spec.replaces)
        sc = sc.model_copy(update={"events": tuple(e for e in sc.events if e.id not in drop)})
    result = run_corridor(
        sc, seed=seed, days=days, calibration=calibration, controller=controller, progress=progress
    )
    return controller.finish(result)
