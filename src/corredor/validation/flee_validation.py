"""Validation of Corredor on Flee's own scenarios: ARD and rescaled ARD over seeds, next to
Flee 3.1's.

For each Flee scenario Corredor is run with ``corredor.run(name, seed=first_seed,
replicas=seeds, hasten=h)`` twice: with the scenario's own settings (``flee31_quirks`` as the
scenario says, i.e. off for every built-in one: Flee 3.1's bugs fixed) and with
``flee31_quirks=True`` (the bugs reproduced). Its ARDs are the run summary's
(:attr:`corredor.results.RunResult.ard`: Flee's validator formula, camp sums as totals).

Flee 3.1's numbers come from the reference fixtures made by ``scripts/flee31_reference.py``
(``<dir>/<scenario>_h<hasten>/``): the per-seed ARDs of ``summary.json``, or, for a fixture
without one, computed from its ``seed_<s>.csv`` out.csv files exactly as Flee's validator does
(totals from the ``refugees in camps`` columns). Means ± sample standard deviations (ddof 1).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from corredor.files.read import read_text
from corredor.results.ard import ard_per_day, ard_rescaled_per_day
from corredor.simulation.flee import run_flee

FloatArray = npt.NDArray[np.float64]

FLEE = "Flee 3.1"
CORREDOR = "Corredor"
CORREDOR_QUIRKS = "Corredor, flee31_quirks"


@dataclass(frozen=True)
class FleeScore:
    """ARD and rescaled ARD of several runs of one scenario by one runner.

    Attributes:
        scenario: the Flee scenario's name.
        hasten: Flee's ``hasten`` of the runs.
        runner: :data:`FLEE`, :data:`CORREDOR` or :data:`CORREDOR_QUIRKS`.
        seeds: the runs' seeds.
        ard, ard_rescaled: one value per run.
        source: where the numbers come from (fixture file or the ``corredor.run`` call).
    """

    scenario: str
    hasten: int
    runner: str
    seeds: tuple[int, ...]
    ard: FloatArray
    ard_rescaled: FloatArray
    source: str

    @staticmethod
    def _sd(values: FloatArray) -> float:
        return float(values.std(ddof=1)) if len(values) > 1 else float("nan")

    @property
    def ard_mean(self) -> float:
        return float(self.ard.mean())

    @property
    def ard_sd(self) -> float:
        return self._sd(self.ard)

    @property
    def ard_rescaled_mean(self) -> float:
        return float(self.ard_rescaled.mean())

    @property
    def ard_rescaled_sd(self) -> float:
        return self._sd(self.ard_rescaled)


def _fixture_name(fixture_dir: Path) -> tuple[str, int]:
    scenario, sep, hasten = fixture_dir.name.rpartition("_h")
    if not sep or not hasten.isdigit():
        raise ValueError(f"{fixture_dir}: fixture folders are named <scenario>_h<hasten>")
    return scenario, int(hasten)


def _seed_of(path: Path) -> int:
    return int(path.stem.removeprefix("seed_"))


def flee_reference(fixture_dir: Path) -> FleeScore:
    """Flee 3.1's scores from a reference fixture folder ``<scenario>_h<hasten>``."""
    fixture_dir = Path(fixture_dir)
    scenario, hasten = _fixture_name(fixture_dir)
    summary_path = fixture_dir / "summary.json"
    if summary_path.is_file():
        summary = json.loads(read_text(summary_path))
        if int(summary["hasten"]) != hasten:
            raise ValueError(f"{summary_path}: hasten {summary['hasten']}, folder says {hasten}")
        seeds = tuple(int(s) for s in summary["seeds"])
        runs = summary["runs"]
        return FleeScore(
            scenario,
            hasten,
            FLEE,
            seeds,
            np.array([runs[str(s)]["ard"] for s in seeds], dtype=np.float64),
            np.array([runs[str(s)]["ard_rescaled"] for s in seeds], dtype=np.float64),
            f"{fixture_dir.name}/summary.json",
        )
    files = sorted(fixture_dir.glob("seed_*.csv"), key=_seed_of)
    if not files:
        raise FileNotFoundError(f"{fixture_dir}: no summary.json and no seed_<s>.csv")
    ard, rescaled = [], []
    for path in files:
        out = pd.read_csv(io.StringIO(read_text(path)))
        camps = [c.removesuffix(" sim") for c in out.columns if c.endswith(" sim")]
        sim = out[[f"{c} sim" for c in camps]].to_numpy(dtype=np.float64)
        obs = out[[f"{c} data" for c in camps]].to_numpy(dtype=np.float64)
        obs_total = out["refugees in camps (UNHCR)"].to_numpy(dtype=np.float64)
        sim_total = out["refugees in camps (simulation)"].to_numpy(dtype=np.float64)
        ard.append(float(ard_per_day(sim, obs, obs_total=obs_total).mean()))
        rescaled.append(
            float(ard_rescaled_per_day(sim, obs, obs_total=obs_total, sim_total=sim_total).mean())
        )
    return FleeScore(
        scenario,
        hasten,
        FLEE,
        tuple(_seed_of(p) for p in files),
        np.array(ard),
        np.array(rescaled),
        f"{fixture_dir.name}/seed_*.csv (no summary.json)",
    )


def corredor_scores(
    scenario: str | Path,
    *,
    hasten: int,
    seeds: int = 10,
    first_seed: int = 0,
    flee31_quirks: bool | None = None,
) -> FleeScore:
    """Corredor's ARDs over ``seeds`` replicas (seeds ``first_seed``, ``first_seed + 1``, …).

    ``flee31_quirks=None`` keeps the scenario's own setting.
    """
    if seeds < 1:
        raise ValueError("seeds must be >= 1")
    result = run_flee(
        scenario, seed=first_seed, replicas=seeds, hasten=hasten, flee31_quirks=flee31_quirks
    )
    quirks = bool(result.settings.get("corredor", {}).get("flee31_quirks", False))
    runner = CORREDOR_QUIRKS if quirks else CORREDOR
    call = f"corredor.run({result.scenario!r}, seed={first_seed}, replicas={seeds}, "
    call += f"hasten={hasten}"
    call += ")" if flee31_quirks is None else f", flee31_quirks={flee31_quirks})"
    return FleeScore(
        result.scenario,
        hasten,
        runner,
        tuple(result.seeds),
        np.asarray(result.ard, dtype=np.float64),
        np.asarray(result.ard_rescaled, dtype=np.float64),
        call,
    )


def validate_flee_scenario(
    scenario: str | Path,
    *,
    hasten: int,
    seeds: int = 10,
    first_seed: int = 0,
    reference: Path | None = None,
) -> list[FleeScore]:
    """Flee 3.1's scores (if a ``reference`` fixture folder is given) and Corredor's, with the
    scenario's settings and with ``flee31_quirks``; the reference must have the same hasten."""
    out: list[FleeScore] = []
    if reference is not None:
        ref = flee_reference(reference)
        if ref.hasten != hasten:
            raise ValueError(f"{reference}: Flee ran at hasten {ref.hasten}, not {hasten}")
        out.append(ref)
    for quirks in (None, True):
        out.append(
            corredor_scores(
                scenario, hasten=hasten, seeds=seeds, first_seed=first_seed, flee31_quirks=quirks
            )
        )
    return out


def flee_validation(
    fixtures: Path,
    *,
    seeds: int = 10,
    first_seed: int = 0,
    scenarios: Sequence[str] | None = None,
) -> list[FleeScore]:
    """:func:`validate_flee_scenario` for every fixture folder ``<scenario>_h<hasten>`` under
    ``fixtures`` (only the named ``scenarios`` if given), at the fixture's hasten."""
    dirs = sorted(
        (p for p in Path(fixtures).iterdir() if p.is_dir() and "_h" in p.name),
        key=lambda p: (_fixture_name(p)[0], -_fixture_name(p)[1]),
    )
    out: list[FleeScore] = []
    for d in dirs:
        scenario, hasten = _fixture_name(d)
        if scenarios is not None and scenario not in scenarios:
            continue
        out.extend(
            validate_flee_scenario(
                scenario, hasten=hasten, seeds=seeds, first_seed=first_seed, reference=d
            )
        )
    return out


def _pm(mean: float, sd: float) -> str:
    return f"{mean:.4f}" if math.isnan(sd) else f"{mean:.4f} ± {sd:.4f}"


def markdown_table(scores: Sequence[FleeScore]) -> str:
    """The table of docs/validation.md: ARD and rescaled ARD, mean ± sd over runs."""
    lines = [
        "| scenario | hasten | model | runs (seeds) | ARD (mean ± sd) | rescaled ARD (mean ± sd) |",
        "|---|---|---|---|---|---|",
    ]
    for s in scores:
        seeds = f"{len(s.seeds)} ({min(s.seeds)}–{max(s.seeds)})"
        lines.append(
            f"| {s.scenario} | {s.hasten} | {s.runner} | {seeds} | "
            f"{_pm(s.ard_mean, s.ard_sd)} | {_pm(s.ard_rescaled_mean, s.ard_rescaled_sd)} |"
        )
    return "\n".join(lines)
