"""Process ``enforce``: apprehension draws on today's exposure; apprehended agents join their
zone's detention or processing service; crossings that ended in the destination without an
apprehension are entries (``docs/model.md`` §3.3.8).

An agent exposed to ``x`` hazard-days in a zone is caught with probability 1 − exp(−x), unless
its status protects it outside the destination (``Compiled.protected_status``); the kernel
:func:`~corredor.rules.corridor.active.enforce_draws` (twin ``enforce_draws_np``) draws them and
finds the entries in one pass. Apprehensions in the destination count towards repeat
encounters (the ``dest_encounters`` column). Afterwards the active set drops agents who left it
(:func:`~corredor.rules.corridor.active.keep_active`). On days with at least
:data:`PARALLEL_FROM` exposed agents the draws are made on numba's threads
(``enforce_draws_parallel``; the same results on any number of threads).

No parameter is read here beyond the compiled arrays and today's effort and hazards.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from corredor.rules.corridor.active import enforce_draws, enforce_draws_parallel, keep_active
from corredor.rules.corridor.state import EV_APPREHEND, EV_EVADE, CorridorState, Phase
from corredor.rules.corridor.transitions import join, outcome, set_phase

#: Exposed agents from which the draws run on all of numba's threads (below: on the calling
#: thread; waking the others costs more than the draws). See ``process_movement``.
PARALLEL_FROM = 8_000


def step_enforce(st: CorridorState, day: int) -> None:
    c, a = st.c, st.agents
    ids, expo, zone = st.exposure.ids, st.exposure.expo, st.exposure.zone
    # draws and the crossings that ended in the destination, in one pass (kernel twin:
    # active.enforce_draws_np); joining below changes only the agents caught
    parallel = ids.shape[0] >= PARALLEL_FROM and nb.get_num_threads() > 1
    caught, entered = (enforce_draws_parallel if parallel else enforce_draws)(
        ids, expo, zone, a["status"], c.protected_status, c.zone_in_dest, a["phase"],
        a["link"], a["loc"], c.loc_in_dest, st.keys.enforce, day,
    )  # fmt: skip
    got = ids[caught]
    if got.shape[0]:
        z = zone[caught]
        st.events.emit(EV_APPREHEND, z, got, a, day)
        in_dest = c.zone_in_dest[z]
        a["dest_encounters"][got[in_dest]] += 1
        join(st, got, c.zone_detention[z].astype(np.int32))
    # crossed without being apprehended: entered the destination
    if entered.shape[0]:
        st.events.emit(EV_EVADE, a["loc"][entered], entered, a, day)
        outcome(st, entered, success=True)
        set_phase(st, entered, Phase.IN_DEST)
    # reached the destination's interior some other way (kernel twin:
    # active.keep_active_np; compacts in place)
    st.active = keep_active(st.active, a["phase"])
