"""Corredor: a fast, columnar simulator of migration corridors and the policies that shape them."""

from corredor.api import run
from corredor.errors import CorredorError, ScenarioError
from corredor.results import RunResult

__all__ = ["CorredorError", "RunResult", "ScenarioError", "run"]
__version__ = "0.1.0"
