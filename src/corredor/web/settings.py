"""Settings of ``corredor serve``: address, token, store, pool sizes and request limits."""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from corredor.errors import CorredorError


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ServeSettings(BaseModel):
    """What ``corredor serve`` is started with (every limit has a CLI option)."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    store: Path = Path("runs")
    token: str | None = Field(default=None, min_length=16, max_length=256)
    #: worker processes for full runs and for previews
    workers: int = Field(default=1, ge=1, le=64)
    preview_workers: int = Field(default=1, ge=1, le=16)
    #: runs that may wait in each lane beyond those running; one more gets HTTP 429
    queue_limit: int = Field(default=4, ge=0, le=1000)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    #: per-request limits
    max_days: int = Field(default=3650, ge=1)
    max_agents: int = Field(default=20_000_000, ge=1)
    max_levers: int = Field(default=64, ge=0)
    #: runs (parameter sets × replicas) of one ensemble or forecast
    max_runs: int = Field(default=16, ge=1, le=4096)
    #: people per agent of a preview (a reduced-scale run)
    preview_people_per_agent: int = Field(default=50, ge=2, le=10_000)
    #: concurrent progress streams (server-sent events); one more gets HTTP 503
    max_streams: int = Field(default=64, ge=1)
    #: extra Host header values accepted on a loopback address (tests use "testserver")
    extra_hosts: tuple[str, ...] = ()
    #: compile the model in each worker at start, so the first answer is fast
    warm: bool = True
    #: the preview workers keep, from their start and in the background, the baseline states
    #: the default scenario's previews branch from (see corredor.web.jobs)
    prewarm: bool = True

    def checked(self) -> ServeSettings:
        """Refuse an address other than loopback without a token: generate one."""
        if not is_loopback(self.host) and self.token is None:
            return self.model_copy(update={"token": secrets.token_urlsafe(24)})
        return self

    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"


def check_token(token: str | None) -> None:
    if token is not None and (len(token) < 16 or not token.isprintable() or " " in token):
        raise CorredorError("--token: give at least 16 printable characters without spaces")
