"""The two state actors: the hegemon (destination) and the transit state.

The hegemon's instruments are a tariff threat with a credibility, a demand (an arrivals cap,
optionally a safe-third-country agreement), inducements (aid) and a unilateral policy that moves
burdens onto the transit state (MPP returns). The transit state has a policy vector
(:class:`~corredor.bargaining.policy.TransitPolicy`), preferences over its costs, an exposure
to the hegemon's economy and a budget.

These classes are generic: they carry no country's data. Who the two states are, and every
number about them, is given — from a scenario's ``bargaining:`` block and the episode it names
(:mod:`corredor.bargaining.episodes`: the June 2019 US–Mexico actors made from data). Only the
model's own constants keep a default (no aid, the hegemon's observation noise, the loss per
dollar of tariff, the fiscal weight).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from corredor.bargaining.calibration import CALIBRATION, default
from corredor.bargaining.policy import CONTINUOUS_LEVERS, FloatArray, TransitPolicy
from corredor.errors import ScenarioError


def _unit(value: float, name: str) -> float:
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ScenarioError(None, f"{name} = {value!r}", field=name, expected="a number in [0, 1]")
    return float(value)


def _nonneg(value: float, name: str) -> float:
    if not (math.isfinite(value) and value >= 0.0):
        raise ScenarioError(None, f"{name} = {value!r}", field=name, expected="a number >= 0")
    return float(value)


# ------------------------------------------------------------------------------ hegemon
@dataclass(frozen=True)
class TariffSchedule:
    """Ad valorem tariff steps ``(first day, rate)``: the rate on a day is that of the latest
    step on or before it (0 before the first)."""

    steps: tuple[tuple[dt.date, float], ...]
    source: str = ""

    def __post_init__(self) -> None:
        days = [d for d, _ in self.steps]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ScenarioError(
                None,
                "tariff steps out of order",
                field="threat.schedule",
                expected="increasing first days",
            )
        for _, rate in self.steps:
            _unit(rate, "threat.schedule.rate")

    def rate_on(self, day: dt.date) -> float:
        rate = 0.0
        for start, r in self.steps:
            if start <= day:
                rate = r
        return rate

    def rate_days(self, start: dt.date, days: int) -> float:
        """The sum of the daily rates over ``[start, start + days)`` (rate × days)."""
        return float(sum(self.rate_on(start + dt.timedelta(days=k)) for k in range(days)))

    def mean_rate(self, start: dt.date, days: int) -> float:
        return self.rate_days(start, days) / days if days > 0 else 0.0


@dataclass(frozen=True, kw_only=True)
class Threat:
    """A conditional sanction: the tariff schedule (and optionally a tax on remittances) is
    applied to the transit state if it does not comply, with probability ``credibility`` (the
    probability that the hegemon is the resolved type that carries the threat out)."""

    schedule: TariffSchedule
    credibility: float = 1.0
    remittance_tax: float = 0.0

    def __post_init__(self) -> None:
        _unit(self.credibility, "threat.credibility")
        _unit(self.remittance_tax, "threat.remittance_tax")


@dataclass(frozen=True, kw_only=True)
class Demand:
    """What the hegemon asks: arrivals per day at most ``(1 - arrivals_reduction) ×
    reference_arrivals_per_day``, and (if ``safe_third_country``) a signed STC agreement."""

    reference_arrivals_per_day: float
    arrivals_reduction: float
    safe_third_country: bool = False

    def __post_init__(self) -> None:
        _unit(self.arrivals_reduction, "demand.arrivals_reduction")
        if not self.reference_arrivals_per_day > 0:
            raise ScenarioError(
                None,
                "reference arrivals must be > 0",
                field="demand.reference_arrivals_per_day",
                expected="> 0",
            )

    @property
    def arrivals_cap_per_day(self) -> float:
        return (1.0 - self.arrivals_reduction) * self.reference_arrivals_per_day


@dataclass(frozen=True)
class Inducement:
    """Aid from the hegemon (million USD a year). Conditional aid is paid when the transit state
    complies; unconditional aid is paid anyway and widens the transit state's budget."""

    aid_musd_per_year: float = 0.0
    conditional: bool = True

    def __post_init__(self) -> None:
        _nonneg(self.aid_musd_per_year, "inducement.aid_musd_per_year")


@dataclass(frozen=True, kw_only=True)
class Hegemon:
    """The destination state. ``threat=None``: no threat (the transit state is on its own).
    ``mpp_return_share``: the share of its arrivals it returns to wait in the transit state."""

    name: str
    threat: Threat | None
    demand: Demand
    mpp_return_share: float
    inducement: Inducement = field(default_factory=Inducement)
    observation_noise: float = default("observation_noise")
    escalate_to_stc: bool = True

    def __post_init__(self) -> None:
        _unit(self.mpp_return_share, "hegemon.mpp_return_share")
        CALIBRATION["observation_noise"].check(self.observation_noise, "hegemon.observation_noise")

    def with_credibility(self, credibility: float) -> Hegemon:
        """The same hegemon with its threat carried out with probability ``credibility``."""
        if self.threat is None:
            raise ScenarioError(
                None,
                f"{self.name} makes no threat, so it has no credibility to set",
                field="hegemon.threat",
                expected="a threat (a tariff schedule) to sweep its credibility",
            )
        return replace(self, threat=replace(self.threat, credibility=credibility))


# ------------------------------------------------------------------------- transit state
@dataclass(frozen=True, kw_only=True)
class Exposure:
    """The transit state's economic exposure to the hegemon (million USD a year, shares)."""

    export_share: float
    exports_musd: float
    gdp_musd: float
    remittances_musd: float
    tariff_loss_share: float = default("tariff_loss_share")

    def __post_init__(self) -> None:
        _unit(self.export_share, "exposure.export_share")
        _unit(self.tariff_loss_share, "exposure.tariff_loss_share")
        for name in ("exports_musd", "remittances_musd"):
            _nonneg(getattr(self, name), f"exposure.{name}")
        if not self.gdp_musd > 0:
            raise ScenarioError(None, "GDP must be > 0", field="exposure.gdp_musd", expected="> 0")

    @property
    def exports_to_hegemon_musd(self) -> float:
        return self.export_share * self.exports_musd

    @property
    def exports_gdp(self) -> float:
        return self.exports_musd / self.gdp_musd

    @property
    def remittances_gdp(self) -> float:
        return self.remittances_musd / self.gdp_musd

    @property
    def index(self) -> float:
        """Exports to the hegemon plus remittances, as a share of GDP."""
        return self.export_share * self.exports_gdp + self.remittances_gdp

    def with_export_share(self, share: float) -> Exposure:
        return replace(self, export_share=share)


@dataclass(frozen=True, kw_only=True)
class Preferences:
    """How the transit state weighs its costs (two-level game: the domestic audience's ideal
    policy and the cost of leaving it). Money is in million USD; people are converted at the
    ``*_weight_usd`` rates; audience costs are per year for a full-range deviation, one per
    continuous lever (:data:`~corredor.bargaining.policy.CONTINUOUS_LEVERS`)."""

    stranded_weight_usd: float
    backlog_weight_usd: float
    unscreened_weight_usd: float
    audience_musd: tuple[float, ...]
    audience_stc_musd: float
    ideal: TransitPolicy
    fiscal_weight: float = 1.0

    def __post_init__(self) -> None:
        if len(self.audience_musd) != len(CONTINUOUS_LEVERS):
            raise ScenarioError(
                None,
                "one audience weight per continuous lever",
                field="preferences.audience_musd",
                expected=f"{len(CONTINUOUS_LEVERS)} numbers",
            )
        for i, w in enumerate(self.audience_musd):
            _nonneg(w, f"preferences.audience_musd[{i}]")
        for name in (
            "fiscal_weight",
            "stranded_weight_usd",
            "backlog_weight_usd",
            "unscreened_weight_usd",
            "audience_stc_musd",
        ):
            _nonneg(getattr(self, name), f"preferences.{name}")

    @property
    def audience_array(self) -> FloatArray:
        return np.asarray(self.audience_musd, dtype=np.float64)


@dataclass(frozen=True, kw_only=True)
class TransitState:
    """The transit state: exposure, preferences, budget and sanction tolerance (the expected
    sanction loss it accepts, as a share of its GDP a year)."""

    name: str
    exposure: Exposure
    preferences: Preferences
    budget_musd_per_year: float
    sanction_tolerance_gdp: float

    def __post_init__(self) -> None:
        _nonneg(self.budget_musd_per_year, "transit.budget_musd_per_year")
        _nonneg(self.sanction_tolerance_gdp, "transit.sanction_tolerance_gdp")

    def with_export_share(self, share: float) -> TransitState:
        return replace(self, exposure=self.exposure.with_export_share(share))


def sanction_loss_musd(hegemon: Hegemon, transit: TransitState, start: dt.date, days: int) -> float:
    """The transit state's loss (million USD) if the threat is carried out over the period
    ``[start, start + days)``: tariff loss on exports to the hegemon plus the remittance tax."""
    threat = hegemon.threat
    if threat is None:
        return 0.0
    ex = transit.exposure
    tariff = (
        ex.tariff_loss_share * ex.exports_to_hegemon_musd * threat.schedule.rate_days(start, days)
    )
    remit = threat.remittance_tax * ex.remittances_musd * days
    return float((tariff + remit) / 365.0)


def tolerance_musd(transit: TransitState, days: int) -> float:
    """The expected sanction loss the transit state tolerates over a period (million USD)."""
    return transit.sanction_tolerance_gdp * transit.exposure.gdp_musd * days / 365.0


def validate_unit_interval(values: Sequence[float], name: str) -> list[float]:
    """``values`` checked to lie in [0, 1] (for sweeps)."""
    return [_unit(float(v), name) for v in values]
