"""Calibration of corridor scenarios: targets and loss, the point fit, plausible parameter sets,
the versioned calibrated-parameter file, and the model back-test.

Modules (imported on use; importing this package loads neither Optuna nor the engine):

* :mod:`corredor.calibration.calibrated` — ``calibrated.yaml`` next to a scenario:
  :func:`~corredor.calibration.calibrated.load_calibrated`,
  :func:`~corredor.calibration.calibrated.save_calibrated`; the built-in scenario runs with its
  point fit by default (``compile_corridor``), :func:`uncalibrated` gives the opt-out;
* :mod:`corredor.calibration.loss` — targets and the scale-aware loss on log counts;
* :mod:`corredor.calibration.fit` — the Optuna (TPE) point fit, resumable, on a local process
  pool or Dask, and the plausible ensemble (history matching over the evaluated trials);
* :mod:`corredor.calibration.modelcheck` — ``corredor validate-model``: fit statistics and the
  back-test of the model against the naive baselines.

See docs/calibration.md.
"""

from __future__ import annotations

from corredor.calibration.calibrated import (
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
