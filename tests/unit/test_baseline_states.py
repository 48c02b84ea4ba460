"""The baseline states a process keeps for ``reuse_baseline`` are bounded in number and in
bytes, the least recently used dropped first, the newest always kept
(:mod:`corredor.app.baseline`; the runs themselves: tests/scientific/test_reuse_baseline.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from corredor.app import baseline as kept


class _State:
    def __init__(self, n: int) -> None:
        self.columns = {"a": np.zeros(n), "b": np.zeros(n, dtype=np.int32)}
        self.same = self.columns["a"]  # counted once


@pytest.fixture
def base() -> Iterator[Any]:
    kept.forget()
    b = kept._Baseline(compiled=None, states={})  # type: ignore[arg-type]
    kept._BASELINES["k"] = b
    yield b
    kept.forget()


def test_nbytes_counts_each_array_once() -> None:
    assert kept.nbytes(_State(10)) == 10 * 8 + 10 * 4


def test_states_bounded_in_number(base: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kept, "KEEP_STATES", 2)
    for day in (10, 20, 30):
        kept._keep("k", base, day, _State(100), 0)  # type: ignore[arg-type]
    assert sorted(base.states) == [20, 30]


def test_states_bounded_in_bytes(base: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kept, "KEEP_BYTES", 2_000)
    kept._keep("k", base, 10, _State(100), 0)  # type: ignore[arg-type]  # 1,200 bytes
    kept._keep("k", base, 20, _State(50), 0)  # type: ignore[arg-type]  # 600: both kept
    assert sorted(base.states) == [10, 20]
    kept._keep("k", base, 30, _State(1000), 0)  # type: ignore[arg-type]  # over the cap alone
    assert sorted(base.states) == [30]
