"""Test-wide set-up: deterministic numba threading and a shared kernel cache."""

from __future__ import annotations

import os
from pathlib import Path

# Two numba threads everywhere (CI has 2 cores), so the 1-vs-2-thread test always runs; must be
# set before numba is imported.
os.environ.setdefault("NUMBA_NUM_THREADS", "2")
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".numba-cache"))
