"""What the two states observe in a corridor run (``docs/bargaining.md`` §10).

:class:`CorridorView` finds, from the compiled corridor and the two countries' names, the
enforcement zones, services and border cities of the transit state and of the hegemon, and reads
from a run's recorder (or a finished :class:`~corredor.results.corridor.CorridorResult`,
which holds the same arrays):

* cumulative counts (:meth:`CorridorView.counts`): ``arrivals`` — encounters of people who are
  nationals of neither state at the hegemon's border (apprehensions in its enforcement zones plus
  joins of port-intake queues), what the hegemon observes; ``transit_apprehensions`` (in the
  transit state's zones), ``visas`` (grants at its visa offices), ``deportations`` (from its
  detention services), ``deportations_unscreened`` (deportations without protection screening),
  ``mpp_returns`` (returns to wait of non-nationals) and ``entries_undetected``;
* stocks: people stranded in the transit state's border cities (waiting, on a port's list or
  for a hearing) and its asylum backlog (queued or in service at its asylum offices).

Nothing here is specific to a corridor: everything follows from location kinds, service kinds
and countries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from corredor.engine.services import Verb
from corredor.errors import ScenarioError
from corredor.rules.corridor.compiled import BORDER_CITY, DETENTION_KIND, PORT_KIND
from corredor.rules.corridor.state import EV_APPREHEND, EV_EVADE, EV_JOIN

if TYPE_CHECKING:
    from corredor.rules.corridor.compiled import Compiled

IntArray = npt.NDArray[np.int64]

#: The cumulative counts :meth:`CorridorView.counts` returns, in order.
COUNTS: tuple[str, ...] = (
    "arrivals",
    "transit_apprehensions",
    "visas",
    "deportations",
    "deportations_unscreened",
    "mpp_returns",
    "entries_undetected",
)


class Recorded(Protocol):
    """The arrays a run's recorder and a finished corridor result both hold."""

    events: npt.NDArray[np.int64]
    unscreened_year: npt.NDArray[np.int64]
    stranded: npt.NDArray[np.int32]
    svc_stock: npt.NDArray[np.int32]


def _where(mask: Any) -> IntArray:
    return np.flatnonzero(np.asarray(mask, dtype=bool)).astype(np.int64)


class CorridorView:
    """The transit state's and the hegemon's view of a compiled corridor."""

    def __init__(self, compiled: Compiled, transit: str, hegemon: str) -> None:

        c = compiled
        countries = set(c.loc_country)
        for name, role in ((transit, "transit"), (hegemon, "hegemon")):
            if name not in countries:
                raise ScenarioError(
                    c.scenario.path,
                    f"no location is in the {role} country {name!r}",
                    field=f"bargaining.{role}",
                    expected="a country of locations.csv: " + ", ".join(sorted(countries)),
                )
        svc_country = np.array([c.loc_country[i] for i in c.svc_loc], dtype=object)
        kinds = np.array(c.svc_kind, dtype=object)
        zone_country = svc_country[c.zone_detention] if len(c.zone_names) else np.array([])
        nat_country = np.array([c.nat_country[n] for n in c.group_nat], dtype=object)
        self.compiled = c
        self.hegemon_zones = _where(zone_country == hegemon)
        self.transit_zones = _where(zone_country == transit)
        self.ports = _where((kinds == PORT_KIND) & np.isin(svc_country, [transit, hegemon]))
        self.visa_offices = _where((kinds == "visa_office") & (svc_country == transit))
        self.asylum_offices = _where((kinds == "asylum_office") & (svc_country == transit))
        self.detention = _where((kinds == DETENTION_KIND) & (svc_country == transit))
        #: groups that are nationals of neither state (the flow the hegemon's demand is about)
        self.foreign = _where(~np.isin(nat_country, [transit, hegemon]))
        border = np.flatnonzero(c.loc_kind == BORDER_CITY)
        #: columns of the recorder's ``stranded`` array that are the transit state's cities
        self.border_cities = _where(np.array([c.loc_country[i] == transit for i in border]))

    def counts(self, r: Recorded) -> dict[str, float]:
        """Cumulative counts (module docstring) of everything recorded so far."""

        ev = r.events
        foreign = self.foreign

        def total(kind: int, targets: IntArray | None, groups: IntArray | None) -> float:
            block = ev[:, kind]
            if targets is not None:
                block = block[:, targets]
            if groups is not None:
                block = block[..., groups]
            return float(block.sum())

        return {
            "arrivals": total(EV_APPREHEND, self.hegemon_zones, foreign)
            + total(EV_JOIN, self.ports, foreign),
            "transit_apprehensions": total(EV_APPREHEND, self.transit_zones, None),
            "visas": total(int(Verb.GRANT), self.visa_offices, None),
            "deportations": total(int(Verb.DEPORT), self.detention, None),
            "deportations_unscreened": float(r.unscreened_year.sum()),
            "mpp_returns": total(int(Verb.RETURN_TO_WAIT), None, foreign),
            "entries_undetected": total(EV_EVADE, None, foreign),
        }

    def stranded_mean(self, r: Recorded, day0: int, day1: int) -> float:
        """Mean people stranded in the transit state's border cities over days [day0, day1)."""
        if day1 <= day0:
            return 0.0
        block = r.stranded[day0:day1][:, self.border_cities]
        return float(block.sum(axis=1).mean())

    def backlog(self, r: Recorded, day: int) -> float:
        """Asylum cases queued or in service at the transit state's offices at the end of
        ``day``."""
        if day < 0:
            return 0.0
        return float(r.svc_stock[day, self.asylum_offices, :2].sum())
