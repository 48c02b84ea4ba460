"""Results of every run kind: what a run returns, before and after the store.

``RunResult`` (a Flee-compatible run, :mod:`corredor.results.flee`) and ``CorridorResult`` (a
corridor run, :mod:`corredor.results.corridor`, imported on first use: it loads the corridor
rules).
"""

from corredor.results.flee import RunResult

__all__ = ["RunResult"]
