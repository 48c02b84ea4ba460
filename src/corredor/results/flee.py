"""What a run returns: plain arrays plus pandas views of them.

A ``RunResult`` holds one or more replicas of the same scenario (same parameters, different
random streams). Arrays have a leading replica axis ``R``. Nothing here knows how the numbers were
made; the engine fills them, trackers define them, the store and the report read them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from corredor.results.ard import ard_per_day, ard_rescaled_per_day

if TYPE_CHECKING:  # pandas is imported when a table is asked for, not with a run
    import pandas as pd

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass
class RunResult:
    """Results of ``corredor.run``: ``R`` replicas × ``T`` days × ``L`` locations.

    Attributes:
        scenario: scenario name (directory name for Flee scenarios).
        scenario_path: where the scenario was read from.
        seeds: random seed of each replica (length R).
        start_date: calendar date of day 0.
        location_names, location_kinds, location_countries, lat, lon: one entry per location.
        counts: agents at each location at the end of each day, shape (R, T, L).
        camp_names: locations whose series are validated (Flee camps), length C.
        camp_index: index of each camp in ``location_names``.
        observed: observed camp series (interpolated, corrected, scaled), shape (T, C).
        observed_total: the raw observed total (Flee's ``raw UNHCR refugee count``), shape (R, T).
        agents_total: agents alive at the end of each day, shape (R, T).
        refugee_debt: Flee's spawning debt at the end of each day, shape (R, T).
        elapsed_s: wall-clock seconds per replica (R,).
        agent_steps: Σ over days of agents alive at the end of the day, per replica (R,).
        settings: the effective rule settings (plain dict, for the record).
    """

    scenario: str
    scenario_path: Path
    seeds: list[int]
    start_date: dt.date
    location_names: list[str]
    location_kinds: list[str]
    location_countries: list[str]
    lat: FloatArray
    lon: FloatArray
    counts: IntArray
    camp_names: list[str]
    camp_index: IntArray
    observed: FloatArray
    observed_total: FloatArray
    agents_total: IntArray
    refugee_debt: IntArray
    elapsed_s: FloatArray
    agent_steps: IntArray
    settings: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    warnings: list[str] = field(default_factory=list)
    """Things the user should know about the input (for example settings Flee 3.1 ignores)."""

    # ------------------------------------------------------------------ shapes
    @property
    def replicas(self) -> int:
        return int(self.counts.shape[0])

    @property
    def days(self) -> int:
        return int(self.counts.shape[1])

    @property
    def dates(self) -> list[dt.date]:
        return [self.start_date + dt.timedelta(days=t) for t in range(self.days)]

    def camp_sim(self) -> IntArray:
        """Simulated camp populations, shape (R, T, C)."""
        return self.counts[:, :, self.camp_index]

    # ------------------------------------------------------------------ metric
    def ard_per_day(self, rescaled: bool = False) -> FloatArray:
        """Flee's averaged relative difference for each replica and day, shape (R, T)."""
        fn = ard_rescaled_per_day if rescaled else ard_per_day
        sim = self.camp_sim().astype(np.float64)
        return np.stack([fn(sim[r], self.observed) for r in range(self.replicas)])

    @property
    def ard(self) -> FloatArray:
        """ARD of each replica (mean over days), shape (R,)."""
        return np.asarray(self.ard_per_day(False).mean(axis=1), dtype=np.float64)

    @property
    def ard_rescaled(self) -> FloatArray:
        """Rescaled ARD of each replica (mean over days), shape (R,)."""
        return np.asarray(self.ard_per_day(True).mean(axis=1), dtype=np.float64)

    # ------------------------------------------------------------------ frames
    def daily_counts(self) -> pd.DataFrame:
        """Long table: replica, seed, day, date, location, count (every location, every day)."""
        import pandas as pd  # noqa: PLC0415 - a table's import, not a run's (TYPE_CHECKING above)

        R, T, L = self.counts.shape
        dates = np.array(self.dates, dtype="datetime64[D]")
        return pd.DataFrame(
            {
                "replica": np.repeat(np.arange(R, dtype=np.int32), T * L),
                "seed": np.repeat(np.asarray(self.seeds, dtype=np.int64), T * L),
                "day": np.tile(np.repeat(np.arange(T, dtype=np.int32), L), R),
                "date": np.tile(np.repeat(dates, L), R),
                "location": pd.Categorical(
                    np.tile(np.asarray(self.location_names, dtype=object), R * T),
                    categories=self.location_names,
                ),
                "count": self.counts.reshape(-1),
            }
        )

    def camps(self, replica: int = 0) -> pd.DataFrame:
        """Flee's ``out.csv`` for one replica, same column names and order as Flee 3.1."""
        import pandas as pd  # noqa: PLC0415 - a table's import, not a run's (TYPE_CHECKING above)

        sim = self.camp_sim()[replica]
        obs = self.observed
        cols: dict[str, Any] = {
            "Day": np.arange(self.days),
            "Date": [d.isoformat() for d in self.dates],
        }
        with np.errstate(divide="ignore", invalid="ignore"):
            for c, name in enumerate(self.camp_names):
                cols[f"{name} sim"] = sim[:, c]
                cols[f"{name} data"] = obs[:, c]
                err = np.abs(sim[:, c] / obs[:, c] - 1.0)
                cols[f"{name} error"] = np.where(obs[:, c] > 0, err, np.nan)
            raw = self.observed_total[replica]
            abs_err = np.abs(sim - obs).sum(axis=1)
            cols["Total error"] = np.where(raw > 0, abs_err / np.maximum(raw, 1), 0.0)
        recorded = raw > 0  # Flee 3.1 writes 0 in all six total columns until then
        cols["refugees in camps (UNHCR)"] = np.where(recorded, obs.sum(axis=1), 0).astype(np.int64)
        cols["total refugees (simulation)"] = np.where(recorded, self.agents_total[replica], 0)
        cols["raw UNHCR refugee count"] = raw.astype(np.int64)
        cols["refugees in camps (simulation)"] = np.where(recorded, sim.sum(axis=1), 0)
        cols["refugee_debt"] = np.where(recorded, self.refugee_debt[replica], 0)
        return pd.DataFrame(cols)

    def summary(self) -> dict[str, Any]:
        """Headline numbers (means over replicas where there are several)."""
        elapsed = float(self.elapsed_s.sum())
        steps = int(self.agent_steps.sum())
        return {
            "scenario": self.scenario,
            "replicas": self.replicas,
            "days": self.days,
            "agents_final": float(self.agents_total[:, -1].mean()),
            "ard": float(self.ard.mean()),
            "ard_sd": float(self.ard.std(ddof=1)) if self.replicas > 1 else 0.0,
            "ard_rescaled": float(self.ard_rescaled.mean()),
            "ard_rescaled_sd": float(self.ard_rescaled.std(ddof=1)) if self.replicas > 1 else 0.0,
            "seconds": elapsed,
            "agent_steps": steps,
            "agent_steps_per_s": steps / elapsed if elapsed > 0 else float("nan"),
        }
