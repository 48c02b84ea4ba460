"""Validation of the corridor model (``corredor validate-model``): fit statistics over the whole
period, and the scenario's back-test (docs/validation.md) with the model as one more forecaster.

* :func:`fit_statistics` runs the scenario once (calibrated by default, or with the hand-set
  defaults; :func:`run_statistics` takes a run already made) and scores every observable over
  every observed row after the spin-up and up to 2021-09-30, with the loss's rules
  (:mod:`corredor.calibration.loss`: rounding, approximate and lower-bound values, missing
  values): rows, observed and simulated totals and their ratio,
  log-RMSE, ARD (``mean |sim − obs| / max(obs, 1)``, errors within tolerance counted as 0),
  correlation of the rows (series with more than 2 rows), and the series' loss.
* :func:`backtest_model` takes a calibration fitted only to data up to the back-test's fit end
  (the scenario's ``analysis: backtest: fit_end``; ``mexico-us``: 2018-12-31; its
  ``calibrated.yaml`` says so in ``data_until``, which is checked), runs the scenario over the
  whole period with those parameters and the known policy timeline, and scores its simulated
  back-test series (``mexico-us``: US Border Patrol encounters of January 2019 – September
  2021) exactly as the baselines are scored
  (:func:`corredor.validation.backtest.backtest_many`: MASE, ARD, log-RMSE, coverage of the
  90 % band when ensemble members are run). The simulation reads no observation after the fit
  end: the drivers and the policy events after it are inputs, as in a conditional forecast.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from corredor.calibration.evaluate import Simulation, evaluations
from corredor.calibration.loss import LossReport, Targets, result_loss
from corredor.errors import CorredorError
from corredor.scenario.corridor import CorridorScenario
from corredor.scenario.corridor.calibrated import Calibrated, read_calibrated, uncalibrated
from corredor.scenario.corridor.calibrated import uncalibrated as defaults_of
from corredor.scenario.corridor.vintage import as_of
from corredor.simulation.corridor import run_corridor
from corredor.validation.backtest import backtest_observables, backtest_scenario, backtest_settings
from corredor.validation.baselines import BASELINES, Forecast
from corredor.validation.discrepancy import log_discrepancy, mixture_quantiles

if TYPE_CHECKING:
    from corredor.results.corridor import CorridorResult

#: Columns of :attr:`FitStatistics.table`.
FIT_COLUMNS = [
    "observable",
    "weight",
    "rows",
    "observed",
    "simulated",
    "ratio",
    "log_rmse",
    "log_bias",
    "ard",
    "correlation",
    "loss",
]
#: Label of the model in the back-test table.
MODEL_LABEL = "corredor"


@dataclass(frozen=True)
class FitStatistics:
    """Per-series fit of one run (:data:`FIT_COLUMNS`), the loss and its report."""

    table: pd.DataFrame
    loss: float
    until: dt.date
    report: LossReport


def statistics_from_report(report: LossReport) -> FitStatistics:
    """Fit statistics (module docstring) from a loss report."""
    rows = report.rows
    out = []
    for r in report.series.itertuples(index=False):
        g = rows[(rows["observable"] == r.observable) & rows["scored"]]
        obs = g["observed"].to_numpy(np.float64)
        sim = g["simulated"].to_numpy(np.float64)
        err = np.where(g["within_tolerance"].to_numpy(bool), 0.0, np.abs(sim - obs))
        ard = float(np.mean(err / np.maximum(obs, 1.0))) if len(g) else math.nan
        corr = (
            float(np.corrcoef(obs, sim)[0, 1])
            if len(g) > 2 and obs.std() > 0 and sim.std() > 0
            else math.nan
        )
        out.append(
            {
                "observable": r.observable,
                "weight": r.weight,
                "rows": r.scored,
                "observed": r.observed,
                "simulated": r.simulated,
                "ratio": r.ratio,
                "log_rmse": r.log_rmse,
                "log_bias": r.log_bias,
                "ard": ard,
                "correlation": corr,
                "loss": r.loss,
            }
        )
    return FitStatistics(
        table=pd.DataFrame(out, columns=FIT_COLUMNS),
        loss=report.total,
        until=report.until,
        report=report,
    )


#: Headers of :func:`display_fit_table`.
FIT_DISPLAY_COLUMNS = [
    "observable",
    "rows",
    "observed",
    "simulated",
    "ratio",
    "log-RMSE",
    "ARD",
    "corr",
]


def _text(x: object, digits: int) -> str:
    v = float(str(x))
    return "–" if math.isnan(v) else f"{v:.{digits}f}"


def display_fit_table(table: pd.DataFrame) -> pd.DataFrame:
    """:attr:`FitStatistics.table` as text (columns :data:`FIT_DISPLAY_COLUMNS`), as
    ``validate-model`` prints it and the corridor report shows it; a series of weight 0 (an
    observable declared ``fit: false``) is marked ``(not fitted)``."""
    rows = [
        [
            str(r["observable"]) + (" (not fitted)" if r.get("weight", 1.0) == 0 else ""),
            str(r["rows"]),
            f"{r['observed']:,.0f}",
            f"{r['simulated']:,.0f}",
            _text(r["ratio"], 2),
            _text(r["log_rmse"], 3),
            _text(r["ard"], 3),
            _text(r["correlation"], 2),
        ]
        for r in table.to_dict("records")
    ]
    return pd.DataFrame(rows, columns=FIT_DISPLAY_COLUMNS)


def compare_fits(
    scenario: CorridorScenario,
    calibrations: Mapping[str, Mapping[str, float]],
    *,
    seed: int = 0,
    workers: int = 2,
) -> dict[str, FitStatistics]:
    """:func:`fit_statistics` of several complete calibrations (label → values over the
    scenario defaults), run side by side on ``workers`` local processes."""

    targets = Targets.from_scenario(scenario)
    base = uncalibrated(scenario)
    with evaluations(
        scenario, seed=seed, days=scenario.days, workers=workers, scheduler=None, threads=1
    ) as run:
        sims = run([{**base, **dict(c)} for c in calibrations.values()])
    out = {}
    for label, sim in zip(calibrations, sims, strict=True):
        if not isinstance(sim, Simulation):
            raise CorredorError(f"the run {label!r} failed: {sim}")
        out[label] = statistics_from_report(targets.loss(sim.obs_daily))
    return out


def fit_statistics(
    scenario: CorridorScenario,
    *,
    seed: int = 0,
    uncalibrated: bool = False,
    calibration: Mapping[str, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FitStatistics:
    """Run the whole period once and score every observable (module docstring).

    By default the scenario runs as it does for users (with its ``calibrated.yaml``);
    ``uncalibrated`` runs the hand-set defaults; ``calibration`` overrides either.
    ``progress(day, days)`` is called after every simulated day.
    """

    cal = {**(defaults_of(scenario) if uncalibrated else {}), **dict(calibration or {})}
    run = run_corridor(scenario, seed=seed, calibration=cal or None, progress=progress)
    return run_statistics(run)


def run_statistics(result: CorridorResult) -> FitStatistics:
    """The fit statistics (module docstring) of a corridor run already made: every observed
    row the run covers, after the spin-up and up to 2021-09-30."""
    return statistics_from_report(result_loss(result))


# ----------------------------------------------------------------------------- back-test
def backtest_calibration(path: str | Path, scenario: CorridorScenario) -> Calibrated:
    """The calibrated file of a back-test study (a folder holding ``calibrated.yaml``, or the
    file), checked to use no data after the back-test's fit window (the scenario's
    ``analysis: backtest: fit_end``)."""
    protocol = scenario.analysis_settings().backtest
    until = "FIT_END" if protocol is None else str(protocol.fit_end)
    p = Path(path)
    file = p / "calibrated.yaml" if p.is_dir() else p
    if not file.is_file():
        raise CorredorError(
            f"{file}: no calibrated.yaml there; make it with `corredor calibrate "
            f"{scenario.name} --until {until} --folder {p}`"
        )
    fit_end = backtest_settings(scenario).fit_end
    cal = read_calibrated(file, scenario)
    if cal.data_until > fit_end:
        raise CorredorError(
            f"{file}: fitted to data up to {cal.data_until}, but the back-test fits only data up "
            f"to {fit_end}; recalibrate with --until {fit_end}"
        )
    return cal


def _monthly(scenario: CorridorScenario, obs_daily: npt.NDArray[np.float64]) -> pd.DataFrame:
    names = [o.name for o in scenario.observables]
    index = pd.date_range(scenario.start, periods=obs_daily.shape[0], freq="D")
    return pd.DataFrame(obs_daily, index=index, columns=names).resample("MS").sum()


def backtest_model(
    scenario: CorridorScenario,
    study: str | Path,
    *,
    seed: int = 0,
    members: int = 0,
    replicas: int = 1,
    discrepancy: bool = True,
    baselines: Sequence[str] | None = None,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """The back-test table (columns of :data:`corredor.validation.backtest.COLUMNS`): the model
    (label :data:`MODEL_LABEL`) with the back-test study's point fit, next to the baselines, on
    the scenario's back-test series, plus its pooled row.

    ``members``: also run up to that many of the study's plausible parameter sets;
    ``replicas``: run each set with the seeds ``seed … seed + replicas − 1`` (common random
    numbers across sets). A member equal to the point fit (or to another member) is simulated
    once per seed and counted in each of its places, as if run again. The model's 90 % band is
    the 5th–95th percentile over every (set, seed) run — parameter and stochastic uncertainty —
    widened, with ``discrepancy``, by the model's own error: each run is the centre of a
    log-normal whose σ is the point fit's log-RMSE on the series' fit window
    (:mod:`corredor.validation.discrepancy`). Without ``discrepancy`` and with a single run
    there is no band. The point forecast stays the point
    fit on ``seed``, whatever the band. The runs go side by side on ``workers`` local processes;
    ``progress(seeds_done, replicas)`` is called as each seed's runs are done.
    """

    cal = backtest_calibration(study, scenario)
    backtest_observables(scenario)  # no back-test protocol: fail before the runs
    base = uncalibrated(scenario)
    if replicas < 1:
        raise CorredorError(f"replicas must be at least 1, got {replicas}")
    sets = [cal.parameters] + [cal.member(i) for i in range(min(members, len(cal.ensemble)))]
    # the scenario as known at the end of the fit window: drivers held and caravans unknown
    # after it; the policy events stay (conditional on the policy path)
    known = as_of(scenario, cal.data_until)
    # a set equal to an earlier one (the point fit is usually ensemble member 0) is run once
    # and its result used in each of its places: the same seed gives the same run
    full = [{**base, **dict(c)} for c in sets]
    distinct: list[dict[str, float]] = []
    place = []
    for c in full:
        if c not in distinct:
            distinct.append(c)
        place.append(distinct.index(c))
    runs: list[pd.DataFrame] = []  # the point fit on ``seed`` first
    if progress is not None:
        progress(0, replicas)
    for s in range(seed, seed + replicas):
        with evaluations(
            known, seed=s, days=scenario.days, workers=workers, scheduler=None, threads=1
        ) as run:
            sims = run(distinct)
        monthly = []
        for sim in sims:
            if not isinstance(sim, Simulation):
                raise CorredorError(f"a back-test run failed: {sim}")
            monthly.append(_monthly(scenario, sim.obs_daily))
        runs.extend(monthly[i] for i in place)
        if progress is not None:
            progress(s - seed + 1, replicas)
    spec = (
        f"Corredor, fit to {cal.data_until} (calibration v{cal.version}), drivers held after "
        f"it, conditional on the policy path (policy_events.yaml), seed {seed}"
    )
    if len(runs) > 1:
        seeds = f"seeds {seed}–{seed + replicas - 1}" if replicas > 1 else f"seed {seed}"
        spec += f", band over {len(sets)} parameter set(s) × {seeds}"

    def forecaster(train: pd.Series, horizon: int) -> Forecast:
        name = str(train.name)
        offset = pd.offsets.MonthBegin(1)
        index = pd.date_range(train.index[-1] + offset, periods=horizon, freq="MS")
        values = np.vstack([r[name].reindex(index).to_numpy(np.float64) for r in runs])
        if np.isnan(values).any():
            raise CorredorError(f"the simulation does not cover the forecast window of {name}")
        lower = upper = None
        sigma = log_discrepancy(runs[0][name], train, start=scenario.start) if discrepancy else 0.0
        if len(runs) > 1 or sigma > 0:
            q = mixture_quantiles(values, sigma, (0.05, 0.95))
            lower, upper = pd.Series(q[0], index=index), pd.Series(q[1], index=index)
        return Forecast(
            model=MODEL_LABEL,
            spec=spec + (f", model discrepancy σ {sigma:.2f}" if discrepancy else ""),
            mean=pd.Series(values[0], index=index),
            lower=lower,
            upper=upper,
        )

    chosen = tuple(BASELINES) if baselines is None else tuple(baselines)
    models = {MODEL_LABEL: forecaster, **{m: BASELINES[m] for m in chosen}}
    return backtest_scenario(scenario, models)


__all__ = [
    "FIT_COLUMNS",
    "FIT_DISPLAY_COLUMNS",
    "MODEL_LABEL",
    "FitStatistics",
    "backtest_calibration",
    "backtest_model",
    "compare_fits",
    "display_fit_table",
    "fit_statistics",
    "run_statistics",
    "statistics_from_report",
]
