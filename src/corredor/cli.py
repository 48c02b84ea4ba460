"""The ``corredor`` command line.

Exit status: 0 on success; 2 on bad input (a malformed scenario, a bad option, an unknown run),
with one ``error: …`` line on stderr and no traceback; 1 on an internal error (a bug), with a
short message (the traceback with ``--debug`` or ``CORREDOR_DEBUG=1``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from corredor.errors import CorredorError

if TYPE_CHECKING:
    from rich.console import Console

    from corredor.results import RunResult

EXIT_INPUT = 2
EXIT_BUG = 1
EXIT_INTERRUPTED = 130
DEFAULT_STORE = Path("runs")

app = typer.Typer(
    name="corredor",
    help="Simulate migration corridors; run Flee scenarios; store, list and report runs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# ------------------------------------------------------------------------- shared options
# Options that several commands declare identically (name, default type and help): declared
# once here. An option whose help differs between commands stays with its command.
CorridorScenarioArg = Annotated[
    str, typer.Argument(metavar="SCENARIO", help="A corridor scenario.")
]
StoreOpt = Annotated[Path, typer.Option("--store", "--out", "-s", help="Results store directory.")]
DaysOpt = Annotated[
    int | None, typer.Option(min=1, help="Simulate this many days (default: the scenario's).")
]
ReplicasOpt = Annotated[int, typer.Option(min=1, help="Seeds per parameter set.")]
SetsOpt = Annotated[
    str,
    typer.Option(
        help="Parameter sets: 'point' (the calibrated point fit, else the scenario defaults), "
        "'calibrated' (the calibrated ensemble of plausible sets) or 'uncalibrated' (the "
        "scenario's hand-set defaults)."
    ),
]
MaxSetsOpt = Annotated[
    int | None, typer.Option(min=1, help="Keep at most N parameter sets (by weight).")
]
WorkersOpt = Annotated[
    int | None, typer.Option(min=1, help="Run on N local processes (same results, bit for bit).")
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        metavar="tcp://HOST:PORT", help="Run on this Dask scheduler's cluster (same results)."
    ),
]
NoProgressOpt = Annotated[bool, typer.Option("--no-progress", help="No progress bar.")]
PlotOpt = Annotated[Path | None, typer.Option("--plot", help="Write a PNG chart here.")]


# ------------------------------------------------------------------------------ output helpers
def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _print_error(message: str) -> None:
    from rich.text import Text

    _console(stderr=True).print(Text(f"error: {message}", style="red"))


def _debug_enabled(ctx: typer.Context) -> bool:
    if os.environ.get("CORREDOR_DEBUG", "").strip() not in ("", "0"):
        return True
    obj = ctx.find_root().obj
    return bool(isinstance(obj, dict) and obj.get("debug"))


@contextmanager
def _errors(ctx: typer.Context) -> Iterator[None]:
    """Turn exceptions into exit codes: CorredorError → 2, other errors → 1."""
    try:
        yield
    except typer.Exit:
        raise
    except CorredorError as exc:
        if _debug_enabled(ctx):
            raise
        _print_error(str(exc))
        raise typer.Exit(EXIT_INPUT) from None
    except KeyboardInterrupt:
        _print_error("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        if _debug_enabled(ctx):
            raise
        request_problem = _request_error(exc)
        if request_problem is not None:  # a request's field out of bounds or choices
            _print_error(request_problem)
            raise typer.Exit(EXIT_INPUT) from None
        _print_error(f"internal error: {type(exc).__name__}: {exc}")
        _console(stderr=True).print(
            "This is a bug in Corredor. Please report it with the command you ran; "
            "rerun with --debug (or CORREDOR_DEBUG=1) to see the traceback."
        )
        raise typer.Exit(EXIT_BUG) from None


def _request_error(exc: Exception) -> str | None:
    """The one-line message of a request's validation error (None for any other error)."""
    from pydantic import ValidationError

    from corredor.app import requests

    if not isinstance(exc, ValidationError):
        return None
    model = getattr(requests, exc.title, None)
    if not (isinstance(model, type) and issubclass(model, requests.Request)):
        return None
    return str(requests.request_error(exc, model))


def _version(value: bool) -> None:
    if value:
        from corredor import __version__

        print(f"corredor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of internal errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Corredor: a fast simulator of migration corridors (Flee 3.1-compatible)."""
    ctx.obj = {"debug": debug}


# ------------------------------------------------------------------------------------- run
def _print_summary(result: RunResult) -> None:
    from rich.table import Table

    table = Table(title="Run summary", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    from corredor.report.summary import summary_rows

    for label, value in summary_rows(result):
        table.add_row(label, value)
    _console().print(table)


@contextmanager
def _progress(show: bool, unit: str) -> Iterator[Any]:
    """A progress bar fed by the use cases' ``progress(done, total, what)``."""
    from corredor.progress import progress_bar

    with progress_bar(show, unit, times=unit != "days") as bar:
        if bar is None:
            yield None
            return

        def callback(done: float, total: float, what: str) -> None:
            bar.update(completed=done, total=total, description=what)

        yield callback


def _parse_set(values: list[str] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not name.strip() or not math.isfinite(number):
            raise CorredorError(
                f"--set {item!r}: write NAME=VALUE with a number, e.g. usbp_hazard=4"
            )
        out[name.strip()] = number
    return out


@app.command()
def run(
    ctx: typer.Context,
    scenario: Annotated[
        str,
        typer.Argument(
            metavar="SCENARIO",
            help="A built-in scenario (corredor scenarios), a corridor scenario YAML or a Flee "
            "scenario folder.",
        ),
    ],
    *,
    seed: Annotated[int, typer.Option(help="Seed of the first replica (replica k: seed+k).")] = 0,
    replicas: Annotated[int, typer.Option(min=1, help="Number of replicas.")] = 1,
    out: Annotated[
        Path, typer.Option("--store", "--out", help="Results store directory.")
    ] = DEFAULT_STORE,
    days: DaysOpt = None,
    hasten: Annotated[
        int | None, typer.Option(min=1, help="Flee: divide populations and data by this.")
    ] = None,
    flee31_quirks: Annotated[
        bool | None,
        typer.Option(
            "--flee31-quirks/--no-flee31-quirks",
            help="Flee: reproduce Flee 3.1's known bugs (default: the scenario's setting).",
            show_default=False,
        ),
    ] = None,
    threads: Annotated[
        int | None, typer.Option(min=1, help="Numba threads (results do not depend on it).")
    ] = None,
    parallel: Annotated[
        bool,
        typer.Option(
            "--parallel",
            help="Flee: decisions in a movement pass see the counts at the start of the pass "
            "(Flee's MPI semantics), so agents move on all threads.",
        ),
    ] = False,
    no_progress: Annotated[
        bool, typer.Option("--no-progress", help="Do not show a progress bar.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Run the replicas on N local processes (same results)."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            metavar="tcp://HOST:PORT", help="Run the replicas on this Dask scheduler's cluster."
        ),
    ] = None,
    show_plan: Annotated[
        bool, typer.Option("--show-plan", help="Print the day plan and exit.")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(help="Also write the run's HTML report to this file."),
    ] = None,
    png: Annotated[
        Path | None,
        typer.Option("--png", help="Also write the run's main figure to this PNG file."),
    ] = None,
    events: Annotated[
        list[str] | None,
        typer.Option(
            "--event",
            "--events",
            metavar="FILE",
            help="Corridor: add the policy events of this YAML/CSV file (repeatable), "
            "e.g. counterfactuals/safe_third_country.yaml of the built-in mexico-us.",
        ),
    ] = None,
    without_events: Annotated[
        list[str] | None,
        typer.Option(
            "--without-event",
            metavar="ID",
            help="Corridor: leave out the scenario's policy event with this id (repeatable).",
        ),
    ] = None,
    set_values: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="NAME=VALUE",
            help="Corridor: set a lever or parameter (repeatable), checked against its range.",
        ),
    ] = None,
    calibration: Annotated[
        str,
        typer.Option(
            metavar="NAME|FILE|RUN",
            help="Corridor: 'shipped' (the scenario's calibrated.yaml), 'none' (hand-set "
            "defaults), a calibrated.yaml or a stored calibration run.",
        ),
    ] = "shipped",
    uncalibrated: Annotated[
        bool,
        typer.Option("--uncalibrated", help="Corridor: the same as --calibration none."),
    ] = False,
    validation: Annotated[
        Path | None,
        typer.Option(
            "--validation",
            metavar="FILE",
            help="With --report: show this back-test table (backtest.csv written by "
            "`corredor validate-model --backtest STUDY --out DIR`) in the report's "
            "Validation section.",
        ),
    ] = None,
) -> None:
    """Run a scenario of either kind (Flee or corridor), print a summary and store the result
    in the results store (list it with `corredor runs`, report it with `corredor report`)."""
    with _errors(ctx):
        from corredor.app import ReportRequest, RunRequest
        from corredor.app import report as make_report
        from corredor.app import run as run_use_case
        from corredor.app.requests import applies_to
        from corredor.app.scenarios import scenario_kind
        from corredor.store import ResultsStore

        fields: dict[str, Any] = {
            "scenario": scenario,
            "seed": seed,
            "replicas": replicas,
            "days": days,
            "threads": threads,
            "workers": workers,
            "scheduler": scheduler,
            "hasten": hasten,
            "flee31_quirks": flee31_quirks,
            "parallel": parallel,
            "calibration": "none" if uncalibrated else calibration,
            "set": _parse_set(set_values),
            "without_events": without_events or [],
            "events": events or [],
        }
        request = RunRequest(**fields)
        kind = scenario_kind(scenario)
        applies_to(request, kind, scenario)
        if show_plan:
            _show_plan(kind, scenario)
            return
        if validation is not None and report is None:
            raise CorredorError("--validation FILE shows the back-test in the report: add --report")
        if validation is not None:
            from corredor.validation.backtest import read_table

            read_table(validation)  # errors before a long run
        several = kind == "corridor" and (replicas > 1 or workers is not None or scheduler)
        if several and (report is not None or png is not None):
            raise CorredorError(
                "--report, --png and --validation show a single corridor run; drop --replicas, "
                "--workers and --scheduler, or run `corredor report RUN` on the ensemble"
            )
        store = ResultsStore(out)  # fail fast on an unusable store, before a long run
        unit = "replica-days" if kind == "flee" else ("runs" if several else "days")
        with _progress(not no_progress, unit) as progress:
            command = request.command_line("run")
            stored = run_use_case(request, store, progress, command=command)
        if stored.kind == "flee":
            for warning in stored.notes:
                _console(stderr=True).print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
            _print_summary(stored.result)
        elif stored.kind == "corridor":
            _print_corridor(stored.result, stored.notes)
        else:
            _print_ensemble(stored)
        print(f"saved run {stored.run_id} in {stored.path}")
        if report is not None or png is not None:
            made = make_report(
                ReportRequest(
                    run=stored.run_id,
                    output=str(report) if report is not None else str(stored.path / "report.html"),
                    png=None if png is None else str(png),
                    validation=None if validation is None else str(validation),
                ),
                store,
            )
            if report is not None:
                print(f"report: {made.html}")
            if made.png is not None:
                print(f"picture: {made.png}")


def _show_plan(kind: str, scenario: str) -> None:
    if kind == "corridor":
        from corredor.rules.corridor.results import describe_corridor_plan

        print(describe_corridor_plan())
        return
    from corredor.rules.flee.model import describe_plan
    from corredor.scenario.builtin import resolve_scenario

    resolve_scenario(scenario)  # fail fast on a bad name or path
    print(describe_plan(scenario))


def _cell(v: float) -> str:
    if math.isnan(v):
        return "–"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:,.0f}"


def _print_corridor(result: Any, notes: list[str]) -> None:
    from rich.table import Table

    console = _console()
    for note in notes:
        console.print(f"[yellow]note:[/yellow] {note}", highlight=False)
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
            _cell(float(r.correlation)),
        )
    console.print(table)
    ledger = result.ledger()
    lt = Table(title="Human-cost ledger (last years)", title_justify="left")
    lt.add_column("entry")
    years = list(ledger.index[-4:])
    for y in years:
        lt.add_column(str(y), justify="right")
    for col in ledger.columns:
        vals = ledger.loc[years, col]
        lt.add_row(col, *(_cell(float(v)) for v in vals))
    console.print(lt)
    for label, value in result.summary_rows():
        console.print(f"{label}: {value}", highlight=False)


def _print_ensemble(stored: Any) -> None:
    from corredor.ensemble.corridor_cli import PRINTED_LEDGER, PRINTED_OBSERVABLES, print_bands
    from corredor.ensemble.corridor_results import compare_corridor

    console = _console()
    if not console.is_terminal:  # piped or redirected: do not squeeze the tables
        console.width = max(console.width, 150)
    for note in stored.notes:
        console.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    base = stored.result
    obs = tuple(o for o in PRINTED_OBSERVABLES if o in base.observables) or base.observables[:5]
    print_bands(console, base, "annual", obs, f"{base.scenario}: median [5 %, 95 %] per year")
    print_bands(console, base, "ledger", PRINTED_LEDGER, "Human-cost ledger: median [5 %, 95 %]")
    if "counterfactual" in stored.extra:
        cmp = compare_corridor(base, stored.extra["counterfactual"])
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
        print(f"saved the counterfactual as {stored.children['counterfactual']}")
    for k, v in base.summary_rows():
        console.print(f"{k}: {v}", highlight=False)


# ------------------------------------------------------------------------------------ runs
@app.command()
def runs(
    ctx: typer.Context,
    store_dir: StoreOpt = DEFAULT_STORE,
    kind: Annotated[
        str | None, typer.Option(help="Only results of this kind (flee, corridor, …).")
    ] = None,
    scenario: Annotated[str | None, typer.Option(help="Only results of this scenario.")] = None,
) -> None:
    """List the results in the store (every kind), oldest first."""
    with _errors(ctx):
        from rich.table import Table

        from corredor.app import ListRequest, list_runs
        from corredor.store import ResultsStore, is_store

        if not is_store(store_dir):
            print(f"no runs in {store_dir} (no results store there)")
            return
        request = ListRequest.model_validate({"kind": kind, "scenario": scenario})
        df = list_runs(request, ResultsStore(store_dir))
        if df.empty:
            print(f"no runs in {store_dir}")
            return
        table = Table(title=f"Runs in {store_dir}", title_justify="left")
        table.add_column("run id", no_wrap=True)
        for col in ("kind", "scenario", "created (UTC)", "seeds", "days", "parent"):
            table.add_column(col)
        for col in ("ARD", "seconds"):
            table.add_column(col, justify="right")
        for row in df.itertuples(index=False):
            seeds = str(row.seeds)
            table.add_row(
                str(row.run_id),
                str(row.kind),
                str(row.scenario),
                str(row.created),
                seeds if len(seeds) < 16 else seeds[:14] + "…",
                str(row.days),
                str(row.parent or ""),
                _number(row.ard, "{:.4f}"),
                _number(row.seconds, "{:.2f}"),
            )
        console = _console()
        if not console.is_terminal:  # piped: do not squeeze the table into 80 columns
            console.width = 200
        console.print(table)


def _number(value: object, fmt: str) -> str:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    return fmt.format(x) if math.isfinite(x) else "–"


# ---------------------------------------------------------------------------------- report
@app.command()
def report(
    ctx: typer.Context,
    run_ref: Annotated[
        str,
        typer.Argument(
            metavar="RUN",
            help="A stored run: its id, a unique prefix of it, or 'latest'.",
        ),
    ] = "latest",
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="HTML file to write (default: <run dir>/report.html)."),
    ] = None,
    store_dir: StoreOpt = DEFAULT_STORE,
    png: Annotated[
        Path | None,
        typer.Option("--png", help="Also write the run's main figure to this PNG file."),
    ] = None,
    validation: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Corridor runs: show this back-test table (backtest.csv of `corredor "
            "validate-model`) in the report's Validation section.",
        ),
    ] = None,
) -> None:
    """Write the HTML report of a stored run of any kind, after the fact."""
    with _errors(ctx):
        from corredor.app import ReportRequest
        from corredor.app import report as make_report
        from corredor.errors import RunError
        from corredor.store import ResultsStore, is_store

        folder = Path(run_ref)
        if not is_store(store_dir) and not (folder / "summary.json").is_file():
            raise RunError(f"{run_ref}: there is no results store in {store_dir}")
        made = make_report(
            ReportRequest(
                run=run_ref,
                output=None if output is None else str(output),
                png=None if png is None else str(png),
                validation=None if validation is None else str(validation),
            ),
            ResultsStore(store_dir) if is_store(store_dir) else None,
        )
        print(f"report written to {made.html}")
        if made.png is not None:
            print(f"figure written to {made.png}")


# ------------------------------------------------------------------------------- scenarios
@app.command()
def scenarios(ctx: typer.Context) -> None:
    """List the built-in scenarios (names accepted by `corredor run`)."""
    with _errors(ctx):
        from corredor.scenario.builtin import scenarios as builtin_scenarios

        for name in builtin_scenarios():
            print(name)


# ------------------------------------------------------------------- corridor scenarios
scenario_app = typer.Typer(
    help="Corridor scenarios: list and show the built-in ones.", no_args_is_help=True
)
app.add_typer(scenario_app, name="scenario")


@app.command()
def validate(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="A corridor scenario YAML file, a folder with scenario.yaml, or a built-in name.",
        ),
    ],
) -> None:
    """Check a corridor scenario without running it (exit status 2 if it is invalid)."""
    with _errors(ctx):
        from corredor.scenario.corridor import load_corridor_scenario, summary_line

        print(f"OK: {summary_line(load_corridor_scenario(file))}")


@scenario_app.command("list")
def scenario_list(ctx: typer.Context) -> None:
    """List the built-in scenarios of both kinds (corridor and Flee)."""
    with _errors(ctx):
        from corredor.scenario.builtin import scenarios as flee_scenarios
        from corredor.scenario.corridor import builtin_corridor_scenarios

        for name in builtin_corridor_scenarios():
            print(f"{name}\tcorridor\t(corredor scenario show {name})")
        for name in flee_scenarios():
            print(f"{name}\tflee\t(corredor run {name})")


@scenario_app.command("show")
def scenario_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="A built-in corridor scenario.")],
) -> None:
    """Print a built-in corridor scenario: its YAML, then a summary table."""
    with _errors(ctx):
        from rich.table import Table

        from corredor.errors import ScenarioError
        from corredor.scenario.corridor import (
            builtin_corridor_scenarios,
            load_corridor_scenario,
            summary_rows,
        )

        builtin = builtin_corridor_scenarios()
        if name not in builtin:
            raise ScenarioError(
                name,
                "no such built-in corridor scenario",
                fix=f"use one of: {', '.join(builtin) or 'none'} (corredor scenario list)",
            )
        scenario = load_corridor_scenario(builtin[name])
        print(builtin[name].read_text(encoding="utf-8"))
        table = Table(title=f"Scenario {name}", show_header=False, title_justify="left")
        table.add_column(style="bold")
        table.add_column()
        for label, value in summary_rows(scenario):
            table.add_row(label, value)
        console = _console()
        if not console.is_terminal:
            console.width = 120
        console.print(table)


# --------------------------------------------------------------------------------- bargain
@app.command()
def bargain(
    ctx: typer.Context,
    scenario: Annotated[
        str,
        typer.Argument(
            metavar="SCENARIO",
            help="The episode to play: 'mexico-us' (June 2019); with --endogenous/--exogenous "
            "a corridor scenario with a bargaining: block.",
        ),
    ] = "mexico-us",
    exposure: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of the transit state's exports sold to the hegemon (counterfactual; "
            "default: the data, 0.815).",
        ),
    ] = None,
    credibility: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Credibility of the tariff threat.")
    ] = 1.0,
    do_sweep: Annotated[
        bool,
        typer.Option("--sweep", help="Sweep exposure (0-1) and credibility (0-1) instead."),
    ] = False,
    review_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Length of a review period in days (45 or 90 in 2019; default 90, or the "
            "scenario's with --endogenous/--exogenous).",
        ),
    ] = None,
    periods: Annotated[
        int, typer.Option(min=2, help="Review periods (the first ends on 2019-06-10).")
    ] = 3,
    refine: Annotated[
        bool, typer.Option("--refine", help="Refine the grid solution continuously (scipy).")
    ] = False,
    plot: PlotOpt = None,
    endogenous: Annotated[
        bool,
        typer.Option(
            "--endogenous", help="Play the game on the corridor simulation; it sets the policy."
        ),
    ] = False,
    exogenous: Annotated[
        bool,
        typer.Option(
            "--exogenous",
            help="Run the corridor simulation with the historical policy; map the feasible "
            "space alongside.",
        ),
    ] = False,
    days: Annotated[
        int | None,
        typer.Option(min=1, help="With --endogenous/--exogenous: simulate this many days."),
    ] = None,
    seed: Annotated[int, typer.Option(help="With --endogenous/--exogenous: the run's seed.")] = 0,
    report: Annotated[
        Path | None,
        typer.Option(help="With --endogenous/--exogenous: write the corridor HTML report here."),
    ] = None,
    uncalibrated: Annotated[
        bool,
        typer.Option(
            "--uncalibrated",
            help="With --endogenous/--exogenous: run the hand-set defaults, not calibrated.yaml.",
        ),
    ] = False,
) -> None:
    """Play the hegemon–transit-state threat game (docs/bargaining.md) and print a table."""
    with _errors(ctx):
        if endogenous or exogenous:
            from corredor.bargaining.cli_tables import coupled_command

            coupled_command(
                _console(),
                scenario=scenario,
                endogenous=endogenous,
                exogenous=exogenous,
                exposure=exposure,
                credibility=credibility,
                review_days=review_days,
                days=days,
                seed=seed,
                plot=plot,
                report=report,
                uncalibrated=uncalibrated,
            )
            return
        from corredor.bargaining.cli_tables import bargain_command

        bargain_command(
            _console(),
            scenario=scenario,
            exposure=exposure,
            credibility=credibility,
            do_sweep=do_sweep,
            review_days=review_days,
            periods=periods,
            refine=refine,
            plot=plot,
        )


# ------------------------------------------------------------ corridor ensembles and forecasts
@app.command()
def ensemble(
    ctx: typer.Context,
    scenario: Annotated[
        str, typer.Argument(metavar="SCENARIO", help="A corridor scenario (mexico-us, a YAML…).")
    ],
    *,
    replicas: ReplicasOpt = 4,
    seed: Annotated[int, typer.Option(help="First seed (seeds seed … seed+replicas-1).")] = 0,
    sets: SetsOpt = "point",
    max_sets: MaxSetsOpt = None,
    counterfactual: Annotated[
        list[str] | None,
        typer.Option(
            metavar="FILE",
            help="Also run with the policy events of this file added (same sets and seeds) "
            "and store the paired difference; repeatable.",
        ),
    ] = None,
    events: Annotated[
        list[str] | None,
        typer.Option("--event", metavar="FILE", help="Add these policy events (repeatable)."),
    ] = None,
    without_events: Annotated[
        list[str] | None,
        typer.Option("--without-event", metavar="ID", help="Leave out this policy event."),
    ] = None,
    set_values: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="NAME=VALUE", help="Set a lever or parameter."),
    ] = None,
    calibration: Annotated[
        str, typer.Option(metavar="NAME|FILE|RUN", help="'shipped', 'none', a file or a run.")
    ] = "shipped",
    days: DaysOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    out: StoreOpt = DEFAULT_STORE,
    no_progress: NoProgressOpt = False,
) -> None:
    """Corridor ensemble: parameter sets × replicas with common random numbers; median and
    50/90 % bands of every observable and ledger entry (docs/scale-out.md), stored."""
    with _errors(ctx):
        from corredor.app import EnsembleRequest
        from corredor.app import ensemble as ensemble_use_case
        from corredor.store import ResultsStore

        request = EnsembleRequest.model_validate(
            {
                "scenario": scenario,
                "replicas": replicas,
                "seed": seed,
                "sets": sets,
                "max_sets": max_sets,
                "counterfactual": counterfactual or [],
                "events": events or [],
                "without_events": without_events or [],
                "set": _parse_set(set_values),
                "calibration": calibration,
                "days": days,
                "workers": workers,
                "scheduler": scheduler,
            }
        )
        store = ResultsStore(out)
        with _progress(not no_progress, "runs") as progress:
            stored = ensemble_use_case(
                request, store, progress, command=request.command_line("ensemble")
            )
        _print_ensemble(stored)
        print(f"saved run {stored.run_id} in {stored.path}")


@app.command()
def forecast(
    ctx: typer.Context,
    scenario: CorridorScenarioArg = "mexico-us",
    *,
    until: Annotated[
        str, typer.Option(metavar="YYYY-MM", help="Last month forecast (e.g. 2024-09).")
    ],
    replicas: ReplicasOpt = 4,
    seed: Annotated[int, typer.Option(help="First seed.")] = 0,
    sets: SetsOpt = "calibrated",
    max_sets: MaxSetsOpt = None,
    events: Annotated[
        Path | None,
        typer.Option(
            "--events",
            help="Forecast policy events (default: policy_events_forecast.yaml of the scenario).",
        ),
    ] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output directory (default: <scenario>-forecast-<until>)."),
    ] = None,
    discrepancy: Annotated[
        bool,
        typer.Option(
            help="Widen the encounter bands by the model discrepancy (in-sample log-RMSE); "
            "--no-discrepancy: runs only.",
        ),
    ] = True,
    no_progress: NoProgressOpt = False,
) -> None:
    """Forecast past the calibration horizon: forecast.csv with
    date,component,citizenship,demographic,p05,p50,p95 and the ledger (docs/forecast.md)."""
    with _errors(ctx):
        from corredor.forecasting.cli import forecast_command

        forecast_command(
            _console(),
            scenario=scenario,
            until=until,
            replicas=replicas,
            seed=seed,
            sets=sets,
            max_sets=max_sets,
            events=events,
            workers=workers,
            scheduler=scheduler,
            out=out,
            show_progress=not no_progress,
            discrepancy=discrepancy,
        )


@app.command()
def sensitivity(
    ctx: typer.Context,
    scenario: CorridorScenarioArg = "mexico-us",
    *,
    method: Annotated[str, typer.Option(help="morris (screening) or sobol (S1, ST).")] = "morris",
    trajectories: Annotated[
        int,
        typer.Option(min=2, help="Morris trajectories, or the Sobol base sample (a power of 2)."),
    ] = 10,
    parameters: Annotated[
        str | None,
        typer.Option(help="Comma-separated calibration parameters (default: all with a range)."),
    ] = None,
    outputs: Annotated[
        str | None,
        typer.Option(help="Comma-separated observables and ledger.<entry> names."),
    ] = None,
    levels: Annotated[int, typer.Option(min=2, help="Morris grid levels (even).")] = 4,
    events: Annotated[
        list[Path] | None,
        typer.Option(
            "--events",
            help="Add these policy events (e.g. counterfactuals/safe_third_country.yaml); "
            "their levers become factors.",
        ),
    ] = None,
    replicas: Annotated[int, typer.Option(min=1, help="Seeds per design row.")] = 1,
    seed: Annotated[int, typer.Option(help="First seed, and the design's seed.")] = 0,
    days: DaysOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    top: Annotated[int, typer.Option(min=1, help="Parameters shown per output.")] = 10,
    plot: PlotOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output directory (default: <scenario>-sensitivity-<method>)."),
    ] = None,
    no_progress: NoProgressOpt = False,
) -> None:
    """Global sensitivity (SALib Morris or Sobol) of observables and ledger entries to the
    calibration parameters and policy levers (docs/sensitivity.md)."""
    with _errors(ctx):
        from corredor.sensitivity.cli import sensitivity_command

        sensitivity_command(
            _console(),
            scenario=scenario,
            method=method,
            size=trajectories,
            parameters=parameters,
            outputs=outputs,
            levels=levels,
            replicas=replicas,
            seed=seed,
            days=days,
            events=events or [],
            workers=workers,
            scheduler=scheduler,
            top=top,
            plot=plot,
            out=out,
            show_progress=not no_progress,
        )


# ------------------------------------------------------------------ calibration, validation
@app.command()
def calibrate(
    ctx: typer.Context,
    scenario: CorridorScenarioArg,
    trials: Annotated[int, typer.Option(min=1, help="Complete trials wanted in total.")] = 40,
    workers: Annotated[int, typer.Option(min=1, help="Local worker processes.")] = 2,
    scheduler: Annotated[
        str | None, typer.Option(metavar="tcp://HOST:PORT", help="Run trials on this Dask cluster.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Last day of data fitted (default and latest: 2021-09-30).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Study folder; calibrated.yaml goes only there (default: "
            "calibrations/SCENARIO, and calibrated.yaml next to the scenario)."
        ),
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the study in --out.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of every trial's run.")] = 0,
    batch: Annotated[int, typer.Option(min=1, help="Trials evaluated together.")] = 4,
    parameter: Annotated[
        list[str] | None, typer.Option(help="Fit this parameter (repeatable; default: a set).")
    ] = None,
    no_progress: NoProgressOpt = False,
    base: Annotated[
        Path | None,
        typer.Option("--from", help="Start from this calibrated.yaml (a fit in stages)."),
    ] = None,
    agent_budget: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Stop (prune) a trial past this many times the agents, or the agent-days "
            "active, of the first trial (0: no budget).",
        ),
    ] = 2.0,
) -> None:
    """Fit a corridor scenario to its data (Optuna TPE; docs/calibration.md)."""
    with _errors(ctx):
        from corredor.calibration.cli import calibrate_command

        calibrate_command(
            _console(),
            scenario=scenario,
            trials=trials,
            workers=workers,
            scheduler=scheduler,
            until=until,
            out=out,
            resume=resume,
            seed=seed,
            batch=batch,
            parameters=parameter or [],
            show_progress=not no_progress,
            base=base,
            agent_budget=agent_budget,
        )


@app.command("validate-model")
def validate_model(
    ctx: typer.Context,
    scenario: CorridorScenarioArg,
    seed: Annotated[int, typer.Option(help="Seed of the runs.")] = 0,
    uncalibrated: Annotated[
        bool, typer.Option("--uncalibrated", help="Use the hand-set defaults.")
    ] = False,
    backtest: Annotated[
        Path | None,
        typer.Option(help="Folder of a calibration to data up to 2018-12-31: run the back-test."),
    ] = None,
    members: Annotated[
        int, typer.Option(min=0, help="Back-test: also run N plausible sets for a 90 % band.")
    ] = 0,
    replicas: Annotated[
        int,
        typer.Option(min=1, help="Back-test: run every set with this many seeds (for the band)."),
    ] = 1,
    discrepancy: Annotated[
        bool,
        typer.Option(
            help="Back-test: widen the band by the model's fit-window log-RMSE (model "
            "discrepancy); --no-discrepancy: runs only.",
        ),
    ] = True,
    out: Annotated[Path | None, typer.Option(help="Also write the tables (CSV) here.")] = None,
) -> None:
    """Fit statistics of a corridor scenario and its back-test against naive baselines."""
    with _errors(ctx):
        from corredor.calibration.cli import validate_model_command

        validate_model_command(
            _console(),
            scenario=scenario,
            seed=seed,
            uncalibrated=uncalibrated,
            backtest=backtest,
            members=members,
            replicas=replicas,
            discrepancy=discrepancy,
            out=out,
        )


def main() -> None:
    """Entry point of the ``corredor`` command."""
    app(prog_name="corredor")
