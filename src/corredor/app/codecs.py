"""Results of the analysis layers as stored records, and back.

The store (:mod:`corredor.store`) knows Flee and corridor runs; the kinds made above it —
corridor ensembles, forecasts, sensitivity analyses, calibration studies, bargaining runs and
back-tests — are turned into :class:`~corredor.results.record.Record` objects here, and
:func:`load` rebuilds a stored result of any kind.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from corredor.ensemble.corridor_results import CorridorEnsemble
from corredor.ensemble.parameter_sets import ParameterSet
from corredor.forecasting.categories import Category, CategoryMap
from corredor.forecasting.forecast import Forecast
from corredor.policy.events import PolicyEvent
from corredor.results.record import Record
from corredor.sensitivity.analysis import SensitivityResult

if TYPE_CHECKING:
    from corredor.results.provenance import Provenance
    from corredor.store import ResultsStore

__all__ = [
    "ensemble_from_record",
    "ensemble_to_record",
    "forecast_from_record",
    "forecast_to_record",
    "load",
    "sensitivity_from_record",
    "sensitivity_to_record",
]

ENSEMBLE = "corridor-ensemble"


# ------------------------------------------------------------------------- corridor ensemble
def _parameter_sets_frame(ens: CorridorEnsemble) -> pd.DataFrame:
    rows = [
        {"set": i, "label": s.label, "weight": float(s.weight), "parameter": k, "value": float(v)}
        for i, s in enumerate(ens.sets)
        for k, v in s.as_dict().items()
    ]
    empty = [
        {"set": i, "label": s.label, "weight": float(s.weight), "parameter": "", "value": np.nan}
        for i, s in enumerate(ens.sets)
        if not s.values
    ]
    return pd.DataFrame(rows + empty, columns=["set", "label", "weight", "parameter", "value"])


def ensemble_to_record(
    ens: CorridorEnsemble, provenance: Provenance | None = None, *, kind: str = ENSEMBLE
) -> Record:
    """A corridor ensemble as a record: its runs (``runs_monthly``, ``runs_ledger``, ``runs``),
    its bands (``bands_monthly``, ``bands_annual``, ``bands_ledger``) and its parameter sets."""
    P, R = len(ens.sets), len(ens.seeds)
    runs = pd.DataFrame(
        {
            "set": np.repeat(np.arange(P), R),
            "seed": np.tile(np.asarray(ens.seeds, dtype=np.int64), P),
            "agents": np.asarray(ens.agents).reshape(-1),
            "seconds": np.asarray(ens.seconds).reshape(-1),
        }
    )
    tables = {
        "runs_monthly": ens.per_run("monthly"),
        "runs_ledger": ens.per_run("ledger"),
        "runs": runs,
        "bands_monthly": ens.bands("monthly"),
        "bands_annual": ens.bands("annual"),
        "bands_ledger": ens.bands("ledger"),
        "parameter_sets": _parameter_sets_frame(ens),
    }
    return Record(
        kind=kind,
        scenario=ens.scenario,
        seeds=tuple(int(s) for s in ens.seeds),
        replicas=R,
        days=int(ens.days),
        summary={
            "runs": ens.runs,
            "parameter_sets": P,
            "seconds": float(np.nansum(ens.seconds)),
            "wall_seconds": float(ens.wall_seconds),
            "rows": dict(ens.summary_rows()),
        },
        meta={
            "start": ens.start.isoformat(),
            "months": [m.isoformat() for m in ens.months],
            "observables": list(ens.observables),
            "years": [int(y) for y in ens.years],
            "ledger_entries": list(ens.ledger_entries),
            "wall_seconds": float(ens.wall_seconds),
            "extra_events": list(ens.extra_events),
            "warnings": list(ens.warnings),
            "sets": [
                {"label": s.label, "weight": float(s.weight), "values": s.as_dict()}
                for s in ens.sets
            ],
            "cube": {"table": "runs_monthly", "dims": ["set", "seed", "month", "observable"]},
        },
        tables=tables,
        provenance=provenance,
    )


def ensemble_from_record(record: Record) -> CorridorEnsemble:
    """Rebuild a stored corridor ensemble exactly."""
    meta = record.meta
    sets = tuple(
        ParameterSet(dict(s["values"]), float(s["weight"]), str(s["label"])) for s in meta["sets"]
    )
    P, R = len(sets), len(record.seeds)
    M, K = len(meta["months"]), len(meta["observables"])
    Y, E = len(meta["years"]), len(meta["ledger_entries"])
    monthly = record.table("runs_monthly")["value"].to_numpy(dtype=np.float64)
    ledger = record.table("runs_ledger")["value"].to_numpy(dtype=np.float64)
    runs = record.table("runs")
    wall = meta.get("wall_seconds")
    return CorridorEnsemble(
        scenario=record.scenario,
        start=dt.date.fromisoformat(meta["start"]),
        days=record.days,
        seeds=tuple(int(s) for s in record.seeds),
        sets=sets,
        months=tuple(dt.date.fromisoformat(m) for m in meta["months"]),
        observables=tuple(meta["observables"]),
        monthly=monthly.reshape(P, R, M, K),
        years=tuple(int(y) for y in meta["years"]),
        ledger_entries=tuple(meta["ledger_entries"]),
        ledger=ledger.reshape(P, R, Y, E),
        agents=runs["agents"].to_numpy(dtype=np.int64).reshape(P, R),
        seconds=runs["seconds"].to_numpy(dtype=np.float64).reshape(P, R),
        wall_seconds=float("nan") if wall is None else float(wall),
        extra_events=tuple(meta.get("extra_events", ())),
        warnings=tuple(meta.get("warnings", ())),
    )


def _prefixed(record: Record, prefix: str, kind: str = ENSEMBLE) -> Record:
    """The ensemble stored inside another record (its tables named ``ensemble_<table>``)."""
    tables = {
        name.removeprefix(prefix): record.tables[name]
        for name in record.tables
        if name.startswith(prefix)
    }
    return Record(
        kind=kind,
        scenario=record.scenario,
        seeds=record.seeds,
        replicas=record.replicas,
        days=record.days,
        meta=dict(record.meta["ensemble"]),
        tables=_Lazy(record, prefix, list(tables)),
    )


class _Lazy(dict[str, pd.DataFrame]):
    """The tables of an embedded ensemble, read from the outer record when used."""

    def __init__(self, record: Record, prefix: str, names: list[str]) -> None:
        super().__init__()
        self._record, self._prefix, self._names = record, prefix, names

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self._record.tables[self._prefix + name]

    def __iter__(self) -> Any:
        return iter(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __len__(self) -> int:
        return len(self._names)


def _embedded_record(
    kind: str,
    ens: CorridorEnsemble,
    tables: dict[str, pd.DataFrame],
    meta: dict[str, Any],
    summary: dict[str, Any],
    description: str,
    provenance: Provenance | None,
) -> Record:
    """A record of a study made of an ensemble: its own tables and meta, the ensemble's
    (tables ``ensemble_<name>``, ``meta["ensemble"]``), its runs' count and seconds."""
    inner = ensemble_to_record(ens)
    for name, frame in inner.tables.items():
        tables[f"ensemble_{name}"] = frame
    meta["ensemble"] = inner.meta
    meta["cube"] = {
        "table": "ensemble_runs_monthly",
        "dims": ["set", "seed", "month", "observable"],
    }
    return Record(
        kind=kind,
        scenario=ens.scenario,
        seeds=tuple(int(s) for s in ens.seeds),
        replicas=len(ens.seeds),
        days=int(ens.days),
        summary={**summary, "runs": ens.runs, "seconds": float(np.nansum(ens.seconds))},
        meta=meta,
        tables=tables,
        documents={"description": {"text": description}},
        provenance=provenance,
    )


# ---------------------------------------------------------------------------------- forecast
def forecast_to_record(
    fc: Forecast, provenance: Provenance | None = None, *, command: str | None = None
) -> Record:
    """A forecast: its tables (``encounters`` = forecast.csv, ``fiscal_years``,
    ``ledger_bands``, ``events``, ``metadata`` = forecast_metadata.csv: the forecast kind, ex
    ante or conditional on a policy path, and what was run), the ensemble behind them and what
    rebuilds it."""
    ens = fc.ensemble
    tables = {
        "encounters": fc.encounters(),
        "fiscal_years": fc.fiscal_years(),
        "ledger_bands": fc.ledger_bands(),
        "events": fc.events_table(),
        "metadata": pd.DataFrame(fc.summary_rows(), columns=["key", "value"]),
    }
    meta: dict[str, Any] = {
        "horizon": fc.horizon.isoformat(),
        "until": fc.until.isoformat(),
        "events_file": None if fc.events_file is None else str(fc.events_file),
        "conditional": fc.conditional,
        "added": list(fc.added),
        "forecast_events": [e.model_dump(mode="json") for e in fc.events],
        "categories": [
            {
                "component": c.component,
                "citizenship": c.citizenship,
                "demographic": c.demographic,
                "observables": list(c.observables),
            }
            for c in fc.categories.categories
        ],
        "skipped": [list(x) for x in fc.categories.skipped],
        "notes": list(fc.notes),
        "discrepancy": [[*key, m, y] for key, (m, y) in fc.discrepancy.items()],
    }
    summary = {"until": fc.until.isoformat(), "rows": dict(fc.summary_rows())}
    return _embedded_record(
        "forecast", ens, tables, meta, summary, fc.description(command), provenance
    )


def forecast_from_record(record: Record) -> Forecast:
    """Rebuild a stored forecast (its bands are recomputed from the stored runs, exactly)."""
    meta = record.meta
    cats = CategoryMap(
        categories=tuple(
            Category(c["component"], c["citizenship"], c["demographic"], tuple(c["observables"]))
            for c in meta["categories"]
        ),
        skipped=tuple((str(a), str(b)) for a, b in meta["skipped"]),
    )
    return Forecast(
        ensemble=ensemble_from_record(_prefixed(record, "ensemble_")),
        horizon=dt.date.fromisoformat(meta["horizon"]),
        until=dt.date.fromisoformat(meta["until"]),
        events=tuple(PolicyEvent.model_validate(e) for e in meta["forecast_events"]),
        events_file=None if meta["events_file"] is None else Path(meta["events_file"]),
        categories=cats,
        notes=tuple(meta["notes"]),
        discrepancy={(a, b, c): (float(m), float(y)) for a, b, c, m, y in meta["discrepancy"]},
        conditional=bool(meta.get("conditional", False)),
        added=tuple(str(x) for x in meta.get("added", ())),
    )


# ------------------------------------------------------------------------------- sensitivity
def sensitivity_to_record(
    res: SensitivityResult, provenance: Provenance | None = None, *, command: str | None = None
) -> Record:
    """A sensitivity analysis: ``indices``, ``samples`` (design and outputs), the ensemble."""
    tables = {"indices": res.indices, "samples": res.samples()}
    meta: dict[str, Any] = {
        "method": res.method,
        "problem": {
            "num_vars": int(res.problem["num_vars"]),
            "names": list(res.problem["names"]),
            "bounds": [[float(lo), float(hi)] for lo, hi in res.problem["bounds"]],
        },
        "outputs": list(res.outputs),
    }
    summary = {"method": res.method, "parameters": len(res.parameters)}
    return _embedded_record(
        "sensitivity", res.ensemble, tables, meta, summary, res.description(command), provenance
    )


def sensitivity_from_record(record: Record) -> SensitivityResult:
    """Rebuild a stored sensitivity analysis."""
    meta = record.meta
    problem = meta["problem"]
    samples = record.table("samples")
    names, outputs = list(problem["names"]), list(meta["outputs"])
    return SensitivityResult(
        scenario=record.scenario,
        method=meta["method"],
        problem={
            "num_vars": int(problem["num_vars"]),
            "names": names,
            "bounds": [[float(lo), float(hi)] for lo, hi in problem["bounds"]],
        },
        outputs=tuple(outputs),
        x=samples[names].to_numpy(dtype=np.float64),
        y=samples[outputs].to_numpy(dtype=np.float64),
        indices=record.table("indices"),
        ensemble=ensemble_from_record(_prefixed(record, "ensemble_")),
    )


# --------------------------------------------------------------------------------- loading
_DECODERS: dict[str, Any] = {
    ENSEMBLE: ensemble_from_record,
    "forecast": forecast_from_record,
    "sensitivity": sensitivity_from_record,
}


def load(store: ResultsStore, ref: str) -> Any:
    """A stored result of any kind, rebuilt: ``RunResult``, ``CorridorResult``,
    ``CorridorEnsemble``… (the :class:`Record` itself for a kind with no richer object)."""
    loaded = store.load(ref)
    if isinstance(loaded, Record) and loaded.kind in _DECODERS:
        return _DECODERS[loaded.kind](loaded)
    return loaded
