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

    from corredor.progress import Bar
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
        _print_error(f"internal error: {type(exc).__name__}: {exc}")
        _console(stderr=True).print(
            "This is a bug in Corredor. Please report it with the command you ran; "
            "rerun with --debug (or CORREDOR_DEBUG=1) to see the traceback."
        )
        raise typer.Exit(EXIT_BUG) from None


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


class _ProgressCallback:
    """Adapts ``corredor.run``'s ``progress(replica, day, days)`` to a progress bar."""

    def __init__(self, bar: Bar, replicas: int) -> None:
        self.bar = bar
        self.replicas = replicas
        self.done: dict[int, int] = {}

    def __call__(self, replica: int, day: int, days: int) -> None:
        self.done[replica] = max(self.done.get(replica, 0), min(day + 1, days))
        self.bar.update(
            total=days * self.replicas,
            completed=sum(self.done.values()),
            description=f"replica {replica + 1}/{self.replicas}",
        )


def _run(scenario: str, show_progress: bool, **kwargs: Any) -> RunResult:
    from corredor.api import run as corredor_run
    from corredor.progress import progress_bar

    with progress_bar(show_progress, "replica-days") as bar:
        callback = None if bar is None else _ProgressCallback(bar, kwargs["replicas"])
        return corredor_run(scenario, progress=callback, **kwargs)


@app.command()
def run(
    ctx: typer.Context,
    scenario: Annotated[
        str,
        typer.Argument(
            metavar="SCENARIO", help="A Flee scenario directory or a built-in scenario name."
        ),
    ],
    *,
    seed: Annotated[int, typer.Option(help="Seed of the first replica (replica k: seed+k).")] = 0,
    replicas: Annotated[int, typer.Option(min=1, help="Number of replicas.")] = 1,
    out: Annotated[
        Path, typer.Option("--out", "--store", help="Results store directory.")
    ] = DEFAULT_STORE,
    days: DaysOpt = None,
    hasten: Annotated[
        int | None, typer.Option(min=1, help="Divide populations and data by this (Flee).")
    ] = None,
    flee31_quirks: Annotated[
        bool | None,
        typer.Option(
            "--flee31-quirks/--no-flee31-quirks",
            help="Reproduce Flee 3.1's known bugs (default: the scenario's setting).",
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
            help="Decisions in a movement pass see the counts at the start of the pass "
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
        typer.Option(help="Corridor scenarios: also write an HTML report to this file."),
    ] = None,
    png: Annotated[
        Path | None,
        typer.Option(
            "--png",
            help="Corridor scenarios: also save a two-panel picture (encounters observed vs "
            "simulated; people stranded in border cities) to this PNG file.",
        ),
    ] = None,
    events: Annotated[
        list[Path] | None,
        typer.Option(
            "--events",
            help="Corridor scenarios: add the policy events of this YAML/CSV file (repeatable), "
            "e.g. counterfactuals/safe_third_country.yaml of the built-in mexico-us.",
        ),
    ] = None,
    uncalibrated: Annotated[
        bool,
        typer.Option(
            "--uncalibrated",
            help="Corridor scenarios: ignore calibrated.yaml, run the hand-set defaults.",
        ),
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
    """Run a scenario, print a summary and save the results to the store.

    A corridor scenario (``mexico-us``, a scenario YAML or a folder with scenario.yaml) prints
    observed vs simulated for each observable and the ledger, and writes its tables to
    ``OUT/<scenario>-seed<SEED>/`` (and an HTML report with ``--report``).
    """
    with _errors(ctx):
        if _is_corridor(scenario):
            _run_corridor(
                scenario,
                seed=seed,
                days=days,
                out=out,
                report=report,
                show_plan=show_plan,
                show_progress=not no_progress,
                events=events or [],
                png=png,
                replicas=replicas,
                workers=workers,
                scheduler=scheduler,
                uncalibrated=uncalibrated,
                validation=validation,
            )
            return
        if validation is not None:
            raise CorredorError("--validation goes with --report, for a corridor scenario")
        from corredor.scenario.builtin import resolve_scenario

        resolve_scenario(scenario)  # fail fast on a bad name or path
        if show_plan:
            from corredor.simulation.flee import describe_flee_plan

            print(describe_flee_plan(scenario))
            return
        from corredor.store import ResultsStore

        store = ResultsStore(out)  # fail fast on an unusable store, before a long run
        result = _run(
            scenario,
            not no_progress,
            seed=seed,
            replicas=replicas,
            days=days,
            hasten=hasten,
            flee31_quirks=flee31_quirks,
            threads=threads,
            parallel=parallel,
            workers=workers,
            scheduler=scheduler,
        )
        for warning in result.warnings:
            _console(stderr=True).print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
        _print_summary(result)
        run_id = store.save(result)
        print(f"saved run {run_id} in {store.path(run_id)}")


def _cell(v: float) -> str:
    if math.isnan(v):
        return "–"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:,.0f}"


def _is_corridor(scenario: str) -> bool:
    from corredor.scenario.corridor import builtin_corridor_scenarios

    path = Path(scenario)
    if scenario in builtin_corridor_scenarios():
        return True
    return path.suffix in (".yaml", ".yml") or (path / "scenario.yaml").is_file()


def _run_corridor(
    scenario: str,
    *,
    seed: int,
    days: int | None,
    out: Path,
    report: Path | None,
    show_plan: bool,
    show_progress: bool,
    events: list[Path],
    png: Path | None = None,
    replicas: int = 1,
    workers: int | None = None,
    scheduler: str | None = None,
    uncalibrated: bool = False,
    validation: Path | None = None,
) -> None:
    from rich.table import Table

    from corredor.scenario.corridor import load_corridor_scenario, load_scenario_events
    from corredor.simulation.corridor import describe_corridor_plan, run_corridor

    if show_plan:
        print(describe_corridor_plan(scenario))
        return
    backtest = None
    if validation is not None:
        from corredor.validation.backtest import read_table

        if report is None:
            raise CorredorError("--validation FILE shows the back-test in the report: add --report")
        backtest = read_table(validation)  # errors before a long run
    if replicas > 1 or workers is not None or scheduler is not None:
        from corredor.ensemble.corridor_cli import ensemble_command

        if report is not None or png is not None:
            raise CorredorError(
                "--report, --png and --validation show a single corridor run; drop --replicas, "
                "--workers and --scheduler, or read the ensemble's bands_*.csv"
            )

        ensemble_command(
            _console(),
            scenario=scenario,
            replicas=replicas,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            days=days,
            sets="uncalibrated" if uncalibrated else "point",
            max_sets=None,
            events=events,
            out=out,
            show_progress=show_progress,
        )
        return
    sc = load_corridor_scenario(scenario)  # errors before a long run
    calibration = None
    if uncalibrated:
        from corredor.calibration import uncalibrated as hand_set

        calibration = hand_set(sc)  # explicit values override calibrated.yaml
    extra = tuple(e for f in events for e in load_scenario_events(sc, f))
    tag = "".join(f"-{Path(f).stem}" for f in events)
    console = _console()
    from corredor.progress import progress_bar

    with progress_bar(show_progress, description="days", times=False) as bar:
        result = run_corridor(
            sc,
            seed=seed,
            days=days,
            extra_events=extra,
            calibration=calibration,
            progress=None if bar is None else lambda d, n: bar.update(completed=d + 1, total=n),
        )
    table = Table(title=f"{sc.name}: observed vs simulated", title_justify="left")
    for col in ("observable", "rows", "observed", "simulated", "sim/obs", "corr"):
        table.add_column(col, justify="left" if col == "observable" else "right")
    for r in result.fit_table().itertuples(index=False):
        table.add_row(
            str(r.observable) + ("" if r.fitted else " (not fitted)"),
            str(r.rows),
            f"{r.observed:,.0f}",
            f"{r.simulated:,.0f}",
            f"{r.ratio:.2f}",
            _cell(float(r.correlation)),  # type: ignore[arg-type]
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
    folder = result.write(out / f"{sc.name}{tag}-seed{seed}")
    print(f"wrote {folder}")
    if report is not None:
        from corredor.report.corridor import write_corridor_report

        path = write_corridor_report(
            result, report, backtest=backtest, backtest_source=str(validation or "")
        )
        print(f"report: {path}")
    if png is not None:
        from corredor.report.corridor import save_headline_png

        print(f"picture: {save_headline_png(result, png)}")


# ------------------------------------------------------------------------------------ runs
@app.command()
def runs(
    ctx: typer.Context,
    store_dir: StoreOpt = DEFAULT_STORE,
) -> None:
    """List the runs in the results store."""
    with _errors(ctx):
        from rich.table import Table

        from corredor.store import ResultsStore
        from corredor.store.store import CATALOGUE_FILE

        if not (store_dir / CATALOGUE_FILE).is_file():
            print(f"no runs in {store_dir} (no results store there)")
            return

        df = ResultsStore(store_dir).list()
        if df.empty:
            print(f"no runs in {store_dir}")
            return
        table = Table(title=f"Runs in {store_dir}", title_justify="left")
        table.add_column("run id", no_wrap=True)
        for col in ("scenario", "created (UTC)", "replicas", "days"):
            table.add_column(col)
        for col in ("ARD", "rescaled ARD", "seconds"):
            table.add_column(col, justify="right")
        for row in df.itertuples(index=False):
            table.add_row(
                str(row.run_id),
                str(row.scenario),
                str(row.created),
                str(row.replicas),
                str(row.days),
                f"{row.ard:.4f}",
                f"{row.ard_rescaled:.4f}",
                f"{row.seconds:.2f}",
            )
        console = _console()
        if not console.is_terminal:  # piped: do not squeeze the table into 80 columns
            console.width = 200
        console.print(table)


# ---------------------------------------------------------------------------------- report
@app.command()
def report(
    ctx: typer.Context,
    run_ref: Annotated[
        str,
        typer.Argument(
            metavar="RUN_ID_OR_DIR",
            help="A run id (or a unique prefix, or 'latest') in the store, or a run directory.",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="HTML file to write (default: <run dir>/report.html)."),
    ] = None,
    store_dir: StoreOpt = DEFAULT_STORE,
    png: Annotated[
        Path | None,
        typer.Option("--png", help="Also write the camp-curves figure to this PNG file."),
    ] = None,
) -> None:
    """Write the HTML report of a stored run."""
    with _errors(ctx):
        from corredor.errors import RunError
        from corredor.report import save_figure_png, write_report
        from corredor.store import ResultsStore
        from corredor.store.layout import SUMMARY_FILE, read_run_dir
        from corredor.store.store import CATALOGUE_FILE

        candidate = Path(run_ref)
        if (candidate / SUMMARY_FILE).is_file():
            run_dir = candidate
        elif (store_dir / CATALOGUE_FILE).is_file():
            store = ResultsStore(store_dir)
            run_dir = store.path(store.resolve(run_ref))
        else:
            raise RunError(
                f"{run_ref}: not a run directory, and there is no results store in {store_dir}"
            )
        result = read_run_dir(run_dir)
        path = write_report(result, output if output is not None else run_dir / "report.html")
        print(f"report written to {path}")
        if png is not None:
            print(f"figure written to {save_figure_png(result, png)}")


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
            help="A corridor scenario YAML file, a folder with scenario.yaml, a Flee scenario "
            "directory, or a built-in name.",
        ),
    ],
) -> None:
    """Check a scenario without running it (exit status 2 if it is invalid)."""
    with _errors(ctx):
        from rich.text import Text

        from corredor.scenario.validate import validate_scenario

        found = validate_scenario(file)  # what every run checks before it starts
        for warning in found.warnings:
            _console(stderr=True).print(Text.assemble(("warning:", "yellow"), f" {warning}"))
        print(f"OK: {found.summary}")


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
        from corredor.files.read import read_text

        print(read_text(builtin[name]))
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
    events: Annotated[
        list[Path] | None,
        typer.Option(
            "--events",
            help="Counterfactual policy events (YAML/CSV, repeatable): runs it too, with the "
            "same sets and seeds, and reports the paired difference.",
        ),
    ] = None,
    days: DaysOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = DEFAULT_STORE,
    no_progress: NoProgressOpt = False,
) -> None:
    """Corridor ensemble: parameter sets × replicas with common random numbers; median and
    50/90 % bands of every observable and ledger entry (docs/scale-out.md)."""
    with _errors(ctx):
        from corredor.ensemble.corridor_cli import ensemble_command

        ensemble_command(
            _console(),
            scenario=scenario,
            replicas=replicas,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            days=days,
            sets=sets,
            max_sets=max_sets,
            events=events or [],
            out=out,
            show_progress=not no_progress,
        )


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
            help="Policy events announced by the horizon (default: policy_events_forecast.yaml "
            "of the scenario); the forecast stays ex ante.",
        ),
    ] = None,
    policy_path: Annotated[
        Path | None,
        typer.Option(
            "--policy-path",
            help="A file of policy events after the horizon (e.g. the path as it happened): the "
            "forecast is conditional on it, and every output says so.",
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
            policy_path=policy_path,
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


@app.command()
def serve(
    ctx: typer.Context,
    *,
    host: Annotated[
        str,
        typer.Option(help="Address to listen on; any address but loopback needs a token."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8765,
    store: StoreOpt = DEFAULT_STORE,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="CORREDOR_TOKEN",
            help="Token every request must carry (default off loopback: a new one, printed).",
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes for full runs.")] = 1,
    queue_limit: Annotated[
        int, typer.Option(min=0, help="Runs that may wait beyond those running (then 429).")
    ] = 4,
    max_days: Annotated[int, typer.Option(min=1, help="Longest run a request may ask for.")] = 3650,
    max_agents: Annotated[
        int, typer.Option(min=1, help="Most people a run may create before it is stopped.")
    ] = 20_000_000,
    preview_people_per_agent: Annotated[
        int, typer.Option(min=2, help="People per agent of a preview (reduced scale).")
    ] = 50,
) -> None:
    """Start the web app and its REST API (open the printed address in a browser)."""
    with _errors(ctx):
        from corredor.web.serve import serve as run_service
        from corredor.web.settings import ServeSettings, check_token

        check_token(token)
        run_service(
            ServeSettings(
                host=host,
                port=port,
                store=store,
                token=token,
                workers=workers,
                queue_limit=queue_limit,
                max_days=max_days,
                max_agents=max_agents,
                preview_people_per_agent=preview_people_per_agent,
            )
        )


def main() -> None:
    """Entry point of the ``corredor`` command."""
    app(prog_name="corredor")
