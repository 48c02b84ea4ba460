"""The HTML report of a stored result of any kind, made from its record (the results contract):
what was run (provenance), the headline numbers, the kind's charts and its tidy tables.

Flee runs and single corridor runs have richer reports of their own
(:func:`corredor.report.write_report`, :func:`corredor.report.corridor.write_corridor_report`);
this one covers ensembles, forecasts, sensitivity analyses, calibration studies, back-tests and
bargaining runs. The file is self-contained (figures are embedded PNGs) and works offline.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from corredor.bargaining.sweep import plot_coupled, plot_episode, plot_sweep
from corredor.files.atomic import atomic_file, write_text

if TYPE_CHECKING:
    import pandas as pd

    from corredor.results.record import Record

__all__ = ["render_stored_report", "save_stored_png", "write_stored_report"]

#: Rows of a table shown in a report (the rest are in the store's Parquet file).
MAX_ROWS = 60
TITLES = {
    "corridor-ensemble": "Corridor ensemble",
    "forecast": "Forecast",
    "sensitivity": "Sensitivity analysis",
    "calibration": "Calibration study",
    "backtest": "Fit and back-test",
    "bargain": "Threat game",
}
#: Tables shown, per kind (the others stay in the store).
SHOWN = {
    "corridor-ensemble": ("bands_annual", "bands_ledger", "parameter_sets"),
    "forecast": ("fiscal_years", "ledger_bands", "events"),
    "sensitivity": ("indices",),
    "calibration": ("parameters", "trials"),
    "backtest": ("fit_statistics", "backtest"),
    "bargain": ("game",),
}


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _cell(value: Any) -> str:
    if isinstance(value, float | np.floating):
        x = float(value)
        if not np.isfinite(x):
            return "–"
        return f"{x:.3f}" if abs(x) < 10 else f"{x:,.0f}"
    return html.escape(str(value))


def _table(df: pd.DataFrame, limit: int = MAX_ROWS) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
        for row in df.head(limit).itertuples(index=False)
    )
    more = (
        f"<p class='note'>{len(df) - limit:,} more rows in the store.</p>"
        if len(df) > limit
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _rows(pairs: list[tuple[str, str]]) -> str:
    return (
        "<table>"
        + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in pairs)
        + "</table>"
    )


def provenance_rows(record: Record) -> list[tuple[str, str]]:
    """What a result was made from, as (label, text) rows."""
    rows = [
        ("run", str(record.run_id)),
        ("kind", record.kind),
        ("scenario", record.scenario),
        ("created (UTC)", str(record.created or "")),
        (
            "seeds",
            ", ".join(str(s) for s in record.seeds[:12]) + (" …" if len(record.seeds) > 12 else ""),
        ),
        ("days", str(record.days)),
    ]
    if record.parent:
        rows.append(("part of", f"{record.parent} ({record.label})"))
    p = record.provenance
    if p is None:
        return rows
    if p.scenario_sha256:
        rows.append(("scenario content (SHA-256)", p.scenario_sha256[:16] + "…"))
    if p.calibration is not None:
        cal = p.calibration
        rows.append(
            ("calibration", " ".join(x for x in (cal.name, cal.run_id or cal.file or "") if x))
        )
    if p.overrides:
        rows.append(("levers set", ", ".join(f"{k} = {v:g}" for k, v in p.overrides.items())))
    if p.events_added:
        rows.append(
            ("events added", "; ".join(f"{e.file} ({', '.join(e.ids)})" for e in p.events_added))
        )
    if p.events_removed:
        rows.append(("events removed", ", ".join(p.events_removed)))
    version = f"{p.code.package} {p.code.version}"
    if p.code.git_commit:
        version += f" (commit {p.code.git_commit[:10]})"
    rows.append(("code", version))
    if p.command:
        rows.append(("command", p.command))
    return rows


def _summary(record: Record) -> list[tuple[str, str]]:
    rows = record.summary.get("rows")
    if isinstance(rows, dict):
        return [(str(k), str(v)) for k, v in rows.items()]
    return [(str(k), _plain(v)) for k, v in record.summary.items() if not isinstance(v, dict)]


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


# --------------------------------------------------------------------------------- figures
def _bands_figure(df: pd.DataFrame, period: str, name: str, names: list[str]) -> Figure:

    fig = Figure(figsize=(9, 2.2 * len(names)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(names), 1, sharex=True))
    for ax, n in zip(axes, names, strict=True):
        d = df[df[name] == n]
        x = d[period]
        ax.fill_between(x, d["p05"], d["p95"], color="#c0392b", alpha=0.15, label="90 %")
        ax.fill_between(x, d["p25"], d["p75"], color="#c0392b", alpha=0.3, label="50 %")
        ax.plot(x, d["median"], color="#c0392b", lw=1.3, label="median")
        ax.set_title(str(n), fontsize=9, loc="left")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="upper left")
    return fig


def _ensemble_figure(record: Record, table: str = "bands_monthly") -> Figure | None:
    df = record.table(table)
    names = list(dict.fromkeys(df["observable"]))[:6]
    return _bands_figure(df, "month", "observable", names) if names else None


def _forecast_figure(record: Record) -> Figure | None:
    df = record.table("encounters").copy()
    if df.empty:
        return None
    df["series"] = df["component"] + " / " + df["citizenship"] + " / " + df["demographic"]
    df = df.rename(columns={"p50": "median"})
    df["p25"], df["p75"] = df["median"], df["median"]
    names = list(dict.fromkeys(df["series"]))[:6]
    return _bands_figure(df, "date", "series", names)


def _sensitivity_figure(record: Record) -> Figure | None:

    df = record.table("indices")
    score = "mu_star" if "mu_star" in df.columns else "ST"
    outputs = list(dict.fromkeys(df["output"]))[:6]
    if not outputs:
        return None
    fig = Figure(figsize=(8, 2.6 * len(outputs)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(outputs), 1))
    for ax, out in zip(axes, outputs, strict=True):
        t = df[df["output"] == out].sort_values("rank").head(10).iloc[::-1]
        ax.barh(np.arange(len(t)), t[score], color="#3b6ea8")
        ax.set_yticks(np.arange(len(t)), list(t["parameter"]))
        ax.set_title(f"{out}: {score}", fontsize=9, loc="left")
    return fig


def _calibration_figure(record: Record) -> Figure | None:

    df = record.table("trials")
    if df.empty:
        return None
    fig = Figure(figsize=(8, 3), layout="constrained")
    ax = fig.subplots()
    ax.plot(df["trial"], df["loss"], "o", ms=3, color="#34495e", label="trial")
    ax.plot(df["trial"], df["loss"].cummin(), color="#c0392b", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7)
    return fig


def _bargain_figure(record: Record) -> Figure | None:

    df = record.table("game")
    mode = record.meta.get("mode")
    if mode == "sweep":
        share = record.meta.get("data_share")
        return plot_sweep(df, data_exposure=None if share is None else float(share))
    frames = {str(k): g.drop(columns="label") for k, g in df.groupby("label", sort=False)}
    return plot_episode(frames) if mode == "episode" else plot_coupled(frames)


FIGURES: dict[str, Callable[[Record], Figure | None]] = {
    "corridor-ensemble": _ensemble_figure,
    "forecast": _forecast_figure,
    "sensitivity": _sensitivity_figure,
    "calibration": _calibration_figure,
    "bargain": _bargain_figure,
}


# ------------------------------------------------------------------------------------ HTML
def render_stored_report(record: Record) -> str:
    """The report's HTML text."""
    title = f"{TITLES.get(record.kind, record.kind)} — {record.scenario}"
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Corredor — {html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:12px;margin:1em 0}"
        "td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}"
        "th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}"
        ".note{color:#666;font-size:12px}</style></head><body>",
        f"<h1>Corredor — {html.escape(title)}</h1>",
        "<h2>What was run</h2>",
        _rows(provenance_rows(record)),
    ]
    summary = _summary(record)
    if summary:
        parts += ["<h2>Summary</h2>", _rows(summary)]
    figure = FIGURES.get(record.kind)
    fig = figure(record) if figure is not None else None
    if fig is not None:
        parts.append(f"<img alt='{html.escape(record.kind)}' src='{_png(fig)}'>")
    for name in SHOWN.get(record.kind, tuple(record.tables)[:4]):
        if name in record.tables:
            parts += [f"<h2>{html.escape(name.replace('_', ' '))}</h2>", _table(record.table(name))]
    description = record.documents.get("description")
    if isinstance(description, dict) and description.get("text"):
        parts += ["<h2>Details</h2>", f"<pre>{html.escape(str(description['text']))}</pre>"]
    parts += [
        "<p class='note'>Every table is in the results store as Parquet "
        f"({html.escape(str(record.path or ''))}); "
        "read it with pandas, DuckDB, R or <code>corredor.app.arrays.tables</code>.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def write_stored_report(record: Record, path: str | Path) -> Path:
    """Write the report of a stored result to ``path`` and return it."""
    return write_text(Path(path), render_stored_report(record))


def save_stored_png(record: Record, path: str | Path) -> Path | None:
    """Write the kind's main figure as PNG (None if the kind has none)."""
    figure = FIGURES.get(record.kind)
    fig = figure(record) if figure is not None else None
    if fig is None:
        return None
    with atomic_file(Path(path), "wb") as fh:
        fig.savefig(fh, format="png", dpi=110, bbox_inches="tight")
    return Path(path)
