"""Results of the analysis layers as stored records, and back.

The store (:mod:`corredor.store`) knows Flee and corridor runs; the kinds made above it —
corridor ensembles here, and the studies made of one (forecasts, sensitivity analyses, calibration
studies, bargaining runs, back-tests) with :func:`embedded_record` — are turned into
:class:`~corredor.results.record.Record` objects; :func:`load` rebuilds a stored result of any
kind (the forecast and sensitivity decoders, :mod:`corredor.app.study_codecs`, imported then).
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from corredor.ensemble.corridor_results import CorridorEnsemble
from corredor.ensemble.parameter_sets import ParameterSet
from corredor.results.record import Record

if TYPE_CHECKING:
    from corredor.results.provenance import Provenance
    from corredor.store import ResultsStore

__all__ = [
    "embedded_record",
    "ensemble_from_record",
    "ensemble_to_record",
    "load",
    "prefixed",
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


def prefixed(record: Record, prefix: str, kind: str = ENSEMBLE) -> Record:
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


def embedded_record(
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


# --------------------------------------------------------------------------------- loading
#: Decoders by record kind: module, function (the study kinds' modules imported when loaded).
_DECODERS: dict[str, tuple[str, str]] = {
    ENSEMBLE: ("corredor.app.codecs", "ensemble_from_record"),
    "forecast": ("corredor.app.study_codecs", "forecast_from_record"),
    "sensitivity": ("corredor.app.study_codecs", "sensitivity_from_record"),
}


def load(store: ResultsStore, ref: str) -> Any:
    """A stored result of any kind, rebuilt: ``RunResult``, ``CorridorResult``,
    ``CorridorEnsemble``… (the :class:`Record` itself for a kind with no richer object)."""
    loaded = store.load(ref)
    if isinstance(loaded, Record) and loaded.kind in _DECODERS:
        module, name = _DECODERS[loaded.kind]
        return getattr(importlib.import_module(module), name)(loaded)
    return loaded
