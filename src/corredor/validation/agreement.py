"""Statistical agreement between Corredor and Flee 3.1 on the same scenario.

Flee's reference outputs (one ``seed_<s>.csv`` per seed plus ``summary.json``) are produced by
``scripts/flee31_reference.py`` under ``pip install flee==3.1 mpich``. Corredor runs the same
scenario with the same ``hasten`` and ``flee31_quirks`` on, over its own seeds.

The test, per scenario (the family): Welch's two-sample t-test of equal means, two-sided, on

* the ARD and the rescaled ARD of each run, and
* each camp's population averaged over the simulated days,

with a Bonferroni-corrected level ``alpha / m`` (``m`` = number of tests in the family), plus an
equivalence margin so that "no significant difference" cannot come from noise alone: the ARD
means must be within ``ard_margin`` (absolute) and each camp's mean within ``camp_margin``
(relative to Flee's mean, with a floor of ``camp_floor`` agents).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from corredor.files.read import read_text
from corredor.results import RunResult
from corredor.results.ard import ard_per_day, ard_rescaled_per_day


@dataclass
class Comparison:
    name: str
    flee: npt.NDArray[np.float64]  # one value per Flee seed
    corredor: npt.NDArray[np.float64]  # one value per Corredor seed
    p_value: float
    margin: float  # allowed |difference of means|

    @property
    def difference(self) -> float:
        return float(self.corredor.mean() - self.flee.mean())

    def passes(self, level: float) -> bool:
        return self.p_value >= level and abs(self.difference) <= self.margin


@dataclass
class Agreement:
    scenario: str
    hasten: int
    alpha: float
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def level(self) -> float:
        """Bonferroni-corrected per-test level."""
        return self.alpha / max(len(self.comparisons), 1)

    @property
    def passed(self) -> bool:
        return all(c.passes(self.level) for c in self.comparisons)

    def failures(self) -> list[str]:
        return [
            f"{self.scenario}: {c.name}: Flee {c.flee.mean():.4g} vs Corredor "
            f"{c.corredor.mean():.4g} (p = {c.p_value:.2g}, level {self.level:.2g}; "
            f"|diff| {abs(c.difference):.3g}, margin {c.margin:.3g})"
            for c in self.comparisons
            if not c.passes(self.level)
        ]

    def markdown_rows(self) -> list[str]:
        rows = []
        for c in self.comparisons:
            rows.append(
                f"| {self.scenario}, hasten {self.hasten} | {c.name} | "
                f"{c.flee.mean():.4g} ± {c.flee.std(ddof=1):.2g} | "
                f"{c.corredor.mean():.4g} ± {c.corredor.std(ddof=1):.2g} | {c.p_value:.2f} | "
                f"{'yes' if c.passes(self.level) else '**no**'} |"
            )
        return rows


def read_flee_reference(fixture_dir: Path) -> tuple[dict[str, object], list[pd.DataFrame]]:
    summary = json.loads(read_text(fixture_dir / "summary.json"))
    runs = [
        pd.read_csv(io.StringIO(read_text(fixture_dir / f"seed_{s}.csv", root=fixture_dir)))
        for s in summary["seeds"]
    ]
    return summary, runs


def _welch(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    if np.array_equal(a, b) or (a.std() == 0 and b.std() == 0 and a.mean() == b.mean()):
        return 1.0
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def compare_with_flee(
    result: RunResult,
    fixture_dir: Path,
    *,
    alpha: float = 0.01,
    ard_margin: float = 0.02,
    camp_margin: float = 0.10,
    camp_floor: float = 20.0,
) -> Agreement:
    """Compare a multi-replica Corredor result with Flee 3.1's reference runs."""
    summary, runs = read_flee_reference(fixture_dir)
    camps = list(summary["camps"])  # type: ignore[call-overload]
    if camps != result.camp_names:
        raise ValueError(f"camps differ: Flee {camps} vs Corredor {result.camp_names}")
    obs = runs[0][[f"{c} data" for c in camps]].to_numpy(dtype=np.float64)
    fsim = np.stack([r[[f"{c} sim" for c in camps]].to_numpy(dtype=np.float64) for r in runs])
    csim = result.camp_sim().astype(np.float64)
    out = Agreement(scenario=result.scenario, hasten=int(summary["hasten"]), alpha=alpha)  # type: ignore[call-overload]
    for label, fn in (("ARD", ard_per_day), ("rescaled ARD", ard_rescaled_per_day)):
        f = np.array([fn(s, obs).mean() for s in fsim])
        c = np.array([fn(s, result.observed).mean() for s in csim])
        out.comparisons.append(Comparison(label, f, c, _welch(f, c), ard_margin))
    fmean, cmean = fsim.mean(axis=1), csim.mean(axis=1)
    for j, camp in enumerate(camps):
        f, c = fmean[:, j], cmean[:, j]
        margin = max(camp_margin * abs(f.mean()), camp_floor)
        out.comparisons.append(Comparison(f"{camp} (mean population)", f, c, _welch(f, c), margin))
    return out
