"""What the corridor's processes tell observers: every transition, as it happens.

A process that moves agents from one state to another says so to the state's event sink
(:attr:`CorridorState.events <corredor.rules.corridor.state.CorridorState.events>`): an event
has a kind (an outcome verb or one of the engine's own transitions, ``state.EVENT_KINDS``), a
target (a service, a zone or a place, ``state.TARGET_OF``), the agents and the day. The rules
only *announce*; what is counted, and how, is the trackers' business
(:class:`corredor.trackers.corridor.recorder.Recorder` implements :class:`EventSink`). A sink
must not change the state.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from corredor.engine.agents import AgentTable

IntArray = npt.NDArray[np.int32]


class EventSink(Protocol):
    """Receives the events of a corridor run (module docstring)."""

    def emit(
        self,
        kind: int,
        target: npt.ArrayLike,
        ids: IntArray,
        agents: AgentTable,
        day: int,
        *,
        status: npt.ArrayLike | None = None,
    ) -> None:
        """One event of ``kind`` per agent ``ids[i]``, with target ``target`` (one per agent, or
        one for all; -1: none) and, for verbs that give one, the status granted. A sink may
        keep the arrays until the day's end (the recorder counts a day's events at once): the
        caller must not change them afterwards."""

    def emit_segments(
        self,
        kind: int,
        off: npt.NDArray[np.int64],
        target: IntArray,
        ids: IntArray,
        agents: AgentTable,
        day: int,
    ) -> None:
        """Events of one kind in segments ``off[j]:off[j + 1]`` (e.g. the hops of a day's
        movement): each segment is one :meth:`emit`."""

    def travelled(self, links: IntArray, day: int) -> None:
        """Arrivals today at the ends of ``links`` (one entry per arrival: a link's flow)."""

    def served(self, svc: IntArray, joined: IntArray, day: int) -> None:
        """People left service ``svc[i]`` today, having joined its queue on ``joined[i]``."""

    def unscreened(self, ids: IntArray, agents: AgentTable, day: int) -> None:
        """Agents deported without the due-process screening their service has."""


class NoEvents:
    """An :class:`EventSink` that drops every event (a run observed by nobody)."""

    def _drop(self, *args: object, **kwargs: object) -> None:
        return None

    emit = emit_segments = travelled = served = unscreened = _drop
