"""Forecasts and sensitivity analyses as stored records, and back.

Each is stored with the corridor ensemble behind it (:func:`corredor.app.codecs.embedded_record`);
:func:`corredor.app.codecs.load` finds these decoders by the record's kind. Kept apart from the
ensemble's codec so that a run loads neither the forecasting nor the sensitivity machinery.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from corredor.app.codecs import embedded_record, ensemble_from_record, prefixed
from corredor.forecasting.categories import Category, CategoryMap
from corredor.forecasting.forecast import Forecast
from corredor.policy.events import PolicyEvent
from corredor.results.record import Record
from corredor.sensitivity.analysis import SensitivityResult

if TYPE_CHECKING:
    from corredor.results.provenance import Provenance

__all__ = [
    "forecast_from_record",
    "forecast_to_record",
    "sensitivity_from_record",
    "sensitivity_to_record",
]


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
    return embedded_record(
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
        ensemble=ensemble_from_record(prefixed(record, "ensemble_")),
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
    return embedded_record(
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
        ensemble=ensemble_from_record(prefixed(record, "ensemble_")),
    )
