"""Results store: one folder per result of any kind plus a DuckDB catalogue, crash-consistent.

:class:`ResultsStore` saves Flee runs, corridor runs and the :class:`~corredor.results.record.
Record` of every other kind (ensembles, forecasts, sensitivity analyses, calibration studies,
bargaining runs, back-tests), each with its provenance; ``list`` filters the catalogue,
``load`` rebuilds a result, ``children`` follows parent links.
"""

from corredor.store.store import (
    DEFAULT_ROOT,
    NoSuchRunError,
    ResultsStore,
    RunStatus,
    is_store,
    make_run_id,
)

__all__ = [
    "DEFAULT_ROOT",
    "NoSuchRunError",
    "ResultsStore",
    "RunStatus",
    "is_store",
    "make_run_id",
]
