"""Process ``serve``: every service serves its queue and draws outcome verbs; the verbs are
applied (:func:`corredor.rules.corridor.verbs.apply_verbs`).

The services are the engine's capacity-limited queues (``corredor.engine.services``: calendar
releases, completions, serving in priority order, FIFO, abandonment); today's capacities and
outcome tables were set by ``process_policy``. No parameter is read here.
"""

from __future__ import annotations

import numpy as np

from corredor.rules.corridor.state import CorridorState
from corredor.rules.corridor.verbs import apply_verbs


def step_serve(st: CorridorState, day: int) -> None:
    out = st.services.serve_day(st.agents, day)
    if len(out):
        apply_verbs(st, out.agent, out.verb.astype(np.int64), out.service, out.joined)
