"""Corridor ensembles give the same bits on every backend: serial == process pool == Dask.

The tiny synthetic corridor (``tests/corridor_dirs.py``), 2 parameter sets × 3 seeds, 40 days, on
the serial backend, a pool of 2 spawned processes, a Dask ``LocalCluster`` of 2 worker processes
started by the test, and a cluster the call starts itself. Workers load the numba kernels from
the shared cache (``NUMBA_CACHE_DIR``, set by tests/conftest.py).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import corredor.ensemble.runner
from corredor.ensemble import (
    CorridorEnsemble,
    EnsembleError,
    ParameterSet,
    run_corridor_ensemble,
)
from corredor.ensemble.backends import preserved_environ

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import write_corridor_dir

distributed = pytest.importorskip("distributed")

DAYS = 40
SEEDS = [11, 4, 7]
SETS = [ParameterSet({}, 1.0), ParameterSet({"base_departures": 50.0, "dest_hazard": 4.0}, 2.0)]


def assert_same(a: CorridorEnsemble, b: CorridorEnsemble) -> None:
    assert a.seeds == b.seeds and a.observables == b.observables
    assert a.ledger_entries == b.ledger_entries and a.years == b.years and a.months == b.months
    np.testing.assert_array_equal(a.monthly, b.monthly)
    np.testing.assert_array_equal(a.ledger, b.ledger)  # NaN cells compare equal here
    np.testing.assert_array_equal(a.agents, b.agents)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corridor_dir(tmp_path_factory.mktemp("tiny"), days=DAYS)


@pytest.fixture(scope="module")
def serial(tiny: Path) -> CorridorEnsemble:
    return run_corridor_ensemble(tiny, seeds=SEEDS, parameter_sets=SETS, backend="serial")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with (
        preserved_environ(),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
        ) as c,
    ):
        yield c


def test_process_pool_equals_serial(tiny: Path, serial: CorridorEnsemble) -> None:
    done: list[tuple[int, int, int]] = []
    res = run_corridor_ensemble(
        tiny,
        seeds=SEEDS,
        parameter_sets=SETS,
        backend="processes",
        workers=2,
        progress=lambda *a: done.append(a),
    )
    assert_same(serial, res)
    # once as the runs start, then once per task, streamed
    assert sorted(done) == [(0, -1, DAYS)] + [(k, DAYS - 1, DAYS) for k in range(6)]


def test_dask_cluster_equals_serial(tiny: Path, serial: CorridorEnsemble, cluster: Any) -> None:
    res = run_corridor_ensemble(
        tiny, seeds=SEEDS, parameter_sets=SETS, scheduler=cluster.scheduler_address
    )
    assert_same(serial, res)
    with distributed.Client(cluster, set_as_default=False) as client:
        again = run_corridor_ensemble(tiny, seeds=SEEDS, parameter_sets=SETS, scheduler=client)
        assert client.status == "running"  # a client handed in is left open
    assert_same(serial, again)


def test_dask_own_local_cluster_equals_serial(tiny: Path, serial: CorridorEnsemble) -> None:
    res = run_corridor_ensemble(tiny, seeds=SEEDS, parameter_sets=SETS, backend="dask", workers=2)
    assert_same(serial, res)


def test_unreachable_scheduler_fails_fast(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corredor.ensemble.runner, "DEFAULT_CONNECT_TIMEOUT", 1.0)
    t0 = time.perf_counter()
    with pytest.raises(EnsembleError, match="cannot connect"):
        run_corridor_ensemble(tiny, seeds=[1], days=5, scheduler="tcp://127.0.0.1:9")
    assert time.perf_counter() - t0 < 30
