"""The bargaining section of a corridor HTML report (a coupled run, docs/bargaining.md §10).

:func:`coupled_section_html` is a self-contained HTML fragment (a table of the review periods
and the chart of :func:`~corredor.bargaining.sweep.plot_coupled`); :func:`write_coupled_report`
writes the corridor report of the run (:func:`corredor.report.corridor.write_corridor_report`)
with the fragment added before its end.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from corredor.bargaining.caveats import caveat_texts
from corredor.bargaining.sweep import plot_coupled
from corredor.files.atomic import write_text
from corredor.files.read import read_text
from corredor.report.corridor import write_corridor_report

if TYPE_CHECKING:
    from corredor.bargaining.coupled import CoupledResult

#: Columns of the report's table: (column, heading, format).
SECTION_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("start", "period from", "{}"),
    ("tariff_mean", "tariff", "{:.1%}"),
    ("stc_demanded", "STC asked", "{}"),
    ("enforcement_mean", "enforcement", "{:.2f}"),
    ("humanitarian_visas", "visas", "{:.2f}"),
    ("asylum_capacity", "asylum", "{:.2f}"),
    ("mpp_acceptance", "MPP", "{:.2f}"),
    ("arrivals_per_day", "arrivals/day (game)", "{:,.0f}"),
    ("sim_arrivals_per_day", "arrivals/day (sim)", "{:,.0f}"),
    ("sanction_probability", "P(sanction)", "{:.2f}"),
    ("feasible_share", "feasible space", "{:.1%}"),
)


def _cell(fmt: str, value: object) -> str:
    try:
        text = fmt.format(value)
    except (TypeError, ValueError):
        text = str(value)
    return html.escape(text)


def coupled_section_html(frames: Mapping[str, pd.DataFrame]) -> str:
    """The bargaining section: the caveats of docs/bargaining.md
    (:data:`corredor.bargaining.caveats.CAVEATS`), one table per labelled run and the chart."""
    parts = [
        "<h2>Bargaining: the threat game on the simulation</h2>",
        "<p>At each review day the transit state chooses (endogenous mode) or keeps (exogenous "
        "mode) its policy; the feasible space is the share of its policy grid that triggers no "
        "sanction and that it can afford. Predicted arrivals are the game's, simulated ones the "
        "run's (docs/bargaining.md §10).</p>",
        "<h3>What bounds these numbers</h3><ul>",
        *[f"<li>{html.escape(c)}</li>" for c in caveat_texts()],
        "</ul>",
    ]
    for label, df in frames.items():
        head = "".join(f"<th>{html.escape(h)}</th>" for _, h, _ in SECTION_COLUMNS)
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{_cell(fmt, row[col]) if col in df else '–'}</td>"
                for col, _, fmt in SECTION_COLUMNS
            )
            + "</tr>"
            for _, row in df.iterrows()
        )
        parts.append(f"<h3>{html.escape(label)}</h3>")
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    fig = plot_coupled(frames)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode()
    parts.append(f"<img alt='bargaining' src='data:image/png;base64,{data}'>")
    return "\n".join(parts)


def write_coupled_report(
    result: CoupledResult,
    path: str | Path,
    frames: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """The corridor report of ``result.corridor`` with the bargaining section (of ``frames``,
    default: this run's table) added."""
    path = write_corridor_report(result.corridor, path)
    frames = frames if frames is not None else {result.mode: result.to_frame()}
    text = read_text(path)  # the report just written, read back to add the section
    section = coupled_section_html(frames)
    end = text.rfind("</body>")
    text = text[:end] + section + "\n" + text[end:] if end >= 0 else text + section

    return write_text(path, text)
