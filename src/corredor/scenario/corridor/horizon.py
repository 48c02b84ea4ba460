"""The data horizon: nothing after **2021-09-30** (the end of US fiscal year 2021) is ever read,
fitted or tuned to; later months are the project's out-of-sample test.

The guard lives with the scenario's data so that every layer above (the calibration files, the
loss, the back-tests, the reports) checks against one date and raises one error.
"""

from __future__ import annotations

import pandas as pd

from corredor.errors import CorredorError

#: Last day that may ever be read: the end of US fiscal year 2021 (docs/validation.md).
DATA_HORIZON = pd.Timestamp("2021-09-30")


class DataHorizonError(CorredorError, ValueError):
    """Data after the horizon (2021-09-30) were offered or asked for."""


__all__ = ["DATA_HORIZON", "DataHorizonError"]
