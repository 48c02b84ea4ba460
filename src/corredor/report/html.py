"""Render the HTML report (template.html + style.css + inline SVG figures)."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from importlib import resources
from importlib.metadata import version
from pathlib import Path
from string import Template

import numpy as np

from corredor.files.atomic import write_text
from corredor.report.figures import ard_figure, camp_curves_figure, figure_svg, map_figure
from corredor.report.links import read_conflict_onsets, read_links
from corredor.report.summary import summary_rows
from corredor.results import RunResult


def _resource(name: str) -> str:
    return (resources.files("corredor.report") / name).read_text(encoding="utf-8")


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    def cell(tag: str, i: int, value: str) -> str:
        cls = ' class="num"' if i in numeric else ""
        return f"<{tag}{cls}>{_esc(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = "\n".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    thead = f"<thead><tr>{head}</tr></thead>" if header else ""
    return f"<table>{thead}<tbody>\n{body}\n</tbody></table>"


def _replica_rows(result: RunResult) -> list[list[str]]:
    ard, ard_rescaled = result.ard, result.ard_rescaled
    rows = []
    for r in range(result.replicas):
        final = int(result.agents_total[r, -1]) if result.days else 0
        rows.append(
            [
                str(r),
                str(result.seeds[r]),
                f"{ard[r]:.4f}",
                f"{ard_rescaled[r]:.4f}",
                f"{final:,}",
                f"{float(result.elapsed_s[r]):.2f}",
            ]
        )
    return rows


def render_report(result: RunResult, links: Sequence[tuple[int, int]] | None = None) -> str:
    """The report as one HTML string."""
    if links is None:
        links = read_links(result)
    meta = {
        "run id": result.run_id or "(not saved)",
        "scenario": result.scenario,
        "scenario path": str(result.scenario_path),
        "seeds": ", ".join(str(s) for s in result.seeds),
        "period": f"{result.days} days from {result.start_date.isoformat()}",
    }
    several = result.replicas > 1
    camps_note = (
        f"Solid line: median of {result.replicas} replicas; band: 5–95 % across replicas."
        if several
        else "Solid line: the simulation (one replica)."
    ) + " Dashed line: observed data (UNHCR), as used for validation."
    final = np.median(result.counts[:, -1, :], axis=0) if result.days else None
    map_note = (
        f"{len(links)} link{'s' if len(links) != 1 else ''} drawn."
        if links
        else "No links drawn (routes.csv of the scenario not found)."
    )
    if final is not None:
        map_note += (
            f" Agents at locations (not travelling) at the end: {int(final.sum()):,} (median)."
        )
    onsets = read_conflict_onsets(result)
    if onsets:
        map_note += (
            f" {len(onsets)} conflict zone{'s' if len(onsets) != 1 else ''} (red triangles;"
            " the date is when its conflict starts, if after the first day)."
        )
    values = {
        "version": _esc(version("corredor")),
        "title": _esc(f"Corredor — {result.scenario}"),
        "css": _resource("style.css"),
        "meta": "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in meta.items()),
        "summary_table": _table([], summary_rows(result), set()),
        "replica_table": _table(
            ["replica", "seed", "ARD", "rescaled ARD", "agents at end", "seconds"],
            _replica_rows(result),
            {0, 1, 2, 3, 4, 5},
        ),
        "camps_note": _esc(camps_note),
        "camps_svg": figure_svg(camp_curves_figure(result, max_cols=3), "camps"),
        "ard_note": _esc("Band: 5–95 % across replicas." if several else ""),
        "ard_svg": figure_svg(ard_figure(result), "ard"),
        "map_note": _esc(map_note),
        "map_svg": figure_svg(map_figure(result, links, onsets), "map"),
        "settings": _esc(json.dumps(result.settings, indent=2, sort_keys=True, default=str)),
    }
    return Template(_resource("template.html")).substitute(values)


def write_report(
    result: RunResult, path: str | Path, links: Sequence[tuple[int, int]] | None = None
) -> Path:
    """Write one self-contained HTML file (inline CSS and SVG) atomically and return its path.

    ``links`` are pairs of location indices drawn on the map; by default they are re-read from
    ``result.scenario_path/input_csv/routes.csv`` when that file exists.
    """
    return write_text(Path(path), render_report(result, links))
