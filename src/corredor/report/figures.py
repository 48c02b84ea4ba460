"""Figures of a run, drawn with matplotlib's object API (no pyplot, no global backend change).

Every function returns a ``matplotlib.figure.Figure``; ``figure_svg`` turns one into an inline
``<svg>`` element with ids made unique per figure, ``save_png`` writes a PNG (Agg renderer).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import numpy as np
import numpy.typing as npt
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import Bbox

from corredor.files.atomic import atomic_file
from corredor.results import RunResult

SIM_COLOUR = "#1f77b4"
DATA_COLOUR = "#222222"
RESCALED_COLOUR = "#ff7f0e"
KIND_COLOURS = {"conflict": "#d62728", "camp": "#1f77b4", "town": "#7f7f7f"}
OTHER_COLOUR = "#bbbbbb"
LINK_COLOUR = "#a0a0a0"
GRID_COLOUR = "#e8e8e8"
BAND_ALPHA = 0.25
_RC: Any = {  # matplotlib rcParams used by every figure
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
    "svg.hashsalt": "corredor",
}


# ---------------------------------------------------------------------------------- dates
def _dates(result: RunResult) -> np.ndarray:
    return np.array(result.dates, dtype="datetime64[D]")


class _DateFormatter(mticker.Formatter):
    """Month names (day and month for short runs, years for long ones) with the year under
    the first tick and under every tick where the year changes: ``Apr/2012, Jul, Oct, Jan/2013``.
    """

    def __call__(self, x: float, pos: int | None = None) -> str:
        return str(mdates.num2date(x).strftime("%d %b %Y"))  # type: ignore[no-untyped-call]

    def format_ticks(self, values: Any) -> list[str]:
        dates = [mdates.num2date(float(v)) for v in values]  # type: ignore[no-untyped-call]
        gaps = [(b - a).days for a, b in itertools.pairwise(dates)]
        step = min(gaps) if gaps else 0
        labels = []
        year = None
        for d in dates:
            if step >= 360:
                labels.append(str(d.year))
                continue
            label = d.strftime("%b") if step >= 28 else f"{d.day} {d.strftime('%b')}"
            if d.year != year:
                label += f"\n{d.year}"
            year = d.year
            labels.append(label)
        return labels


def _date_axis(ax: Axes, maxticks: int = 5) -> None:
    locator = mdates.AutoDateLocator(minticks=2, maxticks=maxticks)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(_DateFormatter())


def _fmt_date(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%b %Y')}"


def figure_title(result: RunResult) -> str:
    """``<scenario>: people in camps, <first day> – <last day>``, for a stand-alone figure."""
    if not result.days:
        return f"{result.scenario}: people in camps"
    first, last = result.dates[0], result.dates[-1]
    return f"{result.scenario}: people in camps, {_fmt_date(first)} – {_fmt_date(last)}"


def _grid(ax: Axes) -> None:
    ax.grid(axis="y", color=GRID_COLOUR, linewidth=0.7)
    ax.set_axisbelow(True)


def _band(ax: Axes, x: np.ndarray, series: np.ndarray, colour: str, label: str) -> None:
    """Median and 5–95 % band across replicas (axis 0), or the line for one replica."""
    if series.shape[0] > 1:
        lo, med, hi = np.percentile(series, [5, 50, 95], axis=0)
        ax.fill_between(x, lo, hi, color=colour, alpha=BAND_ALPHA, linewidth=0)
        ax.plot(x, med, color=colour, linewidth=1.6, label=label)
    else:
        ax.plot(x, series[0], color=colour, linewidth=1.6, label=label)


def _sim_handles(replicas: int, colour: str = SIM_COLOUR) -> list[Artist]:
    if replicas > 1:
        return [
            Line2D(
                [],
                [],
                color=colour,
                linewidth=1.6,
                label=f"simulated: median of {replicas} replicas",
            ),
            Patch(facecolor=colour, alpha=BAND_ALPHA, label="simulated: 5–95 % of replicas"),
        ]
    return [Line2D([], [], color=colour, linewidth=1.6, label="simulated (1 replica)")]


def _display(name: str) -> str:
    """A location or country name as shown: Flee's underscores become spaces."""
    return str(name).replace("_", " ").strip()


def _country(result: RunResult, index: int) -> str:
    if index < len(result.location_countries):
        return _display(result.location_countries[index])
    return ""


# ------------------------------------------------------------------------------ camps
def camp_curves_figure(
    result: RunResult, ncols: int | None = None, title: str | None = None, max_cols: int = 4
) -> Figure:
    """One small chart per camp: simulated population vs observed data.

    ``ncols`` defaults to a balanced grid of at most ``max_cols`` columns; ``title`` is drawn
    on top (above the legend).
    """
    with mpl.rc_context(_RC):
        C = len(result.camp_names)
        if C == 0:
            fig = Figure(figsize=(6, 1.5))
            fig.text(0.5, 0.5, "This scenario has no camps with observed data.", ha="center")
            return fig
        if ncols is None:
            ncols = math.ceil(C / math.ceil(C / max(1, max_cols)))
        ncols = max(1, min(ncols, C))
        nrows = math.ceil(C / ncols)
        extra = 0.9 + (0.3 if title else 0.0)
        fig = Figure(figsize=(3.4 * max(ncols, 2), 2.4 * nrows + extra), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
        x = _dates(result)
        sim = result.camp_sim().astype(np.float64)
        for c, name in enumerate(result.camp_names):
            ax = axes[c // ncols][c % ncols]
            _band(ax, x, sim[:, :, c], SIM_COLOUR, "simulated")
            ax.plot(
                x,
                result.observed[:, c],
                color=DATA_COLOUR,
                linestyle=(0, (4, 2)),
                linewidth=1.3,
                label="observed (UNHCR)",
            )
            country = _country(result, int(result.camp_index[c]))
            name = _display(name)
            ax.set_title(f"{name} ({country})" if country else name, loc="left", pad=4)
            ax.set_ylim(bottom=0)
            ax.yaxis.set_major_formatter(mticker.EngFormatter(sep=""))
            _grid(ax)
            _date_axis(ax)
        for c in range(C, nrows * ncols):
            axes[c // ncols][c % ncols].set_visible(False)
        for c in range(max(0, C - ncols), C):  # lowest chart of each column shows the dates
            axes[c // ncols][c % ncols].xaxis.set_tick_params(labelbottom=True)
        fig.supylabel("people in the camp", fontsize=10)
        handles = [
            *_sim_handles(result.replicas),
            Line2D(
                [],
                [],
                color=DATA_COLOUR,
                linestyle=(0, (4, 2)),
                linewidth=1.3,
                label="observed (UNHCR)",
            ),
        ]
        # The title sits on the legend: a suptitle and an "outside" legend would overlap.
        fig.legend(
            handles=handles,
            loc="outside upper center",
            ncols=len(handles),
            frameon=False,
            title=title,
            title_fontproperties={"size": 12, "weight": "bold"},
        )
        return fig


# -------------------------------------------------------------------------------- ARD
def ard_figure(result: RunResult) -> Figure:
    """Flee's averaged relative difference per day, plain and rescaled."""
    with mpl.rc_context(_RC):
        fig = Figure(figsize=(8, 3.2), layout="constrained")
        ax = fig.subplots()
        x = _dates(result)
        handles: list[Artist] = []
        for rescaled, colour, name in (
            (False, SIM_COLOUR, "ARD"),
            (True, RESCALED_COLOUR, "rescaled ARD"),
        ):
            per_day = result.ard_per_day(rescaled=rescaled)
            mean = float(np.nanmean(per_day)) if per_day.size else float("nan")
            label = f"{name} (mean {mean:.3f})"
            _band(ax, x, per_day, colour, label)
            handles.append(Line2D([], [], color=colour, linewidth=1.6, label=label))
        if result.replicas > 1:
            handles.append(Patch(facecolor="#999999", alpha=0.35, label="5–95 % of replicas"))
        ax.set_ylim(bottom=0)
        ax.set_ylabel("ARD (0 = exact match)")
        ax.legend(handles=handles, frameon=False, loc="upper right")
        _grid(ax)
        _date_axis(ax, maxticks=8)
        return fig


# -------------------------------------------------------------------------------- map
def _kind_colour(kind: str) -> str:
    kind = kind.lower()
    for key, colour in KIND_COLOURS.items():
        if key in kind:
            return colour
    return OTHER_COLOUR


def _nice_below(value: float) -> float:
    """The largest 1, 2 or 5 × 10^k not above ``value`` (``value`` > 0)."""
    exp = math.floor(math.log10(value))
    for m in (5, 2, 1):
        if m * 10**exp <= value:
            return float(m * 10**exp)
    return float(10**exp)


def _degrees(hemispheres: str) -> mticker.Formatter:
    pos, neg = hemispheres[0], hemispheres[1]

    def fmt(v: float, _pos: int | None = None) -> str:
        v = round(v, 6)
        return f"{abs(v):g}°{pos if v > 0 else neg if v < 0 else ''}"

    return mticker.FuncFormatter(fmt)


_Align = tuple[float, float, Literal["left", "center", "right"], Literal["top", "center", "bottom"]]


def _overlap(a: Bbox, b: Bbox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _outside(a: Bbox, box: Bbox) -> float:
    return a.width * a.height - _overlap(a, box)


def _place_labels(
    fig: Figure, ax: Axes, items: Sequence[tuple[float, float, str, float, dict[str, Any]]]
) -> None:
    """Annotate points without overlaps where possible (greedy, in the given order).

    ``items`` are ``(x, y, text, marker radius in points, Text kwargs)``. Each label goes to the
    first of eight positions around its marker that overlaps no marker and no placed label, or
    else to the position that overlaps least; labels are kept inside the axes.
    """
    if not items:
        return
    FigureCanvasAgg(fig)
    fig.draw_without_rendering()  # fixes the layout and the data limits (aspect)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    px = fig.dpi / 72.0
    frame = ax.get_window_extent(renderer)
    centres = ax.transData.transform([(x, y) for x, y, *_ in items])
    markers = [
        Bbox.from_extents(cx - r * px, cy - r * px, cx + r * px, cy + r * px)
        for (cx, cy), (*_, r, _kw) in zip(centres, items, strict=True)
    ]
    placed: list[Bbox] = []
    for k, (x, y, text, r, kw) in enumerate(items):
        g = r + 2.0
        d = g * 0.75
        candidates: list[_Align] = [
            (g, 0.0, "left", "center"),
            (-g, 0.0, "right", "center"),
            (d, d, "left", "bottom"),
            (-d, d, "right", "bottom"),
            (d, -d, "left", "top"),
            (-d, -d, "right", "top"),
            (0.0, g, "center", "bottom"),
            (0.0, -g, "center", "top"),
        ]
        ann = ax.annotate(text, (x, y), xytext=(0, 0), textcoords="offset points", **kw)
        ann.set_in_layout(False)
        best: tuple[float, int, Bbox] | None = None
        for n, (dx, dy, ha, va) in enumerate(candidates):
            ann.set_position((dx, dy))
            ann.set_horizontalalignment(ha)
            ann.set_verticalalignment(va)
            box = ann.get_window_extent(renderer).padded(1.5 * px)
            score = sum(_overlap(box, b) for b in placed)
            score += sum(_overlap(box, m) for j, m in enumerate(markers) if j != k)
            score += 10 * _outside(box, frame)
            if best is None or score < best[0]:
                best = (score, n, box)
            if score == 0:
                break
        assert best is not None
        dx, dy, ha, va = candidates[best[1]]
        ann.set_position((dx, dy))
        ann.set_horizontalalignment(ha)
        ann.set_verticalalignment(va)
        placed.append(best[2])


def _map_kinds(
    result: RunResult, conflict_onsets: Mapping[int, int] | None
) -> tuple[dict[int, int], set[int]]:
    """Conflict zones (index → first day in conflict) and camps of the map."""
    onsets = dict(conflict_onsets or {})
    for i, kind in enumerate(result.location_kinds):
        if "conflict" in kind.lower():
            onsets.setdefault(i, 0)
    camps = {int(i) for i in result.camp_index}
    camps |= {i for i, k in enumerate(result.location_kinds) if "camp" in k.lower()}
    return onsets, camps


def _map_shape(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]) -> tuple[float, float]:
    """(aspect, figure height): equal-aspect at the mean latitude."""
    if not len(lat):
        return 1.0, 5.0
    mean_lat = float(np.nanmean(lat))
    aspect = 1.0 / max(math.cos(math.radians(mean_lat)), 1e-3)
    span_x = max(float(np.ptp(lon)), 1e-6)
    span_y = max(float(np.ptp(lat)), 1e-6) * aspect
    return aspect, min(max(8.6 * span_y / span_x + 1.8, 4.0), 11.0)


def _map_markers(
    ax: Any,
    result: RunResult,
    groups: Mapping[str, list[int]],
    sizes: npt.NDArray[np.float64],
) -> None:
    """Towns, camps and conflict zones, in that order (conflict zones on top)."""
    lat, lon = np.asarray(result.lat, float), np.asarray(result.lon, float)
    common: dict[str, Any] = {"edgecolors": "white", "linewidths": 0.6}
    if groups["other"]:
        idx = groups["other"]
        colours = [_kind_colour(result.location_kinds[i]) for i in idx]
        ax.scatter(lon[idx], lat[idx], s=sizes[idx], c=colours, alpha=0.85, zorder=2, **common)
    if groups["camp"]:
        idx = groups["camp"]
        ax.scatter(
            lon[idx], lat[idx], s=sizes[idx], c=KIND_COLOURS["camp"], alpha=0.8, zorder=3, **common
        )
    if groups["conflict"]:
        idx = groups["conflict"]
        ax.scatter(
            lon[idx],
            lat[idx],
            s=sizes[idx] * 1.3,
            c=KIND_COLOURS["conflict"],
            marker="^",
            alpha=0.85,
            zorder=4,
            **common,
        )


def _map_legend(fig: Figure, top: float, final_max: float, area: Any) -> None:
    handles: list[Artist] = [
        _legend_marker("^", 8, "conflict", "conflict zone"),
        _legend_marker("o", 7, "camp", "camp"),
        _legend_marker("o", 7, "town", "town"),
        Line2D([], [], color=LINK_COLOUR, linewidth=1.2, label="route"),
    ]
    if final_max > 0:
        big = _nice_below(top)
        for value in sorted({big, _nice_below(top / 10)}):
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    color="#cccccc",
                    markeredgecolor="#888888",
                    markersize=math.sqrt(area(value)),
                    label=f"{mticker.EngFormatter(sep='')(value)} people",
                )
            )
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        frameon=False,
        columnspacing=1.2,
        handletextpad=0.3,
        title="marker area ∝ people there at the end (median of replicas)",
        title_fontsize=9,
        fontsize=9,
    )


def _map_labels(
    result: RunResult,
    final: npt.NDArray[np.float64],
    sizes: npt.NDArray[np.float64],
    onsets: Mapping[int, int],
    camps: set[int],
) -> list[tuple[float, float, str, float, dict[str, Any]]]:
    """Labels, most populated first: camps, then conflict zones (with the day their conflict
    starts, if after day 0), then towns on small maps."""
    lat, lon = np.asarray(result.lat, float), np.asarray(result.lon, float)
    L = len(lat)
    items: list[tuple[float, float, str, float, dict[str, Any]]] = []
    order = sorted(range(L), key=lambda i: -final[i])
    for i in order:
        if i in camps and i not in onsets:
            style = {"fontsize": 9, "fontweight": "bold", "color": "#174a7c"}
            items.append(
                (lon[i], lat[i], _display(result.location_names[i]), math.sqrt(sizes[i]) / 2, style)
            )
    for i in order:
        if i in onsets:
            name = _display(result.location_names[i])
            if onsets[i] > 0:
                d = result.start_date + dt.timedelta(days=onsets[i])
                name += f" (from {d.day} {d.strftime('%b')})"
            style = {"fontsize": 8, "color": "#a31515"}
            items.append((lon[i], lat[i], name, math.sqrt(sizes[i] * 1.3) / 2, style))
    if L <= 40:  # towns are labelled on small maps
        for i in order:
            if i not in onsets and i not in camps:
                style = {"fontsize": 8, "color": "#555555"}
                items.append(
                    (
                        lon[i],
                        lat[i],
                        _display(result.location_names[i]),
                        math.sqrt(sizes[i]) / 2,
                        style,
                    )
                )
    return items


def map_figure(
    result: RunResult,
    links: Sequence[tuple[int, int]] = (),
    conflict_onsets: Mapping[int, int] | None = None,
) -> Figure:
    """Locations on a lon/lat plane (equal-aspect at the mean latitude), links as lines.

    Marker area is proportional to the final count (median over replicas). Conflict zones are
    the locations in ``conflict_onsets`` (index → first day in conflict) and those whose kind
    is a conflict zone; they are red triangles, labelled with the date their conflict starts
    when that is after day 0. Camps are blue and labelled; towns grey, labelled on small maps.
    """
    with mpl.rc_context(_RC):
        lat, lon = np.asarray(result.lat, float), np.asarray(result.lon, float)
        L = len(lat)
        onsets, camps = _map_kinds(result, conflict_onsets)
        aspect, height = _map_shape(lat, lon)
        fig = Figure(figsize=(9.5, height), layout="constrained")
        ax = fig.subplots()
        for i, j in links:
            if 0 <= i < L and 0 <= j < L:
                ax.plot(
                    [lon[i], lon[j]], [lat[i], lat[j]], color=LINK_COLOUR, linewidth=0.9, zorder=1
                )
        final = (
            np.median(result.counts[:, -1, :], axis=0).astype(float)
            if result.days
            else np.zeros(L, float)
        )
        top = float(final.max()) if L and final.max() > 0 else 1.0
        min_area, max_area = 28.0, 520.0

        def area(count: float) -> float:
            return min_area + (max_area - min_area) * count / top

        sizes = np.array([area(v) for v in final])
        groups = {
            "conflict": [i for i in range(L) if i in onsets],
            "camp": [i for i in range(L) if i in camps and i not in onsets],
            "other": [i for i in range(L) if i not in onsets and i not in camps],
        }
        _map_markers(ax, result, groups, sizes)
        ax.set_aspect(aspect, adjustable="datalim")
        ax.margins(0.06)
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
        ax.xaxis.set_major_formatter(_degrees("EW"))
        ax.yaxis.set_major_formatter(_degrees("NS"))
        ax.grid(color=GRID_COLOUR, linewidth=0.6)
        ax.set_axisbelow(True)
        _map_legend(fig, top, float(final.max(initial=0)), area)
        _place_labels(fig, ax, _map_labels(result, final, sizes, onsets, camps))
        return fig


# ------------------------------------------------------------------------------ output
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
    FigureCanvasAgg(fig)
    with atomic_file(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi)
    return path


def save_figure_png(result: RunResult, path: str | Path, dpi: int = 150) -> Path:
    """Write the camp-curves figure (simulation vs observed data per camp) as a PNG.

    The PNG stands alone (as in the README), so it carries a title: the scenario and period.
    """
    fig = camp_curves_figure(result, title=figure_title(result))
    return save_png(fig, Path(path), dpi=dpi)


def _legend_marker(marker: str, size: float, kind: str, label: str) -> Line2D:
    """A legend entry showing the map marker of one kind of location."""
    return Line2D(
        [], [], marker=marker, linestyle="", markersize=size, color=KIND_COLOURS[kind], label=label
    )
