"""Compile step: services (``docs/model.md`` §3.3.3) in agent units.

Per service and day: its capacity (``immediate``: people a day; ``servers``: ⌊servers⌋ servers,
each service lasting a geometric number of days of mean ``mean_days``), abandonment hazard,
whether it is open (between its ``start`` and ``end``; a closed service has capacity 0), and
its due-process screening (share screened, share with a claim, the service claims go to).

**Scale.** An agent stands for ``people_per_agent`` = k people, so capacities are in agents:
an ``immediate`` service takes capacity / k agents a day; a ``servers`` service with c ≥ 1
servers has max(1, round(c / k)) servers (the same mean days), so that an office is never shut
by the scale (its throughput is then off by the rounding, at most one server). At k = 1
capacities are the scenario's (``servers``: ⌊c⌋).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from corredor.engine.services import ServiceTime
from corredor.errors import ScenarioError
from corredor.rules.corridor.compile.params import DailyParameters

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


@dataclass
class ServiceArrays:
    """Services and their daily parameters (part of ``Compiled``)."""

    svc_names: tuple[str, ...]
    svc_kind: tuple[str, ...]
    svc_loc: IntArray
    svc_model: npt.NDArray[np.int8]
    svc_capacity: FloatArray  # (T, S) per-day capacity or servers, in agents
    svc_mean_days: FloatArray  # (T, S)
    svc_abandon: FloatArray  # (T, S)
    svc_open: npt.NDArray[np.bool_]  # (T, S)
    svc_screen_p: FloatArray  # (T, S)
    svc_screen_claim: FloatArray  # (T, S)
    svc_screen_refer: IntArray  # (S,) -1: no screening


def servers_in_agents(servers: FloatArray, k: int) -> FloatArray:
    """Servers of an office at scale k (module docstring)."""
    if k == 1:
        return np.floor(servers + 1e-9)
    return np.where(servers >= 1.0, np.maximum(np.floor(servers / k + 0.5), 1.0), 0.0)


def compile_services(p: DailyParameters, loc_ix: dict[str, int]) -> ServiceArrays:
    scenario, T, start, k = p.scenario, p.days, p.start, p.people_per_agent
    services = scenario.services
    svc_names = tuple(s.name for s in services)
    svc_ix = {n: i for i, n in enumerate(svc_names)}
    S = len(services)
    svc_model = np.array(
        [
            ServiceTime.SERVERS if s.service_time.model == "servers" else ServiceTime.IMMEDIATE
            for s in services
        ],
        dtype=np.int8,
    )
    cap = np.zeros((T, S))
    mean_days = np.ones((T, S))
    abandon = np.zeros((T, S))
    is_open = np.ones((T, S), dtype=bool)
    screen_p = np.zeros((T, S))
    screen_claim = np.zeros((T, S))
    screen_refer = np.full(S, -1, dtype=np.int32)
    for s, svc in enumerate(services):
        name = f"services.{svc.name}"
        if svc_model[s] == ServiceTime.SERVERS:
            cap[:, s] = servers_in_agents(p.series(f"{name}.service_time.servers"), k)
            mean_days[:, s] = np.maximum(p.series(f"{name}.service_time.mean_days"), 1.0)
        elif svc.capacity is not None:
            per_day = p.series(f"{name}.capacity")
            cap[:, s] = per_day if k == 1 else per_day / k
        else:
            cap[:, s] = np.inf
        if svc.abandonment is not None:
            abandon[:, s] = np.clip(p.series(f"{name}.abandonment"), 0, 1)
        if svc.start is not None:
            is_open[: max(0, min(T, (svc.start - start).days)), s] = False
        if svc.end is not None:
            is_open[max(0, (svc.end - start).days) :, s] = False
        if svc.screening is not None:
            if svc.screening.refer not in svc_ix:
                raise ScenarioError(
                    scenario.path,
                    f"service {svc.name!r} refers screened agents to unknown service "
                    f"{svc.screening.refer!r}",
                    field=f"services.{svc.name}.screening.refer",
                    fix=f"use one of: {', '.join(svc_names)}",
                )
            screen_refer[s] = svc_ix[svc.screening.refer]
            screen_p[:, s] = p.series(f"{name}.screening.p")
            screen_claim[:, s] = p.series(f"{name}.screening.claim")
    cap[~is_open] = 0.0
    return ServiceArrays(
        svc_names=svc_names,
        svc_kind=tuple(s.kind for s in services),
        svc_loc=np.array([loc_ix[s.location] for s in services], dtype=np.int32),
        svc_model=svc_model,
        svc_capacity=cap,
        svc_mean_days=mean_days,
        svc_abandon=abandon,
        svc_open=is_open,
        svc_screen_p=screen_p,
        svc_screen_claim=screen_claim,
        svc_screen_refer=screen_refer,
    )
