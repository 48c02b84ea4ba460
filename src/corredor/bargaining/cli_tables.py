"""The ``corredor bargain`` command's work: run the episode or the sweep, print rich tables,
write the chart. Kept here so that ``corredor.cli`` only parses options."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from corredor.bargaining.calibration import default
from corredor.bargaining.dynamics import episode_2019
from corredor.bargaining.game import Mode
from corredor.bargaining.sweep import plot_coupled, plot_episode, plot_sweep, sweep
from corredor.errors import ScenarioError

if TYPE_CHECKING:
    from rich.console import Console

SCENARIOS = ("mexico-us",)

_EPISODE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("start", "period from", "{}"),
    ("tariff_mean", "tariff", "{:.1%}"),
    ("stc_demanded", "STC asked", "{}"),
    ("enforcement_south", "enf. S", "{:.2f}"),
    ("enforcement_transit", "enf. T", "{:.2f}"),
    ("enforcement_north", "enf. N", "{:.2f}"),
    ("humanitarian_visas", "visas", "{:.2f}"),
    ("asylum_capacity", "asylum", "{:.2f}"),
    ("mpp_acceptance", "MPP", "{:.2f}"),
    ("safe_third_country", "STC", "{:.0f}"),
    ("arrivals_per_day", "arrivals/day", "{:,.0f}"),
    ("stranded", "stranded", "{:,.0f}"),
    ("deportations_unscreened", "deported unscreened", "{:,.0f}"),
    ("sanction_probability", "P(sanction)", "{:.2f}"),
    ("feasible_share", "feasible space", "{:.1%}"),
    ("distance_from_preferred", "dist. from own", "{:.2f}"),
)

_SWEEP_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("exposure", "export share", "{:.2f}"),
    ("feasible_share", "feasible space", "{:.1%}"),
    ("enforcement_mean", "enforcement", "{:.2f}"),
    ("humanitarian_visas", "visas", "{:.2f}"),
    ("arrivals_per_day", "arrivals/day", "{:,.0f}"),
    ("stranded", "stranded", "{:,.0f}"),
    ("deportations_unscreened", "deported unscreened", "{:,.0f}"),
    ("sanction_probability", "P(sanction)", "{:.2f}"),
)


def _fmt(fmt: str, value: object) -> str:
    try:
        return fmt.format(value)
    except (TypeError, ValueError):
        return str(value)


def _print_frame(
    console: Console,
    df: pd.DataFrame,
    columns: tuple[tuple[str, str, str], ...],
    title: str,
    label: str | None = None,
) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    if label is not None:
        table.add_column(label, no_wrap=True)
    for _, head, _ in columns:
        table.add_column(head, justify="right")
    for _, row in df.iterrows():
        cells = [_fmt(fmt, row[col]) for col, _, fmt in columns]
        if label is not None:
            cells.insert(0, str(row["label"]))
        table.add_row(*cells)
    console.print(table)


def bargain_command(
    console: Console,
    *,
    scenario: str,
    exposure: float | None,
    credibility: float,
    do_sweep: bool,
    review_days: int | None,
    periods: int,
    refine: bool,
    plot: Path | None,
) -> None:
    review_days = 90 if review_days is None else review_days
    if scenario not in SCENARIOS:
        raise ScenarioError(
            scenario, "no bargaining episode for this scenario", fix=f"use {', '.join(SCENARIOS)}"
        )
    if not console.is_terminal:
        console.width = 200
    data_share = default("export_share")
    if do_sweep:
        df = sweep(review_days=review_days, refine=refine)
        pivot = df.pivot(index="exposure", columns="credibility", values="feasible_share")
        pivot = pivot.reset_index()
        creds = [c for c in pivot.columns if c != "exposure"]
        cols = (
            ("exposure", "export share", "{:.2f}"),
            *((c, f"cred. {c:g}", "{:.1%}") for c in creds),
        )
        _print_frame(console, pivot, cols, "Feasible space (share of policy grid)")
        sel = df[df["credibility"] == credibility]
        if sel.empty:
            sel = df[df["credibility"] == df["credibility"].max()]
        _print_frame(
            console,
            sel,
            _SWEEP_COLUMNS,
            f"T's policy and outcomes, credibility {float(sel['credibility'].iloc[0]):g} "
            f"(data: export share {data_share:.3f})",
        )
        if plot is not None:
            plot_sweep(df, plot)
            print(f"chart written to {plot}")
        return
    runs: dict[str, pd.DataFrame] = {}
    shares: list[float | None] = [None]
    if exposure is not None and abs(exposure - data_share) > 1e-12:
        shares.append(exposure)
    for share in shares:
        label = f"data ({data_share:.3f})" if share is None else f"counterfactual ({share:.3f})"
        result = episode_2019(
            share, credibility, review_days=review_days, periods=periods, refine=refine
        )
        runs[label] = result.to_frame().assign(label=label)
    frame = pd.concat(list(runs.values()), ignore_index=True)
    _print_frame(
        console,
        frame,
        _EPISODE_COLUMNS,
        f"June 2019 threat game, {review_days}-day review periods, credibility {credibility:g}",
        label="export share",
    )
    if plot is not None:
        plot_episode(runs, plot)
        print(f"chart written to {plot}")


_COUPLED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("start", "period from", "{}"),
    ("tariff_mean", "tariff", "{:.1%}"),
    ("stc_demanded", "STC asked", "{}"),
    ("enforcement_south", "enf. S", "{:.2f}"),
    ("enforcement_transit", "enf. T", "{:.2f}"),
    ("enforcement_north", "enf. N", "{:.2f}"),
    ("humanitarian_visas", "visas", "{:.2f}"),
    ("asylum_capacity", "asylum", "{:.2f}"),
    ("mpp_acceptance", "MPP", "{:.2f}"),
    ("safe_third_country", "STC", "{:.0f}"),
    ("arrivals_per_day", "arrivals/day (game)", "{:,.0f}"),
    ("sim_arrivals_per_day", "arrivals/day (sim)", "{:,.0f}"),
    ("sim_transit_apprehensions", "apprehended in T (sim)", "{:,.0f}"),
    ("sim_stranded", "stranded (sim)", "{:,.0f}"),
    ("sim_deportations_unscreened", "deported unscreened (sim)", "{:,.0f}"),
    ("sanction_probability", "P(sanction)", "{:.2f}"),
    ("feasible_share", "feasible space", "{:.1%}"),
    ("distance_from_preferred", "dist. from own", "{:.2f}"),
)


def coupled_command(
    console: Console,
    *,
    scenario: str,
    endogenous: bool,
    exogenous: bool,
    exposure: float | None,
    credibility: float,
    review_days: int | None,
    days: int | None,
    seed: int,
    plot: Path | None,
    report: Path | None,
    uncalibrated: bool = False,
) -> None:
    """``corredor bargain SCENARIO --endogenous|--exogenous``: the game on the simulation, for
    the data-based export share and (with ``--exposure``) a counterfactual one; with
    ``uncalibrated``, on the scenario's hand-set defaults rather than its calibrated file."""
    from corredor.bargaining.coupled import CoupledResult, run_coupled
    from corredor.scenario.corridor import load_corridor_scenario
    from corredor.scenario.corridor.calibrated import uncalibrated as defaults_of

    calibration = dict(defaults_of(load_corridor_scenario(scenario))) if uncalibrated else None

    if endogenous and exogenous:
        raise ScenarioError(
            None, "--endogenous and --exogenous together", fix="choose one of the two modes"
        )
    mode: Mode = "endogenous" if endogenous else "exogenous"
    if not console.is_terminal:
        console.width = 240
    data_share = default("export_share")
    shares: list[float | None] = [None]
    if exposure is not None and abs(exposure - data_share) > 1e-12:
        shares.append(exposure)
    frames: dict[str, pd.DataFrame] = {}
    first: CoupledResult | None = None
    for share in shares:
        label = f"data ({data_share:.3f})" if share is None else f"counterfactual ({share:.3f})"
        console.print(f"running {scenario} ({mode}, export share {label}) …", style="dim")
        result = run_coupled(
            scenario,
            mode=mode,
            export_share=share,
            credibility=credibility,
            seed=seed,
            days=days,
            review_days=review_days,
            calibration=calibration,
        )
        first = first if first is not None else result
        frames[label] = result.to_frame().assign(label=label)
    frame = pd.concat(list(frames.values()), ignore_index=True)
    for col, _, _ in _COUPLED_COLUMNS:
        if col not in frame:
            frame[col] = float("nan")
    assert first is not None
    _print_frame(
        console,
        frame,
        _COUPLED_COLUMNS,
        f"Threat game on the {first.corridor.scenario} simulation ({mode}), "
        f"{int(frame['days'].iloc[0])}-day review periods, credibility {credibility:g}, "
        f"seed {seed}",
        label="export share",
    )
    if plot is not None:
        plot_coupled(frames, plot)
        print(f"chart written to {plot}")
    if report is not None:
        from corredor.report.bargaining import write_coupled_report

        write_coupled_report(first, report, frames)
        print(f"report written to {report}")
