"""``corredor ensemble`` (and ``corredor run <corridor> --replicas N``): the command's body.

``cli.py`` registers a thin typer function that imports this module on use; the errors raised
here are :class:`~corredor.errors.CorredorError` subclasses (exit status 2 there).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from corredor.errors import CorredorError

if TYPE_CHECKING:
    from rich.console import Console

    from corredor.ensemble.corridor_results import CorridorEnsemble, Table
    from corredor.ensemble.parameter_sets import ParameterSet
    from corredor.ensemble.runner import Progress
    from corredor.scenario.corridor import CorridorScenario

SETS_CHOICES: tuple[str, ...] = ("point", "calibrated", "uncalibrated")
#: Observables and ledger entries printed by default (those the scenario has).
PRINTED_OBSERVABLES = (
    "usbp_encounters_total",
    "ofo_encounters_total",
    "comar_applications",
    "inm_presented_annual",
    "mpp_enrollments",
)
PRINTED_LEDGER = (
    "stranded_end_of_year",
    "asylum_backlog_mexico_end",
    "court_backlog_us_end",
    "deportations_without_screening",
    "expulsions",
)


@contextlib.contextmanager
def task_progress(
    tasks: int, show: bool, label: str = "runs", stderr_console: Console | None = None
) -> Iterator[Progress | None]:
    """A rich progress bar over ``tasks`` runs fed by ``progress(task, day, days)`` (per day on
    the serial backend, per finished run on the others); None when ``show`` is false."""
    from corredor.progress import progress_bar

    with progress_bar(show, label, total=tasks, console=stderr_console) as bar:
        if bar is None:
            yield None
            return
        done: dict[int, float] = {}

        def callback(task: int, day: int, days: int) -> None:
            done[task] = max(done.get(task, 0.0), (day + 1) / days)
            finished = sum(1 for v in done.values() if v >= 1.0)
            bar.update(completed=sum(done.values()), description=f"{finished}/{tasks} done")

        yield callback


def choose_sets(
    sc: CorridorScenario, choice: str, max_sets: int | None, seed: int
) -> tuple[list[ParameterSet], list[str]]:
    """The parameter sets for ``--sets point|calibrated|uncalibrated`` and notes to print."""
    from corredor.ensemble.parameter_sets import DEFAULTS, ParameterSet, calibrated_parameter_sets

    notes: list[str] = []
    if choice == "uncalibrated":
        sets = [ParameterSet(sc.calibration_defaults(), 1.0, "scenario defaults (uncalibrated)")]
    elif choice == "point":
        sets, note = calibrated_parameter_sets(sc, point_only=True)
        if note:
            notes.append(note)
        sets = sets or [DEFAULTS]
    elif choice == "calibrated":
        sets, note = calibrated_parameter_sets(sc)
        if note:
            notes.append(note)
    else:
        raise CorredorError(f"--sets {choice!r}: use one of {', '.join(SETS_CHOICES)}")
    if max_sets is not None:
        from corredor.ensemble.parameter_sets import thin_sets

        sets = thin_sets(sets, max_sets, seed)
    return sets, notes


def fmt(v: float) -> str:
    if not math.isfinite(v):
        return "–"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:,.0f}"


def band_cell(row: object) -> str:
    med, lo, hi = (float(getattr(row, k)) for k in ("median", "p05", "p95"))
    return f"{fmt(med)} [{fmt(lo)}, {fmt(hi)}]"


def print_bands(
    console: Console,
    ens: CorridorEnsemble,
    table: Table,
    names: tuple[str, ...],
    title: str,
    years: int = 4,
    frame: object | None = None,
) -> None:
    """A table of ``median [p05, p95]`` for the last ``years`` years and the chosen names."""
    import pandas as pd
    from rich.table import Table as RichTable

    df = frame if isinstance(frame, pd.DataFrame) else ens.bands(table)
    key = "entry" if table == "ledger" else "observable"
    shown = [n for n in names if n in set(df[key])]
    if not shown:
        return
    last = sorted(set(df["year"]))[-years:]
    t = RichTable(title=title, title_justify="left")
    t.add_column(key)
    for y in last:
        t.add_column(str(y), justify="right")
    for name in shown:
        cells = []
        for y in last:
            row = df[(df[key] == name) & (df["year"] == y)]
            cells.append(band_cell(next(row.itertuples())) if len(row) else "–")
        t.add_row(name, *cells)
    console.print(t)


def ensemble_command(
    console: Console,
    *,
    scenario: str,
    replicas: int,
    seed: int,
    workers: int | None,
    scheduler: str | None,
    days: int | None,
    sets: str,
    max_sets: int | None,
    events: list[Path],
    out: Path,
    show_progress: bool,
) -> None:
    """Run the ensemble (and, with ``events``, the counterfactual with the same sets and seeds:
    the paired difference is printed and written), print bands, write tables."""
    from corredor.ensemble.corridor import load, run_corridor_ensemble
    from corredor.ensemble.corridor_results import compare_corridor
    from corredor.scenario.corridor import load_scenario_events

    sc = load(scenario)
    if not console.is_terminal:  # piped or redirected: do not squeeze the tables
        console.width = max(console.width, 150)
    if replicas < 1:
        raise CorredorError(f"--replicas must be at least 1, got {replicas}")
    chosen, notes = choose_sets(sc, sets, max_sets, seed)
    extra = tuple(e for f in events for e in load_scenario_events(sc, f))
    for note in notes:
        console.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    variants: list[tuple[str, tuple[object, ...]]] = [("history", ())]
    if extra:
        variants.append(("counterfactual", extra))
    results = {}
    n_tasks = len(chosen) * replicas
    for label, evs in variants:
        with task_progress(n_tasks, show_progress, f"runs ({label})") as progress:
            results[label] = run_corridor_ensemble(
                sc,
                seeds=range(seed, seed + replicas),
                parameter_sets=chosen,
                days=days,
                extra_events=evs,  # type: ignore[arg-type]
                workers=workers,
                scheduler=scheduler,
                progress=progress,
            )
    base = results["history"]
    obs = tuple(o for o in PRINTED_OBSERVABLES if o in base.observables) or base.observables[:5]
    print_bands(console, base, "annual", obs, f"{sc.name}: median [5 %, 95 %] per year")
    print_bands(console, base, "ledger", PRINTED_LEDGER, "Human-cost ledger: median [5 %, 95 %]")
    label = "".join(f"-{Path(f).stem}" for f in events)
    folder = out / f"{sc.name}{label}-ensemble-seed{seed}x{replicas}"
    base.write(folder)
    if "counterfactual" in results:
        cmp = compare_corridor(base, results["counterfactual"])
        print_bands(
            console,
            base,
            "annual",
            obs,
            "Counterfactual − history, paired by run: median [5 %, 95 %]",
            frame=cmp.bands("annual"),
        )
        print_bands(
            console,
            base,
            "ledger",
            PRINTED_LEDGER,
            "Ledger, counterfactual − history: median [5 %, 95 %]",
            frame=cmp.bands("ledger"),
        )
        results["counterfactual"].write(folder / "counterfactual")
        cmp.write(folder / "difference")
    for k, v in base.summary_rows():
        console.print(f"{k}: {v}", highlight=False)
    for w in base.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
    print(f"wrote {folder}")


__all__ = ["SETS_CHOICES", "choose_sets", "ensemble_command", "print_bands", "task_progress"]
