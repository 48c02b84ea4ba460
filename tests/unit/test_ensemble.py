"""corredor.ensemble in one process: the serial backend, argument checks, bands and compare."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import corredor
from corredor.ensemble import (
    QUANTITIES,
    EnsembleError,
    QuantityError,
    bands,
    compare,
    run_ensemble,
)
from corredor.errors import CorredorError
from corredor.results import RunResult

SRC = Path(__file__).resolve().parents[2] / "src"
SMALL = {"days": 60, "hasten": 20}
BAND_COLUMNS = ["p05", "p25", "median", "p75", "p95"]


@pytest.fixture(scope="module")
def ensemble() -> RunResult:
    return run_ensemble("mali2012", seeds=[3, 1, 2, 0], backend="serial", **SMALL)


def test_serial_equals_corredor_run(ensemble: RunResult) -> None:
    ref = corredor.run("mali2012", seed=0, replicas=4, **SMALL)
    assert ensemble.seeds == [3, 1, 2, 0]  # the order asked for
    order = [ref.seeds.index(s) for s in ensemble.seeds]
    for name in ("counts", "agents_total", "refugee_debt", "observed_total", "agent_steps"):
        np.testing.assert_array_equal(getattr(ensemble, name), getattr(ref, name)[order])
    np.testing.assert_array_equal(ensemble.observed, ref.observed)
    assert ensemble.settings == ref.settings
    assert ensemble.location_names == ref.location_names
    assert ensemble.camp_names == ref.camp_names
    assert ensemble.warnings == ref.warnings
    assert ensemble.counts.dtype == ref.counts.dtype


def test_serial_progress_is_per_day() -> None:
    calls: list[tuple[int, int, int]] = []
    run_ensemble("mali2012", seeds=[5, 6], days=4, hasten=50, progress=lambda *a: calls.append(a))
    assert calls == [(r, t, 4) for r in (0, 1) for t in range(4)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seeds": []}, "at least one seed"),
        ({"seeds": [1, 2, 1]}, "distinct"),
        ({"seeds": [1.5]}, "integers"),
        ({"seeds": [True]}, "integers"),
        ({"seeds": [1], "backend": "threads"}, "unknown backend"),
        ({"seeds": [1], "backend": "processes", "scheduler": "tcp://x:1"}, "only used by"),
        ({"seeds": [1], "backend": "processes", "workers": 0}, "workers"),
        ({"seeds": [1], "threads": 0}, "threads"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(EnsembleError, match=message):
        run_ensemble("mali2012", **kwargs)  # type: ignore[arg-type]


def test_numpy_integer_seeds_and_bad_scenario() -> None:
    res = run_ensemble("mali2012", seeds=np.arange(2, dtype=np.int64), days=3, hasten=50)
    assert res.seeds == [0, 1] and all(type(s) is int for s in res.seeds)
    with pytest.raises(CorredorError, match="no such scenario"):
        run_ensemble("no-such-scenario", seeds=[1], backend="dask", workers=2)


def test_malformed_scheduler_address_fails_fast() -> None:
    with pytest.raises(EnsembleError, match="'nonsense://nowhere' is not a scheduler address"):
        run_ensemble("mali2012", seeds=[1], scheduler="nonsense://nowhere", **SMALL)


def test_import_has_no_side_effects() -> None:
    code = (
        "import json, multiprocessing, sys, threading\n"
        "import corredor.ensemble\n"
        "print(json.dumps({'method': multiprocessing.get_start_method(allow_none=True),"
        " 'children': len(multiprocessing.active_children()),"
        " 'threads': threading.active_count(),"
        " 'distributed': 'distributed' in sys.modules}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
    )
    state = json.loads(out.stdout)
    assert state == {"method": None, "children": 0, "threads": 1, "distributed": False}


# ------------------------------------------------------------------------------------ bands
@pytest.mark.parametrize("quantity", list(QUANTITIES))
def test_bands_are_monotone(ensemble: RunResult, quantity: str) -> None:
    df = bands(ensemble, quantity)
    assert list(df.columns[-6:]) == ["replicas", *BAND_COLUMNS]
    assert (df["replicas"] == 4).all()
    v = df[BAND_COLUMNS].to_numpy()
    assert np.isfinite(v).all() or quantity.startswith("ard")
    ok = np.isnan(v).all(axis=1) | (np.diff(v, axis=1) >= 0).all(axis=1)
    assert ok.all()


def test_bands_shape_and_values(ensemble: RunResult) -> None:
    df = bands(ensemble, "camps")
    C = len(ensemble.camp_names)
    assert len(df) == ensemble.days * C
    assert list(df.columns[:3]) == ["day", "date", "location"]
    assert list(df["location"].cat.categories) == ensemble.camp_names
    sim = ensemble.camp_sim()
    row = df[(df["day"] == 30) & (df["location"] == ensemble.camp_names[1])].iloc[0]
    assert row["median"] == np.median(sim[:, 30, 1])
    assert row["p05"] == np.quantile(sim[:, 30, 1], 0.05)
    assert row["date"] == pd.Timestamp(ensemble.dates[30])
    totals = bands(ensemble, "agents")
    assert "location" not in totals.columns and len(totals) == ensemble.days
    assert (totals["median"] == np.median(ensemble.agents_total, axis=0)).all()
    with pytest.raises(QuantityError, match="unknown quantity"):
        bands(ensemble, "nope")


def test_bands_of_one_replica_collapse() -> None:
    one = run_ensemble("mali2012", seeds=[9], days=10, hasten=50)
    df = bands(one, "counts")
    for col in BAND_COLUMNS:
        np.testing.assert_array_equal(df[col].to_numpy(), one.counts[0].reshape(-1))


# ---------------------------------------------------------------------------------- compare
def test_compare_with_itself_is_exactly_zero(ensemble: RunResult) -> None:
    for quantity in QUANTITIES:
        cmp = compare(ensemble, ensemble, quantity)
        assert np.all(np.nan_to_num(cmp.diff, nan=0.0) == 0.0)
        b = cmp.bands()
        assert (b[BAND_COLUMNS].fillna(0.0).to_numpy() == 0.0).all()


def test_compare_pairs_replicas_by_seed() -> None:
    a = run_ensemble("mali2012", seeds=[0, 1, 2], **SMALL)
    b = run_ensemble("mali2012", seeds=[2, 0, 1], flee31_quirks=True, **SMALL)
    cmp = compare(a, b, "camps")
    assert cmp.seeds == [0, 1, 2]
    expected = b.camp_sim()[[1, 2, 0]] - a.camp_sim()
    np.testing.assert_array_equal(cmp.diff, expected)
    assert np.any(cmp.diff != 0)  # the two rule variants do differ
    per = cmp.per_replica()
    assert list(per.columns) == ["seed", "day", "date", "location", "a", "b", "diff"]
    assert len(per) == 3 * a.days * len(a.camp_names)
    np.testing.assert_array_equal(per["diff"].to_numpy(), (per["b"] - per["a"]).to_numpy())
    first = per[(per["seed"] == 1) & (per["day"] == 59)]
    np.testing.assert_array_equal(first["diff"].to_numpy(), expected[1, 59])
    bnd = cmp.bands()
    np.testing.assert_array_equal(bnd["median"].to_numpy(), np.median(expected, axis=0).reshape(-1))
    assert (np.diff(bnd[BAND_COLUMNS].to_numpy(), axis=1) >= 0).all()


def test_compare_needs_common_random_numbers(ensemble: RunResult) -> None:
    other = run_ensemble("mali2012", seeds=[10, 11, 12, 13], **SMALL)
    with pytest.raises(QuantityError, match="same seeds"):
        compare(ensemble, other)
    shorter = run_ensemble("mali2012", seeds=[3, 1, 2, 0], days=30, hasten=20)
    with pytest.raises(QuantityError, match="different periods"):
        compare(ensemble, shorter)
