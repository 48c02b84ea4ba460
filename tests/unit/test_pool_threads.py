"""Local process pools give each worker one numba thread unless asked for more: several worker
processes already share the cores; and numba's waiting threads sleep (issue 16 §6)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, ClassVar

import pytest

from corredor.ensemble import backends


class FakePool:
    """Stands in for ``ProcessPoolExecutor``: records its arguments, starts nothing."""

    made: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, **kwargs: Any) -> None:
        FakePool.made.append(kwargs)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        pass


@pytest.mark.parametrize(("threads", "want"), [(None, 1), (1, 1), (2, 2)])
def test_task_pool_workers_get_one_thread_by_default(
    monkeypatch: pytest.MonkeyPatch, threads: int | None, want: int
) -> None:
    monkeypatch.setattr(backends, "ProcessPoolExecutor", FakePool)
    FakePool.made.clear()
    with backends.task_pool("payload", workers=2, threads=threads):
        pass
    (made,) = FakePool.made
    assert made["max_workers"] == 2
    assert made["initializer"] is backends._init_process_worker
    assert made["initargs"] == ("payload", want)


@pytest.mark.parametrize(("given", "want"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_importing_corredor_makes_waiting_threads_sleep(given: str | None, want: str) -> None:
    """OpenMP threads (numba's parallel kernels) sleep while they wait, unless the user chose."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given is not None:
        env["OMP_WAIT_POLICY"] = given
    code = "import os, corredor; print(os.environ['OMP_WAIT_POLICY'])"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == want
