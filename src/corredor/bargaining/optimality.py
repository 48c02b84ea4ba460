"""Continuous refinement of T's problem (SLSQP) and its first-order (KKT) conditions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from corredor.bargaining.policy import CONTINUOUS_LEVERS, BoolArray, FloatArray, TransitPolicy
from corredor.bargaining.stage import StageGame

_NC = len(CONTINUOUS_LEVERS)


@dataclass(frozen=True)
class KKTReport:
    """First-order (KKT) conditions of T's problem at a policy, over the continuous levers
    (the STC fixed), with the loss scaled by ``scale``. ``violation`` is the largest breach:
    |gradient| of a free lever, a wrong-signed gradient at a bound, a negative multiplier."""

    gradient: FloatArray
    budget_gradient: FloatArray
    multiplier: float
    budget_active: bool
    at_lower: BoolArray
    at_upper: BoolArray
    violation: float
    scale: float

    def satisfied(self, tol: float = 1e-3) -> bool:
        return self.violation <= tol


def _gradient(f: Callable[[FloatArray], float], x: FloatArray, h: float) -> FloatArray:
    g = np.zeros(_NC)
    for i in range(_NC):
        up, down = x.copy(), x.copy()
        lo, hi = max(0.0, x[i] - h), min(1.0, x[i] + h)
        up[i], down[i] = hi, lo
        g[i] = (f(up) - f(down)) / (hi - lo)
    return g


def kkt_check(
    game: StageGame, policy: TransitPolicy, *, scale: float | None = None, h: float = 1e-6
) -> KKTReport:
    """Check the KKT conditions of ``min L(p) s.t. fiscal(p) <= budget, 0 <= p <= 1`` at
    ``policy`` by central differences (one-sided at the bounds)."""
    x0 = policy.to_array()
    scale = scale if scale is not None else max(1.0, abs(game.loss_of(x0)))

    def full(y: FloatArray) -> FloatArray:
        z = x0.copy()
        z[:_NC] = y
        return z

    y0 = x0[:_NC]
    grad = _gradient(lambda y: game.loss_of(full(y)) / scale, y0, h)
    bgrad = _gradient(lambda y: (game.fiscal_of(full(y)) - game.budget) / scale, y0, h)
    tol_b = 1e-7
    at_lower = y0 <= tol_b
    at_upper = y0 >= 1 - tol_b
    slack = game.budget - game.fiscal_of(x0)
    budget_active = bool(slack <= 1e-6 * max(1.0, game.budget))
    free = ~(at_lower | at_upper)
    mu = 0.0
    if budget_active:
        a, b = bgrad[free], grad[free]
        denom = float(a @ a)
        mu = max(0.0, -float(a @ b) / denom) if denom > 0 else 0.0
    r = grad + mu * bgrad
    viol = [np.abs(r[free]).max(initial=0.0)]
    viol.append(float(np.maximum(0.0, -r[at_lower]).max(initial=0.0)))
    viol.append(float(np.maximum(0.0, r[at_upper]).max(initial=0.0)))
    return KKTReport(
        gradient=grad,
        budget_gradient=bgrad,
        multiplier=mu,
        budget_active=budget_active,
        at_lower=at_lower,
        at_upper=at_upper,
        violation=float(max(viol)),
        scale=scale,
    )


def refine(game: StageGame, start: TransitPolicy) -> tuple[TransitPolicy, float, bool]:
    """Continuous refinement of T's problem from ``start`` (STC fixed) with SLSQP: bounds
    [0, 1] and the budget as a nonlinear inequality. Returns (policy, loss, success)."""

    x0 = start.to_array()
    scale = max(1.0, abs(game.loss_of(x0)))

    def full(y: FloatArray) -> FloatArray:
        z = x0.copy()
        z[:_NC] = np.clip(y, 0.0, 1.0)
        return z

    res = minimize(
        lambda y: game.loss_of(full(y)) / scale,
        x0[:_NC],
        method="SLSQP",
        bounds=[(0.0, 1.0)] * _NC,
        constraints=[
            {"type": "ineq", "fun": lambda y: (game.budget - game.fiscal_of(full(y))) / scale}
        ],
        options={"ftol": 1e-12, "maxiter": 500},
    )
    x = full(np.asarray(res.x, dtype=np.float64))
    ok = bool(res.success) and game.fiscal_of(x) <= game.budget * (1 + 1e-9)
    return TransitPolicy.from_array(x), game.loss_of(x), ok
