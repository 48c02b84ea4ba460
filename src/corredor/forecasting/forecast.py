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

Nothing after the horizon is fitted: the calibration saw data up to the horizon only, and the
forecast reports months after it only. :meth:`Forecast.encounters` gives the border-encounter
bands with exactly the columns ``date, component, citizenship, demographic, p05, p50, p95``;
:meth:`Forecast.ledger_bands` the ledger's; :meth:`Forecast.write` writes both (docs/forecast.md).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from corredor.ensemble.corridor import load, run_corridor_ensemble
from corredor.ensemble.corridor_results import (
    CorridorEnsemble,
    _fresh_tmp,
    _replace,
    weighted_quantiles,
)
from corredor.ensemble.parameter_sets import (
    ParameterSet,
    calibrated_parameter_sets,
    normalise_sets,
)
from corredor.errors import CorredorError, ScenarioError
from corredor.forecasting.categories import CategoryMap, forecast_categories

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client

    from corredor.ensemble.runner import Backend, Progress
    from corredor.policy.events import PolicyEvent
    from corredor.scenario.corridor import CorridorScenario

FORECAST_EVENTS_FILE = "policy_events_forecast.yaml"
"""The forecast events file looked for next to a scenario's ``scenario.yaml``."""

ENCOUNTER_COLUMNS = ("date", "component", "citizenship", "demographic", "p05", "p50", "p95")
LEDGER_COLUMNS = ("year", "period_start", "period_end", "entry", "p05", "p50", "p95")
LEVELS = (0.05, 0.50, 0.95)


class ForecastError(CorredorError):
    """A forecast cannot be run as asked (a bad ``until``, an event before the horizon…)."""


# ------------------------------------------------------------------------------ inputs
def parse_until(text: str | dt.date) -> dt.date:
    """The last day of the month ``YYYY-MM`` (or of the month of ``YYYY-MM-DD``, or a date)."""
    if isinstance(text, dt.date):
        d = text
    else:
        m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*", str(text))
        if m is None:
            raise ForecastError(
                f"--until {text!r} is not a month; write YYYY-MM (for example 2024-09)"
            )
        try:
            d = dt.date(int(m[1]), int(m[2]), int(m[3] or 1))
        except ValueError as exc:
            raise ForecastError(f"--until {text!r} is not a valid date ({exc})") from None
    return dt.date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def horizon_of(scenario: CorridorScenario) -> dt.date:
    """The last day the scenario may be fitted to: ``calibration_horizon``, else ``end``."""
    return scenario.calibration_horizon or scenario.end


def forecast_events(
    scenario: CorridorScenario, events_file: str | Path | None = None
) -> tuple[tuple[PolicyEvent, ...], Path | None]:
    """The forecast events (checked against the scenario's parameters; each must start after
    the horizon) and the file they came from (None: no file, no events)."""
    from corredor.scenario.corridor import load_scenario_events

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


def thin_sets(sets: Sequence[ParameterSet], n: int, seed: int = 0) -> list[ParameterSet]:
    """At most ``n`` sets drawn by systematic resampling on the weights (deterministic for a
    seed); a set drawn k times keeps weight k. Fewer sets than ``n``: unchanged."""
    if n < 1:
        raise ForecastError(f"the number of parameter sets must be at least 1, got {n}")
    if len(sets) <= n:
        return list(sets)
    w = np.array([s.weight for s in sets], dtype=np.float64)
    cum = np.cumsum(w / w.sum())
    u = (np.random.default_rng(seed).random() + np.arange(n)) / n
    picks = np.minimum(np.searchsorted(cum, u, side="right"), len(sets) - 1)
    counts = np.bincount(picks, minlength=len(sets))
    return [
        ParameterSet(sets[int(i)].values, float(counts[i]), sets[int(i)].label or f"set {i}")
        for i in np.flatnonzero(counts)
    ]


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

    def encounters(self) -> pd.DataFrame:
        """Monthly border-encounter bands after the horizon: exactly :data:`ENCOUNTER_COLUMNS`.

        ``date`` is the first day of the month; the quantiles pool every parameter set × seed
        run (weighted by the set weights).
        """
        import pandas as pd

        ens = self.ensemble
        months = np.array(ens.months, dtype="datetime64[D]")
        keep = months > np.datetime64(self.horizon, "D")
        col = {name: k for k, name in enumerate(ens.observables)}
        w = ens.weights()
        frames = []
        for cat in self.categories.categories:
            runs = ens.monthly[..., [col[o] for o in cat.observables]].sum(axis=-1)  # (P,R,M)
            runs = runs.reshape(-1, runs.shape[-1])[:, keep]
            q = weighted_quantiles(runs, w, LEVELS)
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
        import pandas as pd

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
                q = weighted_quantiles(runs[:, sel].sum(axis=1), w, LEVELS)
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
        import pandas as pd

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
        import pandas as pd

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
        ``parameter_sets.csv`` and ``forecast.txt`` (what was run; categories left out) to
        ``folder``."""
        folder = Path(folder)
        tmp = _fresh_tmp(folder)
        self.encounters().to_csv(tmp / "forecast.csv", index=False)
        self.fiscal_years().to_csv(tmp / "forecast_fiscal_years.csv", index=False)
        self.ledger_bands().to_csv(tmp / "forecast_ledger.csv", index=False)
        self.events_table().to_csv(tmp / "forecast_events.csv", index=False)
        self.ensemble.parameter_table().to_csv(tmp / "parameter_sets.csv", index=False)
        with open(tmp / "forecast.txt", "w", encoding="utf-8") as fh:
            if command:
                fh.write(f"command: {command}\n")
            for k, v in self.summary_rows():
                fh.write(f"{k}: {v}\n")
            for cat in self.categories.categories:
                fh.write(
                    f"category: {cat.component} / {cat.citizenship} / {cat.demographic} "
                    f"= {' + '.join(cat.observables)}\n"
                )
            for name, why in self.categories.skipped:
                fh.write(f"not in forecast.csv: {name} ({why})\n")
            for note in (*self.notes, *self.ensemble.warnings):
                fh.write(f"note: {note}\n")
        return _replace(tmp, folder)


def _labels(ens: CorridorEnsemble) -> str:
    labels = [s.label or f"set {i}" for i, s in enumerate(ens.sets[:4])]
    return ", ".join(labels) + (", …" if len(ens.sets) > 4 else "")


def _next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)


# ------------------------------------------------------------------------------ run
def forecast(
    scenario: str | Path | CorridorScenario = "mexico-us",
    *,
    until: str | dt.date,
    replicas: int = 4,
    seed: int = 0,
    parameter_sets: Iterable[ParameterSet | Mapping[str, float]] | None = None,
    max_sets: int | None = None,
    events_file: str | Path | None = None,
    backend: Backend | None = None,
    workers: int | None = None,
    scheduler: str | Client | None = None,
    progress: Progress | None = None,
    connect_timeout: float | None = None,
) -> Forecast:
    """Run the forecast ensemble (module docstring) to the end of the month ``until``.

    Args:
        scenario: a corridor scenario (default ``mexico-us``).
        until: last month forecast, ``YYYY-MM`` (its last day is the last simulated day).
        replicas: seeds ``seed … seed + replicas − 1``, the same for every parameter set.
        parameter_sets: default: the calibrated ensemble (else its point fit, else the
            scenario defaults, with a note).
        max_sets: keep at most this many parameter sets (systematic resampling on the weights).
        events_file: the forecast events (default: ``policy_events_forecast.yaml`` of the
            scenario folder; none if it does not exist).
        backend, workers, scheduler, progress, connect_timeout: as in
            :func:`corredor.ensemble.run_corridor_ensemble`.
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
        sets = thin_sets(sets, max_sets, seed)
    events, path = forecast_events(sc, events_file)
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
        extra_events=events,
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        connect_timeout=connect_timeout,
    )
    return Forecast(
        ensemble=ens,
        horizon=horizon,
        until=last,
        events=events,
        events_file=path,
        categories=cats,
        notes=tuple(notes),
    )


__all__ = [
    "ENCOUNTER_COLUMNS",
    "FORECAST_EVENTS_FILE",
    "LEDGER_COLUMNS",
    "Forecast",
    "ForecastError",
    "forecast",
    "forecast_events",
    "horizon_of",
    "parse_until",
    "thin_sets",
]
