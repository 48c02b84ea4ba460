"""The Darién crossings as a driver of Cuban and Haitian departures in ``mexico-us`` (issue 13).

``elasticity_darien_caribbean`` (default 0) multiplies the departures of the two origins that
enter at Necoclí, before the Darién (``cuba``, ``haiti``), by (crossings today / crossings on
2013-01-01) ** elasticity, the series of ``drivers/other.csv`` (Panama SNM). At 0 the compiled
departures are those of the scenario without that driver, bit for bit (the previous results);
at 1 the two origins follow the crossings exactly and no other origin moves.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from corredor.rules.corridor.compiled import Compiled, compile_corridor
from corredor.scenario.corridor import CorridorScenario, load_corridor_scenario

ROUTE = ("cuba", "haiti")


@cache
def _scenario() -> CorridorScenario:
    return load_corridor_scenario("mexico-us")


def _without_the_driver(sc: CorridorScenario) -> CorridorScenario:
    origins = tuple(
        o.model_copy(
            update={"drivers": {k: v for k, v in o.drivers.items() if k != "darien_crossings"}}
        )
        if o.name in ROUTE
        else o
        for o in sc.origins
    )
    return sc.model_copy(update={"origins": origins})


@cache
def _compiled(elasticity: float | None) -> Compiled:
    sc = _scenario()
    if elasticity is None:
        return compile_corridor(_without_the_driver(sc))
    return compile_corridor(sc, {"elasticity_darien_caribbean": elasticity})


def test_the_two_darien_origins_carry_the_driver_and_no_other() -> None:
    sc = _scenario()
    carried = {o.name for o in sc.origins if "darien_crossings" in o.drivers}
    assert carried == {*ROUTE, "other"}
    for o in sc.origins:
        if o.name in ROUTE:
            assert o.location == "Necoclí"
            assert "darien_crossings" in o.driver_names()


def test_off_by_default_is_the_scenario_without_the_driver_bit_for_bit() -> None:
    on, off = _compiled(0.0), _compiled(None)
    assert on.departures.shape == off.departures.shape
    assert np.array_equal(on.departures, off.departures)


def test_at_one_cuban_and_haitian_departures_follow_the_crossings() -> None:
    sc, off, one = _scenario(), _compiled(None), _compiled(1.0)
    names = list(one.origin_names)
    for k, name in enumerate(names):
        if name not in ROUTE:
            assert np.array_equal(one.departures[:, k], off.departures[:, k]), name
            continue
        origin = next(o for o in sc.origins if o.name == name)
        dates = np.arange(one.departures.shape[0]).astype("timedelta64[D]") + np.datetime64(
            sc.start, "D"
        )
        x = origin.driver_daily("darien_crossings", dates)
        np.testing.assert_allclose(one.departures[:, k], off.departures[:, k] * x / x[0])
        # the 2021 rise: May-September 2021 about 60 times the crossings of January 2013
        assert x[-1] / x[0] > 50
