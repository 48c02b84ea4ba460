"""Targets and the calibration loss: simulated vs observed counts on log1p scale, weighted per
series.

The input is a run's :meth:`CorridorResult.observed_vs_simulated
<corredor.results.corridor.CorridorResult.observed_vs_simulated>`: one row per observed
data row, with the simulated value summed over exactly that row's period. For each row ``t`` of
series (observable) ``s``::

    e_st = log(1 + sim_st) − log(1 + obs_st),  or 0 when sim_st is consistent with obs_st

    L_s  = mean_t e_st²                                   (over the scored rows of s)
    L    = Σ_s w_s L_s / Σ_s w_s                           (over the series with a scored row)

so the loss is scale-free (a 10 % miss costs the same on 300 COMAR applications as on 100,000
encounters) and each series counts by its weight, not by its number of rows (105 monthly rows
do not drown 6 annual ones). ``sqrt(L)`` is a weighted log-RMSE; ``exp(sqrt(L_s)) − 1`` reads
as a typical relative error of series ``s``.

**When is a simulated value consistent with an observation** (the rule for rounded and
approximate values, by the data file's ``value_type``):

* ``exact`` (or no ``value_type``): never, unless equal (``e`` is the full log error);
* ``rounded_to_N``: ``|sim − obs| < N/2`` gives ``e = 0``, a larger error counts in full — the
  rule of :func:`corredor.validation.metrics.half_width`, shared with the back-test metrics;
* ``approximate`` ("about 10,000"): ``|sim − obs| ≤ 10 % of obs``
  (:data:`APPROXIMATE_TOLERANCE`) gives ``e = 0``, a larger error counts in full;
* ``lower_bound`` ("more than 181,000"): ``sim ≥ obs`` gives ``e = 0``; below, the full error;
* ``derived`` (a sum of published values): as ``exact``;
* any other type: a :class:`LossError` naming the type and the fix.

**Missing values.** A row whose observed value is empty (NaN) is skipped: left out of its
series' mean and counted in ``missing``. (``observed_vs_simulated`` already leaves out rows with
an empty value and rows outside the simulated days; months absent from a file are simply not
there.) A series with no scored row is left out of ``L`` (its weight too). A missing *simulated*
value is an error.

**Which rows.** Rows ending after ``until`` (default and maximum: the data horizon 2021-09-30,
:data:`corredor.scenario.corridor.horizon.DATA_HORIZON`; later raises
:class:`~corredor.scenario.corridor.horizon.DataHorizonError`) and rows ending within the first
:data:`SPIN_UP_DAYS` days of the run (the network starts empty) are left out.

**Weights** come from the scenario's analysis settings (``analysis: fit: weights`` and
``default_weight``, :mod:`corredor.scenario.corridor.analysis`; :func:`loss_weights`), overridden
by the caller's; a table scored without a scenario weighs every series :data:`DEFAULT_WEIGHT`.
``mexico-us``'s weights and their reasons are in its ``analysis.yaml`` and docs/calibration.md.

**Observables not fitted.** An observable declared with ``fit: false`` in the scenario
(:class:`~corredor.scenario.corridor.observables.Observable`; ``mexico-us``'s
``us_repatriations_mex``, a lower bound of its data) is scored and reported like any other
series but weighs 0, whatever ``weights`` say: the ``observed_vs_simulated`` tables carry a
boolean ``fit`` column, and a series with a row whose ``fit`` is false gets weight 0 (a table
without the column fits every series).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from corredor.errors import CorredorError
from corredor.results.corridor import CorridorResult
from corredor.scenario.corridor.horizon import DATA_HORIZON, DataHorizonError
from corredor.scenario.corridor.observed import observed_rows  # the one reader
from corredor.validation.metrics import SPIN_UP_DAYS, half_width

if TYPE_CHECKING:
    import numpy.typing as npt

    from corredor.scenario.corridor import CorridorScenario

#: Relative tolerance of an ``approximate`` observation.
APPROXIMATE_TOLERANCE = 0.10

#: Weight of an observable that neither the caller nor the scenario weighs.
DEFAULT_WEIGHT = 1.0

#: Columns of :attr:`LossReport.series`.
SERIES_COLUMNS = [
    "observable",
    "weight",
    "rows",
    "scored",
    "missing",
    "within_tolerance",
    "observed",
    "simulated",
    "ratio",
    "log_rmse",
    "log_bias",
    "loss",
    "contribution",
]


class LossError(CorredorError, ValueError):
    """The targets cannot be scored (an unknown value type, a bad weight, a missing column)."""


@dataclass(frozen=True)
class LossReport:
    """The loss of one run and how each series contributes.

    Attributes:
        total: the weighted loss ``L`` (NaN if no row could be scored).
        series: one row per observable (columns :data:`SERIES_COLUMNS`): rows considered,
            scored, missing, scored within tolerance (error 0), observed and simulated totals
            of the scored rows and their ratio, ``log_rmse = sqrt(L_s)``, ``log_bias`` = mean
            log error (> 0: simulated too high), ``loss = L_s``, ``contribution = w_s L_s /
            Σ w``.
        rows: the scored and missing rows with their error ``e`` (NaN for missing).
        until: the last day of data used.
    """

    total: float
    series: pd.DataFrame
    rows: pd.DataFrame
    until: dt.date


def check_until(until: str | dt.date | pd.Timestamp | None) -> dt.date:
    """``until`` as a date (None → the data horizon); later than 2021-09-30 raises
    :class:`~corredor.scenario.corridor.horizon.DataHorizonError`."""
    if until is None:
        return DATA_HORIZON.date()
    try:
        day = pd.Timestamp(until).date()
    except (ValueError, TypeError):
        raise LossError(f"--until {until!r} is not a date; write YYYY-MM-DD") from None
    if day > DATA_HORIZON.date():
        raise DataHorizonError(
            f"--until {day} is after the data horizon {DATA_HORIZON.date()}: nothing after it may "
            "be fitted (docs/calibration.md); give 2021-09-30 or earlier"
        )
    return day


def tolerance_zero(value_type: str, simulated: float, observed: float) -> bool:
    """Whether ``simulated`` is consistent with ``observed`` under the rule of its
    ``value_type`` (module docstring): then the row's error counts as 0."""
    kind = (value_type or "exact").strip() or "exact"
    err = abs(simulated - observed)
    if kind in ("exact", "derived"):
        return err == 0.0
    if kind == "approximate":
        return err <= APPROXIMATE_TOLERANCE * abs(observed)
    if kind == "lower_bound":
        return simulated >= observed
    try:
        h = half_width(kind)
    except ValueError:
        raise LossError(
            f"no loss rule for value_type {value_type!r}; known: exact, rounded_to_N, approximate, "
            "lower_bound, derived (fix the data file's value_type column)"
        ) from None
    return err < h


def loss_weights(
    scenario: CorridorScenario, weights: Mapping[str, float] | None = None
) -> dict[str, float]:
    """The weight of every observable of ``scenario``: ``weights`` over the scenario's
    ``analysis: fit: weights`` over its ``default_weight``."""
    fit = scenario.analysis_settings().fit
    table = {**fit.weights, **dict(weights or {})}
    return {ob.name: float(table.get(ob.name, fit.default_weight)) for ob in scenario.observables}


def weights_for(
    observables: list[str], weights: Mapping[str, float] | None = None
) -> dict[str, float]:
    """The weight of each observable: ``weights`` over :data:`DEFAULT_WEIGHT`. Negative or
    non-finite weights raise :class:`LossError`."""
    table = dict(weights or {})
    out = {}
    for name in observables:
        w = float(table.get(name, DEFAULT_WEIGHT))
        if not math.isfinite(w) or w < 0:
            raise LossError(f"weight of {name!r} is {w!r}; give a finite weight >= 0")
        out[name] = w
    return out


def compute_loss(
    ovs: pd.DataFrame,
    *,
    start: dt.date | None = None,
    until: str | dt.date | pd.Timestamp | None = None,
    weights: Mapping[str, float] | None = None,
    spin_up_days: int = SPIN_UP_DAYS,
) -> LossReport:
    """The loss of a run from its ``observed_vs_simulated()`` table (module docstring).

    ``start`` is the run's first day (for the spin-up; default: the earliest period start in
    the table); ``until`` the last day of data that may be fitted (default: 2021-09-30);
    ``weights``: per observable (others weigh :data:`DEFAULT_WEIGHT`; a scenario's are
    :func:`loss_weights`).
    """
    last = check_until(until)
    needed = ("observable", "period_start", "period_end", "observed", "simulated")
    missing_cols = [c for c in needed if c not in ovs.columns]
    if missing_cols:
        raise LossError(f"observed-vs-simulated table lacks column(s) {missing_cols}")
    table = ovs.copy()
    if "value_type" not in table.columns:
        table["value_type"] = "exact"
    if len(table):
        table["period_start"] = pd.to_datetime(table["period_start"]).dt.date
        table["period_end"] = pd.to_datetime(table["period_end"]).dt.date
        first = start if start is not None else min(table["period_start"])
        spin_end = first + dt.timedelta(days=spin_up_days)
        table = table[(table["period_end"] <= last) & (table["period_end"] >= spin_end)]
    names = list(dict.fromkeys(table["observable"].astype(str)))
    w = weights_for(names, weights)
    if "fit" in table.columns:
        for name in set(table.loc[~table["fit"].astype(bool), "observable"].astype(str)):
            w[name] = 0.0  # fit: false in the scenario: reported, never fitted
    sim = table["simulated"].to_numpy(dtype=np.float64)
    obs = table["observed"].to_numpy(dtype=np.float64)
    if np.isnan(sim).any():
        bad = table.loc[np.isnan(sim), "observable"].iloc[0]
        raise LossError(f"simulated value missing for {bad!r}; the run did not cover the row")
    if (sim < 0).any() or (obs[~np.isnan(obs)] < 0).any():
        raise LossError("counts must be >= 0 for a log loss")
    scored = ~np.isnan(obs)
    within = np.array(
        [
            bool(ok) and tolerance_zero(str(k), float(s), float(o))
            for ok, k, s, o in zip(scored, table["value_type"].fillna(""), sim, obs, strict=True)
        ],
        dtype=bool,
    )
    err = np.where(scored, np.log1p(sim) - np.log1p(np.where(scored, obs, 0.0)), np.nan)
    err = np.where(within, 0.0, err)
    table = table.assign(error=err, scored=scored, within_tolerance=within)

    rows = []
    for name in names:
        g = table[table["observable"] == name]
        ok = g["scored"].to_numpy(bool)
        e = g["error"].to_numpy(np.float64)[ok]
        o = g["observed"].to_numpy(np.float64)[ok]
        s = g["simulated"].to_numpy(np.float64)[ok]
        loss = float(np.mean(e**2)) if e.size else float("nan")
        rows.append(
            {
                "observable": name,
                "weight": w[name],
                "rows": len(g),
                "scored": int(ok.sum()),
                "missing": int((~ok).sum()),
                "within_tolerance": int(g["within_tolerance"].sum()),
                "observed": float(o.sum()),
                "simulated": float(s.sum()),
                "ratio": float(s.sum() / o.sum()) if o.sum() > 0 else float("nan"),
                "log_rmse": math.sqrt(loss) if e.size else float("nan"),
                "log_bias": float(np.mean(e)) if e.size else float("nan"),
                "loss": loss,
            }
        )
    series = pd.DataFrame(rows, columns=SERIES_COLUMNS[:-1])
    used = series["scored"] > 0
    total_w = float(series.loc[used, "weight"].sum())
    if total_w > 0:
        contrib = np.where(used, series["weight"] * series["loss"].fillna(0.0) / total_w, 0.0)
        total = float(contrib.sum())
    else:
        contrib = np.zeros(len(series))
        total = float("nan")
    series["contribution"] = contrib
    return LossReport(total=total, series=series, rows=table.reset_index(drop=True), until=last)


@dataclass(frozen=True)
class Targets:
    """The observed rows of a scenario's observables, read once, to score simulated daily
    observables without the data files (a worker of a remote cluster returns only its daily
    observables, the loss is computed where the files are).

    Rows come from :func:`corredor.scenario.corridor.observed.observed_rows`, the one reader of
    observed data that :meth:`CorridorResult.observed_vs_simulated
    <corredor.results.corridor.CorridorResult.observed_vs_simulated>` and validation use too
    (a malformed or empty value is a validation error, never a silently dropped row; a
    missing value in a table built by hand is NaN, which the missing-value rule counts).
    """

    start: dt.date
    #: observable index (column of the daily observables), name, unit, period start and end,
    #: value (NaN = missing), value type
    rows: tuple[tuple[int, str, str, dt.date, dt.date, float, str], ...]
    #: names of the observables declared ``fit: false`` (weight 0 in the loss)
    unfitted: frozenset[str] = frozenset()
    #: the scenario's loss weight of each observable (:func:`loss_weights`)
    weights: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_scenario(cls, scenario: CorridorScenario) -> Targets:
        rows: list[tuple[int, str, str, dt.date, dt.date, float, str]] = []
        for i, ob in enumerate(scenario.observables):
            for r in observed_rows(scenario, i):
                rows.append((i, ob.name, ob.unit, r.start, r.end, r.value, r.value_type))
        unfitted = frozenset(ob.name for ob in scenario.observables if not ob.fit)
        return cls(
            start=scenario.start,
            rows=tuple(rows),
            unfitted=unfitted,
            weights=loss_weights(scenario),
        )

    @property
    def fitted_names(self) -> list[str]:
        """The observables with observed rows that the calibration fits (not ``fit: false``),
        in scenario order."""
        return [n for n in dict.fromkeys(r[1] for r in self.rows) if n not in self.unfitted]

    def observed_vs_simulated(
        self, obs_daily: npt.NDArray[np.float64], *, drop_missing: bool = False
    ) -> pd.DataFrame:
        """The table of ``observed_vs_simulated()`` from a run's daily observables (days ×
        observables, the run starting on :attr:`start`); rows outside the simulated days are
        left out, missing values kept as NaN unless ``drop_missing``."""
        days = obs_daily.shape[0]
        cum = np.vstack([np.zeros(obs_daily.shape[1]), np.cumsum(obs_daily, axis=0)])
        out = []
        for i, name, unit, a, b, value, vtype in self.rows:
            lo = (a - self.start).days
            hi = (b - self.start).days + 1
            if lo < 0 or hi > days or (drop_missing and math.isnan(value)):
                continue
            out.append(
                {
                    "observable": name,
                    "unit": unit,
                    "period_start": a,
                    "period_end": b,
                    "observed": value,
                    "value_type": vtype,
                    "simulated": float(cum[hi, i] - cum[lo, i]),
                    "fit": name not in self.unfitted,
                }
            )
        columns = [
            "observable",
            "unit",
            "period_start",
            "period_end",
            "observed",
            "value_type",
            "simulated",
            "fit",
        ]
        return pd.DataFrame(out, columns=columns)

    def loss(
        self,
        obs_daily: npt.NDArray[np.float64],
        *,
        until: str | dt.date | pd.Timestamp | None = None,
        weights: Mapping[str, float] | None = None,
        spin_up_days: int = SPIN_UP_DAYS,
    ) -> LossReport:
        """:func:`compute_loss` of a run's daily observables (``weights`` over the scenario's)."""
        return compute_loss(
            self.observed_vs_simulated(obs_daily),
            start=self.start,
            until=until,
            weights={**self.weights, **dict(weights or {})},
            spin_up_days=spin_up_days,
        )


def result_loss(
    result: object,
    *,
    until: str | dt.date | pd.Timestamp | None = None,
    weights: Mapping[str, float] | None = None,
    spin_up_days: int = SPIN_UP_DAYS,
) -> LossReport:
    """:func:`compute_loss` of a :class:`~corredor.results.corridor.CorridorResult`
    (``weights`` over its scenario's)."""

    if not isinstance(result, CorridorResult):
        raise TypeError("result_loss takes a CorridorResult")
    return compute_loss(
        result.observed_vs_simulated(),
        start=result.start,
        until=until,
        weights=loss_weights(result.compiled.scenario, weights),
        spin_up_days=spin_up_days,
    )


__all__ = [
    "APPROXIMATE_TOLERANCE",
    "DEFAULT_WEIGHT",
    "SERIES_COLUMNS",
    "SPIN_UP_DAYS",
    "LossError",
    "LossReport",
    "Targets",
    "check_until",
    "compute_loss",
    "loss_weights",
    "result_loss",
    "tolerance_zero",
    "weights_for",
]
