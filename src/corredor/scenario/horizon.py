"""The data horizon: the last day any data may be read, fitted or tuned to (MODEL.md §8).

The end of US fiscal year 2021. Later months are the project's out-of-sample test: nothing after
this day is read by a calibration, a back-test or a calibrated file.
"""

from __future__ import annotations

import datetime as dt

#: The last day of data that may ever be read.
DATA_HORIZON = dt.date(2021, 9, 30)
