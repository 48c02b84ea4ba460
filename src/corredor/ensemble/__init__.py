"""Ensembles: many replicas of a scenario, on one machine or a Dask cluster, and their bands.

>>> from corredor.ensemble import run_ensemble, bands, compare
>>> result = run_ensemble("mali2012", seeds=range(64), backend="dask", workers=2)  # doctest: +SKIP
>>> bands(result, "camps")                                                         # doctest: +SKIP

Importing this package starts nothing: no cluster, no process, no start-method change.
See docs/scale-out.md.
"""

from __future__ import annotations

from corredor.ensemble.backends import EnsembleError
from corredor.ensemble.models import PreparedScenario, ReplicaOutput, prepare
from corredor.ensemble.runner import BACKENDS, DEFAULT_CONNECT_TIMEOUT, Backend, run_ensemble
from corredor.ensemble.summaries import (
    QUANTITIES,
    Comparison,
    QuantityError,
    bands,
    compare,
)

__all__ = [
    "BACKENDS",
    "DEFAULT_CONNECT_TIMEOUT",
    "QUANTITIES",
    "Backend",
    "Comparison",
    "EnsembleError",
    "PreparedScenario",
    "QuantityError",
    "ReplicaOutput",
    "bands",
    "compare",
    "prepare",
    "run_ensemble",
]
