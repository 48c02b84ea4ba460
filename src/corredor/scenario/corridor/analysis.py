"""A corridor scenario's analysis settings: what its calibration fits and how it weighs its
series, which charts its report draws (and which rows an ensemble prints), which series its
back-test scores, which categories its forecasts add and which outputs its sensitivity
analysis reports.

Generic code (``corredor.calibration``, ``corredor.validation``, ``corredor.report``,
``corredor.forecasting``, ``corredor.sensitivity``) knows nothing of any corridor: it reads
these settings from the scenario. They are written in the scenario's YAML under ``analysis:``,
either inline or as the name of a file next to it (``mexico-us`` keeps them in
``analysis.yaml``)::

    analysis: analysis.yaml            # or the mapping itself

    # analysis.yaml
    fit:
      parameters:                      # what `corredor calibrate` fits by default
        - {name: usbp_hazard, low: 0.5, high: 20, log: true, why: "level of encounters"}
      weights: {usbp_encounters_total: 2.0}   # the loss weight of each observable
      default_weight: 1.0              # of an observable not listed
    report:
      charts: [usbp_encounters_total]  # observed-vs-simulated charts (first: the headline)
      stranded_title: People stranded in border cities (monthly mean)
      printed: [usbp_encounters_total]  # rows `corredor ensemble` prints (default: charts)
    backtest:
      label: US Border Patrol encounter series
      fit_end: 2018-12-31
      horizon_end: 2021-09-30
      series: [usbp_encounters_total, usbp_encounters_gtm]
      pooled: [usbp_encounters_gtm]    # also scored together in one row
    forecast:
      derived: [{component: CBP_total, sum: [USBP, OFO]}]
    sensitivity:
      outputs: [usbp_encounters_total, ledger.stranded_person_days]

Every block is optional; a scenario without ``analysis:`` fits nothing by default (name the
parameters), weighs every series 1, charts (and prints for an ensemble) its first observables
and has no back-test. The names are checked against the scenario
(:func:`corredor.scenario.corridor.analysis_checks.check_analysis`): parameters against its
``calibration:`` block, series against its observables.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, model_validator

from corredor.errors import ScenarioError
from corredor.files.read import LineMap, cache_key, escape, load_yaml
from corredor.scenario.corridor.base import Name, Strict, Text
from corredor.scenario.corridor.horizon import DATA_HORIZON

Weight = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
#: An output of a sensitivity analysis: an observable, or ``ledger.<entry>``.
OutputName = Annotated[str, Field(pattern=r"^(ledger\.)?[A-Za-z_][A-Za-z0-9_]*$")]


class FitParameterSpec(Strict):
    """A parameter the calibration fits by default, and its search range (inside the range
    the scenario declares for it).

    ``log``: sampled log-uniformly; ``identified_from``: the first day data can inform it (a
    policy lever that starts later is left at its default when fitting to data that end before
    it); ``scales``: an observable roughly proportional to the parameter (the warm start)."""

    name: Name
    low: float
    high: float
    log: bool = False
    identified_from: dt.date | None = None
    why: str = ""
    scales: Name | None = None

    @model_validator(mode="after")
    def _check_range(self) -> FitParameterSpec:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"search range [{self.low:g}, {self.high:g}]: give low < high")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0, got {self.low:g}")
        return self


class FitSettings(Strict):
    """The calibration's defaults: parameters fitted and the loss weight of each series."""

    parameters: tuple[FitParameterSpec, ...] = ()
    weights: dict[Name, Weight] = Field(default_factory=dict)
    default_weight: Weight = 1.0
    note: str = ""


class ReportSettings(Strict):
    """The corridor report's charts and labels."""

    #: Observables drawn as monthly observed-vs-simulated charts (the first is the headline
    #: figure's); none: the scenario's first four observables.
    charts: tuple[Name, ...] = ()
    #: Title of the chart of people stranded in border cities.
    stranded_title: Text = "People stranded in border cities (monthly mean)"
    #: Observables ``corredor ensemble`` prints (median and 5–95 % band per year), those the
    #: run has; none: the charts, else the scenario's first five observables.
    printed: tuple[Name, ...] = ()


class BacktestSettings(Strict):
    """The back-test protocol: fit up to ``fit_end``, forecast to ``horizon_end``, score
    ``series`` (monthly observables), plus one pooled row for the ``pooled`` ones."""

    label: Text = "back-tested series"
    fit_end: dt.date
    horizon_end: dt.date
    series: tuple[Name, ...] = Field(min_length=1)
    pooled: tuple[Name, ...] = ()
    #: Label of the pooled row (default: ``pooled (N series)``).
    pooled_label: Text | None = None

    @model_validator(mode="after")
    def _check_windows(self) -> BacktestSettings:
        if self.fit_end >= self.horizon_end:
            raise ValueError(f"fit_end {self.fit_end} must be before horizon_end")
        if self.horizon_end > DATA_HORIZON.date():
            raise ValueError(
                f"horizon_end {self.horizon_end} is after the data horizon "
                f"{DATA_HORIZON.date()}: nothing after it may be read"
            )
        extra = [p for p in self.pooled if p not in self.series]
        if extra:
            raise ValueError(f"pooled series {extra} are not in series")
        return self

    @property
    def pooled_name(self) -> str:
        return self.pooled_label or f"pooled ({len(self.pooled)} series)"


class DerivedCategory(Strict):
    """A forecast category summed, run by run, from the all-citizenship, all-demographic
    categories of other components (``CBP_total`` = ``USBP`` + ``OFO``)."""

    component: Text
    sum: tuple[Text, ...] = Field(min_length=2)


class ForecastSettings(Strict):
    """Categories the forecasts add to those read from the observed data."""

    derived: tuple[DerivedCategory, ...] = ()


class SensitivitySettings(Strict):
    """Outputs a sensitivity analysis reports when none are asked for (those the scenario has;
    none: every observable and the ledger entries)."""

    outputs: tuple[OutputName, ...] = ()


class AnalysisSettings(Strict):
    """Everything the analysis packages need to know about one scenario (module docstring)."""

    fit: FitSettings = Field(default_factory=FitSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    backtest: BacktestSettings | None = None
    forecast: ForecastSettings = Field(default_factory=ForecastSettings)
    sensitivity: SensitivitySettings = Field(default_factory=SensitivitySettings)
    source: str | None = None
    note: str = ""


_CACHE: dict[tuple[str, int, int], tuple[AnalysisSettings, LineMap]] = {}


def read_analysis(path: str | Path, *, root: str | Path | None = None) -> AnalysisSettings:
    """The analysis settings of a YAML file; a :class:`ScenarioError` naming the file and the
    field otherwise. Read by the one reader (:func:`corredor.files.read.load_yaml`): ``root`` is
    the scenario folder the file must stay inside (``None``: a path the user gave)."""
    return read_analysis_lines(path, root=root)[0]


def read_analysis_lines(
    path: str | Path, *, root: str | Path | None = None
) -> tuple[AnalysisSettings, LineMap]:
    """:func:`read_analysis` and the line of every value of the file (for later checks)."""
    path = Path(path)
    key = cache_key(path, root=root, what="analysis settings file")
    if key is not None and key in _CACHE:
        return _CACHE[key]
    data, lines = load_yaml(path, root=root, what="analysis settings file")
    try:
        settings = AnalysisSettings.model_validate(data or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        raise ScenarioError(
            path,
            escape(str(err["msg"]), 200),
            line=lines.line(loc),
            field=".".join(str(p) for p in loc),
            fix="see docs/scenario-format.md (analysis)",
        ) from None
    if key is not None:
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = (settings, lines)
    return settings, lines


__all__ = [
    "AnalysisSettings",
    "BacktestSettings",
    "DerivedCategory",
    "FitParameterSpec",
    "FitSettings",
    "ForecastSettings",
    "ReportSettings",
    "SensitivitySettings",
    "read_analysis",
    "read_analysis_lines",
]
