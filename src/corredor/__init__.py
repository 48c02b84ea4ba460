"""Corredor: a fast, columnar simulator of migration corridors and the policies that shape them.

``corredor.run`` runs a scenario of either kind (``corredor.scenarios()`` lists the built-in
ones). Everything but the errors is imported on first use (the engine, the corridor analyses,
the results store), so that importing a small part of Corredor stays fast.
"""

__version__ = "0.1.0"

import importlib
import os
from typing import TYPE_CHECKING

from corredor.errors import CorredorError, ScenarioError

# numba's parallel kernels run on OpenMP threads: a thread that waits for work or for the others
# at a region's end sleeps instead of spinning (OpenMP's default spins for a while). The
# corridor's kernels are short, and on a machine whose cores are busy a spinning thread holds
# the core that the thread it waits for needs: 1,200 full-scale corridor days on 2 threads took
# 47 s instead of 122 s at a load of 8 (docs/benchmarks.md). Read once, when numba starts its
# threads; a value set before wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

if TYPE_CHECKING:  # what a type checker sees of the names imported on first use
    from corredor.api import run, scenarios
    from corredor.ensemble import compare_corridor, run_corridor_ensemble
    from corredor.forecasting.forecast import forecast
    from corredor.results import RunResult
    from corredor.results.corridor import CorridorResult
    from corredor.sensitivity import sensitivity_analysis
    from corredor.simulation.corridor import run_corridor
    from corredor.store import ResultsStore

__all__ = [
    "CorredorError",
    "CorridorResult",
    "ResultsStore",
    "RunResult",
    "ScenarioError",
    "compare_corridor",
    "forecast",
    "run",
    "run_corridor",
    "run_corridor_ensemble",
    "scenarios",
    "sensitivity_analysis",
]

#: Names imported on first use: module, attribute.
_LAZY = {
    "run": ("corredor.api", "run"),
    "scenarios": ("corredor.api", "scenarios"),
    "RunResult": ("corredor.results", "RunResult"),
    "run_corridor": ("corredor.simulation.corridor", "run_corridor"),
    "CorridorResult": ("corredor.results.corridor", "CorridorResult"),
    "run_corridor_ensemble": ("corredor.ensemble", "run_corridor_ensemble"),
    "compare_corridor": ("corredor.ensemble", "compare_corridor"),
    "forecast": ("corredor.forecasting", "forecast"),
    "sensitivity_analysis": ("corredor.sensitivity", "sensitivity_analysis"),
    "ResultsStore": ("corredor.store", "ResultsStore"),
}


def __getattr__(name: str) -> object:
    """Every name but the errors is imported on first use (module docstring)."""
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'corredor' has no attribute {name!r}")


def __dir__() -> list[str]:
    """Every public name, the lazily imported ones included."""
    return sorted({*globals(), *_LAZY})
