"""Compile step: enforcement zones (``docs/model.md`` §3.3.9).

Per zone: its places, its daily effort, its hazard per unit of effort per day for each group
(the most specific selector of its ``hazard``; none: 0), the detention or processing service
apprehended agents join, and whether it lies in the destination country (that service's
place's country).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from corredor.rules.corridor.compile.network import Network
from corredor.rules.corridor.compile.params import DailyParameters
from corredor.rules.corridor.compile.population import Groups

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


@dataclass
class Zones:
    """Enforcement zones (part of ``Compiled``)."""

    zone_names: tuple[str, ...]
    zone_of_loc: IntArray  # (L,) -1: none
    zone_hazard: FloatArray  # (T, Z, G) hazard per unit of effort per day
    zone_effort: FloatArray  # (T, Z)
    zone_detention: IntArray  # (Z,) service index
    zone_in_dest: npt.NDArray[np.bool_]


def compile_zones(
    p: DailyParameters, net: Network, groups: Groups, svc_ix: dict[str, int], svc_loc: IntArray
) -> Zones:
    zones = p.scenario.enforcement.zones
    T, Z, G, L = p.days, len(zones), len(groups.group_nat), len(net.loc_names)
    loc_ix = {n: i for i, n in enumerate(net.loc_names)}
    zone_of_loc = np.full(L, -1, dtype=np.int32)
    zone_hazard = np.zeros((T, Z, G))
    zone_effort = np.zeros((T, Z))
    zone_detention = np.zeros(Z, dtype=np.int32)
    zone_in_dest = np.zeros(Z, dtype=bool)
    for zi, zone in enumerate(zones):
        for name in zone.locations:
            zone_of_loc[loc_ix[name]] = zi
        zone_effort[:, zi] = p.series(f"enforcement.{zone.name}.effort")
        for g in range(G):
            sel = groups.selector(zone.hazard, g)
            if sel is not None:
                zone_hazard[:, zi, g] = p.series(f"enforcement.{zone.name}.hazard.{sel}")
        zone_detention[zi] = svc_ix[zone.detention]
        zone_in_dest[zi] = bool(net.loc_in_dest[svc_loc[svc_ix[zone.detention]]])
    return Zones(
        zone_names=tuple(z.name for z in zones),
        zone_of_loc=zone_of_loc,
        zone_hazard=zone_hazard,
        zone_effort=zone_effort,
        zone_detention=zone_detention,
        zone_in_dest=zone_in_dest,
    )
