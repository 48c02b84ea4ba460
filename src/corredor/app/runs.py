"""Use cases on the stored results themselves: ``list_runs`` (the catalogue, filtered, with each
run's status), ``status`` (where one run stands: running, finished or failed, with its
provenance), ``delete`` (at the user's request) and ``load`` (a stored result of any kind,
rebuilt)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from corredor.app import codecs
from corredor.app.requests import DeleteRequest, ListRequest

if TYPE_CHECKING:
    import pandas as pd

    from corredor.store import ResultsStore
    from corredor.store.store import RunStatus

__all__ = ["delete", "list_runs", "load", "status"]


def list_runs(request: ListRequest, store: ResultsStore) -> pd.DataFrame:
    """The catalogue of stored results, filtered as ``request`` asks: one row per run (running,
    finished or failed: column ``status``; ``error`` for a failed run; ``pid``, ``host``,
    ``started``, ``finished``)."""
    since = None if request.since is None else dt.datetime.fromisoformat(request.since)
    parent = store.resolve(request.parent, finished=False) if request.parent is not None else None
    return store.list(
        kind=request.kind,
        scenario=request.scenario,
        parent=parent,
        since=since,
        status=request.status,
    )


def status(store: ResultsStore, ref: str) -> RunStatus:
    """Where a run stands (``ref``: an id, a unique prefix, or ``latest``): its status
    (``running``, ``finished``, ``failed``), error line, process, times, folder and provenance
    (:class:`corredor.store.store.RunStatus`; ``.as_json()`` for a service). A ``running`` run
    whose process died is reported ``failed`` (the store repairs itself when opened)."""
    return store.status(ref)


def delete(request: DeleteRequest, store: ResultsStore) -> list[str]:
    """Delete a stored run (finished or failed; a running one only once its process has
    died) and, with ``with_children``, the results that belong to it. Returns the ids
    removed."""
    return store.delete(request.run, with_children=request.with_children)


def load(store: ResultsStore, ref: str) -> Any:
    """A stored result of any kind, rebuilt (:func:`corredor.app.codecs.load`)."""
    return codecs.load(store, ref)
