"""Use cases on the stored results themselves: ``list_runs`` (the catalogue, filtered) and
``load`` (a stored result of any kind, rebuilt)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from corredor.app import codecs
from corredor.app.requests import ListRequest, RequestError

if TYPE_CHECKING:
    import pandas as pd

    from corredor.store import ResultsStore

__all__ = ["list_runs", "load"]


def list_runs(request: ListRequest, store: ResultsStore) -> pd.DataFrame:
    """The catalogue of stored results, filtered as ``request`` asks."""
    since = None
    if request.since is not None:
        try:
            since = dt.datetime.fromisoformat(request.since)
        except ValueError:
            raise RequestError(f"since {request.since!r} is not a date (YYYY-MM-DD)") from None
    parent = store.resolve(request.parent) if request.parent is not None else None
    return store.list(kind=request.kind, scenario=request.scenario, parent=parent, since=since)


def load(store: ResultsStore, ref: str) -> Any:
    """A stored result of any kind, rebuilt (:func:`corredor.app.codecs.load`)."""
    return codecs.load(store, ref)
