"""HTML report of a run: camp curves vs data, ARD over time, a map. Self-contained, offline.

matplotlib is imported only when a report or a figure is made, never by ``import corredor``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from corredor.results import RunResult

__all__ = ["save_figure_png", "write_report"]


def write_report(
    result: RunResult, path: str | Path, links: Sequence[tuple[int, int]] | None = None
) -> Path:
    """Write one self-contained HTML file (inline CSS and SVG) and return its path.

    ``links`` are pairs of location indices drawn on the map; by default they are re-read from
    ``result.scenario_path/input_csv/routes.csv`` when that file exists.
    """
    from corredor.report.html import write_report as _write

    return _write(result, path, links)


def save_figure_png(result: RunResult, path: str | Path, dpi: int = 150) -> Path:
    """Write the camp-curves figure (simulation vs observed data per camp) as a PNG.

    The PNG stands alone (as in the README), so it carries a title: the scenario and period.
    """
    from pathlib import Path

    from corredor.report.figures import camp_curves_figure, figure_title, save_png

    fig = camp_curves_figure(result, title=figure_title(result))
    return save_png(fig, Path(path), dpi=dpi)
