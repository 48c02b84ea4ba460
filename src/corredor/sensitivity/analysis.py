"""Global sensitivity analysis of a corridor scenario with SALib (Morris or Sobol).

The factors are calibration parameters of the scenario (the ``calibration:`` block gives names
and plausible ranges; the policy levers of ``mexico-us`` — MPP and Title 42 shares, the
Programa Frontera Sur multiplier, port intake capacity, enforcement efforts — are calibration
parameters too). SALib draws the design; every row of it is one parameter set of a corridor
ensemble (:func:`corredor.ensemble.run_corridor_ensemble`), run with the same seeds (common
random numbers, so the differences between rows are not blurred by sampling noise) on any
ensemble backend; each output is averaged over the seeds and SALib computes the indices.

Outputs are scalars per run:

* an observable's name: its total over the simulated days;
* ``ledger.<entry>``: a ledger entry over the simulated years — the last year for stocks at the
  end of a year (``*_end``, ``*_end_of_year``), the mean over years for waits and shares
  (``*_days`` averages, ``*_share``), else the sum.

Parameters left out of the analysis keep their scenario values (with the calibrated point fit,
if any). Policy levers (``status: lever``: the sizes of the counterfactual events in
``counterfactuals/*.yaml``) are factors only when those events are added (``extra_events``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypedDict

import numpy as np
import numpy.typing as npt
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from corredor.ensemble.corridor import load, run_corridor_ensemble
from corredor.ensemble.corridor_results import CorridorEnsemble
from corredor.ensemble.parameter_sets import ParameterSet
from corredor.errors import InputError
from corredor.files.atomic import new_folder
from corredor.simulation.corridor import run_corridor

if TYPE_CHECKING:
    from distributed import Client

    from corredor.ensemble.runner import Backend, Progress
    from corredor.policy.events import PolicyEvent
    from corredor.scenario.corridor import CorridorScenario

FloatArray = npt.NDArray[np.float64]
Method = Literal["morris", "sobol"]
METHODS: tuple[str, ...] = ("morris", "sobol")
LEDGER_PREFIX = "ledger."
DEFAULT_LEDGER_OUTPUTS = (
    "ledger.stranded_person_days",
    "ledger.deportations_without_screening",
)
"""Ledger entries reported when neither the caller nor the scenario names outputs."""


class Problem(TypedDict):
    """SALib's problem definition."""

    num_vars: int
    names: list[str]
    bounds: list[list[float]]


class SensitivityError(InputError):
    """A sensitivity analysis cannot be run as asked (unknown parameter or output, bad size):
    raised by its checks, before any run."""


# ------------------------------------------------------------------------------ outputs
def _ledger_reduce(entry: str) -> str:
    if entry.endswith(("_end", "_end_of_year")):
        return "last"
    if entry.endswith("_share") or "_wait_" in entry:
        return "mean"
    return "sum"


def available_outputs(ens: CorridorEnsemble) -> list[str]:
    return [*ens.observables, *(LEDGER_PREFIX + e for e in ens.ledger_entries)]


def output_values(ens: CorridorEnsemble, outputs: Sequence[str]) -> FloatArray:
    """(P, R, n) the outputs of every run (module docstring for the reductions)."""
    cols = []
    for name in outputs:
        if name.startswith(LEDGER_PREFIX):
            entry = name[len(LEDGER_PREFIX) :]
            if entry not in ens.ledger_entries:
                raise SensitivityError(_unknown_output(name, ens))
            v = ens.ledger[..., ens.ledger_entries.index(entry)]  # (P, R, Y)
            how = _ledger_reduce(entry)
            if how == "last":
                cols.append(v[..., -1])
            elif how == "mean":
                with np.errstate(all="ignore"):
                    ok = ~np.isnan(v)
                    cols.append(
                        np.where(ok.any(-1), np.nansum(v, -1) / np.maximum(ok.sum(-1), 1), np.nan)
                    )
            else:
                cols.append(np.nansum(v, axis=-1))
        else:
            if name not in ens.observables:
                raise SensitivityError(_unknown_output(name, ens))
            cols.append(ens.monthly[..., ens.observables.index(name)].sum(axis=-1))
    return np.stack(cols, axis=-1).astype(np.float64)


def _unknown_output(name: str, ens: CorridorEnsemble) -> str:
    return (
        f"unknown output {name!r}; use an observable ({', '.join(ens.observables)}) or "
        f"ledger.<entry> ({', '.join(ens.ledger_entries)})"
    )


def check_outputs(scenario: CorridorScenario, outputs: Sequence[str]) -> None:
    """Fail before the analysis runs if an output is unknown (a one-day run lists the
    ledger's entries)."""

    probe = run_corridor(scenario, seed=0, days=1)
    known_obs = [str(c) for c in probe.monthly().columns]
    entries = [str(c) for c in probe.ledger().columns]
    for name in outputs:
        ok = (
            name[len(LEDGER_PREFIX) :] in entries
            if name.startswith(LEDGER_PREFIX)
            else name in known_obs
        )
        if not ok:
            raise SensitivityError(
                f"unknown output {name!r}; use an observable ({', '.join(known_obs)}) or "
                f"ledger.<entry> ({', '.join(entries)})"
            )


def default_outputs(scenario: CorridorScenario) -> list[str]:
    """The outputs reported when none are given: the scenario's ``analysis: sensitivity:
    outputs`` (observables it has, then its ledger entries); without observables among them,
    every observable; without ledger entries, :data:`DEFAULT_LEDGER_OUTPUTS`."""
    names = {o.name for o in scenario.observables}
    outputs = scenario.analysis_settings().sensitivity.outputs
    chosen = [o for o in outputs if not o.startswith(LEDGER_PREFIX) and o in names]
    if not chosen:
        chosen = [o.name for o in scenario.observables]
    ledger = [o for o in outputs if o.startswith(LEDGER_PREFIX)] or list(DEFAULT_LEDGER_OUTPUTS)
    return [*chosen, *ledger]


# ------------------------------------------------------------------------------ problem
def problem_of(
    scenario: CorridorScenario,
    parameters: Sequence[str] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    extra_events: Sequence[PolicyEvent] = (),
) -> Problem:
    """SALib's problem: the chosen calibration parameters with their ranges (``bounds``
    overrides some). Default: every parameter whose range is not a single value, except the
    policy levers (``status: lever``, the sizes of counterfactual events) that none of
    ``extra_events`` uses — without their events they change nothing."""
    cal = scenario.calibration
    bounds = dict(bounds or {})
    used = {c.ref for e in extra_events for c in e.changes if c.ref is not None}
    if parameters is None:
        names = [
            n
            for n, p in cal.items()
            if p.range[0] < p.range[1] and (p.status != "lever" or n in used)
        ]
    else:
        names = list(dict.fromkeys(parameters))
    unknown = [n for n in [*names, *bounds] if n not in cal]
    if unknown:
        raise SensitivityError(
            f"unknown calibration parameter(s) of {scenario.name}: {', '.join(unknown)}; use "
            f"names from its calibration: block ({', '.join(list(cal)[:12])}…)"
        )
    if len(names) < 2:
        raise SensitivityError("a sensitivity analysis needs at least two parameters")
    ranges = []
    for n in names:
        lo, hi = bounds.get(n, cal[n].range)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise SensitivityError(
                f"parameter {n} has range [{lo:g}, {hi:g}]; a factor needs low < high"
            )
        ranges.append([float(lo), float(hi)])
    return Problem(num_vars=len(names), names=names, bounds=ranges)


def design(problem: Problem, method: Method, size: int, *, levels: int, seed: int) -> FloatArray:
    """SALib's sample: Morris ``size`` trajectories (``size·(k+1)`` rows) or Sobol/Saltelli
    base size ``size`` (``size·(k+2)`` rows, first-order and total indices)."""
    if method == "morris":
        if size < 2:
            raise SensitivityError(f"Morris needs at least 2 trajectories, got {size}")
        if levels < 2 or levels % 2:
            raise SensitivityError(f"Morris levels must be even and >= 2, got {levels}")
        x = morris_sample.sample(dict(problem), size, num_levels=levels, seed=seed)
    elif method == "sobol":
        if size < 2 or size & (size - 1):
            raise SensitivityError(
                f"Sobol needs a base sample size that is a power of 2 (>= 2), got {size}"
            )
        x = sobol_sample.sample(dict(problem), size, calc_second_order=False, seed=seed)
    else:
        raise SensitivityError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    return np.asarray(x, dtype=np.float64)


def analyse(
    problem: Problem,
    method: Method,
    x: FloatArray,
    y: FloatArray,
    outputs: Sequence[str],
    *,
    levels: int,
    seed: int,
) -> pd.DataFrame:
    """Indices per output and parameter, ranked (1 = most influential: Morris μ*, Sobol ST)."""

    names = list(problem["names"])
    frames = []
    for j, out in enumerate(outputs):
        yj = y[:, j]
        if not np.all(np.isfinite(yj)) or np.ptp(yj) == 0:
            cols: dict[str, object] = (
                {"mu": 0.0, "mu_star": 0.0, "sigma": 0.0, "mu_star_conf": 0.0}
                if method == "morris"
                else {"S1": 0.0, "S1_conf": 0.0, "ST": 0.0, "ST_conf": 0.0}
            )
            if not np.all(np.isfinite(yj)):
                cols = {k: np.nan for k in cols}
            df = pd.DataFrame({"parameter": names, **cols})
        elif method == "morris":
            res = morris_analyze.analyze(
                dict(problem), x, yj, num_levels=levels, seed=seed, print_to_console=False
            )
            df = pd.DataFrame(
                {
                    "parameter": names,
                    "mu": np.asarray(res["mu"], dtype=float),
                    "mu_star": np.asarray(res["mu_star"], dtype=float),
                    "sigma": np.asarray(res["sigma"], dtype=float),
                    "mu_star_conf": np.asarray(res["mu_star_conf"], dtype=float),
                }
            )
        else:
            res = sobol_analyze.analyze(
                dict(problem), yj, calc_second_order=False, seed=seed, print_to_console=False
            )
            df = pd.DataFrame(
                {
                    "parameter": names,
                    "S1": np.asarray(res["S1"], dtype=float),
                    "S1_conf": np.asarray(res["S1_conf"], dtype=float),
                    "ST": np.asarray(res["ST"], dtype=float),
                    "ST_conf": np.asarray(res["ST_conf"], dtype=float),
                }
            )
        key = "mu_star" if method == "morris" else "ST"
        df["rank"] = df[key].rank(ascending=False, method="min").fillna(len(df)).astype(int)
        df.insert(0, "output", out)
        frames.append(df.sort_values(["rank", "parameter"]))
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------ result
@dataclass(frozen=True)
class SensitivityResult:
    """The design, the outputs of every row and the indices."""

    scenario: str
    method: Method
    problem: Problem
    outputs: tuple[str, ...]
    x: FloatArray  # (N, k) the design
    y: FloatArray  # (N, n) each output per row, averaged over the seeds
    indices: pd.DataFrame
    ensemble: CorridorEnsemble

    @property
    def parameters(self) -> list[str]:
        return list(self.problem["names"])

    @property
    def score(self) -> str:
        """The column that ranks the parameters: ``mu_star`` (Morris) or ``ST`` (Sobol)."""
        return "mu_star" if self.method == "morris" else "ST"

    def top(self, output: str, n: int = 10) -> pd.DataFrame:
        t = self.indices[self.indices["output"] == output]
        return t.sort_values(["rank", "parameter"]).head(n)

    def samples(self) -> pd.DataFrame:

        df = pd.DataFrame(self.x, columns=self.parameters)
        for j, out in enumerate(self.outputs):
            df[out] = self.y[:, j]
        return df

    def write(self, folder: str | Path, *, command: str | None = None) -> Path:
        """``indices.csv``, ``samples.csv`` (design and outputs) and ``sensitivity.txt``."""
        folder = Path(folder)
        with new_folder(folder) as tmp:
            self.indices.to_csv(tmp / "indices.csv", index=False)
            self.samples().to_csv(tmp / "samples.csv", index=False)
            (tmp / "sensitivity.txt").write_text(self.description(command), encoding="utf-8")
        return folder

    def description(self, command: str | None = None) -> str:
        """What was run (the text of ``sensitivity.txt``)."""
        ens = self.ensemble
        lines = [f"command: {command}"] if command else []
        lines += [
            f"scenario: {self.scenario}",
            f"method: {self.method}",
            f"design rows: {len(self.x)}",
            f"seeds: {list(ens.seeds)}",
            f"runs: {ens.runs}",
            f"days: {ens.days}",
            f"wall time: {ens.wall_seconds:.1f} s",
        ]
        for name, (lo, hi) in zip(self.parameters, self.problem["bounds"], strict=True):
            lines.append(f"parameter: {name} in [{lo:g}, {hi:g}]")
        return "".join(line + "\n" for line in lines)


def sensitivity_analysis(
    scenario: str | Path | CorridorScenario,
    *,
    method: Method = "morris",
    size: int = 10,
    parameters: Sequence[str] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    outputs: Sequence[str] | None = None,
    levels: int = 4,
    seeds: Sequence[int] = (0,),
    sample_seed: int = 0,
    days: int | None = None,
    extra_events: Sequence[PolicyEvent] = (),
    base: Mapping[str, float] | None = None,
    backend: Backend | None = None,
    workers: int | None = None,
    scheduler: str | Client | None = None,
    progress: Progress | None = None,
    connect_timeout: float | None = None,
) -> SensitivityResult:
    """Morris elementary effects or Sobol indices of ``outputs`` for ``parameters``.

    Args:
        scenario: a corridor scenario (a built-in name, a YAML file or folder, or a loaded one).
        method: ``"morris"`` (screening: ``size`` trajectories, ``size·(k+1)`` design rows) or
            ``"sobol"`` (first-order and total indices: base size ``size``, a power of 2,
            ``size·(k+2)`` rows).
        parameters: calibration parameters to vary (default: all with a range).
        bounds: ranges replacing the scenario's for some parameters.
        outputs: observables and ``ledger.<entry>`` names (default: :func:`default_outputs`).
        levels: Morris grid levels (even).
        seeds: the replicas of each design row (the same for every row); outputs are averaged.
        sample_seed: seed of SALib's design and bootstrap.
        days: simulated days (default: the scenario's).
        extra_events: policy events added to the scenario's (a counterfactual whose levers,
            ``$name`` values of ``status: lever`` parameters, are then analysed too).
        base: values of the parameters a design row does not vary (default: the scenario's
            defaults with its calibrated file).
        backend, workers, scheduler, progress, connect_timeout: as in
            :func:`corredor.ensemble.run_corridor_ensemble` (``progress`` counts tasks =
            design rows × seeds).
    """
    sc = load(scenario)
    if method not in METHODS:
        raise SensitivityError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    problem = problem_of(sc, parameters, bounds, extra_events)
    outs = list(outputs) if outputs else default_outputs(sc)
    check_outputs(sc, outs)
    x = design(problem, method, size, levels=levels, seed=sample_seed)
    names = list(problem["names"])
    fixed = dict(base or {})
    sets = [
        ParameterSet(
            {**fixed, **{n: float(v) for n, v in zip(names, row, strict=True)}}, 1.0, f"row {i}"
        )
        for i, row in enumerate(x)
    ]
    ens = run_corridor_ensemble(
        sc,
        seeds=seeds,
        parameter_sets=sets,
        days=days,
        extra_events=extra_events,
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        connect_timeout=connect_timeout,
    )
    y = np.nanmean(output_values(ens, outs), axis=1)  # (N, n) mean over the seeds
    indices = analyse(problem, method, x, y, outs, levels=levels, seed=sample_seed)
    return SensitivityResult(
        scenario=sc.name,
        method=method,
        problem=problem,
        outputs=tuple(outs),
        x=x,
        y=y,
        indices=indices,
        ensemble=ens,
    )


def runs_needed(method: str, size: int, k: int, replicas: int) -> int:
    """Runs of a design: Morris ``size·(k+1)``, Sobol ``size·(k+2)``, times the replicas."""
    rows = size * (k + 1) if method == "morris" else size * (k + 2)
    return rows * replicas


__all__ = [
    "DEFAULT_LEDGER_OUTPUTS",
    "METHODS",
    "Problem",
    "SensitivityError",
    "SensitivityResult",
    "analyse",
    "available_outputs",
    "check_outputs",
    "default_outputs",
    "design",
    "output_values",
    "problem_of",
    "runs_needed",
    "sensitivity_analysis",
]
