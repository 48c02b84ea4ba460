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

import numpy as np

from corredor.rules.corridor.state import CorridorState


def step_openness(st: CorridorState, day: int) -> None:
    o = st.openness
    tau = max(st.role("openness_memory_days"), 1.0)
    keep = float(np.exp(-1.0 / tau))
    # in place, the same operations as keep * succ + succ_today (the same bits)
    o.succ *= keep
    o.succ += o.succ_today
    o.fail *= keep
    o.fail += o.fail_today
    o.succ_today[:] = 0.0
    o.fail_today[:] = 0.0
    ref_day = int(st.role("openness_reference_days"))
    ref_unset = np.isnan(o.ref[0])
    if day == ref_day or (day > ref_day and ref_unset):
        o.ref = (o.succ + 1.0) / (o.succ + o.fail + 2.0)
        ref_unset = False
    eps = st.role("openness_elasticity")
    if eps == 0.0 or ref_unset:
        o.multiplier = o.ones  # the multiplier 1 (depart checks ``o.neutral``)
        o.neutral = True
    else:
        level = (o.succ + 1.0) / (o.succ + o.fail + 2.0)
        cap = st.role("openness_multiplier_max")
        mult = (level / o.ref) ** eps
        o.multiplier = np.clip(mult, 1.0 / cap, cap)
        o.neutral = bool(np.all(o.multiplier == 1.0))
