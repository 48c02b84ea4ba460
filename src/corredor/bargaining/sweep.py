"""Sweeps over exposure and threat credibility, and the at-a-glance charts.

:func:`sweep` solves one review period (from ``start``: the first day of an episode's
sanctions, ``EPISODES[name].start``) between two actors for every pair (export share,
credibility) and returns one row per pair: the size of the feasible space, T's chosen policy and
its outcomes. :func:`plot_sweep` and :func:`plot_episode` draw them
(matplotlib is imported only inside these functions).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from corredor.bargaining.actors import Hegemon, TransitState, validate_unit_interval
from corredor.bargaining.calibration import default
from corredor.bargaining.game import solve_period
from corredor.bargaining.outcomes import OutcomeModel, PeriodContext, ReducedFormOutcomes
from corredor.bargaining.policy import PolicyGrid
from corredor.bargaining.stage import StageGame
from corredor.files.atomic import atomic_file

if TYPE_CHECKING:
    pass

#: Export shares and credibilities of the default sweep.
DEFAULT_EXPOSURES: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(11))
DEFAULT_CREDIBILITIES: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)


def sweep(
    exposures: Sequence[float] = DEFAULT_EXPOSURES,
    credibilities: Sequence[float] = DEFAULT_CREDIBILITIES,
    *,
    hegemon: Hegemon,
    transit: TransitState,
    start: dt.date,
    review_days: int = 90,
    grid: PolicyGrid | None = None,
    model: OutcomeModel | None = None,
    refine: bool = False,
    backlog_start: float | None = None,
) -> pd.DataFrame:
    """Solve the review period ``[start, start + review_days)`` for every (export share,
    credibility) pair. ``exposures`` are shares of T's exports sold to the hegemon. The actors
    and the start come from data (an episode's: ``EPISODES["june-2019"].hegemon()``,
    ``.transit()`` and ``.start`` — :func:`corredor.app.bargain` takes those of the episode the
    scenario's ``bargaining.episode`` names).

    Columns: ``exposure``, ``credibility``, the feasible space (``feasible_share``,
    ``feasible_volume``, ``relative_size``, ``feasible_min_enforcement``, ``feasible_max_visas``,
    ``preferred_to_feasible``), T's policy (the levers, ``enforcement_mean``), the outcomes
    (``arrivals``, ``arrivals_per_day``, ``stranded``, ``backlog``, ``deportations_unscreened``,
    ``fiscal_cost_musd``), the loss terms and ``sanction_probability``.
    """
    exps = validate_unit_interval(exposures, "exposures")
    creds = validate_unit_interval(credibilities, "credibilities")
    grid = grid if grid is not None else PolicyGrid()
    model = model if model is not None else ReducedFormOutcomes()
    ctx = PeriodContext(
        start=start,
        days=review_days,
        backlog_start=default("backlog_start") if backlog_start is None else backlog_start,
        mpp_return_share=hegemon.mpp_return_share,
    )
    rows: list[dict[str, object]] = []
    for e in exps:
        for c in creds:
            game = StageGame(hegemon.with_credibility(c), transit.with_export_share(e), ctx, model)
            row = solve_period(game, grid, refine_solution=refine).row()
            row["exposure"] = e
            rows.append(row)
    df = pd.DataFrame(rows)
    first = ["exposure", "credibility"]
    return df[first + [c for c in df.columns if c not in first]]


def _save(fig: Figure, path: str | Path | None) -> None:
    if path is not None:
        FigureCanvasAgg(fig)
        with atomic_file(Path(path), "wb") as fh:
            fig.savefig(fh, format="png", dpi=150)


def plot_sweep(
    df: pd.DataFrame, path: str | Path | None = None, *, data_exposure: float | None = None
) -> Figure:
    """Four panels against exposure, one line per credibility: the feasible space's size, and
    T's resulting arrivals at the hegemon's border, people stranded and deportations without
    screening, with a dotted line at ``data_exposure`` (the transit state's share in the data,
    when given). Writes a PNG to ``path`` if given."""

    panels = (
        ("feasible_share", "feasible space (share of policy grid)"),
        ("arrivals_per_day", "arrivals at the hegemon's border per day"),
        ("stranded", "people stranded in the transit state"),
        ("deportations_unscreened", "deportations without screening"),
    )
    fig = Figure(figsize=(10, 7), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    for ax, (col, title) in zip(axes.ravel(), panels, strict=True):
        for c, part in df.groupby("credibility"):
            part = part.sort_values("exposure")
            ax.plot(part["exposure"], part[col], marker="o", ms=3, label=f"credibility {c:g}")
        if data_exposure is not None:
            ax.axvline(data_exposure, color="grey", ls=":", lw=1)
        ax.set_title(title)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("share of exports sold to the hegemon")
    axes[0, 0].set_ylim(0, 1.05)
    axes[0, 0].legend(fontsize=8)
    data = "" if data_exposure is None else " (dotted: data)"
    fig.suptitle(f"Room for the transit state's own policy under the threat{data}")
    _save(fig, path)
    return fig


def plot_episode(frames: Mapping[str, pd.DataFrame], path: str | Path | None = None) -> Figure:
    """Per review period, for each labelled run (``BargainingResult.to_frame()``): the
    feasible space's size, mean enforcement and visa issuance. Writes a PNG if ``path``."""

    fig = Figure(figsize=(10, 3.6), layout="constrained")
    axes = fig.subplots(1, 3, sharex=True)
    cols = (
        ("feasible_share", "feasible space (share of grid)"),
        ("enforcement_mean", "enforcement (mean effort)"),
        ("humanitarian_visas", "humanitarian visas"),
    )
    for ax, (col, title) in zip(axes, cols, strict=True):
        for label, df in frames.items():
            x = [str(d) for d in df["start"]]
            ax.plot(x, df[col], marker="o", label=label)
        ax.set_title(title)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    axes[0].legend(fontsize=8)
    fig.suptitle("Review periods (start dates); tariff schedule from 2019-06-10")
    _save(fig, path)
    return fig


def plot_coupled(frames: Mapping[str, pd.DataFrame], path: str | Path | None = None) -> Figure:
    """Per review period of coupled runs (``CoupledResult.to_frame()``, one per label): the
    feasible space's size, mean enforcement, visa issuance, and arrivals at the hegemon's
    border per day as the game predicted them (dashed) and as the simulation gave them
    (solid). Writes a PNG if ``path``."""

    fig = Figure(figsize=(12, 3.6), layout="constrained")
    axes = fig.subplots(1, 4, sharex=True)
    cols = (
        ("feasible_share", "feasible space (share of grid)"),
        ("enforcement_mean", "enforcement (mean effort)"),
        ("humanitarian_visas", "humanitarian visas"),
    )
    for ax, (col, title) in zip(axes[:3], cols, strict=True):
        for label, df in frames.items():
            ax.plot([str(d) for d in df["start"]], df[col], marker="o", label=label)
        ax.set_title(title)
        ax.set_ylim(-0.02, 1.02)
    ax = axes[3]
    for i, (label, df) in enumerate(frames.items()):
        x = [str(d) for d in df["start"]]
        color = f"C{i}"
        ax.plot(x, df["arrivals_per_day"], ls="--", marker=".", color=color)
        if "sim_arrivals_per_day" in df:
            ax.plot(x, df["sim_arrivals_per_day"], marker="o", color=color, label=label)
    ax.set_title("arrivals a day (-- game, o sim)")
    ax.set_ylim(bottom=0)
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    axes[0].legend(fontsize=8)
    fig.suptitle("Threat game on the corridor simulation, per review period (start dates)")
    _save(fig, path)
    return fig
