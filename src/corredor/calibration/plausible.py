"""History matching over the evaluated trials: the implausibility of a trial against the point
fit and the plausible parameter sets (the calibrated ensemble).

For each trial ``x`` and series ``s``, the implausibility is ``I_s(x) = sqrt(L_s(x) / (L_s(x*) +
σ²))`` with ``x*`` the point fit and ``σ = 0.1`` (a 10 % observation error on the log scale); a
trial is plausible if the second-largest ``I_s`` over the weighted series (the largest with
fewer than 5 series) is at most ``cut`` (default 2: no more than one series fits more than about
twice as badly, in log-RMSE, as in the point fit). The plausible trials, lowest loss first and
at most ``max_members``, form the ensemble with equal weights (history matching rules sets out,
it does not weigh them). If fewer than 3 pass, the cut is relaxed to ``2 × cut`` (never
further) to take up to 3, and the study says so (``cut_relaxed``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Observation error (log scale) of the implausibility measure.
SIGMA_OBS = 0.1
#: Default implausibility cut (second-largest I_s).
DEFAULT_CUT = 2.0
#: Fewest members of the plausible ensemble (the cut is relaxed below it).
MIN_MEMBERS = 3
#: With this many series or more, the implausibility is the second-largest I_s, else the largest.
SECOND_MAX_FROM = 5


@dataclass(frozen=True)
class TrialRecord:
    """One evaluated trial."""

    number: int
    params: dict[str, float]
    loss: float
    series_loss: dict[str, float]
    seconds: float


def implausibility(
    trial: TrialRecord, best: TrialRecord, weights: Mapping[str, float], sigma: float = SIGMA_OBS
) -> float:
    """Second-largest ``I_s = sqrt(L_s(x) / (L_s(x*) + σ²))`` over the weighted series (the
    largest when there are fewer than :data:`SECOND_MAX_FROM` series)."""
    values = sorted(
        (
            math.sqrt(trial.series_loss[s] / (best.series_loss[s] + sigma**2))
            for s in best.series_loss
            if weights.get(s, 0.0) > 0 and s in trial.series_loss
        ),
        reverse=True,
    )
    if not values:
        return float("inf")
    return values[1] if len(values) >= SECOND_MAX_FROM else values[0]


def plausible_sets(
    trials: Sequence[TrialRecord],
    best: TrialRecord,
    weights: Mapping[str, float],
    *,
    cut: float = DEFAULT_CUT,
    max_members: int = 16,
) -> tuple[list[TrialRecord], bool]:
    """The plausible trials (module docstring), lowest loss first, and whether the cut was
    relaxed (to twice its value, never further) to reach :data:`MIN_MEMBERS`."""
    ranked = sorted(trials, key=lambda t: (t.loss, t.number))
    ok = [t for t in ranked if implausibility(t, best, weights) <= cut]
    relaxed = False
    if len(ok) < MIN_MEMBERS:  # relax the cut to twice its value, never further
        wider = [t for t in ranked if implausibility(t, best, weights) <= 2 * cut]
        relaxed = len(wider) > len(ok)
        ok = wider[: max(MIN_MEMBERS, len(ok))]
    # distinct parameter sets only (an enqueued default may repeat a sampled one)
    seen: set[tuple[tuple[str, float], ...]] = set()
    out = []
    for t in ok:
        key = tuple(sorted(t.params.items()))
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out[: max(1, max_members)], relaxed


__all__ = [
    "DEFAULT_CUT",
    "MIN_MEMBERS",
    "SECOND_MAX_FROM",
    "SIGMA_OBS",
    "TrialRecord",
    "implausibility",
    "plausible_sets",
]
