"""Corredor: a fast, columnar simulator of migration corridors and the policies that shape them."""

from corredor.api import run
from corredor.errors import CorredorError, ScenarioError
from corredor.results import RunResult

__all__ = [
    "CorredorError",
    "CorridorResult",
    "RunResult",
    "ScenarioError",
    "run",
    "run_corridor",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """The corridor API is imported on first use (it loads the service kernels)."""
    if name in ("CorridorResult", "run_corridor"):
        from corredor.rules.corridor import results

        return getattr(results, name)
    raise AttributeError(f"module 'corredor' has no attribute {name!r}")
