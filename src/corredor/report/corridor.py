"""An offline HTML report of a corridor run: observed vs simulated, the ledger, and a map.

Figures are matplotlib PNGs embedded as data URIs, so the file works without a network.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from corredor.calibration.modelcheck import display_fit_table, run_statistics
from corredor.errors import CorredorError
from corredor.files.atomic import atomic_file, write_text
from corredor.validation.backtest import display_table
from corredor.validation.metrics import SPIN_UP_DAYS

if TYPE_CHECKING:
    from corredor.results.corridor import CorridorResult


def charts(result: CorridorResult) -> tuple[str, ...]:
    """The observables drawn as monthly observed-vs-simulated charts: the scenario's
    ``analysis: report: charts`` it has, else its first four observables."""
    names = result.compiled.scenario.analysis_settings().report.charts
    columns = [str(c) for c in result.monthly().columns]
    return tuple(n for n in names if n in columns) or tuple(columns[:4])


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def observed_vs_simulated_figure(
    result: CorridorResult, names: tuple[str, ...] | None = None
) -> Figure:
    ovs = result.observed_vs_simulated()
    monthly = result.monthly()
    # the scenario's charts, else its first observables
    present = [n for n in (names or charts(result)) if n in monthly.columns] or list(
        monthly.columns[:4]
    )
    fig = Figure(figsize=(9, 2.3 * len(present)))
    axes = np.atleast_1d(fig.subplots(len(present), 1, sharex=True))
    for ax, name in zip(axes, present, strict=True):
        ax.plot(monthly.index, monthly[name], color="#c0392b", lw=1.4, label="simulated")
        rows = ovs[ovs["observable"] == name]
        if len(rows):
            span = (
                pd.to_datetime(rows["period_end"]) - pd.to_datetime(rows["period_start"])
            ).dt.days
            monthly_rows = rows[span < 32]
            ax.plot(
                pd.to_datetime(monthly_rows["period_start"]),
                monthly_rows["observed"],
                "o",
                ms=2.5,
                color="#2c3e50",
                label="observed",
            )
        ax.set_title(name, fontsize=9, loc="left")
        ax.grid(alpha=0.3)
        for date, label in policy_marks(result):
            ax.axvline(pd.Timestamp(date), color="#7f8c8d", lw=0.7, ls=":")
            ax.text(pd.Timestamp(date), ax.get_ylim()[1], label, fontsize=6, va="top")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def policy_marks(result: CorridorResult) -> list[tuple[str, str]]:
    """(date, label) of the scenario's major policy events: the first of each family of event
    ids (``us-mpp-usbp-san-diego`` and ``us-mpp-ofo-laredo`` are both ``mpp``)."""
    first: dict[str, str] = {}
    for e in sorted(result.compiled.scenario.events, key=lambda e: e.start):
        if str(getattr(e, "magnitude", "")) != "major":
            continue
        parts = str(e.id).split("-")
        family = parts[1] if len(parts) > 1 else parts[0]
        first.setdefault(family, e.start.isoformat())
    return [(d, f.upper() if len(f) <= 3 else f) for f, d in first.items()]


def headline_figure(result: CorridorResult, observable: str | None = None) -> Figure:
    """Two panels for a first look: one observable (default: the scenario's first chart),
    simulated vs observed per month, and the people stranded in border cities (the README
    picture of ``mexico-us``)."""
    monthly = result.monthly()
    observable = observable or charts(result)[0]
    name = observable if observable in monthly.columns else str(monthly.columns[0])
    ovs = result.observed_vs_simulated()
    rows = ovs[ovs["observable"] == name]
    fig = Figure(figsize=(9, 5.2))
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(monthly.index, monthly[name], color="#c0392b", lw=1.4, label="simulated")
    if len(rows):
        top.plot(
            pd.to_datetime(rows["period_start"]), rows["observed"], "o", ms=2.5,
            color="#2c3e50", label="observed",
        )  # fmt: skip
    top.set_title(f"{name} per month (seed {result.seed})", fontsize=9, loc="left")
    for date, label in policy_marks(result):
        for ax in (top, bottom):
            ax.axvline(pd.Timestamp(date), color="#7f8c8d", lw=0.7, ls=":")
        top.text(pd.Timestamp(date), top.get_ylim()[1], label, fontsize=6, va="top")
    top.legend(fontsize=7, loc="upper left")
    top.grid(alpha=0.3)
    _stranded_panel(bottom, result, "People stranded in border cities (monthly mean)")
    fig.tight_layout()
    return fig


def _stranded_panel(ax: Any, result: CorridorResult, title: str) -> None:
    """People stranded per border city, monthly mean, stacked (the headline's lower panel and
    the report's stranded chart)."""
    df = result.border_city_stranded().resample("MS").mean()
    ax.stackplot(df.index, df.T.to_numpy(), labels=list(df.columns), alpha=0.85)
    ax.set_title(title, fontsize=9, loc="left")
    ax.legend(fontsize=6, ncol=5, loc="upper left")
    ax.grid(alpha=0.3)


def save_headline_png(result: CorridorResult, path: str | Path) -> Path:
    path = Path(path)
    fig = headline_figure(result)
    with atomic_file(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110, bbox_inches="tight")
    return path


def stranded_figure(result: CorridorResult) -> Figure:
    fig = Figure(figsize=(9, 3.2))
    ax = fig.subplots()
    title = result.compiled.scenario.analysis_settings().report.stranded_title
    _stranded_panel(ax, result, title)
    fig.tight_layout()
    return fig


def map_figure(result: CorridorResult) -> Figure:
    c = result.compiled
    fig = Figure(figsize=(7, 5.5))
    ax = fig.subplots()
    for a, b in zip(c.link_from, c.link_to, strict=True):
        if np.isfinite(c.loc_lat[[a, b]]).all():
            ax.plot(c.loc_lon[[a, b]], c.loc_lat[[a, b]], color="#bdc3c7", lw=0.6, zorder=1)
    stranded = result.stranded.mean(axis=0)
    border = np.flatnonzero(c.loc_kind == 4)
    ok = np.isfinite(c.loc_lat)
    ax.scatter(c.loc_lon[ok], c.loc_lat[ok], s=6, color="#34495e", zorder=2)
    ax.scatter(
        c.loc_lon[border],
        c.loc_lat[border],
        s=10 + 600 * stranded / max(stranded.max(), 1),
        color="#e67e22",
        alpha=0.7,
        zorder=3,
        label="mean people stranded",
    )
    ax.set_title("Corridor graph; circles: mean people stranded per border city", fontsize=9)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.legend(fontsize=7, loc="lower left")
    return fig


def _table(df: object, floatfmt: str = "{:,.0f}") -> str:
    assert isinstance(df, pd.DataFrame)

    def fmt(v: object) -> str:
        if isinstance(v, float):
            if np.isnan(v):
                return "–"
            return f"{v:.3f}" if abs(v) < 10 else floatfmt.format(v)
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in [df.index.name or "", *df.columns])
    rows = "".join(
        "<tr><td>"
        + html.escape(str(i))
        + "</td>"
        + "".join(f"<td>{fmt(v)}</td>" for v in r)
        + "</tr>"
        for i, r in zip(df.index, df.itertuples(index=False), strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def validation_section(
    result: CorridorResult, backtest: pd.DataFrame | None = None, source: str = ""
) -> str:
    """The report's "Validation" section: the per-series fit statistics of this run (as
    ``corredor validate-model`` computes them, :func:`corredor.calibration.modelcheck.
    run_statistics`) and, when given, a saved back-test table (``corredor export`` of a
    ``validate-model`` run writes ``DIR/backtest.csv``; ``source`` names it) of the model
    against the baselines."""
    protocol = result.compiled.scenario.analysis_settings().backtest

    parts = [
        "<h2 id='validation'>Validation</h2>",
        "<h3>Fit of this run</h3>",
    ]
    try:
        stats = run_statistics(result)
    except CorredorError as exc:
        stats = None
        parts.append(f"<p>No fit statistics: {html.escape(str(exc))}</p>")
    if stats is not None and stats.table.empty:
        parts.append("<p>No fit statistics: the run covers no observed row.</p>")
    elif stats is not None:
        parts += [
            f"<p>Every observed row this run covers, after the {SPIN_UP_DAYS}-day spin-up and "
            f"up to {stats.until}, scored with the calibration loss's rules (rounded, "
            "approximate and lower-bound values; docs/validation.md): the same statistics as "
            "<code>corredor validate-model</code>, computed from this run (seed "
            f"{result.seed}). ARD: mean |sim − obs| / max(obs, 1). Loss {stats.loss:.4f}.</p>",
            _table(display_fit_table(stats.table).set_index("observable")),
        ]
    parts.append("<h3>Back-test against naive baselines</h3>")
    if backtest is None:
        fit_end = "its fit end" if protocol is None else str(protocol.fit_end)
        parts.append(
            "<p>No back-test in this report: it needs a separate fit to data up to "
            f"{fit_end} and its own run. Make one with <code>corredor validate-model SCENARIO "
            "--backtest STUDY</code>, <code>corredor export RUN DIR</code>, and add "
            "<code>--validation DIR/backtest.csv</code> to <code>corredor run … --report</code>"
            + (" (the scenario declares no back-test protocol yet)" if protocol is None else "")
            + ".</p>"
        )
    else:
        origin = f" (read from {html.escape(source)})" if source else ""
        models = ", ".join(html.escape(str(m)) for m in dict.fromkeys(backtest["model"]))
        window = (
            ""
            if protocol is None
            else f"Fit up to {protocol.fit_end}, forecast to {protocol.horizon_end}: "
        )
        label = "back-tested series" if protocol is None else protocol.label
        lead = f"{window}the model (corredor)"
        parts += [
            f"<p>{lead[0].upper()}{lead[1:]} and the naive baselines, here {models}, on the "
            f"{html.escape(label)}, scored by MASE (scaled by the seasonal-naive errors "
            "of the fit window), ARD (averaged relative difference) and log-RMSE; lower is "
            f"better. From <code>corredor validate-model</code>{origin}, not recomputed here.</p>",
            _table(display_table(backtest).set_index("series")),
        ]
    return "\n".join(parts)


def write_corridor_report(
    result: CorridorResult,
    path: str | Path,
    *,
    backtest: pd.DataFrame | None = None,
    backtest_source: str = "",
) -> Path:
    """Write the report to ``path`` and return it; ``backtest``: a back-test table saved by
    ``corredor validate-model`` (:func:`corredor.validation.backtest.read_table`) for the
    Validation section, read from ``backtest_source``."""
    path = Path(path)
    fit = result.fit_table().set_index("observable")
    ledger = result.ledger().T
    pve = result.people_vs_events()
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Corredor — {html.escape(result.scenario)}</title>",
        "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:12px;margin:1em 0}"
        "td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}"
        "th{background:#f4f4f4}td:first-child{text-align:left}</style></head><body>",
        f"<h1>Corredor — {html.escape(result.scenario)}</h1>",
        "<p>"
        + " · ".join(f"{html.escape(k)}: {html.escape(v)}" for k, v in result.summary_rows()[:4])
        + "</p>",
        "<p>Parameters that data do not give are hand-set until calibrated (see docs/model.md); "
        "this is one replica, not an ensemble, so no uncertainty band is shown.</p>",
        "<h2>Observed vs simulated</h2>",
        "<p>Totals over the rows each observable is compared on; the correlation is over the "
        "same rows. Computed from the run, not typed in.</p>",
        _table(fit),
        f"<img alt='observed vs simulated' src='{_png(observed_vs_simulated_figure(result))}'>",
        "<h2>Human-cost ledger (per year)</h2>",
        _table(ledger),
        f"<img alt='stranded' src='{_png(stranded_figure(result))}'>",
        "<h2>Events and people</h2><p>Observed counts such as encounters and apprehensions "
        "are events; the same person can be counted several times (repeat encounters).</p>",
        _table(pve),
        validation_section(result, backtest, backtest_source),
        "<h2>Map</h2>",
        f"<img alt='map' src='{_png(map_figure(result))}'>",
        "</body></html>",
    ]

    return write_text(path, "\n".join(parts))
