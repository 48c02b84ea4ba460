"""Compile steps: groups, origins and caravans (``docs/model.md`` §3.3.2).

* Groups are nationality × demographic (``g = n × D + d``) with each nationality's demographic
  shares (``rest`` is one minus the others; a nationality without shares is all in the first
  demographic).
* Origins: expected departures per day = base rate × share (one minus the nationality's other
  origins' for ``rest``) × Π_drivers (driver / driver on day 0) ** elasticity, divided by the
  scenario's ``people_per_agent``. A driver is linear between its points and held beyond them.
* Caravans: their people spread evenly over their ``days`` from their date (in agents), the
  border city they head for (-1: each member chooses) and their hazard multiplier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from corredor.rules.corridor.compile.params import DailyParameters
from corredor.scenario.corridor.base import best_selector

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


@dataclass
class Groups:
    """Nationality × demographic groups (part of ``Compiled``)."""

    nat_names: tuple[str, ...]
    dem_names: tuple[str, ...]
    group_nat: IntArray
    group_dem: IntArray
    nat_country: tuple[str, ...]
    share_cum: FloatArray  # (N, D) cumulative demographic shares per nationality

    def selector(self, selectors: Iterable[str], g: int) -> str | None:
        """The most specific of ``selectors`` that applies to group ``g`` (None: none)."""
        nat, dem = self.nat_names[self.group_nat[g]], self.dem_names[self.group_dem[g]]
        return best_selector(selectors, nat, dem, self.nat_names, self.dem_names)


@dataclass
class Origins:
    """Where people leave from, and how many a day (part of ``Compiled``)."""

    origin_names: tuple[str, ...]
    origin_loc: IntArray
    origin_nat: IntArray
    departures: FloatArray  # (T, O) expected departures per day, in agents


@dataclass
class Caravans:
    """Group departures (part of ``Compiled``)."""

    caravan_names: tuple[str, ...]
    caravan_origin: IntArray  # (K,) origin index
    caravan_target: IntArray  # (K,) border city index, -1: each agent chooses
    caravan_departures: FloatArray  # (T, K) expected caravan departures per day, in agents
    caravan_hazard: FloatArray  # (K + 1,) hazard multiplier on the way; [0] = 1 (no caravan)


def compile_groups(p: DailyParameters) -> Groups:
    scenario = p.scenario
    nat_names = tuple(scenario.nationalities)
    dem_names = tuple(scenario.groups.demographics)
    N, D = len(nat_names), len(dem_names)
    shares = np.zeros((N, D))
    for n, nat in enumerate(nat_names):
        table = scenario.groups.shares.get(nat, {})
        fixed = {d: p.const(x) for d, x in table.items() if not x.rest}
        rest = max(0.0, 1.0 - sum(fixed.values()))
        for d, dem in enumerate(dem_names):
            x = table.get(dem)
            shares[n, d] = 0.0 if x is None else (rest if x.rest else fixed[dem])
        if shares[n].sum() <= 0:
            shares[n, 0] = 1.0
        shares[n] /= shares[n].sum()
    share_cum = np.cumsum(shares, axis=1)
    share_cum[:, -1] = 1.0
    return Groups(
        nat_names=nat_names,
        dem_names=dem_names,
        group_nat=np.repeat(np.arange(N, dtype=np.int32), D),
        group_dem=np.tile(np.arange(D, dtype=np.int32), N),
        nat_country=tuple(scenario.nationalities[n] for n in nat_names),
        share_cum=share_cum,
    )


def compile_origins(
    p: DailyParameters, loc_ix: dict[str, int], nat_names: tuple[str, ...]
) -> Origins:
    scenario, T, start = p.scenario, p.days, p.start
    departures = np.zeros((T, len(scenario.origins)))
    dates = np.array([start + dt.timedelta(days=i) for i in range(T)], dtype="datetime64[D]")
    for k, o in enumerate(scenario.origins):
        lam = p.series(f"origins.{o.name}.base_daily_departures").copy()
        if o.share is not None and o.share.rest:
            # one minus the shares of the nationality's other origins
            others = [
                p.series(f"origins.{x.name}.share")
                for x in scenario.origins
                if x.nationality == o.nationality and x is not o and x.share is not None
            ]
            lam *= np.clip(1.0 - np.sum(others, axis=0), 0.0, 1.0)
        elif o.share is not None:
            lam *= p.series(f"origins.{o.name}.share")
        for driver in o.drivers:
            x = o.driver_daily(driver, dates)
            x0 = o.driver_daily(driver, dates[:1])[0]
            e = p.series(f"origins.{o.name}.drivers.{driver}")
            lam *= (np.maximum(x, 1e-12) / max(x0, 1e-12)) ** e
        departures[:, k] = lam / p.people_per_agent
    return Origins(
        origin_names=tuple(o.name for o in scenario.origins),
        origin_loc=np.array([loc_ix[o.location] for o in scenario.origins], dtype=np.int32),
        origin_nat=np.array([nat_names.index(o.nationality) for o in scenario.origins], np.int32),
        departures=departures,
    )


def compile_caravans(
    p: DailyParameters,
    origin_names: tuple[str, ...],
    loc_ix: dict[str, int],
    border_of_loc: IntArray,
) -> Caravans:
    scenario, T, start = p.scenario, p.days, p.start
    K = len(scenario.caravans)
    origin_ix = {n: i for i, n in enumerate(origin_names)}
    caravan_origin = np.array(
        [origin_ix[k.origin] for k in scenario.caravans], dtype=np.int32
    ).reshape(K)
    caravan_target = np.full(K, -1, dtype=np.int32)
    caravan_departures = np.zeros((T, K))
    # index 0: not in a caravan; caravan k is k + 1 in the agents' ``caravan`` column
    caravan_hazard = np.ones(K + 1)
    for k, car in enumerate(scenario.caravans):
        name = f"caravans.{car.name}"
        if car.target is not None:
            caravan_target[k] = border_of_loc[loc_ix[car.target]]
        d0 = (car.date - start).days
        people = p.series(f"{name}.people")
        for d in range(max(d0, 0), min(d0 + car.days, T)):
            caravan_departures[d, k] = people[d] / car.days / p.people_per_agent
        caravan_hazard[k + 1] = float(p.series(f"{name}.hazard_multiplier")[max(min(d0, T - 1), 0)])
    return Caravans(
        caravan_names=tuple(k.name for k in scenario.caravans),
        caravan_origin=caravan_origin,
        caravan_target=caravan_target,
        caravan_departures=caravan_departures,
        caravan_hazard=caravan_hazard,
    )
