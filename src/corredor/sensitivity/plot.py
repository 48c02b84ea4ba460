"""Bar charts of sensitivity indices (matplotlib's object API, written to a PNG file)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from corredor.files.atomic import atomic_file

if TYPE_CHECKING:
    from corredor.sensitivity.analysis import SensitivityResult


def plot_indices(result: SensitivityResult, path: str | Path, *, top: int = 12) -> Path:
    """One panel per output, the ``top`` parameters by rank: Morris μ* with its bootstrap
    confidence and σ, or Sobol first-order and total indices with their confidence."""
    outs = list(result.outputs)
    n = len(outs)
    fig = Figure(figsize=(8, max(2.5, 0.32 * min(top, len(result.parameters)) + 1.2) * n))
    axes = np.atleast_1d(fig.subplots(n, 1))
    for ax, out in zip(axes, outs, strict=True):
        t = result.top(out, top).iloc[::-1]
        y = np.arange(len(t))
        if result.method == "morris":
            ax.barh(y, t["mu_star"], xerr=t["mu_star_conf"], color="#3b6ea8", label="μ*")
            ax.plot(t["sigma"], y, "o", color="#c2553a", label="σ")
            ax.set_xlabel("elementary effect (output units)")
        else:
            h = 0.38
            ax.barh(y + h / 2, t["ST"], h, xerr=t["ST_conf"], color="#3b6ea8", label="ST")
            ax.barh(y - h / 2, t["S1"], h, xerr=t["S1_conf"], color="#9cc0e6", label="S1")
            ax.set_xlabel("share of output variance")
        ax.set_yticks(y, list(t["parameter"]))
        ax.set_title(out, loc="left", fontsize=10)
        ax.legend(loc="lower right", fontsize=8)
    fig.suptitle(f"{result.scenario}: {result.method} sensitivity", x=0.01, ha="left")
    fig.tight_layout()
    path = Path(path)
    with atomic_file(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    return path


__all__ = ["plot_indices"]
