"""The feasible policy space of a review period: the grid policies that trigger no sanction
(expected sanction loss within the transit state's tolerance) and that it can afford."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from corredor.bargaining.policy import (
    ENFORCEMENT_LEVERS,
    LEVERS,
    BoolArray,
    FloatArray,
    PolicyGrid,
    TransitPolicy,
)


@dataclass(frozen=True)
class FeasibleSpace:
    """``mask[i]``: grid point ``i`` is feasible. Sizes: ``share`` (share of grid points),
    ``volume`` (trapezoid-weighted share: the share of the lever box's volume, averaged over
    the STC branches) and the same two for the affordable set alone."""

    grid: PolicyGrid
    mask: BoolArray
    affordable: BoolArray

    @property
    def count(self) -> int:
        return int(self.mask.sum())

    @property
    def share(self) -> float:
        return float(self.mask.mean()) if self.mask.size else 0.0

    @property
    def volume(self) -> float:
        return float(self.grid.volume_weights[self.mask].sum())

    @property
    def affordable_share(self) -> float:
        return float(self.affordable.mean()) if self.affordable.size else 0.0

    @property
    def affordable_volume(self) -> float:
        return float(self.grid.volume_weights[self.affordable].sum())

    @property
    def relative_size(self) -> float:
        """Feasible volume as a share of the affordable volume (1: the threat costs no room)."""
        aff = self.affordable_volume
        return self.volume / aff if aff > 0 else 0.0

    def policies(self) -> FloatArray:
        """The feasible grid points, an ``(count, 7)`` array."""
        return np.asarray(self.grid.points[self.mask])

    @property
    def min_enforcement(self) -> float:
        """The lowest mean enforcement effort among feasible policies (NaN if empty)."""
        pts = self.policies()
        k = len(ENFORCEMENT_LEVERS)
        return float(pts[:, :k].mean(axis=1).min()) if len(pts) else float("nan")

    @property
    def max_visas(self) -> float:
        pts = self.policies()
        i = LEVERS.index("humanitarian_visas")
        return float(pts[:, i].max()) if len(pts) else float("nan")

    def centroid(self) -> dict[str, float]:
        """The volume-weighted mean feasible policy (NaN if the space is empty)."""
        w = self.grid.volume_weights[self.mask]
        pts = self.policies()
        if not len(pts) or w.sum() <= 0:
            return {n: float("nan") for n in LEVERS}
        mean = (w[:, None] * pts).sum(axis=0) / w.sum()
        return {n: float(mean[i]) for i, n in enumerate(LEVERS)}

    def distance_to(self, policy: TransitPolicy) -> float:
        """How far ``policy`` is from the space: the smallest root-mean-square lever difference
        to a feasible grid point (0 if it is one; NaN if the space is empty)."""
        pts = self.policies()
        if not len(pts):
            return float("nan")
        diff = pts - policy.to_array()
        return float(np.sqrt((diff * diff).mean(axis=1)).min())

    def summary(self) -> dict[str, float]:
        return {
            "feasible_share": self.share,
            "feasible_volume": self.volume,
            "affordable_share": self.affordable_share,
            "relative_size": self.relative_size,
            "feasible_min_enforcement": self.min_enforcement,
            "feasible_max_visas": self.max_visas,
        }
