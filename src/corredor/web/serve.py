"""``corredor serve``: start the web service (uvicorn) and print its address."""

from __future__ import annotations

import errno
import logging
import socket
import sys

from corredor.errors import CorredorError, cap
from corredor.web import records
from corredor.web.app import create_app
from corredor.web.settings import ServeSettings, is_loopback


def check_address(host: str, port: int) -> int:
    """Refuse, with one line, an address the service could not listen on (uvicorn would log it
    and exit with status 3, or 1): a host that is no address, one not of this machine, a port
    in use or not allowed. Returns the port: ``port``, or for port 0 the free port the system
    gave (printed and listened on: the address printed said port 0)."""
    shown = cap(repr(host), 200)
    try:
        found = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise CorredorError(
            f"--host {shown}: not an address ({cap(reason, 200)}). Fix: give an IP address or a "
            "host name of this computer, e.g. 127.0.0.1"
        ) from None
    family, kind, proto, _, address = found[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CorredorError(
                    f"--port {port}: already in use on {shown}. Fix: give another --port, or "
                    "stop what listens there"
                ) from None
            raise CorredorError(
                f"--host {shown} --port {port}: cannot listen there ({exc.strerror or exc}). "
                "Fix: give an address of this computer and a port you may use (above 1023 "
                "unless you are an administrator)"
            ) from None
        return int(sock.getsockname()[1])


def serve(settings: ServeSettings) -> None:
    import uvicorn  # noqa: PLC0415 - only at `corredor serve` (corredor.web imports this module)

    settings = settings.checked()
    port = check_address(settings.host, settings.port)
    if port != settings.port:  # port 0: the free port the system chose
        settings = settings.model_copy(update={"port": port})
    records.open_store(settings.store)  # a store that cannot be made: one line, before starting
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
