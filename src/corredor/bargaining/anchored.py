"""An outcome model anchored to the corridor simulation (``docs/bargaining.md`` §10).

At a review day the simulation has shown, over the last review period (the *window*), the
arrivals at the hegemon's border, the people stranded in the transit state, its asylum backlog
and its deportations without screening, under the policy then in force (the *status quo*
``p0``). :class:`AnchoredOutcomes` predicts the next period's outcomes of any policy ``p`` as
those simulated levels moved by the reduced form's documented response to the levers
(:class:`~corredor.bargaining.outcomes.ReducedFormOutcomes`):

* arrivals, multiplicatively: the reduced form's inflow is scaled by ``ι`` so that it gives the
  simulated arrivals at ``p0``; ``A(p) = A_RF(p; ι) = A_sim · A_RF(p) / A_RF(p0)``;
* stranded, backlog and deportations without screening, additively: the simulated level plus
  the reduced form's difference between ``p`` and ``p0`` (at ``ι``), floored at 0;
* the fiscal cost: the reduced form's, at ``ι``.

So the status quo is predicted to persist (a persistence forecast, the naive baseline of
forecasting), and the levers move the outcomes by the reduced form's elasticities, not by
hand-set levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from corredor.bargaining.outcomes import (
    OutcomeModel,
    Outcomes,
    PeriodContext,
    ReducedFormOutcomes,
)
from corredor.bargaining.policy import STC, FloatArray, TransitPolicy
from corredor.errors import ScenarioError


@dataclass(frozen=True)
class SimulatedState:
    """What the simulation showed over the window before a review day.

    ``arrivals`` and ``deportations_unscreened`` are counts over the ``days`` of the window;
    ``stranded`` is the mean number of people stranded in the transit state's border cities
    over the window; ``backlog`` the transit state's pending asylum cases at its end;
    ``status_quo`` the policy in force over the window (the levers read back from the
    simulation's parameters). ``extra`` keeps further counts of the window for reports.
    """

    days: int
    arrivals: float
    stranded: float
    backlog: float
    deportations_unscreened: float
    status_quo: TransitPolicy
    extra: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ScenarioError(None, f"a window of {self.days} days", expected=">= 1 day")
        for name in ("arrivals", "stranded", "backlog", "deportations_unscreened"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise ScenarioError(None, f"simulated {name} = {value!r}", expected=">= 0")

    def per_period(self, value: float, days: int) -> float:
        """A count of the window rescaled to a period of ``days``."""
        return value * days / self.days


class AnchoredOutcomes:
    """Simulated levels at the status quo, the reduced form's response to the levers (module
    docstring). ``stc_effect=False`` (a scenario without a safe-third-country mechanism): the
    reduced form is evaluated with the agreement unsigned, so signing it changes no outcome
    (it still satisfies a demand and costs audience)."""

    def __init__(
        self,
        state: SimulatedState,
        response: OutcomeModel | None = None,
        *,
        stc_effect: bool = True,
    ) -> None:
        self.state = state
        self.response = response if response is not None else ReducedFormOutcomes()
        self.stc_effect = stc_effect

    def __repr__(self) -> str:
        return f"AnchoredOutcomes({self.state}, stc_effect={self.stc_effect})"

    def _levers(self, policies: FloatArray) -> FloatArray:
        x = np.array(np.atleast_2d(policies), dtype=np.float64)
        if not self.stc_effect:
            x[:, STC] = 0.0
        return x

    def inflow_scale(self, context: PeriodContext) -> float:
        """``ι``: the reduced form's inflow scale at which it gives the simulated arrivals
        (rescaled to the period's length) at the status quo."""
        p0 = self._levers(self.state.status_quo.to_array())
        unit = self.response.evaluate(p0, replace(context, inflow_scale=1.0)).arrivals[0]
        target = self.state.per_period(self.state.arrivals, context.days)
        return float(target / unit) if unit > 0 else 1.0

    def evaluate(self, policies: FloatArray, context: PeriodContext) -> Outcomes:
        s = self.state
        iota = self.inflow_scale(context)
        ctx = replace(context, inflow_scale=iota)
        out = self.response.evaluate(self._levers(policies), ctx)
        sq = self.response.evaluate(self._levers(s.status_quo.to_array()), ctx)

        def anchored(name: str, level: float) -> FloatArray:
            moved = level + getattr(out, name) - float(getattr(sq, name)[0])
            return np.asarray(np.maximum(moved, 0.0), dtype=np.float64)

        extra = dict(out.extra)
        extra["inflow_scale"] = np.full(len(out.arrivals), iota)
        return Outcomes(
            arrivals=out.arrivals,
            stranded=anchored("stranded", s.stranded),
            backlog=anchored("backlog", s.backlog),
            deportations_unscreened=anchored(
                "deportations_unscreened", s.per_period(s.deportations_unscreened, context.days)
            ),
            fiscal_cost_musd=out.fiscal_cost_musd,
            extra=extra,
        )
