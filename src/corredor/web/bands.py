"""What the browser draws of results with bands: corridor ensembles, forecasts and studies.

A stored ensemble or forecast is rebuilt by the app layer (:func:`corredor.app.load`) and its
runs (every parameter set × seed) summarised per month as the weighted median and the 50 % and
90 % bands (:func:`corredor.ensemble.corridor_results.weighted_quantiles`, the same quantiles as
``corredor ensemble`` prints), next to the scenario's observed data; an observed period longer
than a month is compared with the quantiles of each run's sum over that period. A forecast also
gives its encounter bands after the calibration horizon (widened by the model discrepancy) and,
on every output, what it assumes about policy: ex ante, or conditional on a policy path. An
ensemble with a counterfactual gives the paired difference (counterfactual − history, run by
run with common seeds) from :func:`corredor.app.compare`.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corredor.web import records, scenarios
from corredor.web.errors import BadRequestError, NotFoundError
from corredor.web.views import RATIO_ENTRIES, policy_marks

LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
BAND = "90% band of the runs (5th to 95th percentile), weighted by parameter set"


def _num(x: Any) -> float | None:
    v = float(x)
    return None if math.isnan(v) or math.isinf(v) else round(v, 4)


def _nums(values: Any) -> list[float | None]:
    return [_num(v) for v in np.asarray(values, dtype=float)]


@functools.lru_cache(maxsize=16)
def _loaded(root: str, run_id: str) -> Any:
    from corredor.app import load  # noqa: PLC0415 - first use

    return load(records.open_store(Path(root)), run_id)


def _ensemble(root: Path, run_id: str) -> tuple[dict[str, Any], Any, Any]:
    from corredor.app.comparison import as_ensemble  # noqa: PLC0415 - first use

    prov = records.provenance(root, run_id)
    if prov["store_kind"] not in ("corridor-ensemble", "forecast"):
        raise BadRequestError(
            f"{run_id} is a {prov['store_kind']} result, not an ensemble or a forecast"
        )
    records.finished(root, run_id)
    obj = _loaded(str(Path(root).resolve()), run_id)
    return prov, obj, as_ensemble(obj)


@functools.lru_cache(maxsize=8)
def _observed(scenario: str) -> dict[str, list[tuple[dt.date, dt.date, float, str]]]:
    from corredor.scenario.corridor.observed import observed_rows  # noqa: PLC0415 - first use

    sc = scenarios.load_scenario(scenario)
    return {
        o.name: [(r.start, r.end, float(r.value), r.value_type) for r in observed_rows(sc, i)]
        for i, o in enumerate(sc.observables)
    }


def _quantiles(flat: np.ndarray, weights: np.ndarray) -> np.ndarray:
    from corredor.ensemble.corridor_results import weighted_quantiles  # noqa: PLC0415 - first use

    return np.asarray(weighted_quantiles(flat, weights, LEVELS))


def bands_view(root: Path, run_id: str) -> dict[str, Any]:
    """Every observable of an ensemble or forecast per month: median, 50 % and 90 % bands,
    the observed data; the ledger per year with its bands; a forecast's label and horizon."""
    return _bands_view(str(Path(root).resolve()), run_id)


@functools.lru_cache(maxsize=32)
def _bands_view(root_s: str, run_id: str) -> dict[str, Any]:
    root = Path(root_s)
    prov, obj, ens = _ensemble(root, run_id)
    w = np.asarray(ens.weights(), dtype=float)
    monthly = np.asarray(ens.monthly, dtype=float)  # (P, R, T, K)
    flat = monthly.reshape(-1, *monthly.shape[2:])  # (runs, T, K)
    months = [pd.Timestamp(m) for m in ens.months]
    end = pd.Timestamp(ens.start) + pd.Timedelta(days=int(ens.days) - 1)
    n = len(months)
    if n > 1 and (end + pd.Timedelta(days=1)).day != 1:
        n -= 1  # a last month covered only in part would look like a fall
    q = _quantiles(flat[:, :n], w)  # (5, T, K)
    meta = scenarios.scenario_observables(prov["scenario_ref"])
    observed = _observed(prov["scenario_ref"])
    sources = scenarios.data_sources(
        prov["scenario_ref"], {m["data_file"] for m in meta.values() if m["data_file"]}
    )
    index = {name: k for k, name in enumerate(ens.observables)}
    first, last = months[0].date(), (months[n - 1] + pd.offsets.MonthEnd(0)).date()
    month_index = pd.DatetimeIndex(months[:n])
    out = []
    for name, m in meta.items():
        k = index.get(name)
        if k is None:
            continue
        rows = []
        for start, stop, value, vtype in observed.get(name, []):
            if start < first or stop > last:
                continue
            inside = (month_index >= pd.Timestamp(start)) & (month_index <= pd.Timestamp(stop))
            if not inside.any():
                continue
            sums = flat[:, :n][:, inside, k].sum(axis=1)
            lo, med, hi = _quantiles(sums[:, None], w)[[0, 2, 4], 0]
            rows.append(
                {
                    "start": start.isoformat(),
                    "end": stop.isoformat(),
                    "observed": _num(value),
                    "simulated": _num(med),
                    "lo": _num(lo),
                    "hi": _num(hi),
                    "value_type": vtype,
                }
            )
        out.append(
            {
                "name": name,
                "description": m["description"],
                "unit": m["unit"],
                "frequency": m["frequency"],
                "note": m["note"],
                "simulated": _nums(q[2, :, k]),
                "band": {"lo": _nums(q[0, :, k]), "hi": _nums(q[4, :, k])},
                "band50": {"lo": _nums(q[1, :, k]), "hi": _nums(q[3, :, k])},
                "observed": rows,
                "sources": sources.get(m["data_file"] or "", []),
            }
        )
    ledger = np.asarray(ens.ledger, dtype=float)
    lq = _quantiles(ledger.reshape(-1, *ledger.shape[2:]), w)  # (5, Y, E)
    view: dict[str, Any] = {
        "run_id": run_id,
        "provenance": prov,
        "kind": prov["kind"],
        "runs": int(flat.shape[0]),
        "sets": [{"label": s.label, "weight": float(s.weight)} for s in ens.sets],
        "seeds": [int(x) for x in ens.seeds],
        "band": BAND,
        "months": [mm.strftime("%Y-%m-%d") for mm in months[:n]],
        "observables": out,
        "events": _marks(prov),
        "ledger": {
            "years": [int(y) for y in ens.years],
            "rows": [
                {
                    "name": str(e),
                    "median": _nums(lq[2, :, j]),
                    "lo": _nums(lq[0, :, j]),
                    "hi": _nums(lq[4, :, j]),
                }
                for j, e in enumerate(ens.ledger_entries)
            ],
        },
        "notes": [str(x) for x in getattr(obj, "notes", ()) or ()],
        "children": [
            {"run_id": r["run_id"], "label": r["label"]}
            for r in records.list_runs(root)
            if r["parent"] == run_id
        ],
    }
    if prov["store_kind"] == "forecast":
        view["forecast"] = _forecast(obj)
    return view


def _marks(prov: dict[str, Any]) -> list[dict[str, Any]]:
    return policy_marks(prov["scenario_ref"], prov)


def _forecast(fc: Any) -> dict[str, Any]:
    """A forecast's label (what it assumes about policy), horizon and encounter bands."""
    enc: pd.DataFrame = fc.encounters()
    series = []
    for (comp, cit, demo), g in enc.groupby(
        ["component", "citizenship", "demographic"], sort=False, dropna=False
    ):
        series.append(
            {
                "component": str(comp),
                "citizenship": str(cit),
                "demographic": str(demo),
                "dates": [str(d)[:10] for d in g["date"]],
                "p05": _nums(g["p05"]),
                "p50": _nums(g["p50"]),
                "p95": _nums(g["p95"]),
            }
        )
    return {
        "label": str(fc.kind),
        "conditional": bool(fc.conditional),
        # what the page says in its language: the policy path's name, the events added
        "policy_path": fc.events_file.stem if fc.conditional and fc.events_file else None,
        "added": list(fc.added),
        "horizon": fc.horizon.isoformat(),
        "until": fc.until.isoformat(),
        "encounters": series,
        "events": [{"id": e.id, "name": e.name, "start": e.start.isoformat()} for e in fc.events],
    }


def paired(root: Path, a: str, b: str) -> dict[str, Any]:
    """The paired difference b − a of two corridor results of any kind (runs, ensembles,
    forecasts), per month and per year: median and 90 % band (:func:`corredor.app.compare`)."""
    return _paired(str(Path(root).resolve()), a, b)


@functools.lru_cache(maxsize=16)
def _paired(root_s: str, a: str, b: str) -> dict[str, Any]:
    from corredor.app import CompareRequest, compare  # noqa: PLC0415 - first use
    from corredor.app.comparison import CORRIDOR_KINDS  # noqa: PLC0415 - first use

    root = Path(root_s)
    pa, pb = records.provenance(root, a), records.provenance(root, b)
    for ref, p in ((a, pa), (b, pb)):
        if p["store_kind"] not in CORRIDOR_KINDS:
            raise BadRequestError(
                f"{ref} is a {p['store_kind']} result: the paired difference is of corridor "
                "results (runs, ensembles, forecasts); compare two Flee runs with "
                f"`corredor compare`"
            )
    if pa["scenario"] != pb["scenario"]:
        raise BadRequestError(
            f"results of different scenarios ({pa['scenario']}, {pb['scenario']}) cannot be "
            "compared"
        )
    try:  # its observables' units: from the scenario, before any work
        units = {
            k: v["unit"] for k, v in scenarios.scenario_observables(pa["scenario_ref"]).items()
        }
    except NotFoundError:
        raise BadRequestError(
            f"{a} and {b} are results of {pa['scenario']}, which is not a built-in scenario, "
            "and the scenario file they were run from is gone: their paired difference needs "
            f"its observables. Fix: put the file back, or compare them with `corredor compare "
            f"{a} {b}`"
        ) from None
    c = compare(CompareRequest(a=a, b=b), records.open_store(root))
    m = c.tables["monthly"]
    months = sorted({str(x)[:10] for x in m["month"]})
    start = pa.get("start") or scenarios.scenario_detail(pa["scenario_ref"])["start"]
    if pa.get("days") and len(months) > 1:
        end = pd.Timestamp(start) + pd.Timedelta(days=int(pa["days"]) - 1)
        if (end + pd.Timedelta(days=1)).day != 1:
            months = months[:-1]  # a last month covered only in part would look like a fall
    obs = []
    for name, g in m.groupby("observable", sort=False):
        g = g.assign(month=[str(x)[:10] for x in g["month"]]).set_index("month").reindex(months)
        has_band = "p05" in g.columns
        obs.append(
            {
                "name": str(name),
                "unit": units.get(str(name), "events"),
                "a": _nums(g["a_median"]),
                "b": _nums(g["b_median"]),
                "difference": _nums(g["median"]),
                "band": {"lo": _nums(g["p05"]), "hi": _nums(g["p95"])} if has_band else None,
                "total_a": _num(np.nansum(g["a_median"].to_numpy(float))),
                "total_b": _num(np.nansum(g["b_median"].to_numpy(float))),
            }
        )
    led = c.tables["ledger"]
    years = sorted({int(y) for y in led["year"]})
    rows = []
    for name, g in led.groupby("entry", sort=False):
        g = g.assign(year=[int(y) for y in g["year"]]).set_index("year").reindex(years)
        a_med, b_med = g["a_median"].to_numpy(float), g["b_median"].to_numpy(float)
        count = str(name) not in RATIO_ENTRIES and "_end" not in str(name)
        rows.append(
            {
                "name": str(name),
                "a": _nums(a_med),
                "b": _nums(b_med),
                "difference": _nums(g["median"]),
                "lo": _nums(g["p05"]) if "p05" in g.columns else None,
                "hi": _nums(g["p95"]) if "p95" in g.columns else None,
                "total_a": _num(np.nansum(a_med)) if count else None,
                "total_b": _num(np.nansum(b_med)) if count else None,
            }
        )
    return {
        "a": pa,
        "b": pb,
        "paired": bool(c.paired),
        "notes": list(c.notes),
        "months": months,
        "observables": obs,
        "ledger": {"years": years, "rows": rows},
        "scale": None,
        "band": "90% band of the paired differences (5th to 95th percentile)",
    }


def study_view(root: Path, run_id: str) -> dict[str, Any]:
    """A stored study: its paired differences with bands (a counterfactual study) or its game
    and outcomes (the room-to-manoeuvre study), its notes, the files of its report and the
    English and Spanish labels of its title, variants and outputs (from its study file)."""
    prov = records.provenance(root, run_id)
    rec = records.record(root, run_id)
    if rec.kind != "study":
        raise BadRequestError(f"{run_id} is a {rec.kind} result, not a study")
    tables = {}
    for name in ("differences", "absolute", "game", "outcomes"):
        if name in rec.tables:
            df = rec.tables[name]
            tables[name] = [
                {str(k): (_num(v) if isinstance(v, float) else v) for k, v in r.items()}
                for r in df.to_dict(orient="records")
            ]
    return {
        "run_id": run_id,
        "provenance": prov,
        "study": rec.meta.get("study") or rec.summary.get("study"),
        "runs": rec.summary.get("runs"),
        "notes": list(rec.meta.get("notes") or []),
        "calibration": rec.meta.get("calibration"),
        "tables": tables,
        "files": [f for f in records.STUDY_FILES if f in rec.files],
        "labels": scenarios.study_labels(prov),
    }
