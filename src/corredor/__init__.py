"""Corredor: a fast, columnar simulator of migration corridors and the policies that shape them.

``corredor.run`` runs a scenario of either kind (``corredor.scenarios()`` lists the built-in
ones); the corridor analyses (ensembles, forecasts, sensitivity) and the results store are
imported on first use.
"""

from corredor.api import run, scenarios
from corredor.errors import CorredorError, ScenarioError
from corredor.results import RunResult

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
__version__ = "0.1.0"

#: Names imported on first use (they load the corridor kernels or the store): module, attribute.
_LAZY = {
    "run_corridor": ("corredor.rules.corridor.results", "run_corridor"),
    "CorridorResult": ("corredor.results.corridor", "CorridorResult"),
    "run_corridor_ensemble": ("corredor.ensemble", "run_corridor_ensemble"),
    "compare_corridor": ("corredor.ensemble", "compare_corridor"),
    "forecast": ("corredor.forecasting", "forecast"),
    "sensitivity_analysis": ("corredor.sensitivity", "sensitivity_analysis"),
    "ResultsStore": ("corredor.store", "ResultsStore"),
}


def __getattr__(name: str) -> object:
    """The corridor API and the store are imported on first use."""
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'corredor' has no attribute {name!r}")


def __dir__() -> list[str]:
    """Every public name, the lazily imported ones included."""
    return sorted({*globals(), *_LAZY})
