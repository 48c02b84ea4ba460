"""Process ``policy``: today's date and parameters, from the compiled policy timeline.

Every parameter a scenario's policy events change is a daily array in the compiled scenario
(``Compiled``); this process copies today's values where the other processes read them:

* the services' capacities, mean service days, abandonment hazards and outcome tables (a
  closed service takes nobody: the people on its list leave it, ``abandon``, today);
* the enforcement effort and the hazards per zone and group (``state.effort``,
  ``state.hazard``);
* today's route-choice tables (:func:`corredor.rules.corridor.routes.update_tables`).

Processes read nothing else of the timeline: a policy changes a run only through this step.
"""

from __future__ import annotations

import numpy as np

from corredor.rules.corridor.routes import update_tables
from corredor.rules.corridor.state import CorridorState


def step_policy(st: CorridorState, day: int) -> None:
    st.day = day
    c, t = st.c, st.services.table
    t.capacity[:] = c.svc_capacity[day]
    t.mean_days[:] = np.maximum(c.svc_mean_days[day], 1.0)
    # a closed service takes nobody: the people on its list leave it (ABANDON) today
    t.abandon_hazard[:] = np.where(c.svc_open[day], c.svc_abandon[day], 1.0)
    # the outcome tables change on a few days: copied into the services' table on those
    # (``st.outcome_today`` is today's, for the other processes)
    table = c.outcome_table_on(day)
    if table is not st.outcome_today:
        t.outcome_p[:] = table
        st.outcome_today = table
    st.outcome_day = day
    st.effort = c.zone_effort[day]
    st.hazard = c.zone_hazard[day]
    update_tables(st, day)
