"""Same seed, same bits: on 1 or 2 threads, and run after run."""

from __future__ import annotations

import numba
import numpy as np
import pytest

import corredor


@pytest.mark.parametrize("parallel", [False, True])
def test_one_thread_equals_two_threads(parallel: bool) -> None:
    assert numba.config.NUMBA_NUM_THREADS >= 2  # tests/conftest.py asks for two threads
    one = corredor.run("mali2012", seed=11, days=80, hasten=10, threads=1, parallel=parallel)
    two = corredor.run("mali2012", seed=11, days=80, hasten=10, threads=2, parallel=parallel)
    np.testing.assert_array_equal(one.counts, two.counts)
    np.testing.assert_array_equal(one.agents_total, two.agents_total)


def test_seed_changes_results_and_repeats_exactly() -> None:
    a = corredor.run("mali2012", seed=1, days=60, hasten=10)
    b = corredor.run("mali2012", seed=1, days=60, hasten=10)
    c = corredor.run("mali2012", seed=2, days=60, hasten=10)
    np.testing.assert_array_equal(a.counts, b.counts)
    assert not np.array_equal(a.counts, c.counts)


def test_replicas_are_the_runs_of_consecutive_seeds() -> None:
    ens = corredor.run("burundi2015", seed=5, replicas=2, days=40, hasten=20)
    single = corredor.run("burundi2015", seed=6, days=40, hasten=20)
    assert ens.seeds == [5, 6]
    np.testing.assert_array_equal(ens.counts[1], single.counts[0])
