"""``corredor forecast``: the command's body (``cli.py`` registers a thin typer function)."""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def forecast_command(
    console: Console,
    *,
    scenario: str,
    until: str,
    replicas: int,
    seed: int,
    sets: str,
    max_sets: int | None,
    events: Path | None,
    workers: int | None,
    scheduler: str | None,
    out: Path | None,
    show_progress: bool,
    discrepancy: bool = True,
    policy_path: Path | None = None,
) -> None:
    """Run the forecast ensemble, print fiscal-year bands, write forecast.csv and friends.
    Ex ante by default; ``policy_path``: conditional on that policy path (said everywhere)."""
    from rich.table import Table

    from corredor.ensemble.corridor import load
    from corredor.ensemble.corridor_cli import choose_sets, fmt, task_progress
    from corredor.forecasting.forecast import forecast, parse_until

    sc = load(scenario)
    last = parse_until(until)  # a bad month fails before anything runs
    chosen, notes = choose_sets(sc, sets, max_sets, seed)
    with task_progress(len(chosen) * replicas, show_progress) as progress:
        fc = forecast(
            sc,
            until=last,
            replicas=replicas,
            seed=seed,
            parameter_sets=chosen,
            events_file=events,
            policy_path=policy_path,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            discrepancy=discrepancy,
        )
    fc = dataclasses.replace(fc, notes=(*notes, *fc.notes))
    for note in fc.notes:
        console.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    if not console.is_terminal:  # piped or redirected: do not squeeze the table into 80 columns
        console.width = max(console.width, 150)
    fy = fc.fiscal_years()
    t = Table(
        title=f"{sc.name}: forecast border encounters per US fiscal year, median [5 %, 95 %] "
        f"({fc.kind})",
        title_justify="left",
    )
    t.add_column("component / citizenship / demographic")
    years = sorted(set(fy["fiscal_year"]))
    for y in years:
        months = int(fy[fy["fiscal_year"] == y]["months"].iloc[0])
        t.add_column(f"FY{y}" + ("" if months == 12 else f" ({months} mo)"), justify="right")
    for key, g in fy.groupby(["component", "citizenship", "demographic"], sort=False):
        cells = [
            f"{fmt(float(r.p50))} [{fmt(float(r.p05))}, {fmt(float(r.p95))}]"  # type: ignore[arg-type]
            for r in g.sort_values("fiscal_year").itertuples()
        ]
        t.add_row(" / ".join(map(str, key)), *cells)
    console.print(t)
    for k, v in fc.summary_rows():
        console.print(f"{k}: {v}", highlight=False)
    folder = out if out is not None else Path(f"{sc.name}-forecast-{last:%Y-%m}")
    command = command_line(
        "forecast",
        scenario,
        until=f"{last:%Y-%m}",
        replicas=replicas,
        seed=seed,
        sets=sets,
        max_sets=max_sets,
        events=events,
        policy_path=policy_path,
        workers=workers,
        scheduler=scheduler,
        out=folder,
    )
    if not discrepancy:
        command += " --no-discrepancy"
    print(f"wrote {fc.write(folder, command=command)}")


def command_line(command: str, scenario: str, **options: object) -> str:
    """The ``corredor`` command that reproduces a run (options that are None left out)."""
    parts = ["corredor", command, scenario]
    for name, value in options.items():
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            if v is not None:
                parts += [f"--{name.replace('_', '-')}", str(v)]
    return " ".join(shlex.quote(p) for p in parts)


__all__ = ["command_line", "forecast_command"]
