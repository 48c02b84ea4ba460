"""Test-wide set-up: deterministic numba threading and a shared, pre-compiled kernel cache."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Generator
from pathlib import Path

import pytest

# Two numba threads everywhere (CI has 2 cores), so the 1-vs-2-thread test always runs; must be
# set before numba is imported.
os.environ.setdefault("NUMBA_NUM_THREADS", "2")
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".numba-cache"))
# Idle OpenMP threads sleep instead of spinning: the test workers share the cores (CI: 2 workers on
# 2 cores), and a spinning thread of one worker takes the core the other one needs (a 400-day
# mexico-us run in each of two workers at once: 54-70 s spinning, 42-44 s passive).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def pytest_configure(config: pytest.Config) -> None:
    """Before the xdist workers start, compile the kernels into the shared cache, the corridor's
    and Flee's in two processes at once; otherwise, on a fresh checkout (CI), every worker and
    every process a test starts compiles them again. Failures are left to the tests to report."""
    if os.environ.get("PYTEST_XDIST_WORKER") or not config.getoption("numprocesses", None):
        return
    warm = Path(__file__).resolve().parent / "numba_warm.py"
    procs = [
        subprocess.Popen(
            [sys.executable, str(warm), part], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for part in ("corridor", "flee")
    ]
    for p in procs:
        p.wait()


_SHARED_SCOPES = ("module", "class", "package")


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> Generator[None, None, None]:
    """Under ``--dist loadgroup`` (pyproject), the tests of a module that use one of its
    module-scoped fixtures (often a whole simulation) go to one worker, so that the fixture is
    computed once, not once in each worker that happens to run one of them."""
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.values() if info is not None else ()
        if any(d[-1].scope in _SHARED_SCOPES and d[-1].baseid for d in defs if d):
            module = getattr(item, "module", None)
            item.add_marker(pytest.mark.xdist_group(getattr(module, "__name__", item.nodeid)))
    yield
    if config.getoption("loadgroup", False):
        for item in items:
            _group_node_id(item)


def _group_node_id(item: pytest.Item) -> None:
    """Give ``item`` the ``@group`` node-id suffix by which xdist's ``loadgroup`` scheduler keeps
    a group on one worker. pytest-xdist (3.8) writes it to ``item._nodeid``, which pytest 9.2 no
    longer reads (the node id is ``item._id``, a ``NodeId``): without this, every ``xdist_group``
    is ignored, the tests of one module are spread over the workers and each worker computes the
    module's fixtures again (CI: the two 2019 bargaining runs computed 4 times, ~6 min lost)."""
    names = sorted(
        {
            str(m.args[0] if m.args else m.kwargs.get("name", "default"))
            for m in item.iter_markers("xdist_group")
        }
    )
    if not names or "@" in item.nodeid.rpartition("]")[2].rpartition("::")[2]:
        return  # no group, or xdist could still set the suffix itself (pytest < 9.2)
    node_id = getattr(item, "_id", None)
    if node_id is not None and hasattr(node_id, "parse"):
        item._id = type(node_id).parse(f"{item.nodeid}@{'_'.join(names)}")
