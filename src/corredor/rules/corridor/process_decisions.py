"""Process ``decide``: agents at a place decide (``docs/model.md`` §3.3.5–3.3.6).

One pass over the active agents (:func:`~corredor.rules.corridor.active.decide_lists`) finds
who decides today; then, in this order:

1. travellers at a place with an open asylum or visa office may apply there
   (:func:`apply_on_the_way`);
2. people in a border city wait, apply at a port, cross irregularly, go home or settle
   (:func:`corredor.rules.corridor.process_border.decide_at_border`);
3. people returned to wait for a dated hearing may give up (:func:`give_up_waiting`).

Nobody who decides in 1 or 2 is in a service, so the list of people waiting does not change
meanwhile.

Parameters read (per day): the weights ``decisions.weights.queue_length``, ``expected_wait``
and ``enforcement``; the roles (``corredor.scenario.corridor.roles``; default in brackets):

* ``apply_asylum_propensity`` (0): the daily propensity to apply to an asylum office in a
  transit country on the way;
* ``apply_visa_propensity`` (0.5): the daily propensity to apply to a visa office on the way;
* ``asylum_network_people`` (∞): co-nationals already protected in the transit country that
  double the propensity to apply for asylum (word of the procedure);
* ``hearing_give_up_hazard`` (0): the daily hazard of giving up a wait for a dated hearing.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from corredor.engine.services import Verb
from corredor.rules.corridor.active import decide_lists
from corredor.rules.corridor.process_border import decide_at_border
from corredor.rules.corridor.state import CorridorState, Phase
from corredor.rules.corridor.transitions import join, phase_at

IntArray = npt.NDArray[np.int32]


def step_decide(st: CorridorState, day: int) -> None:
    a = st.agents
    # one pass over the active agents (kernel twin: active.decide_lists_np); nobody who
    # decides below is in a service, so the waiting list does not change meanwhile
    transit, border, waiting = decide_lists(st.active, a["phase"], a["link"], a["svc_state"])
    apply_on_the_way(st, transit)
    decide_at_border(st, border)
    give_up_waiting(st, waiting)


def give_up_waiting(st: CorridorState, waiting: IntArray) -> None:
    """People waiting for a dated hearing give up with a daily hazard (phase by place)."""
    if waiting.shape[0] == 0:
        return
    a, day = st.agents, st.day
    h = st.role("hearing_give_up_hazard")
    quit_ = waiting[st.u(st.keys.decide, waiting, 5) < h]
    if quit_.shape[0]:
        court = st.services.queue_service[a["svc_queue"][quit_]]
        st.services.withdraw(a, quit_)
        st.events.emit(int(Verb.ABANDON), court, quit_, a, day)
        phase_at(st, quit_)


def apply_on_the_way(st: CorridorState, ids: IntArray) -> None:
    """On the way: apply to an open asylum office or visa office at this place.

    The daily probability is the option's propensity × exp(U), with
    U = w_queue × queued + w_wait × expected wait − w_enforcement × hazard-days ahead: long
    queues deter, the risk of apprehension on the way north makes applying here attractive.
    People apply only to services outside their own country and without a status yet.
    """
    c, a, day = st.c, st.agents, st.day
    if ids.shape[0] == 0:
        return
    w_q = st.weight("queue_length")
    w_w = st.weight("expected_wait")
    w_e = st.weight("enforcement")
    queued_all = st.services.queued().astype(float)
    # the places and phases are read once; an agent who applies to one office does not apply
    # to the next (its phase here becomes -1), and everyone who applies today joins in one
    # call after the last office (joining changes only the joiners' phases and places)
    loc = a["loc"][ids]
    phase = a["phase"][ids]
    present = np.zeros(len(c.loc_names), dtype=bool)  # offices where nobody is: skipped
    present[loc] = True
    travel = int(Phase.TRAVEL)
    joiners: list[IntArray] = []
    offices: list[npt.NDArray[np.int32]] = []
    for s in np.flatnonzero(st.svc.is_transit & c.svc_open[day]):
        if not present[c.svc_loc[s]]:
            continue
        rows = np.flatnonzero((loc == c.svc_loc[s]) & (phase == travel))
        if rows.shape[0] == 0:
            continue
        here = ids[rows]
        g = a["group"][here].astype(np.int64)
        queued = queued_all[s]
        rate = max(c.svc_capacity[day][s] / c.svc_mean_days[day][s], 1e-9)
        ahead = st.routes.ahead[g, c.svc_loc[s]]
        u_apply = w_q * queued + w_w * queued / rate - w_e * ahead
        base: npt.NDArray[np.float64] | float
        if c.svc_kind[s] == "asylum_office":
            # co-nationals already protected here spread word of the procedure
            scale = st.role("asylum_network_people")
            known = 1.0 + st.protected_transit[c.group_nat[g]] / scale
            base = st.role("apply_asylum_propensity") * known
        else:
            base = st.role("apply_visa_propensity")
        p = np.clip(base * np.exp(np.minimum(u_apply, 5.0)), 0.0, 1.0)
        eligible = ~st.svc.own_country[c.group_nat[g], s] & (a["status"][here] == 0)
        go = eligible & (st.u(st.keys.decide, here, 10 + int(s)) < p)
        if go.any():
            phase[rows[go]] = -1
            joiners.append(here[go])
            offices.append(np.full(int(go.sum()), s, dtype=np.int32))
    if joiners:
        join(st, np.concatenate(joiners), np.concatenate(offices))
