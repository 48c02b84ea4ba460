"""Use case ``compare``: the differences between two stored results, paired when they share
seeds.

Two corridor results (single runs, ensembles, forecasts or sensitivity designs) are compared
through their ensembles (a single run is an ensemble of one): with common seeds, run by run
(``b − a`` for the same parameter set and seed, common random numbers), then the median and the
50 %/90 % bands of that difference (:func:`corredor.ensemble.compare_corridor`); otherwise the
medians and bands of each side and the difference of the medians, with a note. Two Flee runs are
compared the same way on their camp populations (:func:`corredor.ensemble.compare`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from corredor.app.codecs import load
from corredor.app.requests import CompareRequest, RequestError
from corredor.ensemble.corridor import summarise
from corredor.ensemble.corridor_results import (
    CorridorComparison,
    CorridorEnsemble,
    compare_corridor,
)
from corredor.ensemble.parameter_sets import ParameterSet
from corredor.ensemble.summaries import QuantityError, bands
from corredor.ensemble.summaries import compare as compare_flee
from corredor.results.corridor import CorridorResult

if TYPE_CHECKING:
    from corredor.store import ResultsStore

__all__ = ["CORRIDOR_KINDS", "Compared", "as_ensemble", "compare"]

#: The stored kinds whose results ``compare`` pairs as corridor results.
CORRIDOR_KINDS = ("corridor", "corridor-ensemble", "forecast", "sensitivity")


@dataclass
class Compared:
    """What ``compare`` found: the two runs, whether the difference is paired, and tables of
    the difference (``annual``, ``ledger``, ``monthly`` for corridor results; ``camps`` for
    Flee runs)."""

    a: str
    b: str
    kind: str
    paired: bool
    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)


def as_ensemble(result: Any) -> CorridorEnsemble:
    """A corridor result of any kind as a :class:`CorridorEnsemble` (a single run: one set,
    one seed)."""
    if isinstance(result, CorridorEnsemble):
        return result
    ens = getattr(result, "ensemble", None)
    if isinstance(ens, CorridorEnsemble):
        return ens
    if isinstance(result, CorridorResult):
        return _single(result)
    raise RequestError(f"a {type(result).__name__} is not a corridor result")


def _single(result: CorridorResult) -> CorridorEnsemble:

    rep = summarise(result, task=0, set_index=0)
    months = pd.date_range(result.start.replace(day=1), periods=rep.monthly.shape[0], freq="MS")
    return CorridorEnsemble(
        scenario=result.scenario,
        start=result.start,
        days=result.days,
        seeds=(int(result.seed),),
        sets=(ParameterSet(dict(result.compiled.calibration), 1.0, "run"),),
        months=tuple(dt.date(m.year, m.month, 1) for m in months),
        observables=rep.monthly_columns,
        monthly=rep.monthly[None, None],
        years=rep.years,
        ledger_entries=rep.ledger_columns,
        ledger=rep.ledger[None, None],
        agents=np.array([[rep.agents]], dtype=np.int64),
        seconds=np.array([[rep.seconds]], dtype=np.float64),
    )


def compare(request: CompareRequest, store: ResultsStore) -> Compared:
    """Compare the runs ``request.a`` and ``request.b`` (module docstring)."""
    a_id, b_id = store.resolve(request.a), store.resolve(request.b)
    ka, kb = store.kind(a_id), store.kind(b_id)
    a, b = load(store, a_id), load(store, b_id)
    if ka in CORRIDOR_KINDS and kb in CORRIDOR_KINDS:
        return _corridor(a_id, b_id, as_ensemble(a), as_ensemble(b))
    if ka == kb == "flee":
        return _flee(a_id, b_id, a, b)
    raise RequestError(
        f"cannot compare a {ka} result with a {kb} result: compare two corridor results "
        "(runs, ensembles, forecasts) or two Flee runs"
    )


def _corridor(a_id: str, b_id: str, a: CorridorEnsemble, b: CorridorEnsemble) -> Compared:

    if (a.start, a.days) != (b.start, b.days):
        raise RequestError(
            f"{a_id} and {b_id} cover different periods ({a.days} days from {a.start}, "
            f"{b.days} days from {b.start}): rerun one with the other's --days"
        )
    if (a.observables, a.ledger_entries) != (b.observables, b.ledger_entries):
        raise RequestError(f"{a_id} and {b_id} have different observables or ledger entries")
    notes: list[str] = []
    cmp: CorridorComparison | None = None
    try:
        cmp = compare_corridor(a, b)
    except QuantityError as exc:
        same_seeds = sorted(a.seeds) == sorted(b.seeds)
        if same_seeds and len(a.sets) == len(b.sets):
            cmp = CorridorComparison(a=a, b=b)
            notes.append(
                "the runs share their seeds but not their parameters: the paired difference is "
                "the effect of the parameters changed (and of any events changed)"
            )
        else:
            notes.append(f"not paired: {exc}; the difference is between the medians")
    if cmp is not None:
        tables = {t: cmp.bands(t) for t in ("annual", "ledger", "monthly")}
        return Compared(a_id, b_id, "corridor", True, tables, notes)
    tables = {}
    for t in ("annual", "ledger", "monthly"):
        ba, bb = a.bands(t), b.bands(t)
        keys = [c for c in ba.columns if c in ("month", "year", "observable", "entry")]
        merged = ba.merge(bb, on=keys, suffixes=("_a", "_b"))
        merged["median"] = merged["median_b"] - merged["median_a"]
        tables[t] = merged.rename(columns={"median_a": "a_median", "median_b": "b_median"})
    return Compared(a_id, b_id, "corridor", False, tables, notes)


def _flee(a_id: str, b_id: str, a: Any, b: Any) -> Compared:

    try:
        cmp = compare_flee(a, b, "camps")
    except QuantityError as exc:
        if a.days != b.days or a.start_date != b.start_date:
            raise RequestError(str(exc)) from None
        ba, bb = bands(a, "camps"), bands(b, "camps")
        keys = [c for c in ba.columns if c in ("day", "date", "location")]
        merged = ba.merge(bb, on=keys, suffixes=("_a", "_b"))
        merged["median"] = merged["median_b"] - merged["median_a"]
        notes = [f"not paired: {exc}; the difference is between the medians"]
        return Compared(a_id, b_id, "flee", False, {"camps": merged}, notes)
    return Compared(a_id, b_id, "flee", True, {"camps": cmp.bands()}, [])
