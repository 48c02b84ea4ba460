"""``corredor run`` (both kinds of scenario) and ``corredor ensemble``."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

import click

from corredor.app.requests import EnsembleRequest, Request, RunRequest
from corredor.cli.output import (
    NO_PROGRESS_OPTION,
    PNG_OPTION,
    STORE_OPTION,
    announce,
    cell,
    console,
    execute,
    note,
    open_store,
    progress,
    request_command,
    warn,
)
from corredor.errors import CorredorError

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from corredor.app.common import Stored

#: Ledger entries printed for an ensemble, in this order; ``*`` stands for the scenario's ledger
#: labels (``roles.labels``: ``asylum_backlog_mexico_end`` for ``mexico-us``).
PRINTED_LEDGER = (
    "stranded_end_of_year",
    "asylum_backlog_*_end",
    "court_backlog_*_end",
    "deportations_without_screening",
    "expulsions",
)


def printed_ledger(entries: Iterable[str]) -> tuple[str, ...]:
    """The ledger entries among ``entries`` that :data:`PRINTED_LEDGER` names, in its order."""
    have = list(dict.fromkeys(entries))
    return tuple(e for pattern in PRINTED_LEDGER for e in have if fnmatchcase(e, pattern))


# ----------------------------------------------------------------------------------- printing
def print_flee(result: Any) -> None:
    from corredor.cli.output import print_rows
    from corredor.report.summary import summary_rows

    print_rows(summary_rows(result), "Run summary")


def print_corridor(result: Any) -> None:
    from rich.table import Table

    con = console(width=120)
    table = Table(title=f"{result.scenario}: observed vs simulated", title_justify="left")
    for col in ("observable", "rows", "observed", "simulated", "sim/obs", "corr"):
        table.add_column(col, justify="left" if col == "observable" else "right")
    for r in result.fit_table().itertuples(index=False):
        table.add_row(
            str(r.observable) + ("" if r.fitted else " (not fitted)"),
            str(r.rows),
            f"{r.observed:,.0f}",
            f"{r.simulated:,.0f}",
            f"{r.ratio:.2f}",
            cell(r.correlation),
        )
    con.print(table)
    ledger = result.ledger()
    lt = Table(title="Human-cost ledger (last years)", title_justify="left")
    lt.add_column("entry")
    years = list(ledger.index[-4:])
    for y in years:
        lt.add_column(str(y), justify="right")
    for col in ledger.columns:
        lt.add_row(col, *(cell(v) for v in ledger.loc[years, col]))
    con.print(lt)
    for label, value in result.summary_rows():
        con.print(f"{label}: {value}", highlight=False)


def band_cell(row: object) -> str:
    med, lo, hi = (float(getattr(row, k)) for k in ("median", "p05", "p95"))
    return f"{cell(med)} [{cell(lo)}, {cell(hi)}]"


def print_bands(
    con: Console,
    bands: pd.DataFrame,
    names: tuple[str, ...],
    title: str,
    key: str = "observable",
    years: int = 4,
) -> None:
    """A table of ``median [p05, p95]`` for the last ``years`` years and the chosen names."""
    from rich.table import Table

    shown = [n for n in names if n in set(bands[key])]
    if not shown:
        return
    last = sorted(set(bands["year"]))[-years:]
    t = Table(title=title, title_justify="left")
    t.add_column(key)
    for y in last:
        t.add_column(str(y), justify="right")
    for name in shown:
        cells = []
        for y in last:
            row = bands[(bands[key] == name) & (bands["year"] == y)]
            cells.append(band_cell(next(row.itertuples())) if len(row) else "–")
        t.add_row(name, *cells)
    con.print(t)


def print_ensemble(stored: Stored) -> None:
    from corredor.ensemble.corridor_results import compare_corridor

    con = console(width=150)
    base = stored.result
    # the scenario's choice (analysis.report.printed: corredor.app.corridor_runs)
    obs = stored.extra.get("printed") or base.observables[:5]
    print_bands(con, base.bands("annual"), obs, f"{base.scenario}: median [5 %, 95 %] per year")
    ledger = printed_ledger(base.ledger_entries)
    print_bands(con, base.bands("ledger"), ledger, "Human-cost ledger: median [5 %, 95 %]", "entry")
    if "counterfactual" in stored.extra:
        cmp = compare_corridor(base, stored.extra["counterfactual"])
        print_bands(
            con,
            cmp.bands("annual"),
            obs,
            "Counterfactual − history, paired by run: median [5 %, 95 %]",
        )
        print_bands(
            con,
            cmp.bands("ledger"),
            ledger,
            "Ledger, counterfactual − history: median [5 %, 95 %]",
            "entry",
        )
        print(f"saved the counterfactual as run {stored.children['counterfactual']}")
    for k, v in base.summary_rows():
        con.print(f"{k}: {v}", highlight=False)


def print_stored(stored: Stored) -> None:
    """What a run or an ensemble printed, then where it is stored."""
    for text in stored.notes:
        (warn if stored.kind == "flee" else note)(text)
    if stored.kind == "flee":
        print_flee(stored.result)
    elif stored.kind == "corridor":
        print_corridor(stored.result)
    else:
        print_ensemble(stored)
    print(f"saved run {stored.run_id} in {stored.path}")


# ------------------------------------------------------------------------------------- run
def _show_plan(kind: str, scenario: str) -> None:
    if kind == "corridor":
        from corredor.simulation.corridor import describe_corridor_plan

        print(describe_corridor_plan(scenario))
        return
    from corredor.scenario.builtin import resolve_scenario
    from corredor.simulation.flee import describe_flee_plan

    resolve_scenario(scenario)
    print(describe_flee_plan(scenario))


def _run(request: Request, cli: dict[str, Any]) -> None:
    from corredor.app import run as run_use_case
    from corredor.app.common import check_output
    from corredor.app.kinds import scenario_kind
    from corredor.app.requests import applies_to

    assert isinstance(request, RunRequest)
    kind = scenario_kind(request.scenario)
    applies_to(request, kind, request.scenario)
    if cli["show_plan"]:
        _show_plan(kind, request.scenario)
        return
    several = kind == "corridor" and (
        request.replicas > 1 or request.workers is not None or request.scheduler is not None
    )
    if cli["validation"] is not None:
        if cli["report"] is None or several or kind != "corridor":
            raise CorredorError(
                "--validation FILE shows the back-test in a corridor run's report: add --report"
            )
        from pathlib import Path

        from corredor.validation.backtest import read_table

        read_table(Path(cli["validation"]))  # errors before a long run
    check_output(cli["report"], "--report")  # an unwritable output fails before a long run
    check_output(cli["png"], "--png")
    store = open_store(cli["store"])  # so does an unusable store
    unit = "replica-days" if kind == "flee" else ("runs" if several else "days")
    first = announce(request, store) if several else None
    with progress(not cli["no_progress"], unit, first) as callback:
        stored = run_use_case(request, store, callback, command=request.command_line("run"))
    print_stored(stored)
    if cli["report"] is not None or cli["png"] is not None:
        from corredor.app import ReportRequest, report  # the report's machinery: only when asked

        made = report(
            ReportRequest(
                run=stored.run_id,
                output=cli["report"],
                png=cli["png"],
                validation=cli["validation"],
            ),
            store,
        )
        if cli["report"] is not None:
            print(f"report: {made.html}")
        if made.png is not None:
            print(f"picture: {made.png}")


RUN = request_command(
    "run",
    RunRequest,
    _run,
    extra=[
        STORE_OPTION,
        click.Option(["--report", "report"], metavar="FILE", help="Also write the HTML report."),
        PNG_OPTION,
        click.Option(
            ["--validation", "validation"],
            metavar="FILE",
            help="With --report, a corridor run: show this back-test table (backtest.csv of "
            "`corredor validate-model`) in the report's Validation section.",
        ),
        click.Option(
            ["--show-plan", "show_plan"], is_flag=True, help="Print the day plan and exit."
        ),
        NO_PROGRESS_OPTION,
    ],
    help="Run a scenario of either kind (Flee or corridor), print a summary and store the "
    "result (list it with `corredor runs`, report it with `corredor report`). A corridor "
    "scenario with --replicas N > 1 runs an ensemble of the calibration's point fit.",
)


def _ensemble(request: Request, cli: dict[str, Any]) -> None:
    from corredor.app import ensemble

    assert isinstance(request, EnsembleRequest)
    print_stored(execute(ensemble, request, cli, "ensemble"))


ENSEMBLE = request_command(
    "ensemble",
    EnsembleRequest,
    _ensemble,
    extra=[STORE_OPTION, NO_PROGRESS_OPTION],
    help="A corridor ensemble: parameter sets × seeds with common random numbers; median and "
    "50/90 % bands of every observable and ledger entry, stored (docs/scale-out.md). With "
    "--counterfactual FILE the counterfactual runs too and the paired difference is printed.",
)

COMMANDS = [RUN, ENSEMBLE]
