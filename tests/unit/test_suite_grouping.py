"""The suite's own scheduling: under ``pytest -n N`` (``--dist loadgroup``, pyproject), tests that
share a module-scoped fixture carry an ``@group`` node-id suffix, so that xdist runs them on one
worker and the fixture (often a whole simulation) is computed once. Without it (pytest-xdist 3.8
under pytest 9.2 lost the suffix), every expensive module fixture of the suite was computed again
in each worker and for each test sent alone: ~6 minutes of CI time."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="module")
def shared() -> int:
    return os.getpid()


@pytest.mark.parametrize("case", ["first", "second"])
def test_tests_sharing_a_module_fixture_are_grouped(
    shared: int, case: str, request: pytest.FixtureRequest
) -> None:
    assert shared == os.getpid()
    if not request.config.getoption("loadgroup", False):
        pytest.skip("not under pytest-xdist --dist loadgroup")
    assert request.node.nodeid.endswith("]@" + request.module.__name__), request.node.nodeid


@pytest.mark.xdist_group("suite-grouping")
def test_an_explicit_group_is_kept(request: pytest.FixtureRequest) -> None:
    if not request.config.getoption("loadgroup", False):
        pytest.skip("not under pytest-xdist --dist loadgroup")
    assert request.node.nodeid.endswith("@suite-grouping"), request.node.nodeid
