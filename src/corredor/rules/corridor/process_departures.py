"""Processes ``depart`` and ``redepart``: people leave their origins.

``depart``: new agents at the origins. Per origin, today's expected departures (the compiled
``departures``: a base rate × driver terms, policy events applied) times the perceived-openness
multiplier of each demographic group (``process_openness``); per caravan, its expected
departures while it forms. One Poisson count per origin, then per caravan (drawn together from
a Philox generator keyed on the seed's departure stream and the day, caravans appended so that
a scenario without caravans draws the same numbers); each new agent's demographic group is a
draw from its nationality's shares (caravan members: the shares without the openness term). A
new agent heads for a border city (:func:`~corredor.rules.corridor.routes.choose_target`; a
caravan may fix it).

``redepart``: agents removed home earlier whose day to leave again is today
(:func:`~corredor.rules.corridor.transitions.send_home` scheduled it) leave again; their
attempt count goes up.

No parameter is read here beyond the compiled arrays (the openness and target-choice parameters
are read by those steps).
"""

from __future__ import annotations

import numpy as np

from corredor.engine.rng import mix64
from corredor.rules.corridor.active import merge_ids
from corredor.rules.corridor.kernels_decide import (
    DEPART_RATES_MAX_D,
    depart_columns,
    depart_rates,
    depart_rates_np,
)
from corredor.rules.corridor.routes import choose_target
from corredor.rules.corridor.state import EV_DEPART, CorridorState, Phase
from corredor.rules.corridor.transitions import activate, phase_at, set_phase

_HOME, _TRAVEL = int(Phase.HOME), int(Phase.TRAVEL)


def step_depart(st: CorridorState, day: int) -> None:
    c, a = st.c, st.agents
    n_orig = c.departures.shape[1]
    if st.openness.neutral:
        lam = np.concatenate([c.departures[day], c.caravan_departures[day]])
        dem_cum = c.share_cum
    else:
        # departures per origin x demographic group: base x share x openness multiplier
        # (kernel twin: kernels_decide.depart_rates_np, which takes the wider rows)
        rates = depart_rates if len(c.dem_names) < DEPART_RATES_MAX_D else depart_rates_np
        lam, dem_cum = rates(
            c.departures[day], c.caravan_departures[day], st.dem_share,
            st.openness.multiplier, c.origin_nat,
        )  # fmt: skip
    seed = int(mix64(np.uint64(st.keys.depart)) ^ np.uint64(day))
    # one Poisson count per origin, then per caravan (appended: no caravan, same draws), from
    # ``Philox(key=seed)``: the state's generator reset to that key (a new one costs more)
    counts = st.depart_rng.at_key(seed).poisson(lam)
    n = int(counts.sum())
    if n == 0:
        return
    sl = a.add(n)
    ids = np.arange(sl.start, sl.stop, dtype=np.int32)
    # origin, group, place, day born and caravan in one pass (kernel twin:
    # kernels_decide.depart_columns_np)
    n_car = depart_columns(
        counts, n_orig, c.caravan_origin, c.origin_nat, c.origin_loc, c.share_cum, dem_cum,
        st.u(st.keys.group, ids), ids, a.raw("group"), a.raw("origin"), a.raw("loc"),
        a.raw("born"), a.raw("caravan"), day,
    )  # fmt: skip
    set_phase(st, ids, Phase.TRAVEL)
    choose_target(st, ids)
    if n_car:
        car = ids[a["caravan"][ids] > 0]
        fixed = c.caravan_target[a["caravan"][car] - 1]
        a["target"][car] = np.where(fixed >= 0, fixed, a["target"][car])
    activate(st, ids)
    st.events.emit(EV_DEPART, a["loc"][ids], ids, a, day)


def step_redepart(st: CorridorState, day: int) -> None:
    a = st.agents
    again = st.reattempts.pop(day, [])
    if not again:
        return
    ids = np.sort(np.array(again, dtype=np.int32))
    phase = a.raw("phase")
    ids = ids[phase[ids] == _HOME]
    a.raw("attempts")[ids] += 1
    phase_at(st, ids)
    choose_target(st, ids[phase[ids] == _TRAVEL])
    # merged into the active set in id order (kernel twin: active.merge_ids_np)
    st.active = merge_ids(st.active, ids)
    st.events.emit(EV_DEPART, a["loc"][ids], ids, a, day)
