"""What a policy vector does: the interface between the game and the corridor simulation.

The game needs, for a batch of transit-state policies and one review period, five outcomes:
arrivals at the hegemon's border, people stranded in the transit state, the asylum backlog,
deportations without screening and the fiscal cost. Anything that implements
:class:`OutcomeModel` can supply them: the corridor simulation (run the period with the policy's
levers set), a table of precomputed outcomes (:class:`TabulatedOutcomes`) or the reduced-form
response function :class:`ReducedFormOutcomes`, the documented stand-in used until the corridor
model is wired in (equations in ``docs/bargaining.md`` §4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from corredor.bargaining.calibration import CALIBRATION, default
from corredor.bargaining.policy import LEVERS, N_LEVERS, FloatArray
from corredor.errors import ScenarioError

#: The outcome columns every model returns (per review period).
OUTCOMES: tuple[str, ...] = (
    "arrivals",
    "stranded",
    "backlog",
    "deportations_unscreened",
    "fiscal_cost_musd",
)


@dataclass(frozen=True)
class PeriodContext:
    """The state of the world a period's outcomes depend on, besides the transit policy."""

    start: dt.date
    days: int
    backlog_start: float = default("backlog_start")
    mpp_return_share: float = default("mpp_return_share")
    inflow_scale: float = 1.0
    index: int = 0

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ScenarioError(
                None,
                f"review period of {self.days} days",
                field="review_days",
                expected="at least 1 day",
            )

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days)


@dataclass(frozen=True)
class Outcomes:
    """Outcomes of ``n`` policies over one period (arrays of length ``n``).

    ``arrivals``: people reaching the hegemon's border in the period; ``stranded``: people held
    in the transit state without status (released after interception, waiting under MPP,
    refused asylum); ``backlog``: pending asylum cases at the end of the period;
    ``deportations_unscreened``: deportations from the transit state without protection
    screening; ``fiscal_cost_musd``: the transit state's spending on the levers (million USD).
    ``extra`` holds model-specific series (interceptions, returns, visas…).
    """

    arrivals: FloatArray
    stranded: FloatArray
    backlog: FloatArray
    deportations_unscreened: FloatArray
    fiscal_cost_musd: FloatArray
    extra: Mapping[str, FloatArray] = field(default_factory=dict)

    def row(self, i: int) -> dict[str, float]:
        out = {name: float(getattr(self, name)[i]) for name in OUTCOMES}
        out.update({k: float(v[i]) for k, v in self.extra.items()})
        return out


def outcomes_from(
    columns: Mapping[str, FloatArray], extra: Mapping[str, FloatArray] | None = None
) -> Outcomes:
    """:class:`Outcomes` from a mapping with the :data:`OUTCOMES` keys."""
    return Outcomes(
        arrivals=np.asarray(columns["arrivals"], dtype=np.float64),
        stranded=np.asarray(columns["stranded"], dtype=np.float64),
        backlog=np.asarray(columns["backlog"], dtype=np.float64),
        deportations_unscreened=np.asarray(columns["deportations_unscreened"], dtype=np.float64),
        fiscal_cost_musd=np.asarray(columns["fiscal_cost_musd"], dtype=np.float64),
        extra=dict(extra or {}),
    )


@runtime_checkable
class OutcomeModel(Protocol):
    """Outcomes of a batch of policies (an ``(n, 7)`` array, columns :data:`LEVERS`) over one
    period. The corridor simulation implements this to replace the reduced form."""

    def evaluate(self, policies: FloatArray, context: PeriodContext) -> Outcomes: ...


def _d(name: str) -> float:
    return default(name)


@dataclass(frozen=True)
class ReducedFormParams:
    """The named parameters of the reduced-form response (defaults and ranges in
    :data:`~corredor.bargaining.calibration.CALIBRATION`)."""

    inflow_per_day: float = _d("inflow_per_day")
    visa_share_max: float = _d("visa_share_max")
    visa_magnet: float = _d("visa_magnet")
    visa_settle_share: float = _d("visa_settle_share")
    asylum_apply_base: float = _d("asylum_apply_base")
    asylum_apply_gain: float = _d("asylum_apply_gain")
    asylum_capacity_base: float = _d("asylum_capacity_base")
    asylum_capacity_max: float = _d("asylum_capacity_max")
    recognition_rate: float = _d("recognition_rate")
    interception_south: float = _d("interception_south")
    interception_transit: float = _d("interception_transit")
    interception_north: float = _d("interception_north")
    personnel_south: float = _d("personnel_south")
    personnel_transit: float = _d("personnel_transit")
    personnel_north: float = _d("personnel_north")
    return_share: float = _d("return_share")
    screening_base: float = _d("screening_base")
    screening_gain: float = _d("screening_gain")
    mpp_deterrence: float = _d("mpp_deterrence")
    stc_deterrence: float = _d("stc_deterrence")
    asylum_seeker_share: float = _d("asylum_seeker_share")
    cost_personnel_usd: float = _d("cost_personnel_usd")
    cost_decision_usd: float = _d("cost_decision_usd")
    cost_deportation_usd: float = _d("cost_deportation_usd")
    cost_visa_usd: float = _d("cost_visa_usd")
    cost_stranded_usd_per_day: float = _d("cost_stranded_usd_per_day")

    def __post_init__(self) -> None:
        for f in fields(self):
            CALIBRATION[f.name].check(getattr(self, f.name), f"outcome_model.{f.name}")
        if self.asylum_capacity_max < self.asylum_capacity_base:
            raise ScenarioError(
                None,
                "asylum_capacity_max is below asylum_capacity_base",
                field="outcome_model.asylum_capacity_max",
                expected=f">= {self.asylum_capacity_base:g}",
            )


class ReducedFormOutcomes:
    """The reduced-form response function (``docs/bargaining.md`` §4): a one-period flow
    model of the corridor, smooth in the continuous levers, vectorised over policies."""

    def __init__(self, params: ReducedFormParams | None = None) -> None:
        self.params = params if params is not None else ReducedFormParams()

    def __repr__(self) -> str:
        return f"ReducedFormOutcomes({self.params})"

    def evaluate(self, policies: FloatArray, context: PeriodContext) -> Outcomes:
        p = self.params
        x = np.atleast_2d(np.asarray(policies, dtype=np.float64))
        if x.shape[1] != N_LEVERS:
            raise ValueError(f"policies must have {N_LEVERS} columns, got {x.shape[1]}")
        es, et, en, v, k, m, s = (x[:, i] for i in range(N_LEVERS))
        tau = float(context.days)
        mu = context.mpp_return_share

        # inflow (people/day): visas attract, MPP and an STC deter
        inflow = (
            p.inflow_per_day
            * context.inflow_scale
            * (1 + p.visa_magnet * v)
            * (1 - p.mpp_deterrence * m)
            * (1 - p.stc_deterrence * s)
        )
        visas = p.visa_share_max * v * inflow
        visa_onward = (1 - p.visa_settle_share) * visas
        no_visa = inflow - visas
        applications = no_visa * (p.asylum_apply_base + p.asylum_apply_gain * k)
        irregular = no_visa - applications
        # interception: pass-through 1 - h_max per region at full effort, exponential in effort
        passing = (
            (1 - p.interception_south) ** es
            * (1 - p.interception_transit) ** et
            * (1 - p.interception_north) ** en
        )
        intercepted = irregular * (1 - passing) * tau
        arrivals = (visa_onward + irregular * passing) * tau
        # the hegemon's unilateral burden-shifting: MPP returns, STC returns of asylum seekers
        mpp_returns = m * mu * arrivals
        stc_returns = s * p.asylum_seeker_share * (arrivals - mpp_returns)
        # asylum: caseload W decided at capacity C with the smooth queue W (1 - exp(-C tau / W))
        capacity = p.asylum_capacity_base + k * (p.asylum_capacity_max - p.asylum_capacity_base)
        caseload = context.backlog_start + applications * tau + stc_returns
        decided = np.where(
            caseload > 0,
            caseload * -np.expm1(-capacity * tau / np.maximum(caseload, 1e-12)),
            0.0,
        )
        backlog = caseload - decided
        refused = (1 - p.recognition_rate) * decided
        deported = p.return_share * intercepted
        screened = np.clip(p.screening_base + p.screening_gain * k, 0.0, 1.0)
        unscreened = deported * (1 - screened)
        stranded = (1 - p.return_share) * intercepted + mpp_returns + refused
        personnel = es * p.personnel_south + et * p.personnel_transit + en * p.personnel_north
        fiscal = (
            personnel * p.cost_personnel_usd * tau / 365.0
            + capacity * tau * p.cost_decision_usd
            + deported * p.cost_deportation_usd
            + visas * tau * p.cost_visa_usd
            + stranded * p.cost_stranded_usd_per_day * tau / 2.0
        ) / 1e6
        return Outcomes(
            arrivals=arrivals,
            stranded=stranded,
            backlog=backlog,
            deportations_unscreened=unscreened,
            fiscal_cost_musd=fiscal,
            extra={
                "inflow": inflow * tau,
                "intercepted": intercepted,
                "deported": deported,
                "visas": visas * tau,
                "asylum_applications": applications * tau,
                "asylum_decisions": decided,
                "mpp_returns": mpp_returns,
                "stc_returns": stc_returns,
                "personnel": personnel,
            },
        )


class TabulatedOutcomes:
    """Outcomes looked up in a table: one row per (period, policy), the lever columns
    :data:`LEVERS` (and optionally ``period``, matched to ``context.index``) plus the
    :data:`OUTCOMES` columns. Policies must be rows of the table (exact match to 1e-9), so it
    serves grid solving; continuous refinement needs a function."""

    def __init__(self, table: pd.DataFrame) -> None:
        missing = [c for c in (*LEVERS, *OUTCOMES) if c not in table.columns]
        if missing:
            raise ScenarioError(
                None,
                f"outcome table lacks columns {missing}",
                expected=", ".join((*LEVERS, *OUTCOMES)),
            )
        self._by_period: dict[int | None, dict[tuple[float, ...], int]] = {}
        self._values = table[list(OUTCOMES)].to_numpy(dtype=np.float64)
        levers = np.round(table[list(LEVERS)].to_numpy(dtype=np.float64), 9)
        periods = table["period"].to_numpy() if "period" in table.columns else [None] * len(table)
        for i, (row, period) in enumerate(zip(levers, periods, strict=True)):
            key = None if period is None else int(period)
            self._by_period.setdefault(key, {})[tuple(row.tolist())] = i

    def evaluate(self, policies: FloatArray, context: PeriodContext) -> Outcomes:
        lookup = self._by_period.get(context.index, self._by_period.get(None))
        if lookup is None:
            raise ScenarioError(
                None, f"outcome table has no rows for period {context.index}", column="period"
            )
        x = np.round(np.atleast_2d(np.asarray(policies, dtype=np.float64)), 9)
        idx = np.empty(len(x), dtype=np.intp)
        for i, row in enumerate(x):
            j = lookup.get(tuple(row.tolist()))
            if j is None:
                raise ScenarioError(
                    None,
                    f"policy {row.tolist()} is not in the outcome table",
                    expected="a policy of the solver's grid",
                )
            idx[i] = j
        vals = self._values[idx]
        return outcomes_from({n: vals[:, c] for c, n in enumerate(OUTCOMES)})


def outcome_table(
    model: OutcomeModel, policies: FloatArray, contexts: list[PeriodContext]
) -> pd.DataFrame:
    """A table for :class:`TabulatedOutcomes` computed with ``model`` (one block per context)."""
    frames = []
    for ctx in contexts:
        out = model.evaluate(policies, ctx)
        df = pd.DataFrame(policies, columns=list(LEVERS))
        for name in OUTCOMES:
            df[name] = getattr(out, name)
        df["period"] = ctx.index
        frames.append(df)
    return pd.concat(frames, ignore_index=True)
