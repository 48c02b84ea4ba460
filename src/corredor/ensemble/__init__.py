"""Ensembles: many replicas of a scenario, on one machine or a Dask cluster, and their bands.

>>> from corredor.ensemble import run_ensemble, bands, compare
>>> result = run_ensemble("mali2012", seeds=range(64), backend="dask", workers=2)  # doctest: +SKIP
>>> bands(result, "camps")                                                         # doctest: +SKIP

Corridor scenarios (replicas × parameter sets, common random numbers; docs/scale-out.md):

>>> from corredor.ensemble import run_corridor_ensemble, compare_corridor
>>> ens = run_corridor_ensemble("mexico-us", seeds=range(8), workers=2)   # doctest: +SKIP
>>> ens.bands("ledger")                                                   # doctest: +SKIP

Importing this package starts nothing: no cluster, no process, no start-method change.
See docs/scale-out.md.
"""

from __future__ import annotations

from corredor.ensemble.backends import EnsembleError, EnsembleInputError
from corredor.ensemble.corridor import run_corridor_ensemble
from corredor.ensemble.corridor_results import (
    CorridorComparison,
    CorridorEnsemble,
    compare_corridor,
)
from corredor.ensemble.models import PreparedScenario, ReplicaOutput, prepare
from corredor.ensemble.parameter_sets import ParameterSet, calibrated_parameter_sets
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
    "CorridorComparison",
    "CorridorEnsemble",
    "EnsembleError",
    "EnsembleInputError",
    "ParameterSet",
    "PreparedScenario",
    "QuantityError",
    "ReplicaOutput",
    "bands",
    "calibrated_parameter_sets",
    "compare",
    "compare_corridor",
    "prepare",
    "run_corridor_ensemble",
    "run_ensemble",
]
