"""What the browser draws, built from a stored run's tidy frames (:func:`records.tables`).

Plain JSON-able dictionaries: the series of every observable next to its observed rows, the
human-cost ledger, the map's places and monthly stocks and flows, paired differences of two
runs, and the CSV/Parquet bodies of the downloads. Counts of a reduced-scale run (a preview,
``people_per_agent`` k > 1) are multiplied back by k here, and carry an approximate 95 % band
for the extra sampling noise of the reduced scale (a count of n people seen through n/k agents
has a variance of about k·n).
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corredor.web import records, scenarios
from corredor.web.errors import BadRequestError, NotFoundError


class EntryPatterns:
    """Ledger entries named by patterns, ``*`` standing for the scenario's ledger labels
    (``roles.labels``; :mod:`corredor.trackers.corridor.ledger`): ``name in patterns``."""

    def __init__(self, *patterns: str) -> None:
        self.patterns = patterns

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(fnmatchcase(name, p) for p in self.patterns)


#: ledger entries that are not counts of people or events (never multiplied by the scale)
RATIO_ENTRIES = EntryPatterns("asylum_wait_*_days", "court_wait_*_days", "externalization_share")
#: ledger entries and their units, first match (the rest count people or events per year)
LEDGER_UNITS = (
    (EntryPatterns("asylum_wait_*_days", "court_wait_*_days"), "days"),
    (EntryPatterns("*_person_days", "detention_days_*"), "person-days"),
    (EntryPatterns("externalization_share"), "share"),
)


def ledger_unit(entry: str) -> str:
    """The unit of a ledger entry (:data:`LEDGER_UNITS`; else ``people``)."""
    return next((unit for names, unit in LEDGER_UNITS if entry in names), "people")


Z95 = 1.96
#: counts (people) at which a preview's note states the extra noise of its reduced scale
NOISE_AT = (10_000, 100_000)


def _num(x: Any) -> float | None:
    v = float(x)
    return None if math.isnan(v) or math.isinf(v) else round(v, 4)


def _scale(prov: dict[str, Any]) -> int:
    return int(prov.get("people_per_agent", 1) or 1)


def _band(values: np.ndarray, k: int) -> tuple[list[float | None], list[float | None]] | None:
    if k <= 1:
        return None
    sd = np.sqrt(np.maximum(values, 0.0) * k)
    return [_num(v) for v in np.maximum(values - Z95 * sd, 0)], [_num(v) for v in values + Z95 * sd]


def scale_note(prov: dict[str, Any]) -> dict[str, Any] | None:
    k = _scale(prov)
    if k <= 1:
        return None
    note: dict[str, Any] = {
        "people_per_agent": k,
        "band": "approximate 95% band of the reduced scale's noise",
        # a count of n people seen through n/k agents varies by about sqrt(k n): relative to
        # n, about Z95 * sqrt(k / n) at 95 % (the band drawn around every series)
        "noise": [{"people": n, "relative": round(Z95 * math.sqrt(k / n), 3)} for n in NOISE_AT],
    }
    reused = prov.get("reused_baseline")
    if isinstance(reused, dict) and int(reused.get("day") or 0) > 0:
        # days before `date` taken from the kept baseline state (the same run, bit for bit)
        note["reused"] = {
            "date": str(reused.get("date") or ""),
            "day": int(reused["day"]),
            "days": int(reused.get("days") or 0),
        }
    return note


View = Callable[[Path, str], dict[str, Any]]


def _cached(build: View) -> View:
    """Results never change once stored: build a view once per run (the provenance is looked
    up first, so a deleted run is still a 404)."""
    memo = functools.lru_cache(maxsize=64)(lambda root, run_id: build(Path(root), run_id))

    @functools.wraps(build)
    def view(store: Path, run_id: str) -> dict[str, Any]:
        records.provenance(store, run_id)
        result: dict[str, Any] = memo(str(store), run_id)
        return result

    return view


@_cached
def series(store: Path, run_id: str) -> dict[str, Any]:
    """Every observable per month (and per observed period) next to its data."""
    prov = records.provenance(store, run_id)
    t = records.tables(store, run_id)
    k = _scale(prov)
    meta = scenarios.scenario_observables(prov["scenario_ref"])
    monthly: pd.DataFrame = _full_months(t["monthly"], prov)
    observed: pd.DataFrame = t["observed"]
    sources = scenarios.data_sources(
        prov["scenario_ref"], {m["data_file"] for m in meta.values() if m["data_file"]}
    )
    out = []
    by_name = dict(iter(observed.groupby("observable", sort=False))) if len(observed) else {}
    for name, m in meta.items():
        if name not in monthly.columns:
            continue
        sim = monthly[name].to_numpy(float) * k
        rows = by_name.get(name, observed.iloc[:0])  # in the table's order, as a mask gives
        obs = [
            {
                "start": str(a),
                "end": str(b),
                "observed": _num(o),
                "simulated": _num(float(x) * k),
                "value_type": "" if not isinstance(v, str) else v,
            }
            for a, b, o, x, v in zip(
                rows["period_start"],
                rows["period_end"],
                rows["observed"].to_numpy(float),
                rows["simulated"].to_numpy(float),
                rows["value_type"],
                strict=True,
            )
        ]
        band = _band(sim, k)
        out.append(
            {
                "name": name,
                "description": m["description"],
                "unit": m["unit"],
                "frequency": m["frequency"],
                "fit": m["fit"],
                "note": m["note"],
                "simulated": [_num(v) for v in sim],
                "band": None if band is None else {"lo": band[0], "hi": band[1]},
                "observed": obs,
                "sources": sources.get(m["data_file"] or "", []),
            }
        )
    return {
        "run_id": run_id,
        "scenario": prov["scenario"],
        "kind": prov.get("kind", "run"),
        "scale": scale_note(prov),
        "months": [d.strftime("%Y-%m-%d") for d in monthly.index],
        "observables": out,
        "events": policy_marks(prov["scenario_ref"], prov),
    }


def _full_months(monthly: pd.DataFrame, prov: dict[str, Any]) -> pd.DataFrame:
    """Leave out a last month that the run covers only in part (it would look like a fall)."""
    end = pd.Timestamp(prov["start"]) + pd.Timedelta(days=int(prov["days"]) - 1)
    if len(monthly) > 1 and (end + pd.Timedelta(days=1)).day != 1:
        return monthly.iloc[:-1]
    return monthly


def policy_marks(scenario: str, prov: dict[str, Any]) -> list[dict[str, Any]]:
    """The major policy events in force in the run (history minus those removed, plus those
    added), for the charts' markers."""
    removed = set(prov.get("events_removed", ()))
    added = set(prov.get("events_added", ()))
    out = []
    for e in scenarios.scenario_events(scenario):
        if e["origin"] == "history" and (e["id"] in removed or e["magnitude"] != "major"):
            continue
        if e["origin"] == "counterfactual" and e["id"] not in added:
            continue
        out.append({k: e[k] for k in ("id", "name", "start", "country", "origin")})
    return out


@_cached
def ledger(store: Path, run_id: str) -> dict[str, Any]:
    prov = records.provenance(store, run_id)
    k = _scale(prov)
    df: pd.DataFrame = records.tables(store, run_id)["ledger"]
    rows = []
    for col in df.columns:
        v = df[col].to_numpy(float) * (1 if col in RATIO_ENTRIES else k)
        rows.append(
            {
                "name": col,
                "unit": ledger_unit(col),
                "values": [_num(x) for x in v],
                "total": None if col in RATIO_ENTRIES or "_end" in col else _num(np.nansum(v)),
            }
        )
    return {
        "run_id": run_id,
        "scale": scale_note(prov),
        "years": [int(y) for y in df.index],
        "rows": rows,
    }


@_cached
def geo_map(store: Path, run_id: str) -> dict[str, Any]:
    """Places, links, people waiting per border city (monthly mean) and arrivals per place per
    month (the flows along the routes)."""
    prov = records.provenance(store, run_id)
    k = _scale(prov)
    t = records.tables(store, run_id)
    geo = t["geography"]
    stranded: pd.DataFrame = t["stranded"].copy()
    start = pd.Timestamp(prov["start"])
    stranded.index = pd.date_range(start, periods=len(stranded), freq="D")
    waiting = stranded.resample("MS").mean() * k
    months = [d.strftime("%Y-%m-%d") for d in waiting.index]
    ev: pd.DataFrame = t["events"]
    arr = ev[ev["kind"] == "arrive"].groupby(["month", "target"])["events"].sum().unstack()
    arr = arr.reindex(pd.to_datetime(months)).fillna(0.0) * k
    return {
        "run_id": run_id,
        "scale": scale_note(prov),
        "months": months,
        "locations": geo["locations"],
        "links": geo["links"],
        "waiting": {c: [_num(v) for v in waiting[c]] for c in waiting.columns},
        "arrivals": {str(c): [_num(v) for v in arr[c]] for c in arr.columns},
    }


def _by_name(
    rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The rows of a and b with the same ``name`` (a's order), paired."""
    b = {r["name"]: r for r in rows_b}
    return [(r, b[r["name"]]) for r in rows_a if r["name"] in b]


def compare(store: Path, a: str, b: str) -> dict[str, Any]:
    """Two runs side by side and their paired differences (b − a) per month and per year.

    With a common seed the difference is paired (the same random numbers drive both runs, so it
    shows the effect of the change, not noise); otherwise it says so."""
    pa, pb = records.provenance(store, a), records.provenance(store, b)
    if pa["scenario"] != pb["scenario"]:
        raise BadRequestError(
            f"runs of different scenarios ({pa['scenario']}, {pb['scenario']}) cannot be compared"
        )
    sa, sb = series(store, a), series(store, b)
    la, lb = ledger(store, a), ledger(store, b)
    n = min(len(sa["months"]), len(sb["months"]))
    obs = []
    for oa, ob in _by_name(sa["observables"], sb["observables"]):
        va = np.array([np.nan if v is None else v for v in oa["simulated"][:n]], float)
        vb = np.array([np.nan if v is None else v for v in ob["simulated"][:n]], float)
        k = max(_scale(pa), _scale(pb))
        diff = vb - va
        band = None
        if k > 1:  # noise of the reduced scale, both runs
            sd = np.sqrt(np.abs(va) * _scale(pa) + np.abs(vb) * _scale(pb))
            band = {
                "lo": [_num(v) for v in diff - Z95 * sd],
                "hi": [_num(v) for v in diff + Z95 * sd],
            }
        obs.append(
            {
                "name": oa["name"],
                "unit": oa["unit"],
                "a": oa["simulated"][:n],
                "b": ob["simulated"][:n],
                "difference": [_num(v) for v in diff],
                "band": band,
                "total_a": _num(np.nansum(va)),
                "total_b": _num(np.nansum(vb)),
            }
        )
    years = sorted(set(la["years"]) & set(lb["years"]))
    led = []
    for ra, rbb in _by_name(la["rows"], lb["rows"]):
        ia = [la["years"].index(y) for y in years]
        ib = [lb["years"].index(y) for y in years]
        led.append(
            {
                "name": ra["name"],
                "unit": ra["unit"],
                "a": [ra["values"][i] for i in ia],
                "b": [rbb["values"][i] for i in ib],
                "total_a": ra["total"],
                "total_b": rbb["total"],
            }
        )
    return {
        "a": pa,
        "b": pb,
        "paired": pa["seed"] == pb["seed"] and _scale(pa) == _scale(pb),
        "months": sa["months"][:n],
        "observables": obs,
        "ledger": {"years": years, "rows": led},
        "scale": scale_note(pa) or scale_note(pb),
    }


# ------------------------------------------------------------------------------ downloads
TABLES = ("monthly", "observed", "ledger", "waiting", "arrivals", "people_vs_events")


def table_frame(store: Path, run_id: str, table: str) -> pd.DataFrame:
    """A results table as a tidy frame, counts scaled back (what CSV and Parquet hold)."""
    if table not in TABLES:
        raise NotFoundError(f"no table {table!r}; tables: {', '.join(TABLES)}")
    prov = records.provenance(store, run_id)
    k = _scale(prov)
    t = records.tables(store, run_id)
    df: pd.DataFrame
    if table == "monthly":
        df = t["monthly"] * k
        return df.reset_index()
    if table == "observed":
        df = t["observed"].copy()
        df["simulated"] = df["simulated"] * k
        return df
    if table == "ledger":
        df = t["ledger"].copy()
        for c in df.columns:
            if c not in RATIO_ENTRIES:
                df[c] = df[c] * k
        return df.reset_index()
    if table == "people_vs_events":
        df = t["people_vs_events"].copy()
        for c in ("encounters", "people", "repeat_encounters"):
            df[c] = df[c] * k
        return df
    m = geo_map(store, run_id)
    col = "waiting" if table == "waiting" else "arrivals"
    df = pd.DataFrame(m[col], index=pd.DatetimeIndex(m["months"], name="month"))
    return df.reset_index()


def to_csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8")


def to_parquet(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()
