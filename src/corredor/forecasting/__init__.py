"""Forecasts of a corridor scenario past its calibration horizon (docs/forecast.md).

>>> from corredor.forecasting import forecast
>>> fc = forecast("mexico-us", until="2024-09", replicas=4, workers=2)   # doctest: +SKIP
>>> fc.write("forecast-output")                                         # doctest: +SKIP

``replicas`` defaults to 1 (:data:`DEFAULT_REPLICAS`), as ``corredor forecast``; 4 is the full
ensemble of docs/forecast.md.
"""

from __future__ import annotations

from corredor.forecasting.categories import Category, CategoryMap, forecast_categories
from corredor.forecasting.forecast import (
    DEFAULT_REPLICAS,
    ENCOUNTER_COLUMNS,
    FORECAST_EVENTS_FILE,
    LEDGER_COLUMNS,
    Forecast,
    ForecastError,
    forecast,
    forecast_events,
    horizon_of,
    model_discrepancy,
    parse_until,
)

__all__ = [
    "DEFAULT_REPLICAS",
    "ENCOUNTER_COLUMNS",
    "FORECAST_EVENTS_FILE",
    "LEDGER_COLUMNS",
    "Category",
    "CategoryMap",
    "Forecast",
    "ForecastError",
    "forecast",
    "forecast_categories",
    "forecast_events",
    "horizon_of",
    "model_discrepancy",
    "parse_until",
]
