"""What the command line prints: the console, progress bars, tables, and the options every
command that touches the store shares (``--store``, ``--no-progress``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from corredor.app.requests import Request
from corredor.cli.options import build_request, request_params

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from corredor.store import ResultsStore

DEFAULT_STORE = Path("runs")


def store_path(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An empty ``--store`` (``--store "$UNSET"``) is an error, not the current folder."""
    if not value.strip():
        raise click.BadParameter(
            f"{value!r} is an empty path. Fix: give a folder (default: {DEFAULT_STORE})"
        )
    return value


STORE_OPTION = click.Option(
    ["--store", "-s", "store"],
    default=str(DEFAULT_STORE),
    show_default=True,
    metavar="DIR",
    callback=store_path,
    help="Results store (a folder; created when needed).",
)
NO_PROGRESS_OPTION = click.Option(
    ["--no-progress", "no_progress"], is_flag=True, help="Do not show a progress bar."
)
PNG_OPTION = click.Option(
    ["--png", "png"], default=None, metavar="FILE", help="Also write the main figure to this PNG."
)


def console(stderr: bool = False, width: int | None = None) -> Console:
    """A rich console; piped or redirected output is not squeezed into 80 columns."""
    from rich.console import Console

    con = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if width is not None and not con.is_terminal:
        con.width = max(con.width, width)
    return con


def note(text: str, kind: str = "note") -> None:
    colour = "yellow"
    console().print(f"[{colour}]{kind}:[/{colour}] {text}", highlight=False)


def warn(text: str) -> None:
    console(stderr=True).print(f"[yellow]warning:[/yellow] {text}", highlight=False)


def announce(request: Request, store: ResultsStore) -> Callable[[], None]:
    """What prints, when the work of a command of several runs starts (its first progress
    update: its input checked), one line on stderr with the number of runs and their expected
    time (:func:`corredor.app.estimate`). A request the estimate cannot read prints none: its
    use case reports the error."""
    from corredor.app import estimate
    from corredor.errors import CorredorError

    try:
        made = estimate(request, store)
    except CorredorError:
        made = None

    def say() -> None:
        if made is not None and made.runs > 1:
            console(stderr=True).print(f"[cyan]estimate:[/cyan] {made.line()}", highlight=False)

    return say


def open_store(path: str | Path) -> ResultsStore:
    from corredor.store import ResultsStore

    return ResultsStore(Path(path))


@contextmanager
def progress(
    show: bool, unit: str, first: Callable[[], None] | None = None
) -> Iterator[Callable[[float, float, str], None] | None]:
    """A progress bar fed by the use cases' ``progress(done, total, what)``; it appears with
    the first update, so that an error found before any work prints alone. ``first`` is called
    then, before the bar (even without one): the line of :func:`announce`."""
    from contextlib import ExitStack

    from corredor.progress import Bar, progress_bar

    if not show and first is None:
        yield None
        return
    with ExitStack() as stack:
        bars: list[Bar | None] = []

        def callback(done: float, total: float, what: str) -> None:
            if not bars:
                if first is not None:
                    first()
                # elapsed and remaining time for every unit: a full run of days takes minutes
                bars.append(stack.enter_context(progress_bar(show, unit)))
            bar = bars[0]
            if bar is not None:
                bar.update(completed=done, total=total, description=what)

        yield callback


def execute(
    use_case: Callable[..., Any],
    request: Request,
    cli: dict[str, Any],
    command: str,
    unit: str = "runs",
    show: bool = True,
) -> Any:
    """Run a use case on the store of ``--store`` with a progress bar (unless
    ``--no-progress``), its command line in the provenance, a line with the number of runs
    and their expected time as they start (:func:`announce`); returns what it stored. Output
    paths (``--png``, a study's ``--report`` folder) are checked first: a path that cannot be
    written fails before the work, not after it."""
    from corredor.app.common import check_output

    check_output(cli.get("png"), "--png")
    report_folder = getattr(request, "report", None)
    if isinstance(report_folder, str):
        check_output(report_folder, "--report", folder=True)
    store = open_store(cli["store"])
    shown = show and not cli.get("no_progress", False)
    with progress(shown, unit, announce(request, store)) as callback:
        return use_case(request, store, callback, command=request.command_line(command))


def cell(v: object) -> str:
    """A number for a table: two decimals when small, thousands separators when large."""
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(x):
        return "–"
    return f"{x:.2f}" if abs(x) < 10 else f"{x:,.0f}"


def print_frame(
    df: pd.DataFrame,
    title: str,
    *,
    columns: Sequence[tuple[str, str, str]] | None = None,
    limit: int | None = None,
    width: int = 150,
) -> None:
    """A rich table of a frame: ``columns`` are (column, heading, format) triples (default:
    every column, numbers by :func:`cell`)."""
    from rich.table import Table

    cols = columns or [(str(c), str(c), "") for c in df.columns]
    table = Table(title=title, title_justify="left")
    for i, (_, head, _) in enumerate(cols):
        table.add_column(head, justify="left" if i == 0 else "right", no_wrap=i == 0)
    rows = df if limit is None else df.head(limit)
    for _, row in rows.iterrows():
        table.add_row(*(_fmt(fmt, row[col]) for col, _, fmt in cols))
    console(width=width).print(table)


def _fmt(fmt: str, value: object) -> str:
    if not fmt:
        number = isinstance(value, float | int) and not isinstance(value, bool)
        return cell(value) if number else str(value)
    try:
        return fmt.format(value)
    except (TypeError, ValueError):
        return str(value)


def print_rows(rows: Sequence[tuple[str, str]], title: str | None = None) -> None:
    """``label  value`` rows as a two-column table."""
    from rich.table import Table

    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for label, value in rows:
        table.add_row(label, value)
    console(width=120).print(table)


def request_command(
    name: str,
    model: type[Request],
    run: Callable[[Request, dict[str, Any]], None],
    *,
    positional: Sequence[str] = ("scenario",),
    optional_positional: dict[str, str] | None = None,
    exclude: Sequence[str] = (),
    extra: Sequence[click.Parameter] = (),
    help: str | None = None,
) -> click.Command:
    """A command whose options are ``model``'s fields plus ``extra`` (CLI-only) options;
    ``run(request, cli_values)`` does the work."""

    def callback(**values: Any) -> None:
        request = build_request(model, values)
        cli_values = {k: v for k, v in values.items() if k not in model.model_fields}
        run(request, cli_values)

    params = request_params(
        model, positional=positional, exclude=exclude, optional_positional=optional_positional
    )
    return click.Command(
        name,
        callback=callback,
        params=[*params, *extra],
        help=help or (model.__doc__ or "").strip(),
        context_settings={"max_content_width": 100},
    )
