"""Results of a corridor run: observables next to their observed data, and the ledger.

:func:`corredor.simulation.corridor.run_corridor` runs one replica of a corridor scenario and
returns a :class:`CorridorResult` with

* ``observables``: per observable and observed row, the observed value and the simulated value
  summed over exactly the row's period (``observed_vs_simulated``), and a one-line-per-observable
  summary (``fit_table``);
* ``ledger()``: the human-cost ledger of docs/model.md §3.3.10 per calendar year;
* ``monthly()``: every observable per month, and destination-border encounters split into
  first and repeat encounters;
* ``events``: every event per month × kind × target × group (``events_frame``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from corredor.engine.loop import AgentBudgetError
from corredor.files.atomic import new_folder
from corredor.policy.events import PolicyEvent
from corredor.rules.corridor.compiled import BORDER_CITY, Compiled
from corredor.rules.corridor.state import EV_APPREHEND, EVENT_KINDS, TARGET_OF, Phase
from corredor.scenario.corridor.observed import observed_rows
from corredor.trackers.corridor.ledger import yearly_ledger

__all__ = ["AgentBudgetError", "CorridorResult"]


@dataclass
class CorridorResult:
    scenario: str
    seed: int
    days: int
    compiled: Compiled
    obs_daily: npt.NDArray[np.float64]
    events: npt.NDArray[np.int64]
    dest_first: npt.NDArray[np.int64]
    dest_repeat: npt.NDArray[np.int64]
    dest_people_fy: npt.NDArray[np.int64]
    unscreened_year: npt.NDArray[np.int64]
    wait_sum: npt.NDArray[np.float64]
    wait_n: npt.NDArray[np.float64]
    stranded: npt.NDArray[np.int32]
    #: people waiting in each border city for a dated hearing (a return-to-wait programme)
    hearing_waiting: npt.NDArray[np.int32]
    phase_stock: npt.NDArray[np.int32]
    svc_stock: npt.NDArray[np.int32]
    final_phase: npt.NDArray[np.int64]
    agents: int
    seconds: float
    warnings: list[str] = field(default_factory=list)
    #: agent-days spent active (not settled nor out of the corridor): the sum over the days of
    #: the active agents at the end of each day, what the run's time grows with
    agent_days: int = 0
    #: policy events a controller adopted during the run (empty for an exogenous run)
    adopted_events: tuple[PolicyEvent, ...] = ()
    #: arrivals per month at the end of each directed link (``Compiled.link_from/link_to``)
    link_flow: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros((0, 0), np.int64))

    # ------------------------------------------------------------------ dates
    @property
    def start(self) -> dt.date:
        return self.compiled.start

    def dates(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=self.days, freq="D")

    # ------------------------------------------------------------------ observables
    def daily_observables(self) -> pd.DataFrame:
        names = [o.name for o in self.compiled.scenario.observables]
        return pd.DataFrame(self.obs_daily, index=self.dates(), columns=names)

    def monthly(self) -> pd.DataFrame:
        """Every observable per month, plus first and repeat destination-border encounters."""
        df = self.daily_observables().resample("MS").sum()
        m = df.shape[0]
        df["dest_encounters_first"] = self.dest_first.sum(axis=1)[:m]
        df["dest_encounters_repeat"] = self.dest_repeat.sum(axis=1)[:m]
        return df

    def observed_vs_simulated(self) -> pd.DataFrame:
        """One row per observed data row: period, observed value, simulated value, and whether
        the calibration fits the observable (``fit``: false for ``fit: false`` observables).

        The simulated value sums the observable over exactly the row's period; rows reaching
        outside the simulated days are left out.
        """
        sc = self.compiled.scenario
        rows: list[dict[str, Any]] = []
        cum = np.vstack([np.zeros(self.obs_daily.shape[1]), np.cumsum(self.obs_daily, axis=0)])
        for i, ob in enumerate(sc.observables):
            if ob.data is None:
                continue
            for row in observed_rows(sc, i):  # the one reader of observed data
                period_start, period_end, value = row.start, row.end, row.value
                vtype = row.value_type
                a = (period_start - self.start).days
                b = (period_end - self.start).days + 1
                if a < 0 or b > self.days:
                    continue
                rows.append(
                    {
                        "observable": ob.name,
                        "unit": ob.unit,
                        "period_start": period_start,
                        "period_end": period_end,
                        "observed": value,
                        "value_type": vtype,
                        "simulated": float(cum[b, i] - cum[a, i]),
                        "fit": ob.fit,
                    }
                )
        columns = ["observable", "unit", "period_start", "period_end", "observed"]
        return pd.DataFrame(rows, columns=[*columns, "value_type", "simulated", "fit"])

    def fit_table(self, observed_vs_simulated: pd.DataFrame | None = None) -> pd.DataFrame:
        """Per observable: rows compared, observed and simulated totals, their ratio, the
        correlation of the rows (monthly series) — computed, never typed in — and whether the
        calibration fits it (``fitted``: false for ``fit: false`` observables).
        ``observed_vs_simulated``: :meth:`observed_vs_simulated`'s table, when already made."""
        ovs = observed_vs_simulated
        if ovs is None:
            ovs = self.observed_vs_simulated()
        out = []
        for name, g in ovs.groupby("observable", sort=False) if len(ovs) else []:
            obs, sim = g["observed"].to_numpy(float), g["simulated"].to_numpy(float)
            r = (
                float(np.corrcoef(obs, sim)[0, 1])
                if len(g) > 2 and obs.std() > 0 and sim.std() > 0
                else float("nan")
            )
            out.append(
                {
                    "observable": name,
                    "rows": len(g),
                    "observed": obs.sum(),
                    "simulated": sim.sum(),
                    "ratio": sim.sum() / obs.sum() if obs.sum() > 0 else float("nan"),
                    "correlation": r,
                    "fitted": bool(g["fit"].all()),
                }
            )
        columns = ["observable", "rows", "observed", "simulated", "ratio", "correlation"]
        return pd.DataFrame(out, columns=[*columns, "fitted"])

    # ------------------------------------------------------------------ events
    def events_frame(self) -> pd.DataFrame:
        """Non-zero event counts: month, kind, target, group, count."""
        c = self.compiled
        m, k, x, g = np.nonzero(self.events)
        months = pd.date_range(self.start.replace(day=1), periods=self.events.shape[0], freq="MS")
        names = {
            "service": c.svc_names,
            "zone": c.zone_names,
            "location": c.loc_names,
        }
        # the name of target x of event kind k ("" past the end of its list), by table look-up
        width = max(self.events.shape[2], 1)
        targets = np.full((len(EVENT_KINDS), width), "", dtype=object)
        for kk in range(len(EVENT_KINDS)):
            listed = list(names[TARGET_OF[kk]])[:width]
            targets[kk, : len(listed)] = listed
        groups = np.array([c.group_name(gg) for gg in range(c.n_groups)], dtype=object)
        return pd.DataFrame(
            {
                "month": months[m],
                "kind": np.array(EVENT_KINDS)[k],
                "target": targets[k, x].tolist(),
                "group": groups[g].tolist(),
                "events": self.events[m, k, x, g],
            }
        )

    def _yearly(self, kind: int) -> pd.Series:
        ev = self.events[:, kind]
        months = pd.date_range(self.start.replace(day=1), periods=ev.shape[0], freq="MS")
        per_month = ev.reshape(ev.shape[0], -1).sum(axis=1)
        return pd.Series(per_month, index=months).groupby(months.year).sum()

    # ------------------------------------------------------------------ ledger
    def ledger(self) -> pd.DataFrame:
        """The human-cost ledger (docs/model.md §3.3.10) per calendar year
        (:func:`corredor.trackers.corridor.ledger.yearly_ledger`)."""
        return yearly_ledger(self)

    def link_flows(self) -> pd.DataFrame:
        """People moving along each link per month (arrivals at its end; in agents, like every
        count of a run), non-zero rows: month, from, to, arrivals."""
        c = self.compiled
        m, e = np.nonzero(self.link_flow)
        n_months = self.link_flow.shape[0]
        months = pd.date_range(self.start.replace(day=1), periods=n_months, freq="MS")
        names = np.array(c.loc_names, dtype=object)
        return pd.DataFrame(
            {
                "month": months[m],
                "from": names[c.link_from[e]],
                "to": names[c.link_to[e]],
                "arrivals": self.link_flow[m, e],
            }
        )

    def border_city_stranded(self) -> pd.DataFrame:
        """People stranded per border city per day (waiting, on a port list, or for a hearing)."""
        names = [
            self.compiled.loc_names[i]
            for i in np.flatnonzero(self.compiled.loc_kind == BORDER_CITY)
        ]
        return pd.DataFrame(self.stranded, index=self.dates(), columns=names)

    def people_vs_events(self) -> pd.DataFrame:
        """Destination-border encounters per US fiscal year: events and distinct people."""
        c = self.compiled
        fy0 = self.start.year + (1 if self.start.month >= 10 else 0)
        Z = len(c.zone_names)
        ap = self.events[:, EV_APPREHEND][:, :Z][:, c.zone_in_dest].sum(axis=(1, 2))
        months = pd.date_range(self.start.replace(day=1), periods=ap.shape[0], freq="MS")
        fy = months.year + (months.month >= 10)
        events = pd.Series(ap, index=months).groupby(fy).sum()
        people = pd.Series(self.dest_people_fy, index=range(fy0, fy0 + len(self.dest_people_fy)))
        rep = pd.Series(self.dest_repeat.sum(axis=1), index=months).groupby(fy).sum()
        return pd.DataFrame({"encounters": events, "people": people, "repeat_encounters": rep})

    def summary_rows(self) -> list[tuple[str, str]]:
        fin = self.final_phase
        return [
            ("scenario", self.scenario),
            ("seed", str(self.seed)),
            ("days", f"{self.days} ({self.start} – {self.start + dt.timedelta(self.days - 1)})"),
            ("agents (people)", f"{self.agents:,}"),
            *((f"  {p.name.lower()}", f"{int(fin[p]):,}") for p in Phase),
            ("wall time", f"{self.seconds:.1f} s"),
        ]

    # ------------------------------------------------------------------ files
    def write(self, folder: str | Path) -> Path:
        """Write the run's tables (CSV + Parquet) to the new folder ``folder``, as a whole
        (:func:`corredor.files.atomic.new_folder`: a killed run leaves no half-written folder,
        and an existing folder is never replaced). The results store keeps runs too
        (``corredor run``, ``ResultsStore.save``)."""
        folder = Path(folder)
        with new_folder(folder) as tmp:
            self.observed_vs_simulated().to_csv(tmp / "observed_vs_simulated.csv", index=False)
            self.fit_table().to_csv(tmp / "fit.csv", index=False)
            self.monthly().to_csv(tmp / "monthly.csv", index_label="month")
            self.ledger().to_csv(tmp / "ledger.csv")
            self.border_city_stranded().to_parquet(tmp / "stranded.parquet")
            self.events_frame().to_parquet(tmp / "events.parquet")
            self.people_vs_events().to_csv(tmp / "people_vs_events.csv", index_label="fiscal_year")
            (tmp / "run.txt").write_text(
                "".join(f"{k}: {v}\n" for k, v in self.summary_rows()), encoding="utf-8"
            )
        return folder
