"""Figures of a run, drawn with matplotlib's object API (no pyplot, no global backend change).

Every function returns a ``matplotlib.figure.Figure``; ``figure_svg`` turns one into an inline
``<svg>`` element with ids made unique per figure, ``save_png`` writes a PNG (Agg renderer).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from corredor.results import RunResult

SIM_COLOUR = "#1f77b4"
DATA_COLOUR = "#222222"
RESCALED_COLOUR = "#ff7f0e"
KIND_COLOURS = {"conflict": "#d62728", "camp": "#1f77b4", "town": "#7f7f7f"}
OTHER_COLOUR = "#bbbbbb"
_RC: Any = {  # matplotlib rcParams used by every figure
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
    "svg.hashsalt": "corredor",
}


def _dates(result: RunResult) -> np.ndarray:
    return np.array(result.dates, dtype="datetime64[D]")


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=2, maxticks=5)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(formatter)


def _band(ax: Axes, x: np.ndarray, series: np.ndarray, colour: str, label: str) -> None:
    """Median and 5–95 % band across replicas (axis 0), or the line for one replica."""
    if series.shape[0] > 1:
        lo, med, hi = np.percentile(series, [5, 50, 95], axis=0)
        ax.fill_between(x, lo, hi, color=colour, alpha=0.25, linewidth=0)
        ax.plot(x, med, color=colour, linewidth=1.4, label=label)
    else:
        ax.plot(x, series[0], color=colour, linewidth=1.4, label=label)


def camp_curves_figure(result: RunResult, ncols: int | None = None) -> Figure:
    """One small chart per camp: simulated population vs observed data.

    ``ncols`` defaults to a balanced grid of at most 4 columns.
    """
    with mpl.rc_context(_RC):
        C = len(result.camp_names)
        if C == 0:
            fig = Figure(figsize=(6, 1.5))
            fig.text(0.5, 0.5, "This scenario has no camps with observed data.", ha="center")
            return fig
        if ncols is None:
            ncols = math.ceil(C / math.ceil(C / 4))
        ncols = max(1, min(ncols, C))
        nrows = math.ceil(C / ncols)
        fig = Figure(figsize=(3.3 * ncols, 2.4 * nrows + 0.5), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
        x = _dates(result)
        sim = result.camp_sim().astype(np.float64)
        band = "median, 5–95 %" if result.replicas > 1 else "simulation"
        for c, name in enumerate(result.camp_names):
            ax = axes[c // ncols][c % ncols]
            _band(ax, x, sim[:, :, c], SIM_COLOUR, f"simulated ({band})")
            ax.plot(
                x,
                result.observed[:, c],
                color=DATA_COLOUR,
                linestyle="--",
                linewidth=1.1,
                label="observed (UNHCR)",
            )
            ax.set_title(name)
            ax.set_ylim(bottom=0)
            ax.yaxis.set_major_formatter(mpl.ticker.EngFormatter(sep=""))
            _date_axis(ax)
        for c in range(C, nrows * ncols):
            axes[c // ncols][c % ncols].set_visible(False)
        for c in range(max(0, C - ncols), C):  # lowest chart of each column shows the dates
            axes[c // ncols][c % ncols].xaxis.set_tick_params(labelbottom=True)
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside upper center", ncols=2, frameon=False)
        return fig


def ard_figure(result: RunResult) -> Figure:
    """Flee's averaged relative difference per day, plain and rescaled."""
    with mpl.rc_context(_RC):
        fig = Figure(figsize=(7, 2.8), layout="constrained")
        ax = fig.subplots()
        x = _dates(result)
        for rescaled, colour, name in (
            (False, SIM_COLOUR, "ARD"),
            (True, RESCALED_COLOUR, "rescaled ARD"),
        ):
            per_day = result.ard_per_day(rescaled=rescaled)
            mean = float(np.nanmean(per_day)) if per_day.size else float("nan")
            _band(ax, x, per_day, colour, f"{name} (mean {mean:.3f})")
        ax.set_ylim(bottom=0)
        ax.set_ylabel("ARD")
        ax.legend(frameon=False)
        _date_axis(ax)
        return fig


def _kind_colour(kind: str) -> str:
    kind = kind.lower()
    for key, colour in KIND_COLOURS.items():
        if key in kind:
            return colour
    return OTHER_COLOUR


def map_figure(result: RunResult, links: Sequence[tuple[int, int]] = ()) -> Figure:
    """Locations on a lon/lat plane (equal-aspect at the mean latitude), links as lines."""
    with mpl.rc_context(_RC):
        lat, lon = np.asarray(result.lat, float), np.asarray(result.lon, float)
        L = len(lat)
        aspect = 1.0
        height = 5.0
        if L:
            mean_lat = float(np.nanmean(lat))
            aspect = 1.0 / max(math.cos(math.radians(mean_lat)), 1e-3)
            span_x = max(float(np.ptp(lon)), 1e-6)
            span_y = max(float(np.ptp(lat)), 1e-6) * aspect
            height = min(max(6.5 * span_y / span_x + 1.2, 3.5), 9.0)
        fig = Figure(figsize=(7, height), layout="constrained")
        ax = fig.subplots()
        for i, j in links:
            if 0 <= i < L and 0 <= j < L:
                ax.plot(
                    [lon[i], lon[j]], [lat[i], lat[j]], color="#999999", linewidth=0.6, zorder=1
                )
        final = np.median(result.counts[:, -1, :], axis=0) if result.days else np.zeros(L, float)
        top = float(final.max()) if L and final.max() > 0 else 1.0
        sizes = 18 + 400 * final / top
        colours = [_kind_colour(k) for k in result.location_kinds]
        ax.scatter(
            lon, lat, s=sizes, c=colours, alpha=0.8, edgecolors="white", linewidths=0.5, zorder=2
        )
        camps = set(int(i) for i in result.camp_index)
        for i, name in enumerate(result.location_names):
            if i in camps or "camp" in result.location_kinds[i].lower():
                ax.annotate(
                    name,
                    (lon[i], lat[i]),
                    xytext=(4, 4),
                    textcoords="offset points",
                    fontsize=7,
                    color="#1f4e79",
                )
        ax.set_aspect(aspect, adjustable="datalim")
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
        handles = [
            Line2D([], [], marker="o", linestyle="", color=c, label=k)
            for k, c in (
                ("conflict zone", KIND_COLOURS["conflict"]),
                ("town", KIND_COLOURS["town"]),
                ("camp", KIND_COLOURS["camp"]),
            )
        ]
        ax.legend(handles=handles, frameon=False, loc="best", title="marker area ∝ final count")
        return fig


_ID_RE = re.compile(r'\bid="([^"]+)"')
_REF_RE = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def figure_svg(fig: Figure, prefix: str) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog, no metadata, unique ids)."""
    buf = io.StringIO()
    with mpl.rc_context(_RC):
        FigureCanvasSVG(fig)
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Type": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    ids = set(_ID_RE.findall(text))

    def rename(m: re.Match[str]) -> str:
        head, ident = m.group(1), m.group(2)
        return f"{head}{prefix}-{ident}" if ident in ids else m.group(0)

    text = _REF_RE.sub(rename, text)
    return text


def save_png(fig: Figure, path: Path, dpi: int = 150) -> Path:
    """Write the figure as PNG with the Agg renderer."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, format="png", dpi=dpi)
    return path
