"""Use case ``report``: the HTML report (and a PNG figure) of a stored result of any kind, made
after the fact from the store.

>>> from corredor.app import ReportRequest, report
>>> report(ReportRequest(run="latest"), ResultsStore("runs"))     # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corredor.app.codecs import load
from corredor.app.common import check_output
from corredor.app.requests import ReportRequest, RequestError
from corredor.errors import RunError
from corredor.files.atomic import write_bytes
from corredor.report import save_figure_png, write_report
from corredor.report.corridor import save_headline_png, write_corridor_report
from corredor.report.stored import save_stored_png, write_stored_report
from corredor.store import ResultsStore, is_store
from corredor.store.layout import SUMMARY_FILE
from corredor.validation.backtest import read_table

__all__ = ["Report", "report"]


@dataclass
class Report:
    """What ``report`` wrote."""

    run_id: str
    kind: str
    html: Path
    png: Path | None = None


def report(request: ReportRequest, store: ResultsStore | None) -> Report:
    """Write the report of ``request.run`` (default: ``report.html`` in the run's folder).

    ``request.run`` is a run of ``store`` (an id, a unique prefix, ``latest``) or the folder of
    a stored run (then reported from the store that holds it)."""
    check_output(request.output, "--output")
    check_output(request.png, "--png")
    folder = Path(request.run)
    if (folder / SUMMARY_FILE).is_file() and is_store(folder.resolve().parent):
        store = ResultsStore(folder.resolve().parent)
        request = request.model_copy(update={"run": folder.resolve().name})
    if store is None:
        raise RunError(f"{request.run}: not a stored run's folder, and there is no results store")
    run_id = store.resolve(request.run)
    kind = store.kind(run_id)
    if request.validation is not None and kind != "corridor":
        raise RequestError(f"--validation shows a back-test in a corridor run's report; {run_id} "
                           f"is a {kind} result")  # fmt: skip
    backtest = None
    if request.validation is not None:
        backtest = read_table(Path(request.validation))
    html = Path(request.output) if request.output else store.path(run_id) / "report.html"
    png = Path(request.png) if request.png else None
    writer = _WRITERS.get(kind)
    try:
        if writer is None:
            record = store.record(run_id)
            write_stored_report(record, html)
            if png is not None and save_stored_png(record, png) is None:
                raise RequestError(f"{kind} results have no figure to write as PNG")
            return Report(run_id, kind, html, png)
        result = load(store, run_id)
        writer(result, html, png, backtest=backtest, backtest_source=request.validation or "")
    except (IsADirectoryError, NotADirectoryError, PermissionError, FileExistsError) as exc:
        # checked above, but the folders may change while the report is drawn
        raise RunError(f"cannot write {exc.filename}: {exc.strerror}") from None
    return Report(run_id, kind, html, png)


def _flee(result: Any, html: Path, png: Path | None, **_: Any) -> None:

    write_report(result, html)
    if png is not None:
        save_figure_png(result, png)


def _corridor(
    result: Any, html: Path, png: Path | None, *, backtest: Any, backtest_source: str
) -> None:

    write_corridor_report(result, html, backtest=backtest, backtest_source=backtest_source)
    if png is not None:
        save_headline_png(result, png)


def _study(result: Any, html: Path, png: Path | None, **_: Any) -> None:
    """A stored study keeps the report it was made with (``report.html`` among its files)."""
    if png is not None:
        raise RequestError("study results have no figure to write as PNG (see report.html)")
    page = bytes(result.files["report.html"])
    if html.resolve() != (Path(str(result.path)) / "report.html").resolve():
        write_bytes(html, page)


_WRITERS: dict[str, Any] = {"flee": _flee, "corridor": _corridor, "study": _study}
