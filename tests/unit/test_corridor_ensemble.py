"""Corridor ensembles in one process: bands, weights, common random numbers, parameter sets.

On the tiny synthetic corridor of ``tests/corridor_dirs.py`` (a few seconds in all).
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

from corredor.ensemble import (
    CorridorEnsemble,
    EnsembleError,
    ParameterSet,
    QuantityError,
    calibrated_parameter_sets,
    compare_corridor,
    run_corridor_ensemble,
)
from corredor.ensemble.corridor import prepare_corridor
from corredor.ensemble.corridor_results import BAND_COLUMNS, weighted_quantiles
from corredor.ensemble.parameter_sets import coerce_set, thin_sets
from corredor.errors import ScenarioError
from corredor.policy import parse_events
from corredor.scenario.corridor import load_corridor_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import policy_event, write_corridor_dir

DAYS = 45
SEEDS = [3, 1, 2]
SETS = [ParameterSet({}, 1.0, "defaults"), ParameterSet({"base_departures": 45.0}, 3.0, "more")]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corridor_dir(tmp_path_factory.mktemp("tiny"), days=DAYS)


@pytest.fixture(scope="module")
def ens(tiny: Path) -> CorridorEnsemble:
    return run_corridor_ensemble(tiny, seeds=SEEDS, parameter_sets=SETS, backend="serial")


# ------------------------------------------------------------------------------ quantiles
def test_equal_weights_are_numpys_linear_quantiles() -> None:
    x = np.random.default_rng(1).normal(size=(9, 4, 3))
    levels = [0.05, 0.25, 0.5, 0.75, 0.95]
    np.testing.assert_allclose(
        weighted_quantiles(x, np.full(9, 2.0), levels), np.quantile(x, levels, axis=0)
    )


def test_weighted_quantiles_are_ordered_and_respect_weights() -> None:
    x = np.array([[0.0], [1.0], [2.0], [10.0]])
    q = weighted_quantiles(x, np.array([1.0, 1.0, 1.0, 97.0]), [0.05, 0.5, 0.95])
    assert np.all(np.diff(q[:, 0]) >= 0)
    assert q[1, 0] > 2.0  # the heavy sample pulls the median up
    one = weighted_quantiles(np.array([[5.0]]), np.array([1.0]), [0.05, 0.95])
    assert one.tolist() == [[5.0], [5.0]]


def test_weighted_quantiles_ignore_nan_cells() -> None:
    x = np.array([[np.nan, 1.0], [np.nan, 3.0], [np.nan, 2.0]])
    for w in (np.ones(3), np.array([1.0, 2.0, 3.0])):
        q = weighted_quantiles(x, w, [0.5])
        assert np.isnan(q[0, 0]) and 1.0 <= q[0, 1] <= 3.0


# ------------------------------------------------------------------------------ ensemble
def test_shapes_order_and_weights(ens: CorridorEnsemble) -> None:
    P, R = len(SETS), len(SEEDS)
    assert ens.seeds == tuple(SEEDS)
    assert ens.monthly.shape[:2] == (P, R) and ens.ledger.shape[:2] == (P, R)
    assert ens.monthly.shape[2] == len(ens.months) == 2  # January and 1-14 February 2020
    assert ens.runs == P * R
    np.testing.assert_allclose(ens.weights(), [1 / 12] * 3 + [3 / 12] * 3)
    # more departures, more apprehensions, run by run (same seeds)
    k = ens.observables.index("dest_apprehensions")
    assert np.all(ens.monthly[1, :, :, k].sum(-1) > ens.monthly[0, :, :, k].sum(-1))


@pytest.mark.parametrize("table", ["monthly", "annual", "ledger"])
def test_bands_are_ordered(ens: CorridorEnsemble, table: str) -> None:
    b = ens.bands(table)  # type: ignore[arg-type]
    assert list(b.columns[-6:]) == [*BAND_COLUMNS, "mean"]
    v = b[list(BAND_COLUMNS)].to_numpy()
    ok = ~np.isnan(v).any(axis=1)
    assert ok.sum() > 0
    assert np.all(np.diff(v[ok], axis=1) >= 0)
    assert set(b["runs"]) == {ens.runs}


def test_paired_difference_of_identical_scenarios_is_exactly_zero(
    tiny: Path, ens: CorridorEnsemble
) -> None:
    # the same ensemble again, seeds in another order, plus an event that starts after the end
    late = parse_events(
        [
            policy_event(
                [{"parameter": "calibration.base_departures", "op": "multiply", "value": 9}],
                start=load_corridor_scenario(tiny).end.replace(year=2030),
                event_id="too-late",
            )
        ]
    )
    again = run_corridor_ensemble(
        tiny, seeds=SEEDS[::-1], parameter_sets=SETS, extra_events=late, backend="serial"
    )
    cmp = compare_corridor(ens, again)
    for table in ("monthly", "annual", "ledger"):
        d = cmp.diff(table)  # type: ignore[arg-type]
        assert np.all((d == 0) | np.isnan(d)), table
        bands = cmp.bands(table)  # type: ignore[arg-type]
        v = bands[list(BAND_COLUMNS)].to_numpy()
        assert np.all((v == 0) | np.isnan(v)), table


def test_a_counterfactual_has_a_band_of_its_own(tiny: Path, ens: CorridorEnsemble) -> None:
    expel = parse_events(
        [
            policy_event(
                [
                    {
                        "parameter": "services.processing.outcomes.default.expel.p",
                        "op": "set",
                        "value": 0.6,
                    }
                ],
                start=load_corridor_scenario(tiny).start,
                event_id="expel-from-day-0",
            )
        ]
    )
    cf = run_corridor_ensemble(
        tiny, seeds=SEEDS, parameter_sets=SETS, extra_events=expel, backend="serial"
    )
    assert cf.extra_events == ("expel-from-day-0",)
    d = compare_corridor(ens, cf).bands("monthly")
    jan = d[(d["observable"] == "expulsions") & (d["month"] == np.datetime64("2020-01-01"))]
    assert float(jan["p05"].iloc[0]) > 0  # no expulsions in January without the event


def test_compare_needs_the_same_seeds_and_sets(tiny: Path, ens: CorridorEnsemble) -> None:
    other_seeds = run_corridor_ensemble(tiny, seeds=[7, 8, 9], parameter_sets=SETS, days=DAYS)
    with pytest.raises(QuantityError, match="same seeds"):
        compare_corridor(ens, other_seeds)
    other_sets = run_corridor_ensemble(tiny, seeds=SEEDS, days=DAYS)
    with pytest.raises(QuantityError, match="parameter sets"):
        compare_corridor(ens, other_sets)


def test_write(ens: CorridorEnsemble, tmp_path: Path) -> None:
    folder = ens.write(tmp_path / "out")
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "bands_annual.csv",
        "bands_ledger.csv",
        "bands_monthly.csv",
        "parameter_sets.csv",
        "run.txt",
        "runs_ledger.parquet",
        "runs_monthly.parquet",
    ]
    import pandas as pd

    runs = pd.read_parquet(folder / "runs_monthly.parquet")
    assert len(runs) == ens.monthly.size
    assert not list(tmp_path.glob(".out.tmp-*"))


# ------------------------------------------------------------------------------ inputs
def test_bad_input_fails_before_any_run(tiny: Path) -> None:
    with pytest.raises(ScenarioError, match="unknown calibration parameter"):
        run_corridor_ensemble(tiny, parameter_sets=[{"no_such_parameter": 1.0}])
    with pytest.raises(ScenarioError, match="weight"):
        run_corridor_ensemble(tiny, parameter_sets=[ParameterSet({}, -1.0)])
    with pytest.raises(EnsembleError, match="distinct"):
        run_corridor_ensemble(tiny, seeds=[1, 1])
    with pytest.raises(EnsembleError, match="unknown backend"):
        run_corridor_ensemble(tiny, backend="threads")  # type: ignore[arg-type]


def test_prepared_corridor_pickles_and_maps_tasks(tiny: Path) -> None:
    prepared, _ = prepare_corridor(tiny, seeds=[5, 6], parameter_sets=SETS, days=10)
    assert [prepared.task(k) for k in range(prepared.tasks)] == [(0, 5), (0, 6), (1, 5), (1, 6)]
    # every set is a complete calibration: workers never read calibrated.yaml themselves
    sc = load_corridor_scenario(tiny)
    assert all(set(s) == set(sc.calibration) for s in prepared.sets)
    clone = pickle.loads(pickle.dumps(prepared))
    assert clone.scenario == prepared.scenario
    a, b = prepared.run_replica(3), clone.run_replica(3)
    np.testing.assert_array_equal(a.monthly, b.monthly)
    assert (a.set_index, a.seed) == (1, 6)


def test_coerce_set_accepts_what_a_calibration_hands_over() -> None:
    class Member:
        def __init__(self) -> None:
            self.weight = 0.25
            self.parameters = {"a": 1}

    assert coerce_set({"a": 1}).values == {"a": 1.0}
    assert coerce_set({"weight": 0.5, "parameters": {"a": 2}}).weight == 0.5
    assert coerce_set(({"a": 3}, 0.2)).weight == 0.2
    assert coerce_set(Member()).as_dict() == {"a": 1.0}
    with pytest.raises(TypeError):
        coerce_set(3)


def test_calibrated_sets(tmp_path: Path) -> None:
    path = write_corridor_dir(tmp_path / "c", days=DAYS)
    sc = load_corridor_scenario(path)
    sets, note = calibrated_parameter_sets(sc)
    assert [s.values for s in sets] == [{}] and note and "no calibrated" in note

    from corredor.scenario.corridor.calibrated import EnsembleMember, save_calibrated

    save_calibrated(
        path.parent / "calibrated.yaml",
        parameters={"base_departures": 40.0, "speed_road": 200.0},
        loss=1.0,
        command="test",
        data_until="2020-02-14",
        ensemble=[
            EnsembleMember(0.75, {"base_departures": 35.0}),
            EnsembleMember(0.25, {"base_departures": 50.0}),
        ],
        scenario=sc,
    )
    sets, note = calibrated_parameter_sets(sc)
    assert note is None
    assert [s.weight for s in sets] == [0.75, 0.25]
    assert sets[1].as_dict() == {"base_departures": 50.0, "speed_road": 200.0}
    point, _ = calibrated_parameter_sets(sc, point_only=True)
    assert point[0].as_dict() == {"base_departures": 40.0, "speed_road": 200.0}


def test_thin_sets_keeps_weights_deterministic() -> None:
    sets = [ParameterSet({"a": float(i)}, w) for i, w in enumerate([0.5, 0.3, 0.1, 0.1])]
    a, b = thin_sets(sets, 3, seed=4), thin_sets(sets, 3, seed=4)
    assert a == b and sum(s.weight for s in a) == 3
    assert thin_sets(sets, 10) == sets


def test_loaded_scenario_pickles(tiny: Path) -> None:
    sc = load_corridor_scenario(tiny)
    assert pickle.loads(pickle.dumps(sc)) == sc
