"""Compile the model's numba kernels into the shared cache (``NUMBA_CACHE_DIR``): run by
``tests/conftest.py`` before the test workers start, one process per part, so that the workers
(and the processes they start: CLI runs, process pools, Dask workers, the web service's workers)
load the kernels from the cache instead of each compiling them again.

``python tests/numba_warm.py corridor`` or ``... flee``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path


def main(part: str) -> None:
    import corredor

    if part == "corridor":  # corridor kernels, services, counter-based streams, recorder
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from corridor_dirs import write_corridor_dir

        corredor.run_corridor("mexico-us", seed=0, days=3)
        with tempfile.TemporaryDirectory() as tmp:  # the tiny corridor reaches its border
            corredor.run_corridor(write_corridor_dir(Path(tmp) / "c"), seed=0, days=60)
    elif part == "flee":  # the Flee rule set, serial and parallel kernels
        corredor.run("mali2012", seed=0, days=3)
        corredor.run("mali2012", seed=0, days=3, parallel=True)
    else:
        raise SystemExit(f"error: unknown part {part!r} (corridor, flee)")


if __name__ == "__main__":
    main(sys.argv[1])
