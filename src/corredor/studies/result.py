"""The result of a study (every run's numbers, their bands, the paired differences).

``values[v, p, r, c]`` is output column ``c`` of variant ``v`` run with parameter set ``p`` and
seed ``r``. Every variant ran with the same sets and seeds (common random numbers), so the
*effect* of a variant is measured run by run: ``values[v] − values[base]`` for the same (p, r),
and its band is the band of those paired differences — narrower than either variant's own band,
because the noise both runs share cancels.

Bands pool the P × R runs, each weighted by its set's weight / R (weighted quantiles, NumPy's
linear rule with equal weights). The 90 % band is [p05, p95]; with few runs it is close to the
range of the runs (with 8 runs, p05 and p95 interpolate between the two smallest and the two
largest values), which the report says next to the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from corredor.ensemble.corridor_results import weighted_quantiles
from corredor.ensemble.parameter_sets import ParameterSet
from corredor.studies.outputs import OutputColumn
from corredor.studies.runner import CalibrationInfo, PreparedStudy, StudyTask, run_weights
from corredor.studies.schema import Study

__all__ = ["LEVELS", "StudyResult", "assemble"]

FloatArray = npt.NDArray[np.float64]
#: The quantiles reported: the 90 % band and the median.
LEVELS: tuple[tuple[str, float], ...] = (("p05", 0.05), ("median", 0.5), ("p95", 0.95))


@dataclass(frozen=True)
class StudyResult:
    """A finished study (module docstring)."""

    study: Study
    digest: str
    scenario: str
    calibration: CalibrationInfo
    variants: tuple[str, ...]
    labels: tuple[str, ...]
    base: int
    columns: tuple[OutputColumn, ...]
    sets: tuple[ParameterSet, ...]
    seeds: tuple[int, ...]
    values: FloatArray  # (V, P, R, C)
    branch_days: npt.NDArray[np.int64]  # (P, R, V)
    seconds: FloatArray  # (P, R)
    wall_seconds: float = float("nan")
    cpu_seconds: FloatArray | None = None  # (P, R) CPU seconds of each task
    notes: tuple[str, ...] = ()
    people_per_agent: int = 1
    start: str = ""

    @property
    def runs(self) -> int:
        return len(self.sets) * len(self.seeds)

    def weights(self) -> FloatArray:
        """(P·R,) weight of each run: its set's weight / R, normalised."""
        return run_weights(self.sets, self.seeds)

    def column(self, name: str) -> int:
        return [c.name for c in self.columns].index(name)

    def variant(self, name: str) -> int:
        return list(self.variants).index(name)

    def samples(self, variant: str, output: str) -> FloatArray:
        """(P·R,) the runs' values of one output for one variant."""
        v, c = self.variant(variant), self.column(output)
        return np.asarray(self.values[v, :, :, c].reshape(-1), dtype=np.float64)

    def paired(self, variant: str, output: str) -> FloatArray:
        """(P·R,) variant − baseline, run by run."""
        v, c = self.variant(variant), self.column(output)
        d = self.values[v, :, :, c] - self.values[self.base, :, :, c]
        return np.asarray(d.reshape(-1), dtype=np.float64)

    def _bands(self, x: FloatArray) -> dict[str, float]:
        w = self.weights()
        ok = ~np.isnan(x)
        if not ok.any():
            return {**{n: float("nan") for n, _ in LEVELS}, "mean": float("nan")}
        q = weighted_quantiles(x[:, None], w, [lv for _, lv in LEVELS])[:, 0]
        mean = float(np.sum(x[ok] * w[ok]) / np.sum(w[ok]))
        return {**{n: float(q[i]) for i, (n, _) in enumerate(LEVELS)}, "mean": mean}

    def absolute(self) -> pd.DataFrame:
        """Per variant and output: the runs' median, 90 % band and mean."""
        rows = []
        for v, name in enumerate(self.variants):
            for c in self.columns:
                b = self._bands(self.samples(name, c.name))
                rows.append(
                    {
                        "variant": name,
                        "output": c.name,
                        "label": c.label,
                        "unit": c.unit,
                        "runs": self.runs,
                        **b,
                        "baseline": v == self.base,
                    }
                )
        return pd.DataFrame(rows)

    def differences(self) -> pd.DataFrame:
        """Per variant (not the baseline) and output: the paired difference variant − baseline
        (median, 90 % band, mean), the baseline's median, the relative change of the medians,
        the share of runs in which the variant is higher / lower, and ``sign``: ``+`` or ``-``
        when the 90 % band excludes 0, else ``0``."""
        rows = []
        base = self.variants[self.base]
        for name in self.variants:
            if name == base:
                continue
            for c in self.columns:
                d = self.paired(name, c.name)
                b = self._bands(d)
                ok = ~np.isnan(d)
                base_med = self._bands(self.samples(base, c.name))["median"]
                var_med = self._bands(self.samples(name, c.name))["median"]
                sign = "0"
                if b["p05"] > 0:
                    sign = "+"
                elif b["p95"] < 0:
                    sign = "-"
                rows.append(
                    {
                        "variant": name,
                        "output": c.name,
                        "label": c.label,
                        "unit": c.unit,
                        "runs": int(ok.sum()),
                        **b,
                        "baseline_median": base_med,
                        "variant_median": var_med,
                        "relative": (b["median"] / base_med)
                        if base_med not in (0.0,) and np.isfinite(base_med)
                        else float("nan"),
                        "share_higher": float(np.mean(d[ok] > 0)) if ok.any() else float("nan"),
                        "share_lower": float(np.mean(d[ok] < 0)) if ok.any() else float("nan"),
                        "sign": sign,
                    }
                )
        return pd.DataFrame(rows)

    def per_run(self) -> pd.DataFrame:
        """Long table: variant, set, seed, output, value."""
        V, P, R, C = self.values.shape
        return pd.DataFrame(
            {
                "variant": np.repeat(np.asarray(self.variants, dtype=object), P * R * C),
                "set": np.tile(np.repeat(np.arange(P), R * C), V),
                "seed": np.tile(np.repeat(np.asarray(self.seeds), C), V * P),
                "output": np.tile(self._names(), V * P * R),
                "value": self.values.reshape(-1),
            }
        )

    def _names(self) -> npt.NDArray[np.object_]:
        return np.asarray([c.name for c in self.columns], dtype=object)

    def runs_table(self) -> pd.DataFrame:
        """One row per (set, seed): the day each variant branched off and the seconds."""
        P, R = self.seconds.shape
        rows: list[dict[str, Any]] = []
        for p in range(P):
            for r in range(R):
                row: dict[str, Any] = {"set": p, "seed": self.seeds[r]}
                row["seconds"] = float(self.seconds[p, r])
                for v, name in enumerate(self.variants):
                    row[f"branch_day:{name}"] = int(self.branch_days[p, r, v])
                rows.append(row)
        return pd.DataFrame(rows)


def assemble(
    prepared: PreparedStudy, tasks: list[StudyTask], *, wall_seconds: float = float("nan")
) -> StudyResult:
    """Stack the tasks (in task order) into a :class:`StudyResult`."""
    P, R = len(prepared.sets), len(prepared.seeds)
    V, C = len(prepared.variants), len(prepared.columns)
    by = sorted(tasks, key=lambda t: t.task)
    if [t.task for t in by] != list(range(P * R)):
        raise ValueError("a study result needs every task once")
    values = np.stack([t.values for t in by]).reshape(P, R, V, C).transpose(2, 0, 1, 3)
    branch_days = np.array([t.branch_days for t in by], dtype=np.int64).reshape(P, R, V)
    seconds = np.array([t.seconds for t in by], dtype=np.float64).reshape(P, R)
    cpu = np.array([t.cpu_seconds for t in by], dtype=np.float64).reshape(P, R)
    sc = prepared.variants[prepared.base].scenario
    return StudyResult(
        study=prepared.study,
        digest=prepared.digest(),
        scenario=str(sc.name),
        calibration=prepared.calibration,
        variants=tuple(v.name for v in prepared.variants),
        labels=tuple(v.label for v in prepared.variants),
        base=prepared.base,
        columns=prepared.columns,
        sets=prepared.set_info,
        seeds=prepared.seeds,
        values=np.ascontiguousarray(values),
        branch_days=branch_days,
        seconds=seconds,
        wall_seconds=float(wall_seconds),
        cpu_seconds=cpu,
        notes=prepared.notes,
        people_per_agent=prepared.people_per_agent,
        start=str(sc.start),
    )
