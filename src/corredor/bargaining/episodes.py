"""The historical threat episodes whose data this package holds, and their two actors made
from data: the only place where a country's numbers enter the bargaining model.

A scenario's ``bargaining:`` block names the two states and the episode they played
(``bargaining.episode``); :data:`EPISODES` maps that name to the episode's replay, its actors and
the first day of its threatened sanctions. ``june-2019``: the US tariff threat against Mexico
of 30 May – 7 June 2019 — :func:`united_states_2019` and :func:`mexico_2019` build the actors
from ``src/corredor/data/bargaining/`` and the named calibration parameters
(:data:`~corredor.bargaining.calibration.CALIBRATION`), :func:`episode_2019` replays it and
:func:`historical_policy_path` reads Mexico's enforcement from the ``mexico-us`` timeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from corredor.bargaining import data
from corredor.bargaining.actors import (
    Demand,
    Exposure,
    Hegemon,
    Preferences,
    TariffSchedule,
    Threat,
    TransitState,
)
from corredor.bargaining.calibration import default
from corredor.bargaining.dynamics import BargainingResult, check_review_days, run_game
from corredor.bargaining.outcomes import OutcomeModel
from corredor.bargaining.policy import (
    LeverMap,
    PolicyGrid,
    TransitPolicy,
    mexico_us_lever_map,
    policy_path_from_timeline,
)
from corredor.policy import load_timeline
from corredor.scenario.corridor import (
    builtin_corridor_scenarios,
    load_corridor_scenario,
    parameter_values,
)

#: First day of the June 2019 tariff schedule.
TARIFF_START_2019 = dt.date(2019, 6, 10)


def tariff_schedule_2019() -> TariffSchedule:
    """5 % from 10 June 2019, +5 points on the first of each month, 25 % from 1 October."""
    return TariffSchedule(data.tariff_steps(), data.tariff_source())


def united_states_2019(credibility: float = 1.0) -> Hegemon:
    """The US of June 2019: the tariff schedule, a demand to cut arrivals (from the Mar–May
    2019 level), MPP returns at the July 2019 rate, STC demanded after a failed review."""
    return Hegemon(
        name="United States",
        threat=Threat(schedule=tariff_schedule_2019(), credibility=credibility),
        demand=Demand(
            reference_arrivals_per_day=default("reference_arrivals_per_day"),
            arrivals_reduction=default("arrivals_reduction"),
        ),
        mpp_return_share=default("mpp_return_share"),
    )


def _ideal_2019() -> TransitPolicy:
    return TransitPolicy(
        enforcement_south=default("ideal_enforcement_south"),
        enforcement_transit=default("ideal_enforcement_transit"),
        enforcement_north=default("ideal_enforcement_north"),
        humanitarian_visas=default("ideal_humanitarian_visas"),
        asylum_capacity=default("ideal_asylum_capacity"),
        mpp_acceptance=default("ideal_mpp_acceptance"),
        safe_third_country=False,
    )


def mexico_2019(export_share: float | None = None) -> TransitState:
    """Mexico in 2019 with data-based exposure (``export_share`` replaces the 2017 share of
    exports to the US, 0.815, for counterfactuals)."""
    enforcement = default("audience_enforcement_musd")
    state = TransitState(
        name="Mexico",
        exposure=Exposure(
            export_share=default("export_share"),
            exports_musd=default("exports_musd"),
            gdp_musd=default("gdp_musd"),
            remittances_musd=default("remittances_musd"),
        ),
        preferences=Preferences(
            stranded_weight_usd=default("stranded_weight_usd"),
            backlog_weight_usd=default("backlog_weight_usd"),
            unscreened_weight_usd=default("unscreened_weight_usd"),
            audience_musd=(
                enforcement,
                enforcement,
                enforcement,
                default("audience_visa_musd"),
                default("audience_asylum_musd"),
                default("audience_mpp_musd"),
            ),
            audience_stc_musd=default("audience_stc_musd"),
            ideal=_ideal_2019(),
        ),
        budget_musd_per_year=default("budget_musd_per_year"),
        sanction_tolerance_gdp=default("sanction_tolerance_gdp"),
    )
    return state if export_share is None else state.with_export_share(export_share)


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
    review_days = check_review_days(review_days)
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
