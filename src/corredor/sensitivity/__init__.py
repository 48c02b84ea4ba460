"""Global sensitivity analysis of corridor scenarios with SALib (docs/sensitivity.md).

>>> from corredor.sensitivity import sensitivity_analysis
>>> res = sensitivity_analysis("mexico-us", method="morris", size=10, workers=2)  # doctest: +SKIP
>>> res.top("usbp_encounters_total")                                           # doctest: +SKIP

Importing this package imports neither SALib nor the engine.
"""

from __future__ import annotations

from corredor.sensitivity.analysis import (
    DEFAULT_LEDGER_OUTPUTS,
    METHODS,
    SensitivityError,
    SensitivityResult,
    sensitivity_analysis,
)

__all__ = [
    "DEFAULT_LEDGER_OUTPUTS",
    "METHODS",
    "SensitivityError",
    "SensitivityResult",
    "sensitivity_analysis",
]
