"""The state of a Flee-rule-set simulation: agent columns, graph, routes and location arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from corredor.engine.agents import AgentTable
from corredor.engine.graph import Graph
from corredor.rules.flee.routes import PathTable

AGENT_COLUMNS: dict[str, tuple[Any, float | int]] = {
    "loc": (np.int32, 0),  # location (when travelling: where the link starts)
    "link": (np.int32, -1),  # link being travelled, -1 at a location
    "on_km": (np.float64, 0.0),  # km covered on the current link
    "moved": (np.float64, 0.0),  # km covered today
    "recent": (np.float64, 0.0),  # Flee's recent-travel index
    "places": (np.int32, 1),  # Flee's places_travelled
    "route_path": (np.int32, -1),  # stored route (a path id), -1 none
    "route_pos": (np.int16, 0),  # next link of the stored route
    "alive": (np.bool_, True),
    "home": (np.int32, 0),  # location where the agent entered the simulation
    "age": (np.int16, -1),  # from demographics_age.csv, -1 unknown
    "male": (np.bool_, False),  # from demographics_gender.csv
}
"""Agent columns of the Flee rule set: 40 bytes per agent."""

KERNEL_AGENT_ORDER = (
    "loc",
    "link",
    "on_km",
    "moved",
    "recent",
    "places",
    "route_path",
    "route_pos",
    "alive",
    "home",
    "age",
    "male",
)


@dataclass
class FleeState:
    """Everything that changes during a Flee-rule-set run, plus what the kernels need."""

    seed: int
    quirks: bool
    live: bool
    days: int
    agents: AgentTable
    graph: Graph
    paths: PathTable
    # ---- locations (L,)
    names: list[str]
    countries: list[str]
    is_camp: npt.NDArray[np.bool_]
    is_idpcamp: npt.NDArray[np.bool_]
    is_town: npt.NDArray[np.bool_]
    is_marker: npt.NDArray[np.bool_]
    foreign: npt.NDArray[np.bool_]
    conflict: npt.NDArray[np.float64]  # intensity, -1 = not a conflict zone
    time_of_conflict: npt.NDArray[np.int64]
    pop: npt.NDArray[np.int64]
    capacity: npt.NDArray[np.int64]  # -1 = no capacity (non-camps), 0 = unlimited camp
    base_movechance: npt.NDArray[np.float64]
    movechance: npt.NDArray[np.float64]  # effective (population scaling applied)
    score: npt.NDArray[np.float64]
    popw: npt.NDArray[np.float64]
    dist: npt.NDArray[np.float64]  # (L, L) great-circle km, or (1, 1) when unused
    deactivation: npt.NDArray[np.float64]  # camps-as-sinks probability per day
    count: npt.NDArray[np.int64]
    spawn_weights: npt.NDArray[np.float64]
    # ---- spawning bookkeeping (Flee's module globals)
    refugees_raw: int = 0
    refugee_debt: int = 0
    # ---- kernel inputs
    params: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    keys: npt.NDArray[np.uint64] = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    pdenom: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))  # (ds + L)^dp
    path_base: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))  # daily
    extra: dict[str, Any] = field(default_factory=dict)

    # ---- for the engine's day loop (corredor.engine.loop)
    @property
    def n_agents(self) -> int:
        """Agents created so far."""
        return self.agents.n

    @property
    def n_active(self) -> int:
        """Rows of the agent table: Flee keeps removed agents in it (``alive`` False), so this
        is an upper bound, read in O(1) (a Flee run reports no agent-days)."""
        return self.agents.n

    def kernel_agents(self) -> tuple[np.ndarray, ...]:
        return tuple(self.agents.raw(c) for c in KERNEL_AGENT_ORDER)

    def kernel_graph(self) -> tuple[np.ndarray, ...]:
        g = self.graph
        return (g.link_from, g.link_to, g.link_len, g.link_open, g.link_speed, g.link_walk_p)

    def kernel_paths(self) -> tuple[Any, ...]:
        p = self.paths
        return (
            p.path_ptr,
            p.link_ptr,
            p.links,
            p.end,
            self.pdenom,
            p.is_open,
            max(p.max_paths_per_location(), 1),
            self.path_base,
        )

    def kernel_locations(self) -> tuple[np.ndarray, ...]:
        return (
            self.movechance,
            self.is_town,
            self.is_camp,
            self.capacity,
            self.score,
            self.popw,
            self.dist,
        )
