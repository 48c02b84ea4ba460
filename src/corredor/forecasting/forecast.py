"""Forecasts past the calibration horizon: the calibrated ensemble run on with later events.

:func:`forecast` runs a corridor scenario from its start to the end of the month ``until``, past
its calibration horizon (``calibration_horizon:``, else ``end:``), with

* the parameter sets of the calibrated ensemble (``corredor calibrate``), each with the same
  seeds (common random numbers); without a calibrated file, the scenario's defaults and a
  warning;
* the scenario's own policy events plus those of its *forecast events file*
  (``policy_events_forecast.yaml`` next to ``scenario.yaml``, same format as
  ``policy_events.yaml``): policy changes that became public after the horizon. Every one of them
  must start after the horizon;
* drivers held at their last values (the engine's rule past a series' last point).

The bands pool every parameter set × seed run and, by default, the **model discrepancy**: each
category's runs are widened by a log-normal whose σ is the in-sample log-RMSE of the ensemble
median against the observed series, over the months from the end of the spin-up to the horizon
(per fiscal year: over the complete fiscal years), as :mod:`corredor.validation.discrepancy`
explains. Runs alone cover far too few observed months (the back-test, docs/validation.md). The
ledger has no observed counterpart: its bands are the runs' only.

Nothing after the horizon is fitted: the calibration saw data up to the horizon only, and the
forecast reports months after it only. :meth:`Forecast.encounters` gives the border-encounter
bands with exactly the columns ``date, component, citizenship, demographic, p05, p50, p95``;
:meth:`Forecast.ledger_bands` the ledger's; :meth:`Forecast.write` writes both (docs/forecast.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from corredor import dates
from corredor.ensemble.corridor import load, run_corridor_ensemble
from corredor.ensemble.corridor_results import (
    CorridorEnsemble,
    weighted_quantiles,
)
from corredor.ensemble.parameter_sets import (
    ParameterSet,
    calibrated_parameter_sets,
    normalise_sets,
    thin_sets,
)
from corredor.errors import CorredorError, InputError, ScenarioError
from corredor.files.atomic import new_folder
from corredor.forecasting.categories import CategoryMap, forecast_categories
from corredor.scenario.corridor import load_scenario_events
from corredor.validation.backtest import load_observed
from corredor.validation.discrepancy import SPIN_UP_DAYS, log_discrepancy, mixture_quantiles

if TYPE_CHECKING:
    from distributed import Client

    from corredor.ensemble.runner import Backend, Progress
    from corredor.policy.events import PolicyEvent
    from corredor.scenario.corridor import CorridorScenario

FORECAST_EVENTS_FILE = "policy_events_forecast.yaml"
"""The forecast events file looked for next to a scenario's ``scenario.yaml``."""

ENCOUNTER_COLUMNS = ("date", "component", "citizenship", "demographic", "p05", "p50", "p95")
LEDGER_COLUMNS = ("year", "period_start", "period_end", "entry", "p05", "p50", "p95")
LEVELS = (0.05, 0.50, 0.95)
#: Seeds per parameter set by default: 1, as ``corredor forecast`` and the web service (the
#: calibrated sets in minutes; docs/forecast.md's full ensemble is 4, about four times as long).
#: The command line's default is :class:`corredor.app.ForecastRequest`'s ``replicas``, which
#: cannot import this module at start-up; a test keeps the two equal.
DEFAULT_REPLICAS = 1


class ForecastError(InputError):
    """A forecast cannot be run as asked (a bad ``until``, an event before the horizon…):
    raised by its checks, before any run."""


# ------------------------------------------------------------------------------ inputs
def parse_until(text: str | dt.date, *, month_end: bool = True) -> dt.date:
    """``YYYY-MM`` (the month's last day) or ``YYYY-MM-DD`` (with ``month_end``, the last day
    of its month; without, that day): :func:`corredor.dates.parse_until`, raising
    :class:`ForecastError`."""
    return dates.parse_until(text, month_end=month_end, error=ForecastError)


def horizon_of(scenario: CorridorScenario) -> dt.date:
    """The last day the scenario may be fitted to: ``calibration_horizon``, else ``end``."""
    return scenario.calibration_horizon or scenario.end


def forecast_events(
    scenario: CorridorScenario, events_file: str | Path | None = None
) -> tuple[tuple[PolicyEvent, ...], Path | None]:
    """The forecast events (checked against the scenario's parameters; each must start after
    the horizon) and the file they came from (None: no file, no events)."""

    path = (
        Path(events_file) if events_file is not None else scenario.base_dir / FORECAST_EVENTS_FILE
    )
    if events_file is None and not path.is_file():
        return (), None
    events = load_scenario_events(scenario, path)  # checks every change; errors name the line
    if not path.is_file():
        path = scenario.base_dir / path
    horizon = horizon_of(scenario)
    for e in events:
        if e.start <= horizon:
            raise ScenarioError(
                path,
                f"event {e.id!r} starts on {e.start}, not after the calibration horizon {horizon}",
                field=e.id,
                fix="events known before the horizon belong in the scenario's policy events file",
            )
    return events, path


# ------------------------------------------------------------------------------ result
@dataclass(frozen=True)
class Forecast:
    """A forecast ensemble with what it was run with."""

    ensemble: CorridorEnsemble
    horizon: dt.date
    until: dt.date
    events: tuple[PolicyEvent, ...]
    events_file: Path | None
    categories: CategoryMap
    notes: tuple[str, ...] = ()
    #: model discrepancy σ (log scale) per category key: (monthly, per fiscal year); a category
    #: absent from the mapping has bands from the runs alone
    discrepancy: Mapping[tuple[str, str, str], tuple[float, float]] = field(default_factory=dict)
    #: True: conditional on the policy path of ``events_file`` (``--policy-path``), which the
    #: user chose; False: ex ante (the policies in force at the horizon, and the scenario's
    #: ``policy_events_forecast.yaml``: policies announced by the horizon)
    conditional: bool = False
    #: ids of the policy events added to the runs beside the forecast's own (``extra_events``:
    #: a counterfactual's); the forecast is then conditional on them, and says so
    added: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """What the forecast assumes about policy, as every output of it says."""
        if self.conditional:
            added = f" + events added: {', '.join(self.added)}" if self.added else ""
            return f"conditional on this policy path: {self._events_source()}{added}"
        return (
            "ex ante: the policies in force at the calibration horizon, and only those "
            "announced by it"
        )

    def _sigma(self, key: tuple[str, str, str], yearly: bool = False) -> float:
        return self.discrepancy.get(key, (0.0, 0.0))[int(yearly)]

    def encounters(self) -> pd.DataFrame:
        """Monthly border-encounter bands after the horizon: exactly :data:`ENCOUNTER_COLUMNS`.

        ``date`` is the first day of the month; the quantiles pool every parameter set × seed
        run (weighted by the set weights), widened by the category's model discrepancy.
        """

        ens = self.ensemble
        months = np.array(ens.months, dtype="datetime64[D]")
        keep = months > np.datetime64(self.horizon, "D")
        col = {name: k for k, name in enumerate(ens.observables)}
        w = ens.weights()
        frames = []
        for cat in self.categories.categories:
            runs = ens.monthly[..., [col[o] for o in cat.observables]].sum(axis=-1)  # (P,R,M)
            runs = runs.reshape(-1, runs.shape[-1])[:, keep]
            q = mixture_quantiles(runs, self._sigma(cat.key), LEVELS, w)
            frames.append(
                pd.DataFrame(
                    {
                        "date": [dt.date.fromisoformat(str(d)) for d in months[keep]],
                        "component": cat.component,
                        "citizenship": cat.citizenship,
                        "demographic": cat.demographic,
                        "p05": q[0],
                        "p50": q[1],
                        "p95": q[2],
                    }
                )
            )
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return out.reindex(columns=list(ENCOUNTER_COLUMNS))

    def fiscal_years(self) -> pd.DataFrame:
        """Border encounters per US fiscal year (October – September) after the horizon, run by
        run, then bands: ``fiscal_year, months, component, citizenship, demographic, p05,
        p50, p95`` (``months`` < 12: a partial year at the end of the forecast)."""

        ens = self.ensemble
        months = [m for m in ens.months if m > self.horizon]
        first = len(ens.months) - len(months)
        fy = np.array([m.year + (m.month >= 10) for m in months])
        col = {name: k for k, name in enumerate(ens.observables)}
        w = ens.weights()
        rows = []
        for cat in self.categories.categories:
            runs = ens.monthly[..., first:, [col[o] for o in cat.observables]].sum(axis=-1)
            runs = runs.reshape(-1, runs.shape[-1])
            for year in sorted(set(fy.tolist())):
                sel = fy == year
                sums = runs[:, sel].sum(axis=1)[:, None]
                q = mixture_quantiles(sums, self._sigma(cat.key, yearly=True), LEVELS, w)[:, 0]
                rows.append(
                    {
                        "fiscal_year": int(year),
                        "months": int(sel.sum()),
                        "component": cat.component,
                        "citizenship": cat.citizenship,
                        "demographic": cat.demographic,
                        "p05": float(q[0]),
                        "p50": float(q[1]),
                        "p95": float(q[2]),
                    }
                )
        return pd.DataFrame(rows)

    def ledger_bands(self) -> pd.DataFrame:
        """Ledger bands per calendar year wholly after the horizon (the last year may end before
        December 31: ``period_end``): exactly :data:`LEDGER_COLUMNS`."""

        ens = self.ensemble
        years = np.asarray(ens.years)
        keep = years > self.horizon.year
        w = ens.weights()
        vals = ens.ledger.reshape(-1, *ens.ledger.shape[2:])[:, keep]  # (runs, Y', E)
        q = weighted_quantiles(vals, w, LEVELS)  # (3, Y', E)
        rows = []
        for j, year in enumerate(years[keep]):
            end = min(dt.date(int(year), 12, 31), self.until)
            for k, entry in enumerate(ens.ledger_entries):
                rows.append(
                    {
                        "year": int(year),
                        "period_start": dt.date(int(year), 1, 1),
                        "period_end": end,
                        "entry": entry,
                        "p05": q[0, j, k],
                        "p50": q[1, j, k],
                        "p95": q[2, j, k],
                    }
                )
        return pd.DataFrame(rows).reindex(columns=list(LEDGER_COLUMNS))

    def events_table(self) -> pd.DataFrame:

        return pd.DataFrame(
            [
                {
                    "id": e.id,
                    "name": e.name,
                    "country": e.country,
                    "start": e.start,
                    "end": e.end,
                    "implemented_share": e.implemented_share,
                    "changes": len(e.changes),
                    "source": e.source,
                }
                for e in self.events
            ]
        )

    def summary_rows(self) -> list[tuple[str, str]]:
        ens = self.ensemble
        return [
            ("forecast kind", self.kind),
            ("scenario", ens.scenario),
            ("calibration horizon", str(self.horizon)),
            ("forecast", f"{_next_month(self.horizon)} – {self.until}"),
            ("simulated", f"{ens.start} – {ens.end} ({ens.days} days)"),
            ("parameter sets", f"{len(ens.sets)} ({_labels(ens)})"),
            ("seeds", ", ".join(str(s) for s in ens.seeds)),
            ("runs", str(ens.runs)),
            ("forecast events", f"{len(self.events)} from {self._events_source()}"),
            ("wall time", f"{ens.wall_seconds:.1f} s"),
        ]

    def _events_source(self) -> str:
        if self.events_file is None:
            return "no file"
        try:
            return str(self.events_file.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return f"{self.events_file.name} (in {self.events_file.parent.name}/)"

    def write(self, folder: str | Path, *, command: str | None = None) -> Path:
        """Write ``forecast.csv`` (encounters), ``forecast_fiscal_years.csv``,
        ``forecast_ledger.csv``, ``forecast_events.csv``,
        ``parameter_sets.csv``, ``forecast_metadata.csv`` (key, value: the forecast kind — ex
        ante or conditional on a policy path — and what was run) and ``forecast.txt`` (what was
        run; categories left out) to ``folder``."""
        folder = Path(folder)
        with new_folder(folder) as tmp:
            self.encounters().to_csv(tmp / "forecast.csv", index=False)
            self.fiscal_years().to_csv(tmp / "forecast_fiscal_years.csv", index=False)
            self.ledger_bands().to_csv(tmp / "forecast_ledger.csv", index=False)
            self.events_table().to_csv(tmp / "forecast_events.csv", index=False)
            self.ensemble.parameter_table().to_csv(tmp / "parameter_sets.csv", index=False)
            pd.DataFrame(self.summary_rows(), columns=["key", "value"]).to_csv(
                tmp / "forecast_metadata.csv", index=False
            )
            (tmp / "forecast.txt").write_text(self.description(command), encoding="utf-8")
        return folder

    def description(self, command: str | None = None) -> str:
        """What was run (the text of ``forecast.txt``): the command, the summary, the
        categories, the model discrepancy and the notes."""
        lines = [f"command: {command}"] if command else []
        lines += [f"{k}: {v}" for k, v in self.summary_rows()]
        for cat in self.categories.categories:
            lines.append(
                f"category: {cat.component} / {cat.citizenship} / {cat.demographic} "
                f"= {' + '.join(cat.observables)}"
            )
        for name, why in self.categories.skipped:
            lines.append(f"not in forecast.csv: {name} ({why})")
        for key, (monthly, yearly) in self.discrepancy.items():
            lines.append(
                f"model discrepancy: {' / '.join(key)}: σ {monthly:.3f} per month, "
                f"{yearly:.3f} per fiscal year (in-sample log-RMSE of the ensemble median)"
            )
        lines += [f"note: {note}" for note in (*self.notes, *self.ensemble.warnings)]
        return "".join(line + "\n" for line in lines)


def _labels(ens: CorridorEnsemble) -> str:
    labels = [s.label or f"set {i}" for i, s in enumerate(ens.sets[:4])]
    return ", ".join(labels) + (", …" if len(ens.sets) > 4 else "")


def _next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)


# ------------------------------------------------------------------------------ run
def forecast(
    scenario: str | Path | CorridorScenario,
    *,
    until: str | dt.date,
    replicas: int = DEFAULT_REPLICAS,
    seed: int = 0,
    parameter_sets: Iterable[ParameterSet | Mapping[str, float]] | None = None,
    max_sets: int | None = None,
    events_file: str | Path | None = None,
    extra_events: Sequence[PolicyEvent] = (),
    policy_path: str | Path | None = None,
    backend: Backend | None = None,
    workers: int | None = None,
    scheduler: str | Client | None = None,
    progress: Progress | None = None,
    connect_timeout: float | None = None,
    discrepancy: bool = True,
) -> Forecast:
    """Run the forecast ensemble (module docstring) to the end of the month ``until``.

    Args:
        scenario: a corridor scenario (a built-in name, a YAML file or folder, or a loaded one).
        until: last month forecast, ``YYYY-MM`` (its last day is the last simulated day).
        replicas: seeds ``seed … seed + replicas − 1``, the same for every parameter set
            (default :data:`DEFAULT_REPLICAS`, 1, as ``corredor forecast``; 4 for the full
            ensemble).
        parameter_sets: default: the calibrated ensemble (else its point fit, else the
            scenario defaults, with a note).
        max_sets: keep at most this many parameter sets (systematic resampling on the weights).
        events_file: the events announced by the horizon (default:
            ``policy_events_forecast.yaml`` of the scenario folder; none if it does not exist):
            the forecast stays ex ante.
        policy_path: a file of policy events after the horizon (for example the path as it
            happened): the forecast is conditional on it, and every output says so.
        extra_events: more policy events added to the runs (a counterfactual's; the forecast
            is then conditional on them too, and says so).
        backend, workers, scheduler, progress, connect_timeout: as in
            :func:`corredor.ensemble.run_corridor_ensemble`.
        discrepancy: widen the encounter bands by the model discrepancy (module docstring);
            False: bands from the runs alone.
    """
    sc = load(scenario)
    last = parse_until(until)
    horizon = horizon_of(sc)
    if last <= horizon or _next_month(horizon) > last:
        raise ForecastError(
            f"--until {last:%Y-%m} is not after the calibration horizon {horizon} of {sc.name}; "
            "give a later month"
        )
    if replicas < 1:
        raise ForecastError(f"replicas must be at least 1, got {replicas}")
    notes: list[str] = []
    if parameter_sets is None:
        sets, note = calibrated_parameter_sets(sc)
        if note:
            notes.append(note)
    else:
        sets = normalise_sets(parameter_sets)
    if max_sets is not None:
        if max_sets < 1:
            raise ForecastError(f"the number of parameter sets must be at least 1, got {max_sets}")
        sets = thin_sets(sets, max_sets, seed)
    if policy_path is not None and events_file is not None:
        raise ForecastError("give a policy path or forecast events, not both")
    events, path = forecast_events(sc, policy_path if policy_path is not None else events_file)
    if path is None:
        notes.append(
            f"no {FORECAST_EVENTS_FILE} in {sc.base_dir}: only the scenario's own policy events"
        )
    cats = forecast_categories(sc)
    if not cats.categories:
        raise ForecastError(
            f"{sc.name} has no monthly observable whose data are split by component (USBP, OFO…);"
            " a forecast has nothing to report"
        )
    ens = run_corridor_ensemble(
        sc,
        seeds=range(seed, seed + replicas),
        parameter_sets=sets,
        days=(last - sc.start).days + 1,
        extra_events=(*events, *extra_events),
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        connect_timeout=connect_timeout,
    )
    sigmas: dict[tuple[str, str, str], tuple[float, float]] = {}
    if discrepancy:
        sigmas = model_discrepancy(sc, ens, cats, horizon, notes)
    return Forecast(
        ensemble=ens,
        horizon=horizon,
        until=last,
        events=events,
        events_file=path,
        categories=cats,
        notes=tuple(notes),
        discrepancy=sigmas,
        conditional=policy_path is not None or bool(extra_events),
        added=tuple(e.id for e in extra_events),
    )


def model_discrepancy(
    scenario: CorridorScenario,
    ens: CorridorEnsemble,
    categories: CategoryMap,
    horizon: dt.date,
    notes: list[str] | None = None,
) -> dict[tuple[str, str, str], tuple[float, float]]:
    """σ per category (module docstring): the in-sample log-RMSE of the ensemble's weighted
    median against the observed series, per month (after the spin-up, up to ``horizon``) and
    per complete fiscal year (every month observed and after the spin-up; the monthly σ if
    there is none). A category whose data cannot be read gets none, with a line in ``notes``."""

    months = pd.DatetimeIndex([pd.Timestamp(m) for m in ens.months])
    inside = months <= pd.Timestamp(horizon)
    col = {name: k for k, name in enumerate(ens.observables)}
    w = ens.weights()
    first_fy_start = pd.Timestamp(ens.start) + pd.Timedelta(days=SPIN_UP_DAYS)
    out: dict[tuple[str, str, str], tuple[float, float]] = {}
    for cat in categories.categories:
        runs = ens.monthly[..., [col[o] for o in cat.observables]].sum(axis=-1)
        runs = runs.reshape(-1, runs.shape[-1])[:, inside]
        median = pd.Series(weighted_quantiles(runs, w, [0.5])[0], index=months[inside])
        try:
            parts = [
                load_observed(scenario, o, until=horizon, scored=False).values
                for o in cat.observables
            ]
            observed = pd.concat(parts, axis=1).sum(axis=1, min_count=len(parts))
            monthly = log_discrepancy(median, observed, start=ens.start)
        except (CorredorError, ValueError) as exc:  # unreadable data, or no month in common
            if notes is not None:
                notes.append(f"no model discrepancy for {' / '.join(cat.key)}: {exc}")
            continue
        # fiscal years (October – September) wholly observed and after the spin-up
        fy = months[inside].year + (months[inside].month >= 10)
        obs_in = observed.reindex(months[inside])
        sim_fy, obs_fy = [], []
        for year in np.unique(fy):
            sel = fy == year
            whole = sel.sum() == 12 and months[inside][sel][0] >= first_fy_start
            if whole and obs_in[sel].notna().all():
                sums = runs[:, sel].sum(axis=1)
                sim_fy.append(float(weighted_quantiles(sums, w, [0.5])[0]))
                obs_fy.append(float(obs_in[sel].sum()))
        yearly = (
            log_discrepancy(pd.Series(sim_fy), pd.Series(obs_fy, name=cat.key))
            if sim_fy
            else monthly
        )
        out[cat.key] = (monthly, yearly)
    return out


__all__ = [
    "DEFAULT_REPLICAS",
    "ENCOUNTER_COLUMNS",
    "FORECAST_EVENTS_FILE",
    "LEDGER_COLUMNS",
    "Forecast",
    "ForecastError",
    "forecast",
    "forecast_events",
    "horizon_of",
    "model_discrepancy",
    "parse_until",
    "thin_sets",
]
