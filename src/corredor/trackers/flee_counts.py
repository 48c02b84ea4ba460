"""Trackers of the Flee rule set: they read the state and never change it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corredor.rules.flee.state import FleeState


def record_counts(st: FleeState, t: int) -> None:
    """End of day ``t``: agents at each location (Flee's ``numAgents``), agents in the simulation,
    the raw observed total and the spawning debt (the columns of Flee's ``out.csv``)."""
    st.counts_out[t] = st.count
    st.agents_out[t] = st.agents.n if st.quirks else int(st.agents["alive"].sum())
    st.raw_out[t] = st.refugees_raw
    st.debt_out[t] = st.refugee_debt
