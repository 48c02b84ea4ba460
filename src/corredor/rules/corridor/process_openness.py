"""Process ``openness``: the corridor's perceived openness per group (docs/model.md §1.3 and §2).

o = (S + 1) / (S + F + 2), from exponentially weighted counts S of recent successes (entries
into the destination, statuses granted) and F of recent failures (deportations, expulsions,
returns to wait) that the other processes count (:func:`~corredor.rules.corridor.transitions.
outcome`). Departures are multiplied by (o / o_ref) ** elasticity, with o_ref the openness at
the end of the first ``openness_reference_days`` (before then the multiplier is 1), clipped to
[1 / ``openness_multiplier_max``, ``openness_multiplier_max``]: a calibrated elasticity of 0
switches the feedback off (the run is then, bit for bit, the run without it).

Parameters read (roles, ``corredor.scenario.corridor.roles``; default in brackets):

* ``openness_memory_days`` (90): memory of the weighted counts, days;
* ``openness_elasticity`` (0): elasticity of departures to perceived openness;
* ``openness_reference_days`` (365): the day the reference openness is taken;
* ``openness_multiplier_max`` (10): bound of the multiplier.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

from corredor.rules.corridor.state import CorridorState

FloatArray = npt.NDArray[np.float64]


def step_openness(st: CorridorState, day: int) -> None:
    o = st.openness
    tau = max(st.role("openness_memory_days"), 1.0)
    keep = float(np.exp(-1.0 / tau))
    # today's outcomes into the weighted counts, the level (kernel twin: decay_np)
    level = decay(o.succ, o.fail, o.succ_today, o.fail_today, keep)
    ref_day = int(st.role("openness_reference_days"))
    ref_unset = np.isnan(o.ref[0])
    if day == ref_day or (day > ref_day and ref_unset):
        o.ref = level.copy()
        ref_unset = False
    eps = st.role("openness_elasticity")
    if eps == 0.0 or ref_unset:
        o.multiplier = o.ones  # the multiplier 1 (depart checks ``o.neutral``)
        o.neutral = True
    else:
        cap = st.role("openness_multiplier_max")
        # NumPy's power (its own, maybe vector, code: not in a kernel), then the bounds
        # (kernel twin: bound_np)
        o.multiplier, o.neutral = bound((level / o.ref) ** eps, 1.0 / cap, cap)


@nb.njit(cache=True)
def decay(succ, fail, succ_today, fail_today, keep):  # type: ignore[no-untyped-def]
    """In place: ``succ = keep × succ + succ_today`` (and ``fail``), today's counts zeroed;
    returns the level ``(succ + 1) / (succ + fail + 2)``. Twin: :func:`decay_np`."""
    level = np.empty(succ.shape[0])
    for g in range(succ.shape[0]):
        succ[g] = keep * succ[g] + succ_today[g]
        fail[g] = keep * fail[g] + fail_today[g]
        succ_today[g] = 0.0
        fail_today[g] = 0.0
        level[g] = (succ[g] + 1.0) / (succ[g] + fail[g] + 2.0)
    return level


def decay_np(
    succ: FloatArray, fail: FloatArray, succ_today: FloatArray, fail_today: FloatArray, keep: float
) -> FloatArray:
    """The NumPy twin of :func:`decay`."""
    succ[:] = keep * succ + succ_today
    fail[:] = keep * fail + fail_today
    succ_today[:] = 0.0
    fail_today[:] = 0.0
    level: FloatArray = (succ + 1.0) / (succ + fail + 2.0)
    return level


@nb.njit(cache=True)
def bound(mult, lo, hi):  # type: ignore[no-untyped-def]
    """``mult`` within ``[lo, hi]`` as ``numpy.clip`` (a NaN stays NaN), and whether every
    value is 1. Twin: :func:`bound_np`."""
    out = np.empty(mult.shape[0])
    ones = True
    for g in range(mult.shape[0]):
        v = mult[g]
        v = max(v, lo)
        v = min(v, hi)
        out[g] = v
        ones = ones and v == 1.0
    return out, ones


def bound_np(mult: FloatArray, lo: float, hi: float) -> tuple[FloatArray, bool]:
    """The NumPy twin of :func:`bound`."""
    out = np.clip(mult, lo, hi)
    return out, bool(np.all(out == 1.0))
