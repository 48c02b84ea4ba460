"""The port route of Cubans under wet-foot/dry-foot in ``mexico-us`` (issue 13).

The four ports (``ofo_*``) have ``presents: {CUB: $wet_foot_port_share}``: of the Cubans in a
port's city who choose to cross irregularly, that share presents at the port instead, until the
policy event ``us-wet-foot-dry-foot-end-2017`` (2017-01-12) sets it to 0. At the default 0 the
compiled scenario has no port route and the border choice is the previous one (the run's
fingerprint is checked bit for bit in ``scripts/fingerprint_corridor_run.py``); at 1 every Cuban
who would cross where a port is open joins the port, and no one else changes.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import pytest

from corredor.engine.loop import run_days
from corredor.rules.corridor.compiled import Compiled, compile_corridor
from corredor.rules.corridor.process_border import decide_at_border
from corredor.rules.corridor.state import CorridorState, Phase
from corredor.scenario.corridor import (
    CorridorScenario,
    load_corridor_scenario,
    resolve_calibration,
)
from corredor.scenario.corridor.checks import check_references
from corredor.simulation.corridor import CorridorModel

PORTS = ("ofo_san_ysidro", "ofo_el_paso", "ofo_laredo", "ofo_nogales")
END = dt.date(2017, 1, 12)


@cache
def _scenario() -> CorridorScenario:
    return load_corridor_scenario("mexico-us")


@cache
def _compiled(share: float) -> Compiled:
    return compile_corridor(_scenario(), {"wet_foot_port_share": share})


def test_off_by_default_no_port_route() -> None:
    sc = _scenario()
    assert sc.calibration["wet_foot_port_share"].default == 0.0
    assert {s.name for s in sc.services if s.presents} == set(PORTS)
    off = _compiled(0.0)
    assert off.port_routes == ()
    assert off.port_route_on(0, (len(off.svc_names), off.n_groups)) is None


def test_on_cubans_at_the_four_ports_until_the_end_of_wet_foot_dry_foot() -> None:
    c = _compiled(1.0)
    end = (END - c.start).days
    cells = {(c.svc_names[s], c.group_name(g)) for s, g, _ in c.port_routes}
    cuban = [g for g in range(c.n_groups) if c.nat_names[c.group_nat[g]] == "CUB"]
    assert cells == {(p, c.group_name(g)) for p in PORTS for g in cuban}
    for _, _, share in c.port_routes:
        assert np.all(share[:end] == 1.0) and np.all(share[end:] == 0.0)
    today = c.port_route_on(end - 1, (len(c.svc_names), c.n_groups))
    assert today is not None and today.sum() == len(PORTS) * len(cuban)
    after = c.port_route_on(end, (len(c.svc_names), c.n_groups))
    assert after is not None and not after.any()


def test_presents_only_on_a_port() -> None:
    sc = _scenario()
    services = tuple(
        s.model_copy(update={"presents": {"CUB": 1.0}}) if s.name == "ice_detention" else s
        for s in sc.services
    )
    problems = check_references(sc.model_copy(update={"services": services}))
    assert any("only a port_intake has a port route" in p.message for p in problems)


def _state(share: float) -> CorridorState:
    sc = _scenario().model_copy(update={"people_per_agent": 50})
    values = {**resolve_calibration(sc).values, "wet_foot_port_share": share}
    model = CorridorModel(compile_corridor(sc, values, days=30), seed=5)
    run_days(model.plan, model.state, 12)
    return model.state


@pytest.mark.parametrize(
    ("nat", "city"), [("CUB", "Nuevo Laredo"), ("CUB", "Reynosa"), ("GTM", "Reynosa")]
)
def test_cubans_who_would_cross_present_at_the_port(nat: str, city: str) -> None:
    """The same agents, put in a border city on day 12, decide there with the route off and on:
    with it on, every Cuban who crosses with it off is at the port instead — Nuevo Laredo's
    own, or from Reynosa (no port in the model) the nearest, Nuevo Laredo's (ofo_laredo: CBP's
    Laredo field office); everyone else decides the same (a Guatemalan: no route)."""
    out = {}
    for share in (0.0, 1.0):
        st = _state(share)
        c, a = st.c, st.agents
        g = next(g for g in range(c.n_groups) if c.group_name(g) == f"{nat}_single_adult")
        ids = np.flatnonzero(a["phase"][: a.n] == Phase.TRAVEL)[:200].astype(np.int32)
        assert ids.shape[0] == 200
        a["group"][ids] = g
        a["loc"][ids] = c.loc_names.index(city)
        a["phase"][ids] = Phase.BORDER
        a["since"][ids] = st.day - 40  # waited past wait_max_days: crossing is certain
        decide_at_border(st, ids)
        out[share] = (a["phase"][ids].copy(), a["loc"][ids].copy(), c)
    (off, _, c), (on, loc_on, _) = out[0.0], out[1.0]
    crossed = off == Phase.CROSSING
    assert crossed.sum() > 150  # most would cross: they waited past wait_max_days
    if nat == "GTM":
        np.testing.assert_array_equal(on, off)
        return
    assert np.all(on[crossed] == Phase.SERVICE)
    assert np.all(loc_on[crossed] == c.loc_names.index("Nuevo Laredo"))
    np.testing.assert_array_equal(on[~crossed], off[~crossed])
