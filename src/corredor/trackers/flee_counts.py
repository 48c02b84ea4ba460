"""Trackers of the Flee rule set: they read the state and never change it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from corredor.engine.plan import Step

if TYPE_CHECKING:
    from corredor.rules.flee.state import FleeState


class FleeCounts:
    """The columns of Flee's ``out.csv``, one row per day: agents at each location (Flee's
    ``numAgents``), agents in the simulation, the raw observed total and the spawning debt.
    :meth:`step` is the day plan's tracker step that fills row ``t`` at the end of day ``t``."""

    def __init__(self, days: int, n_locations: int) -> None:
        self.counts: npt.NDArray[np.int64] = np.zeros((days, n_locations), dtype=np.int64)
        self.agents: npt.NDArray[np.int64] = np.zeros(days, dtype=np.int64)
        self.raw: npt.NDArray[np.int64] = np.zeros(days, dtype=np.int64)
        self.debt: npt.NDArray[np.int64] = np.zeros(days, dtype=np.int64)

    def record(self, st: FleeState, t: int) -> None:
        """End of day ``t``: copy the day's counts out of the state."""
        self.counts[t] = st.count
        self.agents[t] = st.agents.n if st.quirks else int(st.agents["alive"].sum())
        self.raw[t] = st.refugees_raw
        self.debt[t] = st.refugee_debt

    def step(self) -> Step[FleeState]:
        return Step(
            "counts",
            "tracker",
            self.record,
            "agents per location, agents alive, raw observed total, debt",
        )


__all__ = ["FleeCounts"]
