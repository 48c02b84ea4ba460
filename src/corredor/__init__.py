"""Corredor: a fast, columnar simulator of migration corridors and the policies that shape them."""

from corredor.api import run
from corredor.errors import CorredorError, ScenarioError
from corredor.results import RunResult

__all__ = [
    "CorredorError",
    "CorridorResult",
    "RunResult",
    "ScenarioError",
    "compare_corridor",
    "forecast",
    "run",
    "run_corridor",
    "run_corridor_ensemble",
    "sensitivity_analysis",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """The corridor API is imported on first use (it loads the service kernels)."""
    if name == "run_corridor":
        from corredor.simulation import corridor as simulation

        return getattr(simulation, name)
    if name == "CorridorResult":
        from corredor.results.corridor import CorridorResult

        return CorridorResult
    if name in ("run_corridor_ensemble", "compare_corridor"):
        from corredor import ensemble

        return getattr(ensemble, name)
    if name == "forecast":
        from corredor.forecasting import forecast

        return forecast
    if name == "sensitivity_analysis":
        from corredor.sensitivity import sensitivity_analysis

        return sensitivity_analysis
    raise AttributeError(f"module 'corredor' has no attribute {name!r}")
