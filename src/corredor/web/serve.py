"""``corredor serve``: start the web service (uvicorn) and print its address."""

from __future__ import annotations

import logging
import sys

from corredor.web.app import create_app
from corredor.web.settings import ServeSettings, is_loopback


def serve(settings: ServeSettings) -> None:
    import uvicorn  # noqa: PLC0415 - only at `corredor serve` (corredor.web imports this module)

    settings = settings.checked()
    app = create_app(settings)
    url = settings.url()
    if settings.token is not None and not is_loopback(settings.host):
        print(f"Corredor is serving on {url}?token={settings.token}", flush=True)
        print("Anyone with this address and token can use the service.", flush=True)
    else:
        print(f"Corredor is serving on {url} (only this computer can reach it)", flush=True)
    print(f"API documentation: {url}api/docs · results store: {settings.store}", flush=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        access_log=False,  # our own access log never prints query strings (they may hold tokens)
        log_level="warning",
        server_header=False,
        timeout_graceful_shutdown=5,
    )
