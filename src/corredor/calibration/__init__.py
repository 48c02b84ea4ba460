"""Calibration of corridor scenarios: targets and loss, the point fit, plausible parameter sets,
the versioned calibrated-parameter file, and the model back-test.

Modules (imported on use; importing this package loads neither Optuna nor the engine):

* :mod:`corredor.scenario.corridor.calibrated` — ``calibrated.yaml`` next to a scenario:
  :func:`~corredor.scenario.corridor.calibrated.load_calibrated`,
  :func:`~corredor.scenario.corridor.calibrated.save_calibrated`; the built-in scenario runs
  with its point fit by default (``compile_corridor``), :func:`uncalibrated` gives the opt-out;
* :mod:`corredor.calibration.loss` — targets and the scale-aware loss on log counts;
* :mod:`corredor.calibration.fit` — the Optuna (TPE) point fit, resumable, on a local process
  pool or Dask, and the plausible ensemble (history matching over the evaluated trials), with
  its pieces :mod:`~corredor.calibration.parameters`, :mod:`~corredor.calibration.evaluate`,
  :mod:`~corredor.calibration.study` and :mod:`~corredor.calibration.plausible`;
* :mod:`corredor.calibration.modelcheck` — ``corredor validate-model``: fit statistics and the
  back-test of the model against the naive baselines.

See docs/calibration.md.
"""

from __future__ import annotations

from corredor.scenario.corridor.calibrated import (
    CALIBRATED_FILE,
    Calibrated,
    EnsembleMember,
    calibrated_parameters,
    load_calibrated,
    save_calibrated,
    uncalibrated,
)

__all__ = [
    "CALIBRATED_FILE",
    "Calibrated",
    "EnsembleMember",
    "calibrated_parameters",
    "load_calibrated",
    "save_calibrated",
    "uncalibrated",
]
