"""Ensemble backends give the same bits: serial == process pool == Dask LocalCluster.

Mali 2012 (hasten 20, 60 days, 4 seeds) on each backend; the Dask cluster (2 worker processes)
is started by the test. Workers load the numba kernels from the shared cache
(``NUMBA_CACHE_DIR``, set by tests/conftest.py and inherited by every worker process).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import corredor
import corredor.ensemble.runner
from corredor.cli import app
from corredor.ensemble import EnsembleError, run_ensemble
from corredor.ensemble.backends import preserved_environ
from corredor.results import RunResult
from corredor.store import ResultsStore

distributed = pytest.importorskip("distributed")

SEEDS = [4, 1, 3, 2]
SMALL = {"days": 60, "hasten": 20}
ARRAYS = ("counts", "agents_total", "refugee_debt", "observed_total", "observed", "agent_steps")
runner = CliRunner()


def assert_same(a: RunResult, b: RunResult) -> None:
    assert a.seeds == b.seeds
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)
    assert a.location_names == b.location_names
    assert a.settings == b.settings


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with (
        preserved_environ(),  # the nanny sets OMP_NUM_THREADS=1 &c. in this process
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # not 8787: tests in parallel
            silence_logs=logging.ERROR,
        ) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def serial() -> RunResult:
    return run_ensemble("mali2012", seeds=SEEDS, backend="serial", **SMALL)


@pytest.mark.parametrize("workers", [2, 3])
def test_process_pool_equals_serial(serial: RunResult, workers: int) -> None:
    done: list[tuple[int, int, int]] = []
    res = run_ensemble(
        "mali2012",
        seeds=SEEDS,
        backend="processes",
        workers=workers,
        progress=lambda *a: done.append(a),
        **SMALL,
    )
    assert_same(serial, res)
    assert sorted(done) == [(i, 59, 60) for i in range(4)]  # one call per replica, streamed


def test_dask_own_local_cluster_equals_serial(serial: RunResult) -> None:
    environ = dict(os.environ)
    res = run_ensemble("mali2012", seeds=SEEDS, backend="dask", workers=2, **SMALL)
    assert_same(serial, res)
    assert dict(os.environ) == environ  # Dask's nanny variables do not leak into the caller


def test_dask_local_cluster_equals_serial(serial: RunResult, cluster: Any) -> None:
    done: list[int] = []
    res = run_ensemble(
        "mali2012",
        seeds=SEEDS,
        backend="dask",
        scheduler=cluster.scheduler_address,
        progress=lambda i, t, n: done.append(i),
        **SMALL,
    )
    assert_same(serial, res)
    assert sorted(done) == [0, 1, 2, 3]
    with distributed.Client(cluster, set_as_default=False) as client:  # an existing client
        again = run_ensemble("mali2012", seeds=SEEDS, scheduler=client, **SMALL)
        assert client.status == "running"  # left open for its owner
        deadline = time.monotonic() + 10
        while client.who_has() and time.monotonic() < deadline:  # released asynchronously
            time.sleep(0.05)
        assert not client.who_has()  # the scenario and the results were released
    assert_same(serial, again)


def test_corredor_run_and_cli_on_the_cluster(
    serial: RunResult, cluster: Any, tmp_path: Path
) -> None:
    res = corredor.run("mali2012", seed=1, replicas=4, scheduler=cluster.scheduler_address, **SMALL)
    order = [SEEDS.index(s) for s in res.seeds]
    np.testing.assert_array_equal(res.counts, serial.counts[order])
    store = tmp_path / "runs"
    args = ["run", "mali2012", "--replicas", "4", "--seed", "1", "--days", "60", "--hasten", "20"]
    out = runner.invoke(
        app, [*args, "--store", str(store), "--scheduler", cluster.scheduler_address]
    )
    assert out.exit_code == 0, out.output
    saved = ResultsStore(store).load(str(ResultsStore(store).list()["run_id"][0]))
    np.testing.assert_array_equal(saved.counts, res.counts)


def test_corredor_run_with_workers_uses_a_process_pool(serial: RunResult, tmp_path: Path) -> None:
    res = corredor.run("mali2012", seed=1, replicas=4, workers=2, **SMALL)
    order = [SEEDS.index(s) for s in res.seeds]
    np.testing.assert_array_equal(res.counts, serial.counts[order])
    np.testing.assert_array_equal(res.agents_total, serial.agents_total[order])
    store = tmp_path / "runs"
    args = ["run", "mali2012", "--replicas", "4", "--seed", "1", "--days", "60", "--hasten", "20"]
    out = runner.invoke(app, [*args, "--store", str(store), "--workers", "2"])
    assert out.exit_code == 0, out.output
    saved = ResultsStore(store).load(str(ResultsStore(store).list()["run_id"][0]))
    np.testing.assert_array_equal(saved.counts, res.counts)


def test_unreachable_scheduler_is_an_error_not_a_hang() -> None:
    t0 = time.perf_counter()
    with pytest.raises(EnsembleError, match=r"cannot connect to the Dask scheduler.*127\.0\.0\.1"):
        run_ensemble(
            "mali2012", seeds=[1, 2], scheduler="tcp://127.0.0.1:9", connect_timeout=1, **SMALL
        )
    assert time.perf_counter() - t0 < 15


def test_cli_bad_scheduler_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corredor.ensemble.runner, "DEFAULT_CONNECT_TIMEOUT", 1.0)
    args = ["run", "mali2012", "--days", "5", "--store", str(tmp_path / "runs"), "--no-progress"]
    expected = {
        "tcp://127.0.0.1:9": "error: cannot connect to the Dask scheduler",
        "nonsense://nowhere": "error: --scheduler 'nonsense://nowhere' is not a scheduler address",
    }
    for address, message in expected.items():
        out = runner.invoke(app, [*args, "--scheduler", address])
        assert out.exit_code == 2, out.output
        assert message in out.output
        assert "Traceback" not in out.output
