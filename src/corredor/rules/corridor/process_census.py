"""Process ``census``: the count of the active agents at the end of the day.

One pass over the active agents (:func:`~corredor.rules.corridor.active.active_stocks`, twin
``active_stocks_np``) counts people per active phase, per place outside services (and per
place × nationality), stranded per place (in a border city, on a port's list, or waiting for a
dated return) and waiting per place for a dated return. The next day's choices read the
people per place (queue length, co-nationals ahead: ``routes``); the trackers record the rest
(``corredor.trackers.corridor``). It is a process because the agents' knowledge of where
others are is part of the state; it changes nothing else. On days with at least
:data:`PARALLEL_FROM` active agents the pass is split in blocks counted on numba's threads
(``active_stocks_parallel``: integer counts, the same on any number of threads).
"""

from __future__ import annotations

import numba as nb

from corredor.rules.corridor.active import active_stocks, active_stocks_parallel
from corredor.rules.corridor.state import Census, CorridorState

#: Active agents from which the census pass runs on all of numba's threads (below: on the
#: calling thread; waking the others costs more than the pass). See ``process_movement``.
PARALLEL_FROM = 20_000


def step_census(st: CorridorState, day: int) -> None:
    c, a = st.c, st.agents
    L, N = len(c.loc_names), len(c.nat_names)
    # every count over the active agents in one pass (kernel twin: active.active_stocks_np)
    args = (
        st.active, a["phase"], a["loc"], a["group"], a["svc_state"], a["svc_queue"],
        c.group_nat, st.queue_is_port, L, N,
    )  # fmt: skip
    threads = nb.get_num_threads()
    if threads > 1 and st.active.shape[0] >= PARALLEL_FROM:
        phases, here, here_nat, stranded, waiting = active_stocks_parallel(*args, threads)
    else:
        phases, here, here_nat, stranded, waiting = active_stocks(*args)
    st.census = Census(
        here=here.astype(float),
        here_nat=here_nat.reshape(L, N).astype(float),
        phases=phases,
        stranded=stranded,
        waiting=waiting,
    )
