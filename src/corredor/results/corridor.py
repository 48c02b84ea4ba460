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
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from corredor.engine.loop import AgentBudgetError
from corredor.files.atomic import new_folder
from corredor.files.read import cache_key
from corredor.policy.events import PolicyEvent
from corredor.rules.corridor.compiled import BORDER_CITY, Compiled
from corredor.rules.corridor.state import EV_APPREHEND, EVENT_KINDS, TARGET_OF, Phase
from corredor.scenario.corridor.observed import ObservedRow, observed_rows
from corredor.trackers.corridor.ledger import yearly_ledger

if TYPE_CHECKING:
    from corredor.scenario.corridor import CorridorScenario

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
        columns = ["observable", "unit", "period_start", "period_end", "observed"]
        columns += ["value_type", "simulated", "fit"]
        out: dict[str, list[Any]] = {c: [] for c in columns}
        cum = np.vstack([np.zeros(self.obs_daily.shape[1]), np.cumsum(self.obs_daily, axis=0)])
        day0 = self.start.toordinal()
        for i, ob in enumerate(sc.observables):
            if ob.data is None:
                continue
            rows, first, last = _observed(sc, i)  # the one reader of observed data, kept
            a = first - day0
            b = last - day0 + 1
            keep = np.flatnonzero((a >= 0) & (b <= self.days))
            picked = [rows[j] for j in keep.tolist()]
            out["observable"] += [ob.name] * len(picked)
            out["unit"] += [ob.unit] * len(picked)
            out["period_start"] += [r.start for r in picked]
            out["period_end"] += [r.end for r in picked]
            out["observed"] += [r.value for r in picked]
            out["value_type"] += [r.value_type for r in picked]
            out["simulated"] += (cum[b[keep], i] - cum[a[keep], i]).tolist()
            out["fit"] += [ob.fit] * len(picked)
        if not out["observable"]:
            return pd.DataFrame([], columns=columns)
        return pd.DataFrame(out, columns=columns)

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
        # one pass over the counts (np.nonzero of a 4-d array makes four)
        flat = np.flatnonzero(self.events)
        m, k, x, g = np.unravel_index(flat, self.events.shape)
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
                # object arrays (not lists: faster); none at all: an empty list, as before
                "target": targets[k, x] if flat.size else [],
                "group": groups[g] if flat.size else [],
                "events": self.events.reshape(-1)[flat],
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


#: the observed rows of an observable, with their first and last days as ordinals, kept per
#: (the data file's real path, modification time and size; the scenario's folder; the
#: observable's data settings; the calibration horizon): a web worker reads them on every run
_OBSERVED: dict[tuple[Any, ...], tuple[list[ObservedRow], npt.NDArray[np.int64],
                                        npt.NDArray[np.int64]]] = {}  # fmt: skip
_OBSERVED_MAX = 256


def _observed(
    sc: CorridorScenario, i: int
) -> tuple[list[ObservedRow], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """:func:`observed_rows` of observable ``i`` of ``sc``, with their periods as ordinals
    (kept while the data file is unchanged)."""
    data = sc.observables[i].data
    assert data is not None
    stamp = cache_key(sc.base_dir / data.file, root=sc.base_dir, what="observed data file")
    key = (stamp, str(sc.base_dir), data.model_dump_json(), str(sc.calibration_horizon))
    hit = _OBSERVED.get(key) if stamp is not None else None
    if hit is not None:
        return hit
    rows = observed_rows(sc, i)
    first = np.array([r.start.toordinal() for r in rows], dtype=np.int64)
    last = np.array([r.end.toordinal() for r in rows], dtype=np.int64)
    if stamp is not None:
        if len(_OBSERVED) >= _OBSERVED_MAX:
            _OBSERVED.clear()
        _OBSERVED[key] = (rows, first, last)
    return rows, first, last
