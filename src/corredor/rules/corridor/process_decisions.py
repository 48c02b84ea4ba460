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
from corredor.rules.corridor.active import decide_lists, office_choice
from corredor.rules.corridor.kernels_decide import apply_tables
from corredor.rules.corridor.process_border import decide_at_border
from corredor.rules.corridor.state import CorridorState
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
    People apply only to services outside their own country and without a status yet; an
    agent who applies to one office at its place does not apply to the next. The
    probabilities depend on the office and the group only (a table, office × group); the
    choices are one pass over the agents (kernel :func:`~corredor.rules.corridor.active.
    office_choice`, twin ``office_choice_np``), and everyone who applies joins in one call.
    """
    c, a, day = st.c, st.agents, st.day
    if ids.shape[0] == 0:
        return
    # the offices open today, their places and p[office, group] in one call (kernel twin:
    # kernels_decide.apply_tables_np)
    offices, off_loc, p = apply_tables(
        st.svc.is_transit, c.svc_open[day], c.svc_loc, st.services.queued(),
        c.svc_capacity[day], c.svc_mean_days[day], st.routes.ahead, st.svc.is_asylum,
        st.protected_transit, c.group_nat, st.role("asylum_network_people"),
        st.role("apply_asylum_propensity"), st.role("apply_visa_propensity"),
        st.weight("queue_length"), st.weight("expected_wait"), st.weight("enforcement"),
    )  # fmt: skip
    if offices.shape[0] == 0:
        return
    choice = office_choice(
        ids, a["loc"], a["group"], a["status"], c.group_nat, off_loc, offices, p,
        st.svc.own_country, st.keys.decide, day,
    )  # fmt: skip
    go = choice >= 0
    if go.any():
        join(st, ids[go], choice[go])
