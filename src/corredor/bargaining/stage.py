"""The stage game of one review period: T's loss terms for a batch of policies.

Timing (``docs/bargaining.md`` §3): the hegemon H states its threat, demand and inducements;
the transit state T chooses its policy ``p``; arrivals follow; H observes them with noise and, if
they exceed its demand (or a demanded STC is not signed), the resolved type of H (probability
``credibility``) applies the sanction over the period. Backward induction leaves T's problem

    min_p  L_T(p) = fiscal(p) + humanitarian(p) + audience(p)
                    + credibility × Pr(non-compliance | p) × S  - E[aid | p]
    s.t.   fiscal(p) <= budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from corredor.bargaining.actors import (
    Demand,
    Hegemon,
    Inducement,
    TransitState,
    sanction_loss_musd,
    tolerance_musd,
)
from corredor.bargaining.outcomes import OutcomeModel, Outcomes, PeriodContext
from corredor.bargaining.policy import CONTINUOUS_LEVERS, STC, BoolArray, FloatArray

_NC = len(CONTINUOUS_LEVERS)
#: sd of a standard logistic variable; H's log-observation error is logistic with sd sigma.
_LOGISTIC_SD = math.pi / math.sqrt(3.0)


@dataclass(frozen=True)
class StageEvaluation:
    """Every term of the transit state's problem for a batch of policies (arrays)."""

    outcomes: Outcomes
    fiscal: FloatArray
    humanitarian: FloatArray
    audience: FloatArray
    noncompliance: FloatArray
    sanction_probability: FloatArray
    expected_sanction: FloatArray
    expected_aid: FloatArray
    affordable: BoolArray
    sanction_safe: BoolArray

    @property
    def own_loss(self) -> FloatArray:
        """The loss with no hegemon: fiscal + humanitarian + audience (million USD)."""
        return self.fiscal + self.humanitarian + self.audience

    @property
    def loss(self) -> FloatArray:
        return self.own_loss + self.expected_sanction - self.expected_aid

    @property
    def feasible(self) -> BoolArray:
        return self.affordable & self.sanction_safe


@dataclass(frozen=True)
class StageGame:
    """One review period: the actors, the period and the model of outcomes.

    ``demand`` overrides the hegemon's demand (the dynamics escalate it to an STC after a
    failed review)."""

    hegemon: Hegemon
    transit: TransitState
    context: PeriodContext
    model: OutcomeModel
    demand: Demand | None = None

    @property
    def active_demand(self) -> Demand:
        return self.demand if self.demand is not None else self.hegemon.demand

    @property
    def years(self) -> float:
        return self.context.days / 365.0

    @property
    def sanction_loss(self) -> float:
        """S: T's loss (million USD) if the sanction is applied over this period."""
        return sanction_loss_musd(self.hegemon, self.transit, self.context.start, self.context.days)

    @property
    def threat_in_force(self) -> bool:
        """Whether a sanction is threatened for this period (a tariff above 0 on some day of
        it, or a remittance tax): only then does H review the period."""
        threat = self.hegemon.threat
        if threat is None:
            return False
        rate_days = threat.schedule.rate_days(self.context.start, self.context.days)
        return rate_days > 0 or threat.remittance_tax > 0

    @property
    def credibility(self) -> float:
        threat = self.hegemon.threat
        return 0.0 if threat is None else threat.credibility

    @property
    def tolerance(self) -> float:
        return tolerance_musd(self.transit, self.context.days)

    @property
    def aid(self) -> float:
        return self.hegemon.inducement.aid_musd_per_year * self.years

    @property
    def budget(self) -> float:
        """What T can spend in the period (plus unconditional aid), million USD."""
        extra = 0.0 if self.hegemon.inducement.conditional else self.aid
        return self.transit.budget_musd_per_year * self.years + extra

    # ------------------------------------------------------------------ evaluation
    def noncompliance(self, arrivals: FloatArray, stc: FloatArray) -> FloatArray:
        """Probability that H judges T non-compliant: observed arrivals per day above the cap
        (log-logistic observation error with sd ``observation_noise``), or a demanded STC not
        signed."""
        demand = self.active_demand
        scale = self.hegemon.observation_noise / _LOGISTIC_SD
        per_day = np.maximum(arrivals / self.context.days, 1e-300)
        z = (np.log(per_day) - math.log(demand.arrivals_cap_per_day)) / scale
        q = 0.5 * (1.0 + np.tanh(z / 2.0))  # logistic CDF, overflow-free
        if demand.safe_third_country:
            q = 1.0 - (1.0 - q) * stc
        return np.asarray(q, dtype=np.float64)

    def evaluate(self, policies: FloatArray) -> StageEvaluation:
        x = np.atleast_2d(np.asarray(policies, dtype=np.float64))
        out = self.model.evaluate(x, self.context)
        prefs = self.transit.preferences
        fiscal = prefs.fiscal_weight * out.fiscal_cost_musd
        humanitarian = (
            prefs.stranded_weight_usd * out.stranded
            + prefs.backlog_weight_usd * out.backlog
            + prefs.unscreened_weight_usd * out.deportations_unscreened
        ) / 1e6
        ideal = prefs.ideal.to_array()
        dev = x[:, :_NC] - ideal[:_NC]
        audience = self.years * (
            (dev * dev) @ prefs.audience_array
            + prefs.audience_stc_musd * np.abs(x[:, STC] - ideal[STC])
        )
        q = self.noncompliance(out.arrivals, x[:, STC])
        pi = (self.credibility if self.threat_in_force else 0.0) * q
        expected_sanction = pi * self.sanction_loss
        if self.hegemon.inducement.conditional:
            expected_aid = self.aid * (1.0 - q)
        else:
            expected_aid = np.zeros(len(x))
        return StageEvaluation(
            outcomes=out,
            fiscal=fiscal,
            humanitarian=humanitarian,
            audience=audience,
            noncompliance=q,
            sanction_probability=pi,
            expected_sanction=expected_sanction,
            expected_aid=expected_aid,
            affordable=out.fiscal_cost_musd <= self.budget * (1 + 1e-12),
            sanction_safe=expected_sanction <= self.tolerance,
        )

    def loss_of(self, policy: FloatArray) -> float:
        return float(self.evaluate(policy).loss[0])

    def fiscal_of(self, policy: FloatArray) -> float:
        return float(self.model.evaluate(np.atleast_2d(policy), self.context).fiscal_cost_musd[0])


def on_its_own(game: StageGame) -> StageGame:
    """The same period with no threat and no aid: T's own problem (its preferred policy)."""
    return replace(game, hegemon=replace(game.hegemon, threat=None, inducement=Inducement()))
