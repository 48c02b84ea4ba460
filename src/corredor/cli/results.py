"""``corredor runs``, ``report``, ``compare`` and ``export``: the results store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from corredor.app.requests import (
    CompareRequest,
    DeleteRequest,
    ListRequest,
    ReportRequest,
    Request,
)
from corredor.cli.output import (
    STORE_OPTION,
    cell,
    console,
    note,
    print_frame,
    request_command,
    store_path,
)
from corredor.errors import RunError


def _runs(request: Request, cli: dict[str, Any]) -> None:
    from rich.table import Table

    from corredor.app import list_runs
    from corredor.store import ResultsStore, is_store

    assert isinstance(request, ListRequest)
    store_dir = Path(cli["store"])
    if store_dir.exists() and not store_dir.is_dir():
        raise RunError(f"--store {store_dir}: a file, not a results store (a folder)")
    if not is_store(store_dir):
        print(f"no runs in {store_dir} (no results store there)")
        return
    df = list_runs(request, ResultsStore(store_dir))
    if df.empty:
        print(f"no runs in {store_dir}")
        return
    table = Table(title=f"Runs in {store_dir}", title_justify="left")
    table.add_column("run id", no_wrap=True)
    for col in ("kind", "scenario", "status", "created (UTC)", "seeds", "days", "part of"):
        table.add_column(col)
    for col in ("ARD", "seconds"):
        table.add_column(col, justify="right")
    failed = []
    for row in df.itertuples(index=False):
        seeds = str(row.seeds)
        parent = f"{row.parent!s} ({row.label!s})" if row.parent else str(row.label or "")
        state = str(row.status)
        if state == "running":
            state = f"running (pid {row.pid} on {row.host})"
        elif state == "failed":
            failed.append(f"{row.run_id} failed: {row.error}")
        table.add_row(
            str(row.run_id),
            str(row.kind),
            str(row.scenario),
            state,
            str(row.created)[:19],
            seeds if len(seeds) < 16 else seeds[:14] + "…",
            str(row.days),
            str(parent),
            cell(row.ard) if row.ard is not None else "–",
            cell(row.seconds) if row.seconds is not None else "–",
        )
    console(width=200).print(table)
    for line in failed:
        print(line)


RUNS = request_command(
    "runs",
    ListRequest,
    _runs,
    positional=(),
    extra=[STORE_OPTION],
    help="List the results in the store (every kind), oldest first, with filters, and each "
    "run's status: running (with its process), finished, or failed (with its error).",
)


def _delete(request: Request, cli: dict[str, Any]) -> None:
    from corredor.app import delete
    from corredor.store import ResultsStore, is_store

    assert isinstance(request, DeleteRequest)
    if not is_store(cli["store"]):
        raise RunError(f"there is no results store in {cli['store']}")
    for run_id in delete(request, ResultsStore(cli["store"])):
        print(f"deleted {run_id}")


DELETE = request_command(
    "delete",
    DeleteRequest,
    _delete,
    positional=("run",),
    extra=[STORE_OPTION],
    help="Delete a stored run (finished, or failed; a running one once its process has died), "
    "with --with-children the results that belong to it too.",
)


def _report(request: Request, cli: dict[str, Any]) -> None:
    from corredor.app import report
    from corredor.store import ResultsStore, is_store
    from corredor.store.layout import SUMMARY_FILE

    assert isinstance(request, ReportRequest)
    store_dir = Path(cli["store"])
    if not is_store(store_dir) and not (Path(request.run) / SUMMARY_FILE).is_file():
        raise RunError(f"{request.run}: there is no results store in {store_dir}")
    made = report(request, ResultsStore(store_dir) if is_store(store_dir) else None)
    print(f"report written to {made.html}")
    if made.png is not None:
        print(f"figure written to {made.png}")


REPORT = request_command(
    "report",
    ReportRequest,
    _report,
    positional=("run",),
    optional_positional={"run": "latest"},
    extra=[STORE_OPTION],
    help="Write the HTML report of a stored result of any kind, after the fact (RUN: an id, a "
    "unique prefix of one, 'latest', or a run's folder).",
)


def _compare(request: Request, cli: dict[str, Any]) -> None:
    from corredor.app import compare
    from corredor.store import ResultsStore, is_store

    assert isinstance(request, CompareRequest)
    if not is_store(cli["store"]):
        raise RunError(f"there is no results store in {cli['store']}")
    found = compare(request, ResultsStore(cli["store"]))
    for text in found.notes:
        note(text)
    how = "paired by seed: median [5 %, 95 %] of B − A" if found.paired else "B − A of the medians"
    if found.kind == "corridor":
        from corredor.cli.run import print_bands, printed_ledger

        annual = found.tables["annual"]
        names = tuple(dict.fromkeys(annual["observable"]))[:8]
        con = console(width=150)
        if found.paired:
            print_bands(con, annual, names, f"{found.b} − {found.a}, {how}")
            ledger = found.tables["ledger"]
            print_bands(con, ledger, printed_ledger(ledger["entry"]), f"Ledger, {how}", "entry")
        else:
            last = sorted(set(annual["year"]))[-4:]
            sel = annual[annual["year"].isin(last) & annual["observable"].isin(names)]
            print_frame(
                sel[["year", "observable", "a_median", "b_median", "median"]],
                f"{found.b} − {found.a}, {how}",
            )
    else:
        camps = found.tables["camps"]
        last = camps[camps["day"] == camps["day"].max()]
        cols = [c for c in ("location", "date", "p05", "median", "p95") if c in last.columns]
        print_frame(last[cols], f"{found.b} − {found.a} on the last day, {how}")
    print(f"A = {found.a}, B = {found.b}")


COMPARE = request_command(
    "compare",
    CompareRequest,
    _compare,
    positional=("a", "b"),
    extra=[STORE_OPTION],
    help="Show the differences between two stored results: paired by seed, with bands, when "
    "they share their seeds (common random numbers); else the difference of their medians.",
)


@click.command("export")
@click.argument("run", metavar="RUN")
@click.argument("folder", metavar="FOLDER")
@click.option("--store", "-s", default="runs", show_default=True, metavar="DIR",
              callback=store_path,
              help="Results store (a folder; created when needed).")  # fmt: skip
def export(run: str, folder: str, store: str) -> None:
    """Write every tidy table of a stored result as CSV into a new FOLDER (for spreadsheets),
    with its provenance (provenance.json) and, for a forecast or a sensitivity analysis, its
    description (description.txt)."""
    from corredor.app.arrays import tables
    from corredor.cli.output import open_store
    from corredor.files.atomic import new_folder

    s = open_store(store)
    run_id = s.resolve(run)
    frames = tables(s, run_id)
    record = s.record(run_id)
    with new_folder(Path(folder)) as tmp:
        for name, frame in frames.items():
            frame.to_csv(tmp / f"{name}.csv", index=False)
        for name, doc in record.documents.items():
            if isinstance(doc, dict) and set(doc) == {"text"}:
                (tmp / f"{name}.txt").write_text(str(doc["text"]), encoding="utf-8")
        if record.provenance is not None:
            (tmp / "provenance.json").write_text(
                record.provenance.model_dump_json(indent=2) + "\n", encoding="utf-8"
            )
    print(f"wrote {len(frames)} tables of {run_id} to {folder}")


COMMANDS = [RUNS, REPORT, COMPARE, DELETE, export]
