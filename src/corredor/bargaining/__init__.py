"""Asymmetric bargaining between a destination (hegemon) and a transit state (docs/bargaining.md).

A sequential threat game, solved by backward induction each review period: the hegemon states a
tariff threat (with a credibility), a demand and inducements; the transit state chooses its
policy vector to minimise its expected loss; the feasible policy space (policies that trigger no
sanction and that it can afford) is mapped alongside. Outcomes of a policy come from an
:class:`OutcomeModel`: the corridor simulation once wired in, a table, or the documented
reduced-form stand-in :class:`ReducedFormOutcomes`.

* actors: :class:`Hegemon` (:class:`Threat`, :class:`TariffSchedule`, :class:`Demand`,
  :class:`Inducement`), :class:`TransitState` (:class:`Exposure`, :class:`Preferences`) —
  generic, without any country's data;
* policies: :class:`TransitPolicy`, :class:`PolicyGrid`, :class:`LeverMap` and the link to
  :mod:`corredor.policy` timelines;
* the game: :class:`StageGame`, :func:`solve_period` (grid, optional continuous refinement),
  :func:`evaluate_period` (exogenous), :func:`kkt_check`, :class:`FeasibleSpace`;
* runs: :func:`run_game`, :func:`sweep`, :func:`plot_sweep`, :func:`plot_episode`;
* the historical episodes (:data:`EPISODES`: those a scenario's ``bargaining.episode`` names),
  the only place with a country's data: :func:`episode_2019`, its actors
  :func:`united_states_2019` and :func:`mexico_2019`, :func:`tariff_schedule_2019`;
* coupled to the corridor simulation: :func:`run_coupled` (:class:`CoupledResult`),
  :class:`BargainingController` (a ``run_corridor`` controller), :class:`AnchoredOutcomes`
  (outcomes anchored to the simulated state), :class:`CorridorView`, :class:`LeverBinding`,
  :func:`plot_coupled`;
* numbers: :data:`CALIBRATION` (data with sources, or named calibration parameters).
"""

from corredor.bargaining.actors import (
    Demand,
    Exposure,
    Hegemon,
    Inducement,
    Preferences,
    TariffSchedule,
    Threat,
    TransitState,
    sanction_loss_musd,
    tolerance_musd,
)
from corredor.bargaining.anchored import AnchoredOutcomes, SimulatedState
from corredor.bargaining.binding import LeverBinding
from corredor.bargaining.calibration import CALIBRATION, Calibrated, calibration_rows
from corredor.bargaining.coupled import BargainingController, CoupledResult, run_coupled
from corredor.bargaining.dynamics import BargainingResult, run_game
from corredor.bargaining.episodes import (
    EPISODES,
    TARIFF_START_2019,
    Episode,
    episode_2019,
    historical_policy_path,
    mexico_2019,
    tariff_schedule_2019,
    united_states_2019,
)
from corredor.bargaining.feasible import FeasibleSpace
from corredor.bargaining.game import PeriodSolution, evaluate_period, solve_period
from corredor.bargaining.observe import CorridorView
from corredor.bargaining.optimality import KKTReport, kkt_check
from corredor.bargaining.outcomes import (
    OUTCOMES,
    OutcomeModel,
    Outcomes,
    PeriodContext,
    ReducedFormOutcomes,
    ReducedFormParams,
    TabulatedOutcomes,
    outcome_table,
)
from corredor.bargaining.policy import (
    CONTINUOUS_LEVERS,
    LEVERS,
    LeverMap,
    PolicyGrid,
    TransitPolicy,
    mexico_us_lever_map,
    parameter_changes,
    policy_from_parameters,
    policy_path_from_timeline,
)
from corredor.bargaining.stage import StageEvaluation, StageGame, on_its_own
from corredor.bargaining.sweep import plot_coupled, plot_episode, plot_sweep, sweep

__all__ = [
    "CALIBRATION",
    "CONTINUOUS_LEVERS",
    "EPISODES",
    "LEVERS",
    "OUTCOMES",
    "TARIFF_START_2019",
    "AnchoredOutcomes",
    "BargainingController",
    "BargainingResult",
    "Calibrated",
    "CorridorView",
    "CoupledResult",
    "Demand",
    "Episode",
    "Exposure",
    "FeasibleSpace",
    "Hegemon",
    "Inducement",
    "KKTReport",
    "LeverBinding",
    "LeverMap",
    "OutcomeModel",
    "Outcomes",
    "PeriodContext",
    "PeriodSolution",
    "PolicyGrid",
    "Preferences",
    "ReducedFormOutcomes",
    "ReducedFormParams",
    "SimulatedState",
    "StageEvaluation",
    "StageGame",
    "TabulatedOutcomes",
    "TariffSchedule",
    "Threat",
    "TransitPolicy",
    "TransitState",
    "calibration_rows",
    "episode_2019",
    "evaluate_period",
    "historical_policy_path",
    "kkt_check",
    "mexico_2019",
    "mexico_us_lever_map",
    "on_its_own",
    "outcome_table",
    "parameter_changes",
    "plot_coupled",
    "plot_episode",
    "plot_sweep",
    "policy_from_parameters",
    "policy_path_from_timeline",
    "run_coupled",
    "run_game",
    "sanction_loss_musd",
    "solve_period",
    "sweep",
    "tariff_schedule_2019",
    "tolerance_musd",
    "united_states_2019",
]
