"""``corredor.dates.parse_until``: the one reading of every ``--until``."""

from __future__ import annotations

import datetime as dt

import pytest

from corredor.app.requests import ForecastRequest, RequestError
from corredor.dates import last_day_of_month, parse_until
from corredor.errors import CorredorError
from corredor.forecasting.forecast import ForecastError
from corredor.forecasting.forecast import parse_until as forecast_until


def test_month_is_its_last_day() -> None:
    assert parse_until("2024-02") == dt.date(2024, 2, 29)
    assert parse_until(" 2021-9 ") == dt.date(2021, 9, 30)
    assert last_day_of_month(dt.date(2023, 2, 3)) == dt.date(2023, 2, 28)


def test_a_day_kept_or_moved_to_its_month_end() -> None:
    assert parse_until("2018-12-15", month_end=False) == dt.date(2018, 12, 15)
    assert parse_until("2018-12-15") == dt.date(2018, 12, 31)
    assert parse_until(dt.date(2019, 6, 7), month_end=False) == dt.date(2019, 6, 7)


@pytest.mark.parametrize("text", ["2024", "24-09", "2024/09", "september", "2024-09-01-01"])
def test_not_a_month_names_the_option_and_the_fix(text: str) -> None:
    with pytest.raises(CorredorError, match=r"--until .*YYYY-MM"):
        parse_until(text)


def test_each_layer_raises_its_own_error() -> None:
    with pytest.raises(ForecastError, match="not a valid date"):
        forecast_until("2021-13")
    with pytest.raises(RequestError, match="not a valid date"):
        ForecastRequest(scenario="mexico-us", until="2021-02-30")
