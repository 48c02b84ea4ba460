"""Results as tidy pandas frames and as xarray Datasets, for every kind.

:func:`tables` gives the tidy tables of a stored result (one observation per row: the same
tables the store keeps as Parquet). :func:`dataset` gives the (parameter set, replica, time,
observable) arrays of a result as an :class:`xarray.Dataset`:

============================  ================================================================
result                        variables (dimensions)
============================  ================================================================
corridor run                  ``monthly`` (set, replica, month, observable), ``ledger`` (set,
                              replica, year, entry); one set, one replica
corridor ensemble, forecast,  the same over every parameter set and replica, with the sets'
sensitivity design            ``weight`` and ``label`` and the replicas' ``seed`` as coordinates
Flee run                      ``count`` (set, replica, time, location), ``camp_observed`` (time,
                              camp)
============================  ================================================================

>>> from corredor.app.arrays import dataset
>>> ds = dataset(store.load("latest"))                       # doctest: +SKIP
>>> ds["monthly"].sel(observable="usbp_encounters_total").median("replica")   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from corredor.app.comparison import as_ensemble
from corredor.app.requests import RequestError
from corredor.results import RunResult

if TYPE_CHECKING:
    from corredor.store import ResultsStore

__all__ = ["dataset", "tables"]


def tables(store: ResultsStore, ref: str) -> dict[str, pd.DataFrame]:
    """Every tidy table of a stored result (raw result arrays of a corridor run left out)."""
    record = store.record(ref)
    return {name: record.tables[name] for name in record.tables if not name.startswith("array_")}


def dataset(result: Any) -> xr.Dataset:
    """The arrays of a result (a loaded result of any kind: ``RunResult``, ``CorridorResult``,
    ``CorridorEnsemble``, ``Forecast``, ``SensitivityResult``) as an xarray Dataset."""
    if isinstance(result, RunResult):
        return _flee(result)

    try:
        ens = as_ensemble(result)
    except RequestError:
        raise RequestError(f"a {type(result).__name__} has no arrays to give") from None
    return _ensemble(ens)


def _ensemble(ens: Any) -> xr.Dataset:

    P, R = len(ens.sets), len(ens.seeds)
    coords = {
        "set": np.arange(P),
        "replica": np.arange(R),
        "month": pd.DatetimeIndex([pd.Timestamp(m) for m in ens.months]),
        "observable": list(ens.observables),
        "year": np.asarray(ens.years, dtype=np.int64),
        "entry": list(ens.ledger_entries),
        "seed": ("replica", np.asarray(ens.seeds, dtype=np.int64)),
        "weight": ("set", np.array([s.weight for s in ens.sets], dtype=np.float64)),
        "label": ("set", [s.label for s in ens.sets]),
    }
    return xr.Dataset(
        {
            "monthly": (("set", "replica", "month", "observable"), ens.monthly),
            "ledger": (("set", "replica", "year", "entry"), ens.ledger),
            "agents": (("set", "replica"), ens.agents),
        },
        coords=coords,
        attrs={"scenario": ens.scenario, "start": ens.start.isoformat(), "days": ens.days},
    )


def _flee(result: Any) -> xr.Dataset:

    dates = pd.DatetimeIndex([pd.Timestamp(d) for d in result.dates])
    return xr.Dataset(
        {
            "count": (("set", "replica", "time", "location"), result.counts[None]),
            "camp_observed": (("time", "camp"), np.asarray(result.observed)),
        },
        coords={
            "set": [0],
            "replica": np.arange(result.replicas),
            "time": dates,
            "location": list(result.location_names),
            "camp": list(result.camp_names),
            "seed": ("replica", np.asarray(result.seeds, dtype=np.int64)),
        },
        attrs={"scenario": result.scenario, "days": result.days},
    )
