"""The REST API (``/api/...``): scenarios, runs and their progress, results, compare, catalogue.

Every handler calls :mod:`~corredor.web.requests`, :mod:`~corredor.web.scenarios`,
:mod:`~corredor.web.records` or :mod:`~corredor.web.views` (for reading) or
the :class:`~corredor.web.jobs.JobManager` (for running); none runs a simulation itself. Errors
are JSON ``{"detail": ...}`` with a 4xx status: 403 (a run or a delete asked of a results store
the user may only read), 404 (no such scenario, run, job or table), 422 (a request outside the
limits or naming what its scenario lacks), 429 (the queue is full), 503 (too many progress
streams).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from corredor.errors import CorredorError
from corredor.web import bands, records, requests, views
from corredor.web import scenarios as scenario_data
from corredor.web.errors import BadRequestError, NotFoundError
from corredor.web.jobs import TERMINAL, JobManager
from corredor.web.settings import ServeSettings


def _known_query(request: Request) -> None:
    """A query parameter the endpoint does not take is refused (HTTP 422), never ignored: a
    misspelt filter (``/api/runs?scenraio=x``) would otherwise answer the unfiltered list.
    ``token`` is the service's own (``corredor.web.security``)."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return
    known, todo = {"token"}, [dependant]
    while todo:  # the endpoint's own query parameters and those of its dependencies
        d = todo.pop()
        known |= {p.alias for p in d.query_params}
        todo.extend(d.dependencies)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        name = unknown[0][:40].encode("unicode_escape").decode("ascii")
        takes = ", ".join(sorted(known - {"token"})) or "none"
        raise BadRequestError(
            f"query parameter {name!r}: not a parameter of {request.url.path[:80]} "
            f"(it takes: {takes}). Fix: remove it or correct its name"
        )


router = APIRouter(prefix="/api", dependencies=[Depends(_known_query)])
POLL_S = 1.0  # how often a progress stream looks at its job when not woken by a change
KEEP_ALIVE_S = 15.0
RunId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$")]


#: the policy of a page the service did not draw itself (a report): no scripts, no requests
SANDBOX = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


class Problem(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "The results store is read-only for this service"},
    404: {"model": Problem, "description": "No such scenario, run, job or table"},
    422: {"description": "A request outside the limits or invalid for its scenario"},
}


def _checked(s: ServeSettings, body: requests.RunRequest | requests.EnsembleRequest) -> None:
    """The service's limits and the scenario's names, before anything is queued."""
    if body.days is not None and body.days > s.max_days:
        raise BadRequestError(f"days: {body.days} is over this service's limit {s.max_days}")
    if len(body.levers) > s.max_levers:
        raise BadRequestError(f"levers: at most {s.max_levers}")
    try:
        requests.check_request(body)
    except NotFoundError as exc:  # in a request body: invalid, not a missing resource
        raise BadRequestError(f"scenario: {exc}") from None


class RunSubmission(requests.RunRequest):
    """A run request; ``preview: true`` runs it at reduced scale (the service's
    ``--preview-people-per-agent``) first, for a fast approximate answer."""

    preview: bool = Field(default=False, strict=True)


class JobOut(BaseModel):
    id: str
    kind: str
    lane: str
    key: str
    request: dict[str, Any]
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    done: float
    total: float
    what: str
    run_id: str | None
    error: str | None
    cached: bool
    cancelling: bool = False
    #: the job whose run this job follows (an identical request was in flight); None: its own
    shares: str | None = None
    created: str
    started: str | None
    finished: str | None
    #: a queued ensemble, forecast or study: its runs and expected time (corredor.app.estimate)
    estimate: dict[str, Any] | None = None


SUBMITTED: dict[int | str, dict[str, Any]] = {
    200: {"model": JobOut, "description": "Answered from the store"},
    429: {"model": Problem, "description": "The queue is full"},
    **ERRORS,
}


def _queue(request: Request, response: Response, kind: str, body: Any, found: str | None) -> JobOut:
    """Queue a job of ``kind`` — or answer at once (200) with ``found``, the stored result of an
    identical request, or with the identical job in flight."""
    job = _jobs(request).submit(kind, body, found)
    if job.state == "done":
        response.status_code = 200
    out = JobOut(**job.public())
    if job.state != "done" and kind in ("ensemble", "forecast", "study"):
        out.estimate = _estimate(request, body)
    return out


def _estimate(request: Request, body: Any) -> dict[str, Any] | None:
    """The runs of a job and their expected time, as JSON (None when there is no estimate)."""
    from corredor.app import estimate  # noqa: PLC0415 - first use

    try:
        made = estimate(body.to_app(), records.open_store(_settings(request).store))
    except CorredorError:
        return None
    return None if made is None else made.as_json()


def _sandboxed(body: bytes, media_type: str) -> Response:
    """A page the service did not draw itself (a report), under :data:`SANDBOX`."""
    return Response(body, media_type=media_type, headers={"content-security-policy": SANDBOX})


def _settings(request: Request) -> ServeSettings:
    s: ServeSettings = request.app.state.settings
    return s


def _jobs(request: Request) -> JobManager:
    j: JobManager = request.app.state.jobs
    return j


# ------------------------------------------------------------------------------ scenarios
@router.get("/health", summary="Liveness, version, the limits in force and how far the prewarm got")
def health(request: Request) -> dict[str, Any]:
    s = _settings(request)
    return {
        "ok": True,
        "version": importlib.metadata.version("corredor"),
        "limits": {
            "max_days": s.max_days,
            "max_agents": s.max_agents,
            "max_levers": s.max_levers,
            "queue_limit": s.queue_limit,
            "workers": s.workers,
            "preview_people_per_agent": s.preview_people_per_agent,
            "max_body_bytes": s.max_body_bytes,
        },
        # the preview workers' kept baseline states (corredor serve --prewarm)
        "prewarm": _jobs(request).prewarm_status(),
        # false: a store the user may only read — its results are shown, nothing runs
        "store_writable": not _jobs(request).read_only,
    }


@router.get("/scenarios", summary="Built-in scenarios (corridor and Flee)")
def scenarios() -> list[dict[str, Any]]:
    return scenario_data.list_scenarios()


@router.get(
    "/scenarios/{name}", summary="A corridor scenario: period and observables", responses=ERRORS
)
def scenario(name: Name) -> dict[str, Any]:
    return scenario_data.scenario_detail(name)


@router.get(
    "/scenarios/{name}/levers",
    summary="Levers and parameters: meaning, unit, historical value, range, source",
    responses=ERRORS,
)
def levers(name: Name) -> list[dict[str, Any]]:
    return scenario_data.scenario_levers(name)


@router.get(
    "/scenarios/{name}/events",
    summary="Policy events: the history and the shipped counterfactuals",
    responses=ERRORS,
)
def events(name: Name) -> list[dict[str, Any]]:
    return scenario_data.scenario_events(name)


@router.post("/scenarios/{name}/validate", summary="Check a built-in scenario", responses=ERRORS)
def validate(name: Name) -> dict[str, Any]:
    return scenario_data.validate_scenario(name)


# ------------------------------------------------------------------------------ runs
@router.post(
    "/runs",
    status_code=202,
    summary="Submit a run (202 + job id); an identical finished request is answered at once",
    responses=SUBMITTED,
)
def submit(body: RunSubmission, request: Request, response: Response) -> JobOut:
    s = _settings(request)
    _checked(s, body)
    fields = body.model_dump(exclude={"preview"})
    if body.preview:
        fields["people_per_agent"] = max(s.preview_people_per_agent, body.people_per_agent)
    req = requests.RunRequest(**fields)
    kind = "preview" if body.preview else "run"
    return _queue(request, response, kind, req, records.find_run(s.store, req))


@router.post(
    "/bargain",
    status_code=202,
    summary="Sweep the US–Mexico threat game over exposure and credibility (202 + job id)",
    responses=SUBMITTED,
)
def bargain(body: requests.BargainRequest, request: Request, response: Response) -> JobOut:
    found = records.find_bargain(_settings(request).store, body)
    return _queue(request, response, "bargain", body, found)


@router.get(
    "/bargain/{run_id}",
    summary="A stored sweep: feasible space, policy and outcomes per exposure and credibility",
    responses=ERRORS,
)
def bargain_result(run_id: RunId, request: Request) -> dict[str, Any]:
    return records.bargain_sweep(_settings(request).store, run_id)


# ------------------------------------------------------------------------------ ensembles
def _queue_runs(
    request: Request,
    response: Response,
    kind: str,
    body: requests.EnsembleRequest | requests.ForecastRequest,
) -> JobOut:
    """Queue an ensemble or a forecast within ``--max-runs`` (parameter sets × replicas)."""
    s = _settings(request)
    n = 1 if body.sets != "calibrated" else scenario_data.calibrated_sets(body.scenario)
    if body.max_sets is not None:
        n = min(n, body.max_sets)
    if n * body.replicas > s.max_runs:
        raise BadRequestError(
            f"replicas: {n} parameter set(s) × {body.replicas} replicas = {n * body.replicas} "
            f"runs, over this service's limit {s.max_runs} (--max-runs); lower replicas or "
            "max_sets"
        )
    return _queue(request, response, kind, body, records.find_run(s.store, body))


@router.post(
    "/ensembles",
    status_code=202,
    summary="Submit a corridor ensemble (parameter sets × seeds; 202 + job id); with "
    "counterfactual events, also their paired difference",
    responses=SUBMITTED,
)
def submit_ensemble(body: requests.EnsembleRequest, request: Request, response: Response) -> JobOut:
    _checked(_settings(request), body)
    return _queue_runs(request, response, "ensemble", body)


@router.get(
    "/ensembles/{run_id}",
    summary="A stored ensemble: every observable's median and 50 %/90 % bands per month next "
    "to the data, the ledger's bands, its counterfactual child",
    responses=ERRORS,
)
def ensemble_result(run_id: RunId, request: Request) -> dict[str, Any]:
    return bands.bands_view(_settings(request).store, run_id)


@router.post(
    "/forecasts",
    status_code=202,
    summary="Submit a forecast past the calibration horizon (202 + job id): ex ante, or "
    "conditional on one of the scenario's policy paths",
    responses=SUBMITTED,
)
def submit_forecast(body: requests.ForecastRequest, request: Request, response: Response) -> JobOut:
    s = _settings(request)
    try:
        detail = scenario_data.scenario_detail(body.scenario)
    except NotFoundError as exc:
        raise BadRequestError(f"scenario: {exc}") from None
    horizon = detail["calibration_horizon"] or detail["end"]
    if body.until <= horizon[:7]:
        raise BadRequestError(f"until: {body.until} is not after the calibration horizon {horizon}")
    year, month = (int(x) for x in body.until.split("-"))
    days = (year - int(detail["start"][:4])) * 366 + month * 31
    if days > s.max_days:
        raise BadRequestError(
            f"until: {body.until} is too far (over this service's limit of {s.max_days} days)"
        )
    body.to_app()  # a policy path that is not the scenario's: 422 now
    return _queue_runs(request, response, "forecast", body)


@router.get(
    "/forecasts/{run_id}",
    summary="A stored forecast: its label (ex ante, or conditional on a policy path), the "
    "encounter bands after the horizon, every observable's bands",
    responses=ERRORS,
)
def forecast_result(run_id: RunId, request: Request) -> dict[str, Any]:
    store = _settings(request).store
    if records.provenance(store, run_id)["store_kind"] != "forecast":
        raise BadRequestError(f"{run_id} is not a forecast")
    return bands.bands_view(store, run_id)


@router.get(
    "/paired",
    summary="The paired difference b − a of two corridor results of any kind (median and 90 % "
    "band of the run-by-run differences when they share seeds)",
    responses=ERRORS,
)
def paired(
    a: Annotated[str, Query(max_length=128)],
    b: Annotated[str, Query(max_length=128)],
    request: Request,
) -> dict[str, Any]:
    return bands.paired(_settings(request).store, a, b)


# ------------------------------------------------------------------------------ studies
@router.get("/studies", summary="The built-in studies, each with its stored results")
def studies(request: Request) -> list[dict[str, Any]]:
    return records.list_studies(_settings(request).store)


@router.post(
    "/studies",
    status_code=202,
    summary="Run a built-in study through the store, resumably (202 + job id)",
    responses=SUBMITTED,
)
def submit_study(body: requests.StudyRequest, request: Request, response: Response) -> JobOut:
    found = records.find_study(_settings(request).store, body)  # 422: not a built-in study
    return _queue(request, response, "study", body, found)


@router.get(
    "/studies/{run_id}",
    summary="A stored study: paired differences with 90 % bands, notes, its report's files",
    responses=ERRORS,
)
def study_result(run_id: RunId, request: Request) -> dict[str, Any]:
    return bands.study_view(_settings(request).store, run_id)


@router.get(
    "/studies/{run_id}/files/{name}",
    summary="A file of a stored study's report (report.html, report.md, summary.en.md, "
    "summary.es.md)",
    responses={200: {"content": {"text/html": {}, "text/markdown": {}}}, **ERRORS},
)
def study_file(
    run_id: RunId,
    name: Literal["report.html", "report.md", "summary.en.md", "summary.es.md"],
    request: Request,
) -> Response:
    body = records.study_file(_settings(request).store, run_id, name)
    return _sandboxed(body, records.STUDY_FILES[name])


@router.get("/jobs", summary="Jobs of this service, newest first")
def jobs(request: Request) -> list[JobOut]:
    return [JobOut(**j.public()) for j in _jobs(request).list()]


@router.get("/jobs/{job_id}", summary="A job's state and progress", responses=ERRORS)
def job(job_id: Name, request: Request) -> JobOut:
    return JobOut(**_jobs(request).get(job_id).public())


@router.delete(
    "/jobs/{job_id}",
    summary="Cancel a job: one whose run identical requests still follow ends at once and the "
    "run goes on for them; else a queued one never runs, a running one stops at its next "
    "progress report (`cancelling: true` until then) and its run is catalogued failed",
    responses=ERRORS,
)
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

    loop = asyncio.get_running_loop()
    woken = asyncio.Event()

    def wake() -> None:  # a job changed, in another thread: wake this stream at once
        with contextlib.suppress(RuntimeError):  # the loop closed (the service stops)
            loop.call_soon_threadsafe(woken.set)

    async def stream() -> AsyncIterator[bytes]:
        # looks at the job table (a dictionary look-up under a lock) when the manager says a
        # job changed, and every POLL_S, instead of holding a thread
        version, quiet_since = -1, time.monotonic()
        manager.listen(wake)
        try:
            while True:
                woken.clear()
                job = manager.snapshot(job_id)
                if job.version != version:
                    version, quiet_since = job.version, time.monotonic()
                    data = json.dumps(job.public())
                    name = job.state if job.state in TERMINAL else "progress"
                    yield f"event: {name}\ndata: {data}\n\n".encode()
                    if job.state in TERMINAL:
                        return
                elif time.monotonic() - quiet_since >= KEEP_ALIVE_S:
                    quiet_since = time.monotonic()
                    yield b": keep-alive\n\n"
                    if await request.is_disconnected():
                        return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), POLL_S)
        finally:
            manager.unlisten(wake)
            state.streams -= 1

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"x-accel-buffering": "no"}
    )


WebKind = Literal[
    "run", "preview", "ensemble", "forecast", "sensitivity", "calibration", "bargain",
    "backtest", "study", "study-task", "flee",
]  # fmt: skip


@router.get(
    "/runs",
    summary="The results store's catalogue (every kind, the command line's runs too), oldest "
    "first; a study's tasks only when asked for (kind=study-task)",
)
def runs(
    request: Request,
    scenario: Annotated[str | None, Query(max_length=80)] = None,
    kind: Annotated[WebKind | None, Query()] = None,
    parent: Annotated[str | None, Query(max_length=128)] = None,
) -> list[dict[str, Any]]:
    out = records.list_runs(_settings(request).store)
    return [
        r
        for r in out
        if (scenario is None or r["scenario"] == scenario)
        and (r["kind"] == kind if kind is not None else r["kind"] != "study-task")
        and (parent is None or r["parent"] == parent)
    ]


@router.get("/catalogue", summary="Counts of stored results by scenario and kind")
def catalogue(request: Request) -> dict[str, Any]:
    out: dict[str, dict[str, int]] = {}
    for r in records.list_runs(_settings(request).store):
        d = out.setdefault(r["scenario"], {})
        d[r["kind"]] = d.get(r["kind"], 0) + 1
    return {"store": "results store", "scenarios": out}


@router.get("/runs/{run_id}", summary="A stored run's provenance", responses=ERRORS)
def run(run_id: RunId, request: Request) -> dict[str, Any]:
    return records.provenance(_settings(request).store, run_id)


@router.delete(
    "/runs/{run_id}",
    status_code=204,
    summary="Delete a stored result and the results that belong to it",
    responses=ERRORS,
)
def delete(run_id: RunId, request: Request) -> Response:
    records.delete_run(_settings(request).store, run_id)
    return Response(status_code=204)


@router.get(
    "/runs/{run_id}/report",
    summary="The HTML report of a stored result of any kind (as `corredor report RUN`)",
    responses={200: {"content": {"text/html": {}}}, **ERRORS},
)
def run_report(run_id: RunId, request: Request) -> Response:
    body = records.report_html(_settings(request).store, run_id)
    return _sandboxed(body, "text/html; charset=utf-8")


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
