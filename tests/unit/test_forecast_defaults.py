"""One default number of seeds per parameter set for a forecast, whichever way it is asked for:
``corredor.forecasting.forecast()`` (it was 4), ``corredor forecast`` / ``corredor.app`` and the
web service (1)."""

from __future__ import annotations

import inspect

import click

from corredor import app
from corredor.cli import app as cli
from corredor.forecasting import DEFAULT_REPLICAS, forecast
from corredor.web.requests import ForecastRequest as WebForecast


def test_the_python_api_the_command_line_and_the_web_agree() -> None:
    assert inspect.signature(forecast).parameters["replicas"].default == DEFAULT_REPLICAS == 1
    assert app.ForecastRequest(scenario="mexico-us", until="2024-09").replicas == DEFAULT_REPLICAS
    assert WebForecast(scenario="mexico-us", until="2024-09").replicas == DEFAULT_REPLICAS
    command = cli.get_command(click.Context(cli), "forecast")
    assert command is not None
    (option,) = [p for p in command.params if p.name == "replicas"]
    assert option.default == DEFAULT_REPLICAS
