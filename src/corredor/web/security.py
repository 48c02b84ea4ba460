"""Security by default, as one ASGI middleware in front of the app.

* **Host check** (on a loopback address): only ``127.0.0.1``, ``localhost`` and ``[::1]`` with
  the service's port are accepted as ``Host``, so a web page elsewhere cannot reach the service
  through DNS rebinding.
* **Token** (always when bound to another address; optional on loopback): every request carries
  it as ``Authorization: Bearer TOKEN``, or as the ``corredor_token`` cookie that opening
  ``/?token=TOKEN`` once sets (HttpOnly, SameSite=Strict; the page is then reloaded without the
  token in its address). Compared in constant time.
* **Body size**: a request body larger than ``max_body_bytes`` gets 413 (by its
  ``Content-Length``, or while it streams in).
* **Headers**: a strict Content-Security-Policy (everything from this origin only: no CDN, no
  inline script), ``nosniff``, no referrer, no framing; API answers are not cached.
* **Logs**: one line per request with method, path (never the query string, which may hold the
  token), status and milliseconds; never a header or a body.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from corredor.web.settings import ServeSettings, is_loopback

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("corredor.web")
COOKIE = "corredor_token"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class _TooLargeError(Exception):
    pass


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, settings: ServeSettings) -> None:
        self.app = app
        self.settings = settings
        self.token = settings.token.encode() if settings.token else None
        self.hosts: set[str] | None = None
        if is_loopback(settings.host):
            names = {"127.0.0.1", "localhost", "[::1]", *settings.extra_hosts}
            self.hosts = names | {f"{n}:{settings.port}" for n in names}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = [0]
        api = scope["path"].startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = list(message.get("headers", []))
                headers += HEADERS
                if api:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            problem = self._refuse(scope)
            if problem is not None:
                await _json(send_with_headers, *problem)
                return
            if self._token_in_query(scope):
                await self._set_cookie(send_with_headers, scope)
                return
            await self.app(scope, self._limited(receive, scope), send_with_headers)
        except _TooLargeError:
            if status[0] == 0:
                await _json(send_with_headers, 413, self._too_large())
        finally:
            ms = (time.perf_counter() - t0) * 1000
            log.info("%s %s %s %.1fms", scope["method"], scope["path"], status[0], ms)

    # -------------------------------------------------------------------------- checks
    def _refuse(self, scope: Scope) -> tuple[int, str] | None:
        headers = dict(scope["headers"])
        if self.hosts is not None:
            host = headers.get(b"host", b"").decode("latin-1").lower()
            if host not in self.hosts:
                return 400, "this service answers only on its loopback address (Host header)"
        length = headers.get(b"content-length")
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                return 400, "Content-Length is not a number"
            if n > self.settings.max_body_bytes:
                return 413, self._too_large()
        if self.token is not None and not self._authorised(headers, scope):
            return 401, "a token is needed: open the address that `corredor serve` printed"
        return None

    def _authorised(self, headers: dict[bytes, bytes], scope: Scope) -> bool:
        assert self.token is not None
        auth = headers.get(b"authorization", b"")
        if auth.startswith(b"Bearer ") and secrets.compare_digest(auth[7:].strip(), self.token):
            return True
        cookie = headers.get(b"cookie")
        if cookie:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(cookie.decode("latin-1"))
            except Exception:  # a malformed cookie is no token
                return False
            morsel = jar.get(COOKIE)
            if morsel is not None and secrets.compare_digest(morsel.value.encode(), self.token):
                return True
        given = self._query_token(scope)
        return given is not None and secrets.compare_digest(given.encode(), self.token)

    def _query_token(self, scope: Scope) -> str | None:
        qs = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        values = qs.get("token")
        return values[0] if values else None

    def _token_in_query(self, scope: Scope) -> bool:
        return (
            self.token is not None
            and scope["method"] == "GET"
            and scope["path"] == "/"
            and self._query_token(scope) is not None
        )

    async def _set_cookie(self, send: Send, scope: Scope) -> None:
        assert self.settings.token is not None
        cookie = f"{COOKIE}={self.settings.token}; Path=/; HttpOnly; SameSite=Strict"
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"location", b"/"), (b"set-cookie", cookie.encode())],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    def _too_large(self) -> str:
        return f"request body over {self.settings.max_body_bytes} bytes"

    def _limited(self, receive: Receive, scope: Scope) -> Receive:
        limit = self.settings.max_body_bytes
        seen = [0]

        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen[0] += len(message.get("body", b""))
                if seen[0] > limit:
                    raise _TooLargeError
            return message

        return wrapped


async def _json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
