"""Decisions in a border city (part of process ``decide``; ``docs/model.md`` §3.3.6).

Each day a person in a border city (phase ``BORDER``) goes home, settles, applies at the first
open port of entry in the city, crosses irregularly, or waits (the kernel
:func:`~corredor.rules.corridor.active.border_choice`, twin ``border_choice_np``). A port route
(a port's ``presents``) turns a group's share of the would-be crossers into port applicants. A port
attracts with the chance of not being denied there (a port outside the person's own country) and
deters with its queue; crossing draws a crossing link by enforcement
(:func:`~corredor.rules.corridor.routes.choose_link`).

Parameters read (per day): the weights ``decisions.weights.queue_length`` and
``expected_wait``; the roles (``corredor.scenario.corridor.roles``; default in brackets)
``apply_port_propensity`` (0), ``cross_propensity`` (0), ``wait_max_days`` (30),
``return_home_hazard`` (0) and ``settle_transit_hazard`` (0: settling in the transit country).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from corredor.engine.services import Verb
from corredor.rules.corridor.active import border_choice
from corredor.rules.corridor.kernels_decide import border_tables, split_choice
from corredor.rules.corridor.routes import choose_link
from corredor.rules.corridor.settlement import settle
from corredor.rules.corridor.state import CorridorState, Phase
from corredor.rules.corridor.transitions import join, set_phase

IntArray = npt.NDArray[np.int32]
_DENY = int(Verb.DENY)


def decide_at_border(st: CorridorState, ids: IntArray) -> None:
    """In a border city: apply at the port, cross irregularly, go home, settle, or wait."""
    c, a, day = st.c, st.agents, st.day
    if ids.shape[0] == 0:
        return
    # the first open port at each place; per port and group its attraction (the chance
    # of not being denied, for a port outside the group's own country); per port the
    # deterrence of its queue
    # (kernel twin: kernels_decide.border_tables_np)
    port_of_loc, attract, factor = border_tables(
        st.svc.is_port, c.svc_open[day], c.svc_loc, len(c.loc_names), st.svc.own_country,
        c.group_nat, st.outcome_on(day)[:, :, _DENY], st.services.queued(),
        c.svc_capacity[day], st.weight("queue_length"), st.weight("expected_wait"),
    )  # fmt: skip
    # the choices (kernel twin: active.border_choice_np); 4 = wait
    choice, port = border_choice(
        ids, a["loc"], a["group"], a["since"], port_of_loc, attract, factor,
        st.role("apply_port_propensity"),
        st.role("cross_propensity"),
        st.role("wait_max_days"),
        st.role("return_home_hazard"),
        st.role("settle_transit_hazard"),
        st.keys.decide, day,
    )  # fmt: skip
    # a port route (docs/model.md §3.3.6): of those who would cross, the group's share
    # (``presents``) presents at the city's port, or at the nearest open one, instead
    route = c.port_route_on(day, (len(c.svc_names), c.n_groups))
    if route is not None:
        to_port = route_ports(st, port_of_loc)
        would = np.flatnonzero(choice == 3)
        to = to_port[a["loc"][ids[would]]]
        would, to = would[to >= 0], to[to >= 0]
        go = st.u(st.keys.decide, ids[would], 3) < route[to, a["group"][ids[would]]]
        choice[would[go]] = 2
        port[would[go]] = to[go]
    # the agents by choice, in id order within each (kernel twin: split_choice_np)
    ids, port, off = split_choice(ids, choice, port, 5)
    lo = off.tolist()
    if lo[1] > lo[0]:
        home = ids[lo[0] : lo[1]]
        a["loc"][home] = c.origin_loc[a["origin"][home]]
        set_phase(st, home, Phase.RETURNED)
    if lo[2] > lo[1]:
        settle(st, ids[lo[1] : lo[2]])
    join(st, ids[lo[2] : lo[3]], port[lo[2] : lo[3]])
    if lo[4] > lo[3]:
        cross = ids[lo[3] : lo[4]]
        rt = st.routes
        link = choose_link(st, cross, rt.cross_within, rt.cross_has)
        ok = link >= 0
        cross = cross[ok]
        a["link"][cross] = link[ok]
        a["t_left"][cross] = c.link_days[link[ok]]
        set_phase(st, cross, Phase.CROSSING)


def route_ports(st: CorridorState, port_of_loc: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Per place, the port a port route leads to: the place's open port, else the open port
    nearest by the network (``dist_to_city``; a scenario's few ports may each stand for a whole
    stretch of the border); -1 where no port is open or reachable. The trip there is not
    simulated: joining the queue puts the agent at the port."""
    c = st.c
    out = port_of_loc.copy()
    ports = np.flatnonzero(port_of_loc >= 0)  # the places with an open port
    if ports.shape[0] == 0:
        return out
    km = c.dist_to_city[c.border_of_loc[ports]]  # (ports, L)
    best = np.argmin(km, axis=0)
    near = np.isfinite(km[best, np.arange(km.shape[1])])
    out = np.where((out < 0) & near, port_of_loc[ports[best]], out)
    return out
