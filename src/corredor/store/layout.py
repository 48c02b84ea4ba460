"""The files of one stored run, and how a ``RunResult`` is written to and read back from them.

A run directory holds::

    summary.json          metadata + headline numbers (what ``read_run_dir`` needs besides tables)
    settings.json         the effective rule settings
    locations.parquet     index, name, kind, country, lat, lon
    daily_counts.parquet  RunResult.daily_counts(): replica, seed, day, date, location, count
    totals.parquet        replica, seed, day, date, agents_total, refugee_debt, observed_total
    observed.parquet      day, date, then one column per camp (observed series, camp order)
    camps.parquet         RunResult.camps(k) for every replica k, with a ``replica`` column
    out.csv, out_r<k>.csv Flee's out.csv for replica 0 and for replica k > 0

Every table is Parquet with zstd compression. ``read_run_dir`` rebuilds the ``RunResult`` exactly
(same values, same dtypes) from ``summary.json``, ``settings.json`` and the Parquet files.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from corredor.errors import RunError
from corredor.results import RunResult

FORMAT_VERSION = 1
SUMMARY_FILE = "summary.json"
SETTINGS_FILE = "settings.json"
LOCATIONS_FILE = "locations.parquet"
DAILY_COUNTS_FILE = "daily_counts.parquet"
TOTALS_FILE = "totals.parquet"
OBSERVED_FILE = "observed.parquet"
CAMPS_FILE = "camps.parquet"
_COMPRESSION: Literal["zstd"] = "zstd"


def out_csv_name(replica: int) -> str:
    """Name of Flee's ``out.csv`` for one replica (``out.csv`` for replica 0)."""
    return "out.csv" if replica == 0 else f"out_r{replica}.csv"


# ---------------------------------------------------------------------------------- JSON helpers
def json_safe(value: Any) -> Any:
    """Turn numpy scalars/arrays, paths, dates and non-finite floats into plain JSON values."""
    if isinstance(value, Mapping):
        out: Any = {str(k): json_safe(v) for k, v in value.items()}
    elif isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        out = [json_safe(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    elif isinstance(value, np.generic):
        out = json_safe(value.item())
    elif isinstance(value, float):
        out = value if math.isfinite(value) else None
    elif isinstance(value, (str, int, bool)) or value is None:
        out = value
    elif isinstance(value, (dt.date, dt.datetime)):
        out = value.isoformat()
    else:
        out = str(value)
    return out


def _float_or_nan(value: Any) -> float:
    return float("nan") if value is None else float(value)


# ------------------------------------------------------------------------------------ fsync
def fsync_path(path: Path) -> None:
    """Flush a file or a directory to disk (directories: best effort, not on Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        if path.is_dir():
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not path.is_dir():
            raise
    finally:
        os.close(fd)


def _write_json(path: Path, data: Any) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, allow_nan=False)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    frame.to_parquet(path, compression=_COMPRESSION, index=False)
    fsync_path(path)


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(path, index=False)
    fsync_path(path)


# ------------------------------------------------------------------------------------ write
def run_metadata(result: RunResult, run_id: str, created: dt.datetime) -> dict[str, Any]:
    """The content of ``summary.json`` (also the source of the catalogue row)."""
    meta: dict[str, Any] = json_safe(
        {
            "format": FORMAT_VERSION,
            "run_id": run_id,
            "scenario": result.scenario,
            "scenario_path": str(result.scenario_path),
            "created": created.isoformat(),
            "start_date": result.start_date.isoformat(),
            "replicas": result.replicas,
            "days": result.days,
            "seeds": [int(s) for s in result.seeds],
            "camp_names": list(result.camp_names),
            "camp_index": [int(i) for i in result.camp_index],
            "elapsed_s": [float(x) for x in result.elapsed_s],
            "agent_steps": [int(x) for x in result.agent_steps],
            "ard": [float(x) for x in result.ard],
            "ard_rescaled": [float(x) for x in result.ard_rescaled],
            "summary": result.summary(),
        }
    )
    return meta


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
    T = result.days
    cols: dict[str, Any] = {
        "day": np.arange(T, dtype=np.int32),
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


def write_run_dir(result: RunResult, directory: Path, meta: Mapping[str, Any]) -> None:
    """Write every file of a run into ``directory`` (which must exist) and fsync them."""
    _write_json(directory / SETTINGS_FILE, json_safe(result.settings))
    _write_parquet(directory / LOCATIONS_FILE, _locations_frame(result))
    _write_parquet(directory / DAILY_COUNTS_FILE, result.daily_counts())
    _write_parquet(directory / TOTALS_FILE, _totals_frame(result))
    _write_parquet(directory / OBSERVED_FILE, _observed_frame(result))
    camps = [result.camps(r) for r in range(result.replicas)]
    for r, frame in enumerate(camps):
        _write_csv(directory / out_csv_name(r), frame)
    if camps:
        all_camps = pd.concat(
            [f.assign(replica=np.int32(r)) for r, f in enumerate(camps)], ignore_index=True
        )
        all_camps = all_camps[["replica", *camps[0].columns]]
        _write_parquet(directory / CAMPS_FILE, all_camps)
    # summary.json last: a directory with a summary.json is a complete run.
    _write_json(directory / SUMMARY_FILE, dict(meta))
    fsync_path(directory)


# ------------------------------------------------------------------------------------- read
def read_metadata(directory: Path) -> dict[str, Any]:
    """Read ``summary.json`` of a run directory."""
    path = directory / SUMMARY_FILE
    try:
        with path.open(encoding="utf-8") as fh:
            meta = json.load(fh)
    except FileNotFoundError:
        raise RunError(f"{directory}: not a Corredor run directory (no {SUMMARY_FILE})") from None
    except (OSError, ValueError) as exc:
        raise RunError(f"{path}: unreadable run summary ({exc})") from None
    if not isinstance(meta, dict) or "run_id" not in meta:
        raise RunError(f"{path}: not a Corredor run summary")
    return dict(meta)


def _read_table(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    try:
        return pd.read_parquet(path, columns=columns)
    except FileNotFoundError:
        raise RunError(f"{path}: missing file of a stored run") from None
    except (OSError, ValueError) as exc:
        raise RunError(f"{path}: unreadable ({exc})") from None


def read_run_dir(directory: Path) -> RunResult:
    """Rebuild the ``RunResult`` stored in ``directory``."""
    directory = Path(directory)
    meta = read_metadata(directory)
    with (directory / SETTINGS_FILE).open(encoding="utf-8") as fh:
        settings: dict[str, Any] = json.load(fh)

    locs = _read_table(directory / LOCATIONS_FILE).sort_values("index")
    names = [str(x) for x in locs["name"]]
    R, T, L = len(meta["seeds"]), int(meta["days"]), len(names)

    daily = _read_table(directory / DAILY_COUNTS_FILE, ["replica", "day", "location", "count"])
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

    totals = _read_table(directory / TOTALS_FILE).sort_values(["replica", "day"])

    def per_day(column: str) -> np.ndarray[Any, Any]:
        return totals[column].to_numpy().reshape(R, T)

    observed_df = _read_table(directory / OBSERVED_FILE)
    C = len(meta["camp_names"])
    camp_columns = observed_df.iloc[:, 2 : 2 + C]
    observed = camp_columns.to_numpy(dtype=np.float64) if C else np.zeros((T, 0), dtype=np.float64)

    return RunResult(
        scenario=str(meta["scenario"]),
        scenario_path=Path(meta["scenario_path"]),
        seeds=[int(s) for s in meta["seeds"]],
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
        settings=settings,
        run_id=str(meta["run_id"]),
    )
