"""The back-test's model band: parameter sets × seeds, the point forecast stays the point fit.

The simulations are replaced by a fake runner whose daily observables are known (a run of set
``k`` on seed ``s`` is the point fit's series × (1 + 0.1 k + 0.01 s)), so the band, the spec and
the point forecast can be checked exactly without running the corridor model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from corredor.calibration import evaluate, modelcheck
from corredor.errors import CorredorError
from corredor.scenario.corridor import load_corridor_scenario


@pytest.fixture(scope="module")
def scenario() -> Any:
    return load_corridor_scenario("mexico-us")


def _fake(scenario: Any, calls: list[tuple[int, int]]) -> Any:
    days = scenario.days
    base = np.ones((days, len(scenario.observables))) * 100.0

    @contextlib.contextmanager
    def runner(_sc: Any, *, seed: int, **_: Any) -> Iterator[Any]:
        def run(batch: Sequence[Mapping[str, float]], budget: int | None = None) -> list[Any]:
            calls.append((seed, len(batch)))
            return [
                evaluate.Simulation(base * (1 + 0.1 * c["set"] + 0.01 * seed), 0.0, 0)
                for c in batch
            ]

        yield run

    return runner


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch, scenario: Any) -> list[tuple[int, int]]:
    calls: list[tuple[int, int]] = []
    cal = SimpleNamespace(
        parameters={"set": 0.0},
        ensemble=[1, 2, 3],
        member=lambda i: {"set": float(i + 1)},
        data_until="2018-12-31",
        version=7,
    )
    monkeypatch.setattr(modelcheck, "backtest_calibration", lambda study, sc: cal)
    monkeypatch.setattr(modelcheck, "evaluations", _fake(scenario, calls))
    return calls


def _model_rows(table: Any) -> Any:
    return table[table["model"] == modelcheck.MODEL_LABEL].set_index("series")


def test_point_fit_alone_without_discrepancy_has_no_band(
    scenario: Any, patched: list[tuple[int, int]]
) -> None:
    t = _model_rows(modelcheck.backtest_model(scenario, "x", discrepancy=False, baselines=()))
    assert patched == [(0, 1)]
    assert t["coverage_90"].isna().all()
    assert "band" not in t["spec"].iloc[0] and "discrepancy" not in t["spec"].iloc[0]


def test_discrepancy_gives_the_point_fit_a_band(
    scenario: Any, patched: list[tuple[int, int]]
) -> None:
    """A run at 100 a day is ~3,000 a month, far from the data: σ is large, the band wide."""
    t = _model_rows(modelcheck.backtest_model(scenario, "x", baselines=()))
    assert patched == [(0, 1)]
    assert t["coverage_90"].notna().all()
    assert "model discrepancy σ" in t["spec"].iloc[0]


def test_band_over_sets_and_seeds(scenario: Any, patched: list[tuple[int, int]]) -> None:
    point = _model_rows(modelcheck.backtest_model(scenario, "x", seed=3, baselines=()))
    patched.clear()
    runs_only = _model_rows(
        modelcheck.backtest_model(
            scenario, "x", seed=3, members=2, replicas=2, discrepancy=False, baselines=()
        )
    )
    assert runs_only["coverage_90"].notna().all()
    patched.clear()
    t = _model_rows(
        modelcheck.backtest_model(scenario, "x", seed=3, members=2, replicas=2, baselines=())
    )
    # the discrepancy widens the band: it covers at least the months the runs alone covered
    assert (t["coverage_90"] >= runs_only["coverage_90"]).all()
    assert patched == [(3, 3), (4, 3)]  # one batch of 3 sets per seed
    assert "3 parameter set(s) × seeds 3–4" in t["spec"].iloc[0]
    assert "model discrepancy σ" in t["spec"].iloc[0]
    assert t["coverage_90"].notna().all()
    # the point forecast (and so MASE, ARD, log-RMSE) is the point fit's on seed 3
    for col in ("mase", "ard", "log_rmse"):
        np.testing.assert_array_equal(t[col].to_numpy(), point[col].to_numpy())


def test_a_member_equal_to_the_point_fit_is_run_once(
    monkeypatch: pytest.MonkeyPatch, scenario: Any, patched: list[tuple[int, int]]
) -> None:
    """The shipped back-test study's member 0 is its point fit: it is simulated once per seed,
    and the table is the one of running it again (the fake ignores ``copy``, so a set marked
    ``copy`` is a distinct set with the same runs)."""
    cal = modelcheck.backtest_calibration("x", scenario)

    def table(member0: dict[str, float]) -> Any:
        monkeypatch.setattr(
            cal, "member", lambda i: member0 if i == 0 else {"set": float(i), "copy": 0.0}
        )
        return modelcheck.backtest_model(scenario, "x", seed=3, members=3, replicas=2, baselines=())

    patched.clear()
    rerun = table({"set": 0.0, "copy": 1.0})
    assert patched == [(3, 4), (4, 4)]
    patched.clear()
    once = table({"set": 0.0})
    assert patched == [(3, 3), (4, 3)]  # the point fit, members 1 and 2
    assert "4 parameter set(s) × seeds 3–4" in once["spec"].iloc[0]
    assert once.equals(rerun)


def test_replicas_must_be_positive(scenario: Any, patched: list[tuple[int, int]]) -> None:
    with pytest.raises(CorredorError, match="replicas"):
        modelcheck.backtest_model(scenario, "x", replicas=0, baselines=())
