"""Back-test protocol (docs/validation.md): fit up to a date, forecast the months after it,
score against what was observed. A corridor scenario names its own protocol in its analysis
settings (``analysis: backtest:`` — fit end, horizon end, series, pooled series;
:func:`backtest_scenario`); ``mexico-us`` fits up to December 2018 and forecasts January 2019 –
September 2021.

The data horizon is **2021-09-30** (:data:`DATA_HORIZON`, the end of US fiscal year 2021): later
months are the project's out-of-sample test and nothing here may read them. Every entry point
enforces it and raises :class:`DataHorizonError` otherwise:

* :func:`load_observed` refuses a file holding any row whose period ends after the horizon
  (the whole file, not only the rows selected), and an ``until`` later than the horizon;
* :func:`split` (and so :func:`backtest`) refuses a series with any period ending after the
  horizon, even a missing one, and a ``horizon_end`` after it.

A forecaster sees only the fit window (the periods ending on or before ``fit_end``); the
forecast window is every later period ending on or before ``horizon_end``. Scores are those of
:mod:`corredor.validation.metrics` (MASE scaled by the fit window's seasonal-naive errors,
m = 12; ARD; log-RMSE), with its rounding rule (``value_type`` of each observation) and
missing-value rule. Until the corridor model exists only the baselines of
:mod:`corredor.validation.baselines` are back-tested; the model will be another
:data:`~corredor.validation.baselines.Forecaster`.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from corredor.errors import CorredorError
from corredor.files.atomic import write_csv
from corredor.files.read import excerpt, read_text
from corredor.scenario.corridor import CorridorScenario, Observable, load_corridor_scenario
from corredor.scenario.corridor.analysis import BacktestSettings
from corredor.scenario.corridor.horizon import DATA_HORIZON, DataHorizonError
from corredor.validation.baselines import BASELINES, Forecast, Forecaster
from corredor.validation.metrics import (
    MONTHLY,
    ard_series,
    ard_several,
    half_width,
    log_rmse,
    mase,
)

COLUMNS = [
    "series",
    "model",
    "spec",
    "mase",
    "ard",
    "log_rmse",
    "coverage_90",
    "n",
    "missing",
    "within_rounding",
    "notes",
]

#: Headers of :func:`display_table` (the table as ``validate-model`` and the report show it).
DISPLAY_COLUMNS = ["series", "model", "MASE", "ARD", "log-RMSE", "90 % coverage", "months"]


@dataclass(frozen=True)
class ObservedSeries:
    """A monthly observed series, complete from its first to its last month.

    Attributes:
        name: the observable's name (e.g. ``usbp_encounters_total``).
        values: counts indexed by the first day of each month (``freq="MS"``); NaN = missing.
        rounding: rounding half-width of each value (0 = exact), same index.
        source: where it was read from.
    """

    name: str
    values: pd.Series
    rounding: pd.Series
    source: str = ""


@dataclass(frozen=True)
class Split:
    """A series cut into the fit window and the forecast window."""

    name: str
    train: pd.Series
    test: pd.Series
    rounding: pd.Series  # half-widths of the test values


def _timestamp(value: str | dt.date | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        raise ValueError(f"dates must be naive, got {value!r}")
    return ts.normalize()


def _check_until(until: pd.Timestamp) -> None:
    if until > DATA_HORIZON:
        raise DataHorizonError(
            f"nothing after {DATA_HORIZON.date()} may be read (asked for data up to "
            f"{until.date()}): later months are the out-of-sample test (docs/validation.md)"
        )


# ----------------------------------------------------------------------------- loading
def _observable(scenario: CorridorScenario, name: str) -> Observable:
    for ob in scenario.observables:
        if ob.name == name:
            return ob
    names = ", ".join(o.name for o in scenario.observables)
    raise KeyError(f"scenario {scenario.name!r} has no observable {name!r} (it has: {names})")


def load_observed(
    scenario: str | Path | CorridorScenario,
    observable: str,
    *,
    until: str | dt.date | pd.Timestamp = DATA_HORIZON,
    scored: bool = True,
) -> ObservedSeries:
    """The monthly observed series of a corridor scenario's observable.

    Raises :class:`DataHorizonError` if ``until`` is after 2021-09-30 or if the data file holds
    any row (selected or not) whose period ends after ``until`` (or after the scenario's
    ``calibration_horizon``, if that is earlier). Empty values are missing
    (NaN); each value's rounding half-width comes from the file's ``value_type`` column
    (:func:`corredor.validation.metrics.half_width`; no column means exact). A value type
    without a scoring rule (``derived``, ``approximate``, ``lower_bound``) raises
    ``ValueError``, unless ``scored`` is False (values read for another use than scoring, such as
    the model discrepancy of a forecast): its half-width is then NaN.
    """
    limit = _timestamp(until)
    _check_until(limit)
    sc = scenario if isinstance(scenario, CorridorScenario) else load_corridor_scenario(scenario)
    if sc.calibration_horizon is not None:
        limit = min(limit, pd.Timestamp(sc.calibration_horizon))
    ob = _observable(sc, observable)
    if ob.data is None:
        raise ValueError(f"observable {observable!r} has no observed data")
    if ob.frequency != "month":
        raise ValueError(f"observable {observable!r} is not monthly ({ob.frequency})")
    data = ob.data
    path = sc.base_dir / data.file
    raw = read_text(path, root=sc.base_dir, what="observed data file")
    table = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False)
    for column in (data.period_start_column, data.period_end_column, data.value_column):
        if column not in table.columns:
            raise ValueError(f"{path}: no column {column!r}")
    ends = pd.to_datetime(table[data.period_end_column].str.strip(), format="%Y-%m-%d")
    late = np.flatnonzero((ends > limit).to_numpy())
    if late.size:
        row = int(late[0])
        raise DataHorizonError(
            f"{path}, line {row + 2}: a period ends {ends.iloc[row].date()}, after "
            f"{limit.date()}; the file must hold nothing after the data horizon "
            f"({late.size} such row(s))"
        )
    selected = table
    for column, value in data.filter.items():
        if column not in table.columns:
            raise ValueError(f"{path}: no column {column!r}")
        selected = selected[selected[column].str.strip() == value]
    if selected.empty:
        raise ValueError(f"{path}: no row matches {data.filter}")
    starts = pd.to_datetime(selected[data.period_start_column].str.strip(), format="%Y-%m-%d")
    ends = pd.to_datetime(selected[data.period_end_column].str.strip(), format="%Y-%m-%d")
    if not ((starts.dt.day == 1) & (ends == starts + pd.offsets.MonthEnd(0))).all():
        raise ValueError(f"{path}: rows of {observable!r} must each cover one calendar month")
    if starts.duplicated().any():
        raise ValueError(f"{path}: {observable!r} has two rows for the same month")
    text = selected[data.value_column].str.strip().tolist()
    try:
        values = np.array([float(t) if t else np.nan for t in text], dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{path}: a value of {observable!r} is not a number ({exc})") from None
    kinds = (
        selected["value_type"].str.strip()
        if "value_type" in selected.columns
        else pd.Series("exact", index=selected.index)
    )

    def rounding_of(t: str, kind: str) -> float:
        if t == "":
            return 0.0
        try:
            return half_width(kind)
        except ValueError:
            if scored:
                raise
            return float("nan")

    rounding = [rounding_of(t, k) for t, k in zip(text, kinds, strict=True)]
    index = pd.DatetimeIndex(starts.to_numpy())
    full = pd.date_range(index.min(), index.max(), freq="MS")
    return ObservedSeries(
        name=ob.name,
        values=pd.Series(values, index=index).reindex(full),
        rounding=pd.Series(rounding, index=index, dtype=np.float64).reindex(full, fill_value=0.0),
        source=str(path),
    )


def backtest_settings(sc: CorridorScenario) -> BacktestSettings:
    """The scenario's back-test protocol (``analysis: backtest:``); a :class:`CorredorError`
    if it has none."""
    settings = sc.analysis_settings().backtest
    if settings is None:
        raise CorredorError(
            f"scenario {sc.name!r} has no back-test protocol: add analysis: backtest: (fit_end, "
            "horizon_end, series) to its YAML"
        )
    return settings


def backtest_observables(sc: CorridorScenario) -> list[Observable]:
    """The observables the scenario's back-test scores (``analysis: backtest: series``), in
    that order."""
    return [_observable(sc, name) for name in backtest_settings(sc).series]


def backtest_series(scenario: str | Path | CorridorScenario) -> list[ObservedSeries]:
    """The observed series of the scenario's back-test (``analysis: backtest: series``)."""
    sc = scenario if isinstance(scenario, CorridorScenario) else load_corridor_scenario(scenario)
    return [load_observed(sc, ob.name) for ob in backtest_observables(sc)]


# ----------------------------------------------------------------------------- back-test
def split(
    series: pd.Series | ObservedSeries,
    fit_end: str | dt.date | pd.Timestamp,
    horizon_end: str | dt.date | pd.Timestamp,
) -> Split:
    """Cut a monthly series (index: first day of each month) into fit and forecast windows.

    A month belongs to the fit window if it ends on or before ``fit_end``, to the forecast
    window if it starts after ``fit_end`` and ends on or before ``horizon_end``. Raises
    :class:`DataHorizonError` if the series reaches past 2021-09-30 or ``horizon_end`` does.
    """
    if isinstance(series, ObservedSeries):
        name, values, rounding = series.name, series.values, series.rounding
    else:
        name = str(series.name) if series.name is not None else "series"
        values, rounding = series, pd.Series(0.0, index=series.index)
    if not isinstance(values.index, pd.DatetimeIndex):
        raise TypeError("the series must have a DatetimeIndex (first day of each month)")
    index = values.index
    if len(index) and not (index.day == 1).all():
        raise ValueError("the series' dates must be the first day of each month")
    ends = index + pd.offsets.MonthEnd(0)
    if len(index) and ends.max() > DATA_HORIZON:
        raise DataHorizonError(
            f"series {name!r} has data for {index.max().date():%Y-%m}, after "
            f"{DATA_HORIZON.date()}: data after the horizon must not be read (docs/validation.md)"
        )
    fit, last = _timestamp(fit_end), _timestamp(horizon_end)
    _check_until(last)
    if fit >= last:
        raise ValueError(f"fit_end {fit.date()} must be before horizon_end {last.date()}")
    for label, day in (("fit_end", fit), ("horizon_end", last)):
        if not day.is_month_end:
            raise ValueError(f"{label} {day.date()} must be the last day of a month")
    full = pd.date_range(index.min(), index.max(), freq="MS")
    if len(full) != len(index) or not (full == index).all():
        if index.has_duplicates or not index.is_monotonic_increasing:
            raise ValueError("the series' months must increase strictly")
        values = values.reindex(full)
        rounding = rounding.reindex(full, fill_value=0.0)
    values = pd.Series(values.to_numpy(dtype=np.float64), index=full, name=name)
    month_end = full + pd.offsets.MonthEnd(0)
    in_fit = month_end <= fit
    in_test = (full > fit) & (month_end <= last)
    if not in_fit.any():
        raise ValueError(f"series {name!r} has no month ending on or before {fit.date()}")
    if not in_test.any():
        raise ValueError(f"series {name!r} has no month in the forecast window")
    return Split(
        name=name,
        train=values[in_fit],
        test=values[in_test],
        rounding=pd.Series(rounding.to_numpy(dtype=np.float64)[in_test], index=full[in_test]),
    )


def _forecasters(models: Sequence[str] | Mapping[str, Forecaster]) -> dict[str, Forecaster]:
    if isinstance(models, Mapping):
        return dict(models)
    unknown = [m for m in models if m not in BASELINES]
    if unknown:
        raise KeyError(f"unknown model(s) {unknown}; known: {', '.join(BASELINES)}")
    return {m: BASELINES[m] for m in models}


def forecast_split(
    window: Split, models: Sequence[str] | Mapping[str, Forecaster] = tuple(BASELINES)
) -> dict[str, Forecast]:
    """Each model's forecast of the forecast window from the fit window alone."""
    out: dict[str, Forecast] = {}
    for label, forecaster in _forecasters(models).items():
        train = window.train.copy()  # a forecaster never sees the test values
        fc = forecaster(train, len(window.test))
        if not fc.mean.index.equals(window.test.index):
            raise ValueError(f"{label}: forecast periods differ from the forecast window")
        out[label] = fc
    return out


def _coverage(fc: Forecast, test: pd.Series) -> float:
    if fc.lower is None or fc.upper is None:
        return float("nan")
    y = test.to_numpy()
    ok = ~np.isnan(y)
    if not ok.any():
        return float("nan")
    inside = (fc.lower.to_numpy() <= y) & (y <= fc.upper.to_numpy())
    return float(inside[ok].mean())


def score_forecast(window: Split, label: str, fc: Forecast, m: int = MONTHLY) -> dict[str, object]:
    """One table row: the forecast's MASE, ARD, log-RMSE and interval coverage."""
    f, y, h = fc.mean.to_numpy(), window.test.to_numpy(), window.rounding.to_numpy()
    ard = ard_series(f, y, h)
    return {
        "series": window.name,
        "model": label,
        "spec": fc.spec,
        "mase": mase(f, y, window.train.to_numpy(), m=m, rounding=h).value,
        "ard": ard.value,
        "log_rmse": log_rmse(f, y, h).value,
        "coverage_90": _coverage(fc, window.test),
        "n": ard.n,
        "missing": ard.missing,
        "within_rounding": ard.within_rounding,
        "notes": "; ".join(fc.notes),
    }


def backtest(
    series: pd.Series | ObservedSeries,
    fit_end: str | dt.date | pd.Timestamp,
    horizon_end: str | dt.date | pd.Timestamp,
    models: Sequence[str] | Mapping[str, Forecaster] = tuple(BASELINES),
    *,
    m: int = MONTHLY,
) -> pd.DataFrame:
    """Back-test ``models`` on one monthly series; one row per model (columns :data:`COLUMNS`).

    ``series`` is a :class:`ObservedSeries` (its rounding half-widths are used) or a plain
    ``pandas.Series`` indexed by the first day of each month (taken as exact). ``models`` are
    names of :data:`~corredor.validation.baselines.BASELINES` or ``{label: forecaster}``.
    Raises :class:`DataHorizonError` if the series or ``horizon_end`` reach past 2021-09-30.
    """
    window = split(series, fit_end, horizon_end)
    rows = [
        score_forecast(window, label, fc, m) for label, fc in forecast_split(window, models).items()
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def backtest_many(
    series: Sequence[pd.Series | ObservedSeries],
    fit_end: str | dt.date | pd.Timestamp,
    horizon_end: str | dt.date | pd.Timestamp,
    models: Sequence[str] | Mapping[str, Forecaster] = tuple(BASELINES),
    *,
    pooled: Sequence[str] = (),
    pooled_label: str = "pooled",
    m: int = MONTHLY,
) -> pd.DataFrame:
    """:func:`backtest` of each series, plus, if ``pooled`` names some of them, one row per
    model scoring those series together: MASE = mean of their MASEs (Hyndman & Koehler),
    ARD = Flee's several-series ARD (Σ|f − y| / Σ y per month, then the mean), log-RMSE over
    all their months, coverage over all their months."""
    windows = [split(s, fit_end, horizon_end) for s in series]
    names = [w.name for w in windows]
    missing = [p for p in pooled if p not in names]
    if missing:
        raise KeyError(f"pooled series {missing} are not among {names}")
    rows: list[dict[str, object]] = []
    by_series: dict[str, dict[str, Forecast]] = {}
    for w in windows:
        by_series[w.name] = forecast_split(w, models)
        rows.extend(score_forecast(w, label, fc, m) for label, fc in by_series[w.name].items())
    table = pd.DataFrame(rows, columns=COLUMNS)
    if len(pooled) > 0:
        group = [w for w in windows if w.name in pooled]
        if any(not w.test.index.equals(group[0].test.index) for w in group):
            raise ValueError("pooled series must share the forecast window")
        extra = []
        for label in by_series[group[0].name]:
            f = np.column_stack([by_series[w.name][label].mean.to_numpy() for w in group])
            y = np.column_stack([w.test.to_numpy() for w in group])
            h = np.column_stack([w.rounding.to_numpy() for w in group])
            sub = table[(table["model"] == label) & table["series"].isin(list(pooled))]
            ard = ard_several(f, y, h)
            covered = [
                _coverage(by_series[w.name][label], w.test) * w.test.notna().sum() for w in group
            ]
            extra.append(
                {
                    "series": pooled_label,
                    "model": label,
                    "spec": "per series, as above",
                    "mase": float(sub["mase"].mean()),
                    "ard": ard.value,
                    "log_rmse": log_rmse(f.ravel(), y.ravel(), h.ravel()).value,
                    "coverage_90": float(np.sum(covered) / max(ard.n, 1)),
                    "n": ard.n,
                    "missing": ard.missing,
                    "within_rounding": ard.within_rounding,
                    "notes": "",
                }
            )
        table = pd.concat([table, pd.DataFrame(extra, columns=COLUMNS)], ignore_index=True)
    return table


def backtest_scenario(
    scenario: str | Path | CorridorScenario,
    models: Sequence[str] | Mapping[str, Forecaster] = tuple(BASELINES),
) -> pd.DataFrame:
    """The back-test of a corridor scenario by its own protocol (``analysis: backtest:``): each
    of its series fitted up to ``fit_end`` (from whatever month the data start) and forecast to
    ``horizon_end``, with one pooled row for the ``pooled`` series together."""
    sc = scenario if isinstance(scenario, CorridorScenario) else load_corridor_scenario(scenario)
    settings = backtest_settings(sc)
    return backtest_many(
        backtest_series(sc),
        settings.fit_end.isoformat(),
        settings.horizon_end.isoformat(),
        models,
        pooled=list(settings.pooled),
        pooled_label=settings.pooled_name,
    )


# ----------------------------------------------------------------------------- saved tables
def _text(x: object, digits: int) -> str:
    v = float(str(x))
    return "–" if np.isnan(v) else f"{v:.{digits}f}"


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """A back-test table (:data:`COLUMNS`) as text, columns :data:`DISPLAY_COLUMNS`: MASE,
    ARD and log-RMSE to 3 decimals, the 90 % coverage to 2, ``–`` where there is none (no
    band, or no month scored)."""
    rows = [
        [
            str(r["series"]),
            str(r["model"]),
            _text(r["mase"], 3),
            _text(r["ard"], 3),
            _text(r["log_rmse"], 3),
            _text(r["coverage_90"], 2),
            str(r["n"]),
        ]
        for r in table.to_dict("records")
    ]
    return pd.DataFrame(rows, columns=DISPLAY_COLUMNS)


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Save a back-test table (:data:`COLUMNS`) as CSV, for :func:`read_table`."""
    return write_csv(Path(path), table[COLUMNS])


def read_table(path: str | Path) -> pd.DataFrame:
    """A back-test table saved by :func:`write_table` (``corredor validate-model … --backtest
    STUDY``, then ``corredor export RUN DIR`` writes ``DIR/backtest.csv``); raises
    :class:`CorredorError` if it is not one."""
    path = Path(path)
    if not path.exists():
        raise CorredorError(
            f"{path}: no such file; write it with `corredor validate-model SCENARIO "
            "--backtest STUDY` and `corredor export RUN DIR` (DIR/backtest.csv)"
        )
    text = read_text(path, what="back-test table")  # the one reader: regular file, capped, UTF-8
    try:
        table = pd.read_csv(
            io.StringIO(text), dtype={c: str for c in ("series", "model", "spec", "notes")}
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise CorredorError(f"{path}: not a back-test table ({excerpt(str(exc), 200)})") from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise CorredorError(
            f"{path}: not a back-test table of `corredor validate-model` (no column(s) "
            f"{', '.join(missing)})"
        )
    for c in ("series", "model", "spec", "notes"):
        table[c] = table[c].fillna("")
    for c in ("mase", "ard", "log_rmse", "coverage_90"):
        table[c] = pd.to_numeric(table[c], errors="coerce")
    return table[COLUMNS]
