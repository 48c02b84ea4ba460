"""``corredor serve``: the web app and its REST API (:mod:`corredor.web`).

A plain command (not made from a request model): its options are the service's settings
(:class:`corredor.web.settings.ServeSettings`, whose defaults and bounds the options repeat so
that a bad value is an option error without importing the web service;
``tests/integration/test_cli_docs.py`` checks that they agree), not a use case's request.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

import click

from corredor.cli.output import DEFAULT_STORE, store_path
from corredor.errors import CorredorError


@click.command("serve")
@click.option(
    "--host",
    metavar="HOST",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; any address but loopback needs a token.",
)
@click.option(
    "--port",
    metavar="PORT",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port to listen on (0: a free port, printed).",
)
@click.option(
    "--store",
    "-s",
    default=str(DEFAULT_STORE),
    show_default=True,
    metavar="DIR",
    callback=store_path,
    help="Results store (a folder; created when needed).",
)
@click.option(
    "--token",
    metavar="TOKEN",
    envvar="CORREDOR_TOKEN",
    default=None,
    help="Token every request must carry (default off loopback: a new one, printed); "
    "env CORREDOR_TOKEN.",
)
@click.option(
    "--workers",
    metavar="N",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes for full runs.",
)
@click.option(
    "--queue-limit",
    metavar="N",
    type=click.IntRange(0, 1000),
    default=4,
    show_default=True,
    help="Runs that may wait beyond those running (then 429).",
)
@click.option(
    "--max-days",
    metavar="N",
    type=click.IntRange(min=1),
    default=3650,
    show_default=True,
    help="Longest run a request may ask for.",
)
@click.option(
    "--max-agents",
    metavar="N",
    type=click.IntRange(min=1),
    default=20_000_000,
    show_default=True,
    help="Most people a run may create before it is stopped.",
)
@click.option(
    "--max-runs",
    metavar="N",
    type=click.IntRange(1, 4096),
    default=16,
    show_default=True,
    help="Most runs (parameter sets x replicas) of one ensemble or forecast.",
)
@click.option(
    "--preview-people-per-agent",
    metavar="N",
    type=click.IntRange(2, 10_000),
    default=50,
    show_default=True,
    help="People per agent of a preview (reduced scale).",
)
@click.option(
    "--prewarm/--no-prewarm",
    default=True,
    show_default=True,
    help="From the start, in the background, keep the baseline states the previews branch "
    "from (the days policy events start), so a first lever move reuses one.",
)
def serve(**options: Any) -> None:
    """Start the web app and its REST API (open the printed address in a browser)."""
    from pydantic import ValidationError

    from corredor.web.serve import serve as run_service
    from corredor.web.settings import ServeSettings, check_token

    check_token(options["token"])
    try:
        settings = ServeSettings(**options)
    except ValidationError as exc:  # the options' bounds are the settings' own
        first = exc.errors()[0]
        name = "--" + str(first["loc"][0]).replace("_", "-") if first.get("loc") else "serve"
        raise CorredorError(f"{name}: {first['msg']}") from None
    # uvicorn stops gracefully on SIGTERM (the job manager shuts its worker pools down), then
    # raises the signal again: with the default action the process died there, before Python's
    # exit handlers released the pools' semaphores ("leaked semaphore objects"). Exit instead.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    run_service(settings)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Leave through Python's exit (status 128 + 15, as a shell reports a stop by SIGTERM)."""
    raise SystemExit(128 + signum)


COMMANDS = [serve]
