"""A Flee run (:class:`~corredor.results.RunResult`) as a stored record, and back, exactly.

Tables::

    locations      index, name, kind, country, lat, lon
    daily_counts   RunResult.daily_counts(): replica, seed, day, date, location, count
    totals         replica, seed, day, date, agents_total, refugee_debt, observed_total
    observed       day, date, then one column per camp: the observed (UNHCR) series
    camps          RunResult.camps(k) for every replica k, with a ``replica`` column

plus the document ``settings`` (the effective rule settings) and the files ``out.csv`` (replica
0) and ``out_r<k>.csv`` (replica k > 0): Flee's own output format. :func:`from_record` rebuilds
the ``RunResult`` with the same values and dtypes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corredor.results import RunResult
from corredor.results.provenance import Provenance, files_sha256
from corredor.results.record import Record

KIND = "flee"


def out_csv_name(replica: int) -> str:
    """Name of Flee's ``out.csv`` for one replica (``out.csv`` for replica 0)."""
    return "out.csv" if replica == 0 else f"out_r{replica}.csv"


def _totals_frame(result: RunResult) -> pd.DataFrame:
    R, T = result.replicas, result.days
    dates = np.array(result.dates, dtype="datetime64[D]")
    return pd.DataFrame(
        {
            "replica": np.repeat(np.arange(R, dtype=np.int32), T),
            "seed": np.repeat(np.asarray(result.seeds, dtype=np.int64), T),
            "day": np.tile(np.arange(T, dtype=np.int32), R),
            "date": np.tile(dates, R),
            "agents_total": np.asarray(result.agents_total).reshape(-1),
            "refugee_debt": np.asarray(result.refugee_debt).reshape(-1),
            "observed_total": np.asarray(result.observed_total).reshape(-1),
        }
    )


def _observed_frame(result: RunResult) -> pd.DataFrame:
    cols: dict[str, Any] = {
        "day": np.arange(result.days, dtype=np.int32),
        "date": np.array(result.dates, dtype="datetime64[D]"),
    }
    observed = np.asarray(result.observed)
    for c, name in enumerate(result.camp_names):
        cols[name] = observed[:, c]
    return pd.DataFrame(cols)


def _locations_frame(result: RunResult) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "index": np.arange(len(result.location_names), dtype=np.int32),
            "name": list(result.location_names),
            "kind": list(result.location_kinds),
            "country": list(result.location_countries),
            "lat": np.asarray(result.lat),
            "lon": np.asarray(result.lon),
        }
    )


def to_record(result: RunResult, provenance: Provenance | None = None) -> Record:
    """The record of a Flee run (module docstring)."""
    camps = [result.camps(r) for r in range(result.replicas)]
    tables: dict[str, pd.DataFrame] = {
        "locations": _locations_frame(result),
        "daily_counts": result.daily_counts(),
        "totals": _totals_frame(result),
        "observed": _observed_frame(result),
    }
    if camps:
        all_camps = pd.concat(
            [f.assign(replica=np.int32(r)) for r, f in enumerate(camps)], ignore_index=True
        )
        tables["camps"] = all_camps[["replica", *camps[0].columns]]
    files = {out_csv_name(r): f.to_csv(index=False).encode() for r, f in enumerate(camps)}
    return Record(
        kind=KIND,
        scenario=result.scenario,
        scenario_path=str(result.scenario_path),
        seeds=tuple(int(s) for s in result.seeds),
        replicas=result.replicas,
        days=result.days,
        summary=result.summary(),
        meta={
            "start_date": result.start_date.isoformat(),
            "camp_names": list(result.camp_names),
            "camp_index": [int(i) for i in result.camp_index],
            "elapsed_s": [float(x) for x in result.elapsed_s],
            "agent_steps": [int(x) for x in result.agent_steps],
            "ard": [float(x) for x in result.ard],
            "ard_rescaled": [float(x) for x in result.ard_rescaled],
        },
        tables=tables,
        documents={"settings": result.settings},
        files=files,
        provenance=provenance,
    )


def _float_or_nan(value: Any) -> float:
    return float("nan") if value is None else float(value)


def from_record(record: Record) -> RunResult:
    """Rebuild the ``RunResult`` of a stored Flee run."""
    meta = record.meta
    locs = record.table("locations").sort_values("index")
    names = [str(x) for x in locs["name"]]
    R, T, L = len(record.seeds), int(record.days), len(names)

    daily = record.table("daily_counts")[["replica", "day", "location", "count"]]
    loc = daily["location"]
    if isinstance(loc.dtype, pd.CategoricalDtype):
        position = {name: i for i, name in enumerate(names)}
        cat_to_loc = np.array([position[str(c)] for c in loc.cat.categories], dtype=np.int64)
        loc_idx = cat_to_loc[loc.cat.codes.to_numpy()]
    else:
        loc_idx = pd.Index(names).get_indexer(pd.Index(loc.astype(str)))
    count = daily["count"].to_numpy()
    counts = np.zeros((R, T, L), dtype=count.dtype)
    counts[daily["replica"].to_numpy(), daily["day"].to_numpy(), loc_idx] = count

    totals = record.table("totals").sort_values(["replica", "day"])

    def per_day(column: str) -> np.ndarray[Any, Any]:
        return totals[column].to_numpy().reshape(R, T)

    observed_df = record.table("observed")
    C = len(meta["camp_names"])
    camp_columns = observed_df.iloc[:, 2 : 2 + C]
    observed = camp_columns.to_numpy(dtype=np.float64) if C else np.zeros((T, 0), dtype=np.float64)

    return RunResult(
        scenario=record.scenario,
        scenario_path=Path(record.scenario_path),
        seeds=[int(s) for s in record.seeds],
        start_date=dt.date.fromisoformat(meta["start_date"]),
        location_names=names,
        location_kinds=[str(x) for x in locs["kind"]],
        location_countries=[str(x) for x in locs["country"]],
        lat=locs["lat"].to_numpy(dtype=np.float64),
        lon=locs["lon"].to_numpy(dtype=np.float64),
        counts=counts,
        camp_names=[str(x) for x in meta["camp_names"]],
        camp_index=np.asarray(meta["camp_index"], dtype=np.int64),
        observed=np.ascontiguousarray(observed),
        observed_total=per_day("observed_total"),
        agents_total=per_day("agents_total"),
        refugee_debt=per_day("refugee_debt"),
        elapsed_s=np.array([_float_or_nan(x) for x in meta["elapsed_s"]], dtype=np.float64),
        agent_steps=np.asarray(meta["agent_steps"], dtype=np.int64),
        settings=dict(record.documents.get("settings") or {}),
        run_id=record.run_id,
    )


def scenario_sha256(directory: Path) -> str:
    """SHA-256 of a Flee scenario's content: every file under its folder (hidden ones left
    out)."""
    base = Path(directory).resolve()
    files = [
        p
        for p in base.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(base).parts)
    ]
    return files_sha256(base, files)
