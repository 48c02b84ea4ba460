"""A corridor run is the same bits on one numba thread and on two, with every per-agent step on
the threads (the thresholds that keep small days on one thread set to 0): movement, the
services in bins, the apprehension draws and the census counts (issue 16 §6)."""

from __future__ import annotations

import numba as nb
import numpy as np
import pytest

import corredor
import corredor.engine.services.system as services_system
import corredor.rules.corridor.process_census as census
import corredor.rules.corridor.process_enforcement as enforcement
import corredor.rules.corridor.process_movement as movement
from corredor.scenario.corridor import load_corridor_scenario

ARRAYS = ("obs_daily", "events", "phase_stock", "svc_stock", "stranded", "final_phase")


def test_every_step_on_two_threads_equals_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for module, name in (
        (movement, "SERIAL_BELOW"),
        (census, "PARALLEL_FROM"),
        (enforcement, "PARALLEL_FROM"),
        (services_system, "PARALLEL_FROM"),
    ):
        monkeypatch.setattr(module, name, 0)
    scenario = load_corridor_scenario("mexico-us").model_copy(update={"people_per_agent": 400})
    before = nb.get_num_threads()
    runs = []
    try:
        for threads in (1, min(2, nb.config.NUMBA_NUM_THREADS)):
            nb.set_num_threads(threads)
            runs.append(corredor.run_corridor(scenario, seed=5, days=120))
    finally:
        nb.set_num_threads(before)
    one, two = runs
    assert one.agents == two.agents > 0
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name), err_msg=name)
