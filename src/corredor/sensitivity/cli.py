"""``corredor sensitivity``: the command's body (``cli.py`` registers a thin typer function)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def sensitivity_command(
    console: Console,
    *,
    scenario: str,
    method: str,
    size: int,
    parameters: str | None,
    outputs: str | None,
    levels: int,
    replicas: int,
    seed: int,
    days: int | None,
    events: list[Path],
    workers: int | None,
    scheduler: str | None,
    top: int,
    plot: Path | None,
    out: Path | None,
    show_progress: bool,
) -> None:
    """Run the design, print the ranked indices per output, write tables (and a plot)."""
    from rich.table import Table

    from corredor.ensemble.corridor import load
    from corredor.ensemble.corridor_cli import fmt, task_progress
    from corredor.forecasting.cli import command_line
    from corredor.sensitivity.analysis import (
        METHODS,
        SensitivityError,
        default_outputs,
        problem_of,
        runs_needed,
        sensitivity_analysis,
    )

    if method not in METHODS:
        raise SensitivityError(f"--method {method!r}: use one of {', '.join(METHODS)}")
    from corredor.scenario.corridor import load_scenario_events

    sc = load(scenario)
    if not console.is_terminal:  # piped or redirected: do not squeeze the tables
        console.width = max(console.width, 150)
    extra = tuple(e for f in events for e in load_scenario_events(sc, f))
    names = _split(parameters)
    outs = _split(outputs) or default_outputs(sc)
    problem = problem_of(sc, names, extra_events=extra)
    k = problem["num_vars"]
    n_runs = runs_needed(method, size, k, replicas)
    console.print(
        f"{method}: {k} parameters, {n_runs} runs of {days or sc.days} days", highlight=False
    )
    with task_progress(n_runs, show_progress) as progress:
        res = sensitivity_analysis(
            sc,
            method=method,  # type: ignore[arg-type]
            size=size,
            parameters=problem["names"],
            outputs=outs,
            levels=levels,
            seeds=list(range(seed, seed + replicas)),
            sample_seed=seed,
            days=days,
            extra_events=extra,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
        )
    cols = (
        ("mu_star", "mu_star_conf", "sigma", "mu")
        if method == "morris"
        else ("ST", "ST_conf", "S1", "S1_conf")
    )
    for out_name in res.outputs:
        t = Table(title=f"{out_name}: {method} indices (top {top})", title_justify="left")
        t.add_column("rank", justify="right")
        t.add_column("parameter")
        for c in cols:
            t.add_column(c, justify="right")
        for r in res.top(out_name, top).itertuples():
            t.add_row(str(r.rank), str(r.parameter), *(fmt(float(getattr(r, c))) for c in cols))
        console.print(t)
    folder = out if out is not None else Path(f"{sc.name}-sensitivity-{method}")
    command = command_line(
        "sensitivity",
        scenario,
        method=method,
        trajectories=size,
        parameters=parameters,
        outputs=outputs,
        levels=levels,
        replicas=replicas,
        seed=seed,
        days=days,
        events=list(events),
        workers=workers,
        scheduler=scheduler,
        out=folder,
    )
    print(f"wrote {res.write(folder, command=command)}")
    if plot is not None:
        from corredor.sensitivity.plot import plot_indices

        print(f"plot: {plot_indices(res, plot, top=top)}")


def _split(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


__all__ = ["sensitivity_command"]
