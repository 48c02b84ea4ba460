"""A run imports what a run needs (issue 12, "What must not change": speed).

Each check starts a fresh interpreter, reaches a run's entry point and lists the heavy modules
it imported: the analysis machinery (statsmodels, SALib, forecasting, sensitivity, bargaining,
plotting) is imported where it is used, never by a run. Imports only, no timing (the whole-process
figures are in docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

#: Never imported by a run of either kind, stored or not.
ANALYSIS = [
    "statsmodels",
    "scipy.stats",
    "SALib",
    "matplotlib",
    "corredor.forecasting",
    "corredor.sensitivity",
    "corredor.bargaining",
    "corredor.calibration",
    "corredor.report",
    "corredor.studies",
    "corredor.validation.backtest",
    "corredor.validation.baselines",
]

#: Not imported by ``corredor.run`` of a Flee scenario either (no store, no corridor model).
FLEE_ALSO = [
    "pandas",
    "pyarrow",
    "duckdb",
    "corredor.store",
    "corredor.rules.corridor",
    "corredor.app.inputs",
]


def _imported(code: str, names: list[str]) -> list[str]:
    """Which of ``names`` (modules or packages) are in ``sys.modules`` after ``code`` runs."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"names = {names!r}\n"
        "print(json.dumps([n for n in names if any(m == n or m.startswith(n + '.') "
        "for m in sys.modules)]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), *sys.path])},
    )
    found: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def test_the_probe_sees_an_imported_module() -> None:
    assert _imported("import statsmodels.tsa", ["statsmodels", "SALib"]) == ["statsmodels"]


def test_corredor_run_of_a_flee_scenario_imports_no_analysis_store_or_corridor_model() -> None:
    # a Flee scenario's kind is resolved and its runner reached, as corredor.run does
    code = (
        "import corredor\n"
        "from corredor.app.kinds import scenario_kind\n"
        "run = corredor.run\n"
        "assert scenario_kind('mali2012') == 'flee'\n"
        "from corredor.app.flee import run_flee_request\n"
    )
    assert _imported(code, ANALYSIS + FLEE_ALSO) == []


@pytest.mark.parametrize(
    "code",
    [
        "import corredor.app.simulation",  # corredor.run of a corridor scenario, and storing
        "import corredor.app\ncorredor.app.run\ncorredor.app.ensemble",  # the use cases
        "import corredor.cli.run",  # `corredor run` and `corredor ensemble`
    ],
)
def test_a_run_of_either_kind_imports_no_analysis_machinery(code: str) -> None:
    assert _imported(code, ANALYSIS) == []


def test_a_stored_flee_run_imports_no_corridor_model() -> None:
    # `corredor run FLEE` stores the run: the store and the run use case, not the corridor side
    code = "import corredor.cli.run, corredor.app.simulation, corredor.store, corredor.store.flee"
    corridor = [
        "corredor.rules.corridor",
        "corredor.results.corridor",
        "corredor.scenario.corridor",
        "corredor.store.corridor",
        "corredor.app.corridor_runs",
        "corredor.ensemble",
    ]
    assert _imported(code, ANALYSIS + corridor) == []
