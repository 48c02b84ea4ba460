"""Settling in a transit country: people recognised as refugees there, and people in a border
city who give up going on (``docs/model.md`` §3.3.5).

Parameters read (roles, ``corredor.scenario.corridor.roles``; default in brackets):

* ``settle_after_protection`` (0.7): probability that a person granted protection in a transit
  country stays there (people with a visa go on).

A status protects in the transit country when its name says so (``Compiled.protected_status``);
a status whose name contains ``visa`` is a travel document, not protection.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from corredor.engine.services import Verb
from corredor.rules.corridor.state import CorridorState, Phase
from corredor.rules.corridor.transitions import set_phase

IntArray = npt.NDArray[np.int32]


def settle(st: CorridorState, ids: IntArray) -> None:
    """Agents settle where they are (a ``settle`` event without a service)."""
    set_phase(st, ids, Phase.SETTLED)
    st.events.emit(int(Verb.SETTLE), np.full(ids.shape[0], -1), ids, st.agents, st.day)


def settle_after_grant(st: CorridorState, who: IntArray, status: IntArray) -> None:
    """Refugees recognised in the transit country stay there with a probability; people
    with a visa go on."""
    c = st.c
    protected = c.settling_status[status]
    cand = who[protected & ~c.loc_in_dest[st.agents["loc"][who]]]
    nat = c.group_nat[st.agents["group"][cand]]
    st.protected_transit += np.bincount(nat, minlength=len(c.nat_names))
    if cand.shape[0]:
        p = st.role("settle_after_protection")
        stay = cand[st.u(st.keys.verbs, cand, 10) < p]
        settle(st, stay)
