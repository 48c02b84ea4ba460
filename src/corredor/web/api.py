"""The REST API (``/api/...``): scenarios, runs and their progress, results, compare, catalogue.

Every handler calls :mod:`corredor.web.usecases` or :mod:`corredor.web.views` (for reading) or
the :class:`~corredor.web.jobs.JobManager` (for running); none runs a simulation itself. Errors
are JSON ``{"detail": ...}`` with a 4xx status: 404 (no such scenario, run, job or table), 422
(a request outside the limits or naming what its scenario lacks), 429 (the queue is full), 503
(too many progress streams).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from corredor.web import usecases, views
from corredor.web.jobs import TERMINAL, JobManager
from corredor.web.settings import ServeSettings

router = APIRouter(prefix="/api")
POLL_S = 0.2  # how often a progress stream looks at its job
KEEP_ALIVE_S = 15.0
RunId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$")]


class Problem(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such scenario, run, job or table"},
    422: {"description": "A request outside the limits or invalid for its scenario"},
}


class RunSubmission(usecases.RunRequest):
    """A run request; ``preview: true`` runs it at reduced scale (the service's
    ``--preview-people-per-agent``) first, for a fast approximate answer."""

    preview: bool = False


class JobOut(BaseModel):
    id: str
    kind: str
    lane: str
    key: str
    request: dict[str, Any]
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    done: int
    total: int
    run_id: str | None
    error: str | None
    cached: bool
    created: str
    started: str | None
    finished: str | None


def _settings(request: Request) -> ServeSettings:
    s: ServeSettings = request.app.state.settings
    return s


def _jobs(request: Request) -> JobManager:
    j: JobManager = request.app.state.jobs
    return j


# ------------------------------------------------------------------------------ scenarios
@router.get("/health", summary="Liveness, version and the limits in force")
def health(request: Request) -> dict[str, Any]:
    from importlib.metadata import version

    s = _settings(request)
    return {
        "ok": True,
        "version": version("corredor"),
        "limits": {
            "max_days": s.max_days,
            "max_agents": s.max_agents,
            "max_levers": s.max_levers,
            "queue_limit": s.queue_limit,
            "workers": s.workers,
            "preview_people_per_agent": s.preview_people_per_agent,
            "max_body_bytes": s.max_body_bytes,
        },
    }


@router.get("/scenarios", summary="Built-in scenarios (corridor and Flee)")
def scenarios() -> list[dict[str, Any]]:
    return usecases.list_scenarios()


@router.get(
    "/scenarios/{name}", summary="A corridor scenario: period and observables", responses=ERRORS
)
def scenario(name: Name) -> dict[str, Any]:
    return usecases.scenario_detail(name)


@router.get(
    "/scenarios/{name}/levers",
    summary="Levers and parameters: meaning, unit, historical value, range, source",
    responses=ERRORS,
)
def levers(name: Name) -> list[dict[str, Any]]:
    return usecases.scenario_levers(name)


@router.get(
    "/scenarios/{name}/events",
    summary="Policy events: the history and the shipped counterfactuals",
    responses=ERRORS,
)
def events(name: Name) -> list[dict[str, Any]]:
    return usecases.scenario_events(name)


@router.post("/scenarios/{name}/validate", summary="Check a built-in scenario", responses=ERRORS)
def validate(name: Name) -> dict[str, Any]:
    return usecases.validate_scenario(name)


# ------------------------------------------------------------------------------ runs
@router.post(
    "/runs",
    status_code=202,
    summary="Submit a run (202 + job id); an identical finished request is answered at once",
    responses={
        200: {"model": JobOut, "description": "Answered from the store"},
        429: {"model": Problem, "description": "The queue is full"},
        **ERRORS,
    },
)
def submit(body: RunSubmission, request: Request, response: Response) -> JobOut:
    s = _settings(request)
    if body.days is not None and body.days > s.max_days:
        raise usecases.BadRequestError(
            f"days: {body.days} is over this service's limit {s.max_days}"
        )
    if len(body.levers) > s.max_levers:
        raise usecases.BadRequestError(f"levers: at most {s.max_levers}")
    try:
        usecases.check_request(body)
    except usecases.NotFoundError as exc:  # in a request body: invalid, not a missing resource
        raise usecases.BadRequestError(f"scenario: {exc}") from None
    fields = body.model_dump(exclude={"preview"})
    if body.preview:
        fields["people_per_agent"] = max(s.preview_people_per_agent, body.people_per_agent)
    req = usecases.RunRequest(**fields)
    job = _jobs(request).submit("preview" if body.preview else "run", req)
    if job.state == "done":
        response.status_code = 200
    return JobOut(**job.public())


@router.post(
    "/bargain",
    status_code=202,
    summary="Sweep the US–Mexico threat game over exposure and credibility (202 + job id)",
    responses={
        200: {"model": JobOut, "description": "Answered from the store"},
        429: {"model": Problem, "description": "The queue is full"},
        **ERRORS,
    },
)
def bargain(body: usecases.BargainRequest, request: Request, response: Response) -> JobOut:
    job = _jobs(request).submit("bargain", body)
    if job.state == "done":
        response.status_code = 200
    return JobOut(**job.public())


@router.get(
    "/bargain/{run_id}",
    summary="A stored sweep: feasible space, policy and outcomes per exposure and credibility",
    responses=ERRORS,
)
def bargain_result(run_id: RunId, request: Request) -> dict[str, Any]:
    store = _settings(request).store
    return {
        "provenance": usecases.provenance(store, run_id),
        "rows": usecases.bargain_sweep(store, run_id),
    }


@router.get("/jobs", summary="Jobs of this service, newest first")
def jobs(request: Request) -> list[JobOut]:
    return [JobOut(**j.public()) for j in _jobs(request).list()]


@router.get("/jobs/{job_id}", summary="A job's state and progress", responses=ERRORS)
def job(job_id: Name, request: Request) -> JobOut:
    return JobOut(**_jobs(request).get(job_id).public())


@router.delete("/jobs/{job_id}", summary="Cancel a queued job", responses=ERRORS)
def cancel(job_id: Name, request: Request) -> JobOut:
    return JobOut(**_jobs(request).cancel(job_id).public())


@router.get(
    "/jobs/{job_id}/events",
    summary="Progress as server-sent events (`progress`, then `done` or `failed`)",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}},
        503: {"model": Problem, "description": "Too many progress streams"},
        **ERRORS,
    },
)
async def job_events(job_id: Name, request: Request) -> StreamingResponse:
    manager = _jobs(request)
    manager.get(job_id)  # 404 before the stream starts
    state = request.app.state
    if state.streams >= _settings(request).max_streams:
        return JSONResponse({"detail": "too many progress streams; retry"}, status_code=503)  # type: ignore[return-value]
    state.streams += 1

    async def stream() -> AsyncIterator[bytes]:
        # polls the job table (a dictionary look-up under a lock) instead of holding a thread
        version, idle = -1, 0.0
        try:
            while True:
                job = manager.get(job_id)
                if job.version != version:
                    version, idle = job.version, 0.0
                    data = json.dumps(job.public())
                    name = job.state if job.state in TERMINAL else "progress"
                    yield f"event: {name}\ndata: {data}\n\n".encode()
                    if job.state in TERMINAL:
                        return
                elif idle >= KEEP_ALIVE_S:
                    idle = 0.0
                    yield b": keep-alive\n\n"
                    if await request.is_disconnected():
                        return
                await asyncio.sleep(POLL_S)
                idle += POLL_S
        finally:
            state.streams -= 1

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"x-accel-buffering": "no"}
    )


@router.get("/runs", summary="The results store's catalogue, oldest first")
def runs(
    request: Request,
    scenario: Annotated[str | None, Query(max_length=80)] = None,
    kind: Annotated[Literal["run", "preview", "bargain"] | None, Query()] = None,
) -> list[dict[str, Any]]:
    out = usecases.list_runs(_settings(request).store)
    return [
        r
        for r in out
        if (scenario is None or r["scenario"] == scenario) and (kind is None or r["kind"] == kind)
    ]


@router.get("/catalogue", summary="Counts of stored results by scenario and kind")
def catalogue(request: Request) -> dict[str, Any]:
    out: dict[str, dict[str, int]] = {}
    for r in usecases.list_runs(_settings(request).store):
        d = out.setdefault(r["scenario"], {})
        d[r["kind"]] = d.get(r["kind"], 0) + 1
    return {"store": "results store", "scenarios": out}


@router.get("/runs/{run_id}", summary="A stored run's provenance", responses=ERRORS)
def run(run_id: RunId, request: Request) -> dict[str, Any]:
    return usecases.provenance(_settings(request).store, run_id)


@router.delete("/runs/{run_id}", status_code=204, summary="Delete a stored run", responses=ERRORS)
def delete(run_id: RunId, request: Request) -> Response:
    usecases.delete_run(_settings(request).store, run_id)
    return Response(status_code=204)


@router.get(
    "/runs/{run_id}/series",
    summary="Every observable per month next to its observed data",
    responses=ERRORS,
)
def series(run_id: RunId, request: Request) -> dict[str, Any]:
    return views.series(_settings(request).store, run_id)


@router.get("/runs/{run_id}/ledger", summary="The human-cost ledger per year", responses=ERRORS)
def ledger(run_id: RunId, request: Request) -> dict[str, Any]:
    return views.ledger(_settings(request).store, run_id)


@router.get(
    "/runs/{run_id}/map",
    summary="Places, routes, people waiting per border city and arrivals per month",
    responses=ERRORS,
)
def geo_map(run_id: RunId, request: Request) -> dict[str, Any]:
    return views.geo_map(_settings(request).store, run_id)


@router.get(
    "/runs/{run_id}/tables/{table}",
    summary="A results table as CSV (default), Parquet or JSON",
    responses={
        200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}}},
        **ERRORS,
    },
)
def table(
    run_id: RunId,
    table: Literal["monthly", "observed", "ledger", "waiting", "arrivals", "people_vs_events"],
    request: Request,
    format: Literal["csv", "parquet", "json"] = "csv",
) -> Response:
    df = views.table_frame(_settings(request).store, run_id, table)
    name = f"{run_id}-{table}"
    if format == "json":
        return Response(
            df.to_json(orient="records", date_format="iso"), media_type="application/json"
        )
    if format == "parquet":
        return Response(
            views.to_parquet(df),
            media_type="application/vnd.apache.parquet",
            headers={"content-disposition": f'attachment; filename="{name}.parquet"'},
        )
    return Response(
        views.to_csv(df),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get(
    "/compare",
    summary="Two runs side by side and their paired differences (b - a)",
    responses=ERRORS,
)
def compare(
    a: Annotated[str, Query(max_length=128)],
    b: Annotated[str, Query(max_length=128)],
    request: Request,
) -> dict[str, Any]:
    return views.compare(_settings(request).store, a, b)
