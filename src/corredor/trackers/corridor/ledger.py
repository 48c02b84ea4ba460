"""The human-cost ledger (docs/model.md §3.3.10): per calendar year, from what the recorder kept.

Entries (``<t>``, ``<tn>``, ``<d>``, ``<rtw>`` are the scenario's ledger labels,
``roles.labels``: the transit state, its nationals, the destination, the return-to-wait
programme; the *transit* services and zones are those in ``roles.transit_country``, or
everything outside the destination when the scenario names none):

* ``stranded_person_days``, ``stranded_end_of_year``: people in border cities waiting to cross,
  on a port's list or waiting for a dated hearing;
* ``<rtw>_waiting_person_days``: people returned to wait for a dated hearing;
* ``asylum_backlog_<t>_end``: queued or in service at the transit state's asylum offices;
  ``court_backlog_<d>_end``: at the immigration courts (queued, in service or waiting);
* ``detention_days_<t>``, ``detention_days_<d>``: person-days in detention;
* ``asylum_wait_<t>_days``, ``court_wait_<d>_days``: mean days from joining to leaving, of the
  people who left that year;
* ``deportations_without_screening``;
* ``apprehensions_<t>_non_<tn>``, ``apprehensions_<d>_non_<tn>`` and
  ``externalization_share`` (the transit state's share of the apprehensions of people who are
  not its nationals; all people when the scenario names no transit country);
* ``children_apprehended`` (unaccompanied children and accompanied minors);
  ``family_members_detained_in_<d>`` (a proxy of family separation);
* ``deportations``, ``expulsions``, ``returned_to_wait``, ``entries_undetected``,
  ``harm_events``: events per year.

Trackers observe: this module only reads a finished run's arrays.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from corredor.engine.services import Verb
from corredor.rules.corridor.compiled import Compiled
from corredor.rules.corridor.kinds import ASYLUM_KIND, COURT_KIND, DETENTION_KIND
from corredor.rules.corridor.state import EV_APPREHEND, EV_EVADE, EV_JOIN, EVENT_KINDS

#: Demographic groups counted as children.
CHILDREN = ("unaccompanied_child", "accompanied_minor")
#: The demographic group of family-unit members.
FAMILY = "family_unit_member"


class RecordedRun(Protocol):
    """The arrays of a finished corridor run the ledger reads (a ``CorridorResult``)."""

    compiled: Compiled
    days: int
    stranded: npt.NDArray[np.int32]
    hearing_waiting: npt.NDArray[np.int32]
    svc_stock: npt.NDArray[np.int32]
    wait_sum: npt.NDArray[np.float64]
    wait_n: npt.NDArray[np.float64]
    unscreened_year: npt.NDArray[np.int64]
    events: npt.NDArray[np.int64]

    @property
    def start(self) -> dt.date: ...


def transit_masks(c: Compiled) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Per service and per zone, whether it belongs to the transit state (module docstring)."""
    country = c.scenario.roles.transit_country
    svc_country = np.array(c.loc_country, dtype=object)[c.svc_loc]
    in_transit = ~c.loc_in_dest[c.svc_loc] if country is None else svc_country == country
    zone_transit = in_transit[c.zone_detention] if len(c.zone_names) else np.zeros(0, bool)
    return np.asarray(in_transit, dtype=bool), np.asarray(zone_transit, dtype=bool)


def yearly_ledger(run: RecordedRun) -> pd.DataFrame:
    """The ledger per calendar year (module docstring)."""
    c = run.compiled
    lab = c.scenario.roles.labels
    t, tn, d = lab.transit, lab.transit_nationals, lab.destination
    dates = pd.date_range(run.start, periods=run.days, freq="D")
    kinds = np.array(c.svc_kind)
    in_dest_svc = c.loc_in_dest[c.svc_loc]
    transit_svc, transit_zone = transit_masks(c)
    asylum_t = (kinds == ASYLUM_KIND) & transit_svc
    detention_t = (kinds == DETENTION_KIND) & transit_svc
    detention_d = (kinds == DETENTION_KIND) & in_dest_svc
    courts = kinds == COURT_KIND
    st = run.svc_stock.astype(float)  # (T, S, [queued, in service, waiting])
    daily = pd.DataFrame(
        {
            "stranded": run.stranded.sum(axis=1),
            "hearing": run.hearing_waiting.sum(axis=1),
            "asylum": st[:, asylum_t, :2].sum(axis=(1, 2)),
            "court": st[:, courts].sum(axis=(1, 2)),
            "det_t": st[:, detention_t, :2].sum(axis=(1, 2)),
            "det_d": st[:, detention_d, :2].sum(axis=(1, 2)),
        },
        index=dates,
    )
    g = daily.groupby(dates.year)
    out = pd.DataFrame(
        {
            "stranded_person_days": g["stranded"].sum(),
            "stranded_end_of_year": g["stranded"].last(),
            f"{lab.return_to_wait}_waiting_person_days": g["hearing"].sum(),
            f"asylum_backlog_{t}_end": g["asylum"].last(),
            f"court_backlog_{d}_end": g["court"].last(),
            f"detention_days_{t}": g["det_t"].sum(),
            f"detention_days_{d}": g["det_d"].sum(),
        }
    )
    y0 = int(out.index[0])
    years = range(y0, y0 + run.wait_sum.shape[0])
    # waits of people served (days from joining to leaving)
    for name, mask in ((f"asylum_wait_{t}_days", asylum_t), (f"court_wait_{d}_days", courts)):
        ws, wn = run.wait_sum[:, mask].sum(axis=1), run.wait_n[:, mask].sum(axis=1)
        out[name] = pd.Series(np.where(wn > 0, ws / np.maximum(wn, 1), np.nan), index=years)
    out["deportations_without_screening"] = pd.Series(
        run.unscreened_year.sum(axis=1), index=range(y0, y0 + run.unscreened_year.shape[0])
    )
    country = c.scenario.roles.transit_country
    others = np.array([country is None or c.nat_country[n] != country for n in c.group_nat])
    ap = run.events[:, EV_APPREHEND]  # (M, X, G)
    months = pd.date_range(run.start.replace(day=1), periods=ap.shape[0], freq="MS")
    Z = len(c.zone_names)

    def per_year(x: npt.NDArray[np.int64]) -> pd.Series:
        return pd.Series(x, index=months).groupby(months.year).sum()

    t_y = per_year(ap[:, :Z][:, transit_zone][:, :, others].sum(axis=(1, 2)))
    d_y = per_year(ap[:, :Z][:, c.zone_in_dest][:, :, others].sum(axis=(1, 2)))
    out[f"apprehensions_{t}_non_{tn}"] = t_y
    out[f"apprehensions_{d}_non_{tn}"] = d_y
    out["externalization_share"] = t_y / (t_y + d_y).where((t_y + d_y) > 0)
    children = np.array([c.dem_names[k] in CHILDREN for k in c.group_dem])
    out["children_apprehended"] = per_year(ap[:, :Z][:, :, children].sum(axis=(1, 2)))
    fam = np.array([c.dem_names[k] == FAMILY for k in c.group_dem])
    joins = run.events[:, EV_JOIN][:, : len(c.svc_names)][:, detention_d]
    out[f"family_members_detained_in_{d}"] = per_year(joins[:, :, fam].sum(axis=(1, 2)))
    for name, kind in (
        ("deportations", int(Verb.DEPORT)),
        ("expulsions", int(Verb.EXPEL)),
        ("returned_to_wait", int(Verb.RETURN_TO_WAIT)),
        ("entries_undetected", EV_EVADE),
        ("harm_events", EVENT_KINDS.index("harm")),
    ):
        ev = run.events[:, kind]
        out[name] = per_year(ev.reshape(ev.shape[0], -1).sum(axis=1))
    out.index.name = "year"
    return out
