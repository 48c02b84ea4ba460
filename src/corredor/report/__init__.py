"""HTML report of a run: camp curves vs data, ARD over time, a map. Self-contained, offline.

matplotlib is imported only when a report or a figure is made, never by ``import corredor`` or
``import corredor.report``: :func:`write_report` (``report/html.py``) and
:func:`save_figure_png` (``report/figures.py``) are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what a type checker sees of the names imported on first use
    from corredor.report.figures import save_figure_png
    from corredor.report.html import write_report

__all__ = ["save_figure_png", "write_report"]

_LAZY = {"write_report": "corredor.report.html", "save_figure_png": "corredor.report.figures"}


def __getattr__(name: str) -> Any:
    """The report's entry points, imported on first use (module docstring)."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'corredor.report' has no attribute {name!r}")


def __dir__() -> list[str]:
    """Every public name, those imported on first use included."""
    return sorted({*globals(), *_LAZY})
