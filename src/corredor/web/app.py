"""``create_app``: the FastAPI application of ``corredor serve`` (API + the web app's files)."""

from __future__ import annotations

import contextlib
import importlib.metadata
import threading
from collections.abc import AsyncIterator
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from corredor.errors import CorredorError, ReadOnlyStoreError
from corredor.web import records, requests, scenarios
from corredor.web.api import router
from corredor.web.errors import NotFoundError
from corredor.web.jobs import JobManager, QueueFullError
from corredor.web.security import SecurityMiddleware
from corredor.web.settings import ServeSettings

STATIC = Path(str(files("corredor.web") / "static"))
DESCRIPTION = """The REST API of Corredor's web service (`corredor serve`): scenarios and their
levers and events, runs submitted with lever settings (202 and a job id; progress as
server-sent events; results as JSON, CSV and Parquet; provenance; delete), compare, and the
results store's catalogue. Runs execute in a bounded pool of worker processes; a full queue
answers 429. Off loopback, every request needs the token that `corredor serve` printed
(`Authorization: Bearer TOKEN`)."""


def create_app(settings: ServeSettings, *, jobs: JobManager | None = None) -> FastAPI:
    """The app for ``settings``; ``jobs``: a job manager to use instead of a new one (tests)."""
    settings = settings.checked()
    manager = jobs or JobManager(
        settings.store,
        workers=settings.workers,
        preview_workers=settings.preview_workers,
        queue_limit=settings.queue_limit,
        warm=settings.warm,
        max_agents=settings.max_agents,
        prewarm=settings.prewarm,
        preview_people_per_agent=settings.preview_people_per_agent,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        manager.start()
        # load the scenarios now, not in the first request that needs them
        threading.Thread(target=_preload, args=(settings,), daemon=True, name="preload").start()
        try:
            yield
        finally:
            manager.stop()

    app = FastAPI(
        title="Corredor",
        version=_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        swagger_ui_parameters={"syntaxHighlight": False},
    )
    app.state.settings = settings
    app.state.jobs = manager
    app.state.streams = 0
    app.include_router(router)
    _errors(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    app.add_middleware(SecurityMiddleware, settings=settings)
    return app


def _preload(settings: ServeSettings) -> None:
    with contextlib.suppress(CorredorError, OSError):
        for s in scenarios.list_scenarios():
            if s["kind"] == "corridor":
                scenarios.scenario_events(s["name"])
                records.find_run(settings.store, requests.RunRequest(scenario=s["name"]))


def _version() -> str:
    return importlib.metadata.version("corredor")


def _errors(app: FastAPI) -> None:
    def problem(status: int, detail: str, **headers: str) -> JSONResponse:
        return JSONResponse({"detail": detail}, status_code=status, headers=headers or None)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return problem(404, str(exc))

    @app.exception_handler(ReadOnlyStoreError)
    async def read_only(request: Request, exc: ReadOnlyStoreError) -> JSONResponse:
        return problem(403, str(exc))

    @app.exception_handler(QueueFullError)
    async def queue_full(request: Request, exc: QueueFullError) -> JSONResponse:
        return problem(429, str(exc), **{"retry-after": "5"})

    @app.exception_handler(CorredorError)
    async def bad_input(request: Request, exc: CorredorError) -> JSONResponse:
        return problem(422, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors: list[dict[str, Any]] = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(x) for x in first["loc"][1:]) or "request"
        return JSONResponse(
            {"detail": f"{where}: {first['msg']}", "errors": errors}, status_code=422
        )
