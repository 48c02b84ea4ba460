"""The bounded worker pool: runs execute in separate processes, never in a request thread.

Two lanes, each a :class:`concurrent.futures.ProcessPoolExecutor` of *spawned* worker processes
that stay warm between runs: ``full`` (full-scale runs) and ``preview`` (reduced-scale runs), so
a preview never waits behind a long run. Each lane admits at most ``workers + queue_limit`` jobs
at once; one more is refused (:class:`QueueFullError`, HTTP 429 with ``Retry-After``), never left to
hang. Workers report progress through one multiprocessing queue, which a thread of the service
folds into the job table that the SSE endpoint reads.

The job table is journalled (``.web-jobs.json`` in the results store, replaced atomically on
every change; kept in memory only when the store is one the user may only read, whose results
are then served while every job is refused: HTTP 403). A service killed while runs are queued
or running finds them in the journal when it starts again and marks them *failed* ("the service
stopped before the run finished"); their worker processes ask the kernel to kill them when the
service dies (``PR_SET_PDEATHSIG``), so no orphan keeps writing, and the results store itself
(:class:`~corredor.store.ResultsStore`, opened when the service starts) removes what a killed
writer left half-written.

Identical requests in flight share one run: a request identical to a job still queued or running
gets a job of its own that *follows* that job's run (``shares``: the id of the job that runs it),
with the same progress and end. A job can be cancelled (:meth:`JobManager.cancel`,
``DELETE /api/jobs/{id}``) by each request on its own: a job whose run other requests still
follow ends ``cancelled`` at once and the run goes on for them; the run stops only when every job
following it has been cancelled. One still waiting in its lane's queue is dropped and never
runs. One that a worker holds is told through
an empty file of its id in ``.web-cancel/`` of the store, which the worker looks for at its start
and at every progress report (at most every 0.1 s): it raises :class:`JobCancelledError` there,
inside the use case, so the store catalogues the run ``failed`` ("cancelled by the user…") by
the same machinery as any failed run — nothing half-written, the worker kept for the next job.

With ``prewarm``, the preview lane's workers keep, as soon as they have started, the baseline
states of the default preview of every built-in corridor scenario (its seed, scale and days,
no lever moved) on the days its policy events and shipped counterfactual events start
(:func:`corredor.app.corridor_runs.prewarm`), so the first preview that moves a lever such an
event reads, or adds or leaves out such an event, starts from a kept state. This runs as a
step in the lane that gives way: a job handed to the lane asks it (a shared event) to stop
before its next simulated day, keeping what it simulated, and the step is handed to the lane
again when the lane has no job left. Each round hands the lane one step per worker, and a step
waits until every step of its round has been taken before it works, so each worker takes
exactly one (a worker that kept every state ends its step at once). It is never a job (no
journal entry, not counted against the queue limit); ``/api/health`` tells how far it got.
Stopping the service stops it.

Every run is made by a use case of :mod:`corredor.app` (through :mod:`corredor.web.worker`) and
stored in the one results store; the journal only keeps the jobs (who asked what, how far it
got), never results.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import functools
import json
import multiprocessing as mp
import os
import queue
import secrets
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from corredor.errors import CorredorError, ReadOnlyStoreError
from corredor.files.atomic import write_text
from corredor.web import records, requests, worker
from corredor.web.errors import NotFoundError

JOURNAL = ".web-jobs.json"
#: a job asked to stop has an (empty) file of its id in this folder of the store until it ends
CANCEL_DIR = ".web-cancel"
CANCELLED = "cancelled by the user before the run finished (web service)"
KEEP_JOBS = 500
State = Literal["queued", "running", "done", "failed", "cancelled"]
TERMINAL = frozenset({"done", "failed", "cancelled"})
Lane = Literal["full", "preview"]

_PROGRESS: Any = None  # the worker's progress queue (set by _init_worker)
_GIVE_WAY: Any = None  # set by the service when a job waits for the lane (set by _init_worker)
_ROUND: Any = None  # prewarm steps of the current round begun so far (set by _init_worker)
#: the longest a prewarm step waits for the other steps of its round to be taken (a worker that
#: never takes one: it died, and its pool is replaced); a job handed to the lane ends the wait
ROUND_WAIT_S = 300.0


class QueueFullError(CorredorError):
    """Every worker of a lane is busy and its queue is full (HTTP 429)."""

    def __init__(self, lane: str, limit: int) -> None:
        super().__init__(
            f"the {lane} queue is full ({limit} runs queued or running); retry when one finishes"
        )
        self.lane, self.limit = lane, limit


class JobCancelledError(CorredorError):
    """Raised in a worker, at the next progress report of a job asked to stop: the use case
    then catalogues its run ``failed`` with this message (``ResultsStore.running``)."""

    def __init__(self, message: str = CANCELLED) -> None:
        super().__init__(message)


def cancel_marker(store: Path | str, job_id: str) -> Path:
    """The file that tells a worker to stop ``job_id`` (the service makes job ids)."""
    return Path(store) / CANCEL_DIR / job_id


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


@dataclass
class Job:
    id: str
    kind: str
    lane: str
    key: str
    request: dict[str, Any]
    state: State = "queued"
    done: float = 0
    total: float = 0
    what: str = ""
    run_id: str | None = None
    error: str | None = None
    cached: bool = False
    created: str = field(default_factory=_now)
    started: str | None = None
    finished: str | None = None
    cancelling: bool = False  # asked to stop; ends 'cancelled' (or 'done' if it was too late)
    #: the job whose run this one follows (an identical request was in flight); None: its own
    shares: str | None = None
    version: int = 0  # bumped on every change, for the SSE stream

    @property
    def runs(self) -> str:
        """The id of the job whose run this job follows (its own id when it runs its own): the
        id the worker, its progress reports and its cancel marker go by."""
        return self.shares or self.id

    def public(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("version")
        return d


# ------------------------------------------------------------------------------ worker side
def _init_worker(
    progress: Any, threads: int, give_way: Any = None, prewarm_round: Any = None
) -> None:
    global _PROGRESS, _GIVE_WAY, _ROUND  # one of each per worker process, set once at its start
    _PROGRESS, _GIVE_WAY, _ROUND = progress, give_way, prewarm_round
    worker.set_threads(threads)
    with contextlib.suppress(Exception):  # Linux: die with the service
        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the service, which stops us


def _warm() -> int:
    worker.warm_up()
    return os.getpid()


def _prewarm(
    keep: Callable[[int, int | None, Callable[[], bool] | None], bool],
    size: int,
    people_per_agent: int,
    max_agents: int | None,
) -> tuple[int, bool]:
    """One step of the prewarm in this worker: (its process id, whether every state is kept;
    False: it gave way to a job and keeps what it simulated for the next step). ``keep`` is
    :func:`corredor.web.worker.prewarm` (a stand-in in tests).

    A round hands the lane one step per worker (``size``), and each step waits until every
    step of its round has been taken before it works: a worker holds the step it took, so it
    cannot take a second one, and every worker gets exactly one (a step used to land twice on
    one worker — on the one that had kept every state — while another got none)."""
    give_way = None if _GIVE_WAY is None else _GIVE_WAY.is_set
    if _ROUND is not None:
        with _ROUND.get_lock():
            _ROUND.value += 1
        deadline = time.monotonic() + ROUND_WAIT_S
        while _ROUND.value < size and time.monotonic() < deadline:
            if give_way is not None and give_way():
                return os.getpid(), False
            time.sleep(0.01)
    return os.getpid(), keep(people_per_agent, max_agents, give_way)


def _work(
    job_id: str, kind: str, request: dict[str, Any], store: str, max_agents: int | None = None
) -> str:
    last = [0.0, 0.0]  # when progress was last sent, when the cancel marker was last looked at
    marker = cancel_marker(store, job_id)

    def stop_if_cancelled(now: float) -> None:
        last[1] = now
        if marker.exists():
            raise JobCancelledError

    def progress(done: float, total: float, what: str) -> None:
        now = time.monotonic()
        if now - last[1] >= 0.1:
            stop_if_cancelled(now)
        if done >= total or now - last[0] >= 0.1:
            last[0] = now
            if _PROGRESS is not None:
                _PROGRESS.put((job_id, done, total, what))

    def started(run_id: str) -> None:  # the use case catalogued its run 'running'
        if _PROGRESS is not None:
            _PROGRESS.put((job_id, 0, -2, run_id))
        stop_if_cancelled(time.monotonic())

    stop_if_cancelled(time.monotonic())  # cancelled while it waited in the queue: never runs
    if _PROGRESS is not None:
        _PROGRESS.put((job_id, 0, -1, ""))  # started
    try:
        if kind in RUNNERS:
            request_type, execute = RUNNERS[kind]
            return execute(request_type.model_validate(request), Path(store), progress, started)
        req = requests.RunRequest.model_validate(request)
        return worker.execute(req, Path(store), progress, max_agents=max_agents, on_start=started)
    except JobCancelledError:
        raise
    except CorredorError as exc:
        # the pool sends a worker's exception to the service by pickling it, and an error whose
        # __init__ takes other arguments than its message (ScenarioError) does not unpickle:
        # the pool then broke ("the worker process stopped") instead of the job failing with
        # the error's line. A plain CorredorError with the same message always unpickles.
        raise CorredorError(str(exc)) from None


#: kinds of job other than a corridor run (or preview): kind -> (the web's request type, the
#: worker function that runs it: execute_x(request, store, progress, on_start) -> run id)
RUNNERS: dict[str, tuple[type[Any], Callable[[Any, Path, Any, Any], str]]] = {
    "bargain": (requests.BargainRequest, worker.execute_bargain),
    "ensemble": (requests.EnsembleRequest, worker.execute_ensemble),
    "forecast": (requests.ForecastRequest, worker.execute_forecast),
    "study": (requests.StudyRequest, worker.execute_study),
}


# ------------------------------------------------------------------------------ service side
class JobManager:
    """Jobs, lanes and the journal. Thread-safe; :meth:`start` before use, :meth:`stop` after."""

    def __init__(
        self,
        store: Path,
        *,
        workers: int = 1,
        preview_workers: int = 1,
        queue_limit: int = 4,
        warm: bool = True,
        max_agents: int | None = None,
        runner: Callable[..., str] = _work,
        prewarm: bool = False,
        preview_people_per_agent: int = 50,
        prewarmer: Callable[..., bool] = worker.prewarm,
    ) -> None:
        self.store = store
        self.workers = {"full": max(workers, 1), "preview": max(preview_workers, 1)}
        # numba threads per worker: the service's cores shared by every worker of both lanes
        # (more threads than cores make each parallel kernel wait for the scheduler: a preview
        # then ran no faster than the full run beside it)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        self.threads = max(1, (cores or 1) // sum(self.workers.values()))
        self.queue_limit = max(queue_limit, 0)
        self.warm = warm
        self.runner = runner
        self.max_agents = max_agents
        self.jobs: dict[str, Job] = {}
        self.futures: dict[str, Future[str]] = {}
        self.lock = threading.RLock()
        self.pools: dict[str, ProcessPoolExecutor] = {}
        self._ctx = mp.get_context("spawn")
        self._progress: Any = None
        self._reader: threading.Thread | None = None
        self._stopping = threading.Event()
        self.preview_people_per_agent = preview_people_per_agent
        self._give_way: Any = None  # a multiprocessing event shared with the workers
        self._round: Any = None  # prewarm steps of the round begun, shared with the workers
        #: what a prewarm step runs in a worker (a module-level function: it is pickled)
        self.prewarmer = prewarmer
        self._prewarm = _Prewarm("running" if prewarm else "off")
        #: a store the user may only read (:meth:`start`): its results are served, no job
        #: runs (:class:`~corredor.errors.ReadOnlyStoreError`, HTTP 403), the journal is kept
        #: in memory
        self.read_only = False
        #: called with no argument whenever a job changes, from the thread that changed it (the
        #: progress streams wake on it instead of waiting for their next look at the table)
        self._listeners: set[Callable[[], None]] = set()

    def listen(self, wake: Callable[[], None]) -> None:
        """Call ``wake()`` after every change of a job until :meth:`unlisten` (it must return
        at once: it is called under the lock, from the thread that changed the job)."""
        with self.lock:
            self._listeners.add(wake)

    def unlisten(self, wake: Callable[[], None]) -> None:
        with self.lock:
            self._listeners.discard(wake)

    def _changed(self) -> None:
        """A job changed (its ``version`` bumped): wake whoever listens. Under the lock."""
        for wake in list(self._listeners):
            wake()

    # -------------------------------------------------------------------------- life
    def start(self) -> None:
        self.store.mkdir(parents=True, exist_ok=True)
        # opening repairs what a killed service left half-written (a store that may be written)
        self.read_only = not records.open_store(self.store).writable
        if self.read_only:  # nothing can run: previews neither, so nothing to prewarm
            self._prewarm.state = "off"
        else:
            for marker in (self.store / CANCEL_DIR).glob("job-*"):  # of jobs that ended with it
                marker.unlink(missing_ok=True)
        self._load_journal()
        self._progress = self._ctx.Queue()
        self._give_way = self._ctx.Event()
        self._round = self._ctx.Value("i", 0)
        for lane in self.workers:
            self.pools[lane] = self._new_pool(lane)
        self._reader = threading.Thread(target=self._read_progress, daemon=True, name="progress")
        self._reader.start()
        with self.lock:
            self._prewarm_next()

    def _new_pool(self, lane: str) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(
            max_workers=self.workers[lane],
            mp_context=self._ctx,
            initializer=_init_worker,
            initargs=(self._progress, self.threads, self._give_way, self._round),
        )
        if self.warm:
            for _ in range(self.workers[lane]):
                pool.submit(_warm)
        if lane == "preview":  # new workers keep nothing; the old pool's steps are gone
            self._prewarm.pids.clear()
            self._prewarm.pending.clear()
        return pool

    def stop(self) -> None:
        self._stopping.set()
        if self._give_way is not None:
            self._give_way.set()  # a prewarm step stops before its next day
        with self.lock:
            for job in self.jobs.values():
                if job.state not in TERMINAL:
                    self._finish(job, "failed", error="the service stopped before the run finished")
        for pool in self.pools.values():
            procs = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:
                with contextlib.suppress(Exception):
                    p.kill()
        if self._progress is not None:
            with contextlib.suppress(Exception):
                self._progress.put(None)

    # -------------------------------------------------------------------------- journal
    def _journal_path(self) -> Path:
        return self.store / JOURNAL

    def _load_journal(self) -> None:
        try:
            data = json.loads(self._journal_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = []
        for d in data if isinstance(data, list) else []:
            try:
                job = Job(**{k: v for k, v in d.items() if k in Job.__dataclass_fields__})
            except TypeError:
                continue
            if job.state not in TERMINAL:
                job.state = "failed"
                job.error = "the service stopped before the run finished"
                job.finished = job.finished or _now()
            self.jobs[job.id] = job
        self._write_journal()

    def _write_journal(self) -> None:
        jobs = sorted(self.jobs.values(), key=lambda j: j.created)[-KEEP_JOBS:]
        self.jobs = {j.id: j for j in jobs}
        if not self.read_only:
            write_text(self._journal_path(), json.dumps([j.public() for j in jobs]))

    # -------------------------------------------------------------------------- jobs
    def submit(self, kind: str, request: Any, found: str | None = None) -> Job:
        """Queue a job, or answer from the store (``found``: the stored result of an identical
        request) or with an identical job in flight."""
        lane: Lane = "preview" if kind == "preview" else "full"
        key = request.key()
        with self.lock:
            for job in self.jobs.values():  # the same request already in flight: follow its run
                if (
                    job.key == key
                    and job.kind == kind
                    and job.state not in TERMINAL
                    and not job.cancelling
                ):
                    return self._follow(job)
        run_id = found
        with self.lock:
            if run_id is not None:
                job = Job(_new_id(), kind, lane, key, request.model_dump(mode="json"))
                job.cached = True
                job.run_id = run_id
                job.started = job.created
                self.jobs[job.id] = job
                self._finish(job, "done")
                return job
            active = len(
                {j.runs for j in self.jobs.values() if j.lane == lane and j.state not in TERMINAL}
            )
            if self.read_only:
                raise ReadOnlyStoreError(
                    f"{self.store}: the results store is read-only for you (permission "
                    f"denied): this service shows its results but cannot run a {kind}. Fix: "
                    "serve a store you may write (corredor serve --store DIR)"
                )
            limit = self.workers[lane] + self.queue_limit
            if active >= limit:
                raise QueueFullError(lane, limit)
            job = Job(_new_id(), kind, lane, key, request.model_dump(mode="json"))
            self.jobs[job.id] = job
            self._write_journal()
            self._dispatch(job)
            return job

    def _follow(self, job: Job) -> Job:
        """A new job following ``job``'s run (under the lock), with its progress so far."""
        follower = replace(
            job,
            id=_new_id(),
            shares=job.runs,
            created=_now(),
            cancelling=False,
            version=0,
            request=dict(job.request),
        )
        self.jobs[follower.id] = follower
        self._write_journal()
        return follower

    def _following(self, runs: str) -> list[Job]:
        """The jobs, not ended, that follow the run of job ``runs`` (its own job among them)."""
        return [j for j in self.jobs.values() if j.runs == runs and j.state not in TERMINAL]

    def _dispatch(self, job: Job) -> None:
        if job.lane == "preview" and self._prewarm.pending:
            self._give_way.set()  # the prewarm step stops before its next day
        try:
            fut = self.pools[job.lane].submit(
                self.runner, job.id, job.kind, job.request, str(self.store), self.max_agents
            )
        except (BrokenProcessPool, RuntimeError):
            self.pools[job.lane] = self._new_pool(job.lane)
            fut = self.pools[job.lane].submit(
                self.runner, job.id, job.kind, job.request, str(self.store), self.max_agents
            )
        self.futures[job.id] = fut
        fut.add_done_callback(functools.partial(self._done, job.id))

    def _done(self, job_id: str, fut: Future[str]) -> None:
        with self.lock:
            self._ended(job_id, fut)
            self._prewarm_next()

    def _ended(self, runs: str, fut: Future[str]) -> None:
        """The run of job ``runs`` ended: end every job that follows it."""
        with self.lock:
            self.futures.pop(runs, None)
            cancel_marker(self.store, runs).unlink(missing_ok=True)
            jobs = self._following(runs)
            if fut.cancelled():
                for job in jobs:
                    self._finish(job, "cancelled", error=CANCELLED)
                return
            exc = fut.exception()
            records.invalidate(self.store)
            if isinstance(exc, BrokenProcessPool) and not self._stopping.is_set():
                lane = self.jobs[runs].lane if runs in self.jobs else "full"
                self.pools[lane] = self._new_pool(lane)
            for job in jobs:
                if exc is None:
                    job.run_id = fut.result()
                    job.done = max(job.done, job.total)
                    self._finish(job, "done")
                elif isinstance(exc, JobCancelledError):
                    self._finish(job, "cancelled", error=str(exc))
                elif isinstance(exc, BrokenProcessPool):
                    self._finish(job, "failed", error="the worker process stopped during the run")
                elif isinstance(exc, CorredorError | ValueError):
                    self._finish(job, "failed", error=str(exc).splitlines()[0][:500])
                else:
                    self._finish(job, "failed", error=f"internal error ({type(exc).__name__})")

    def _finish(self, job: Job, state: State, *, error: str | None = None) -> None:
        job.state = state
        job.error = error
        job.finished = _now()
        job.version += 1
        self._write_journal()
        self._changed()

    def cancel(self, job_id: str) -> Job:
        """Stop a job: one whose run other jobs (identical requests) still follow ends
        ``cancelled`` at once, the run going on for them; else its run stops: a queued one at
        once (it never runs: a worker that takes it later drops it), a running one at its next
        progress report (``cancelling`` until then; its run is then catalogued ``failed`` with
        :data:`CANCELLED`; a run that ends first stays ``done``). A job that has ended is
        returned as it is."""
        with self.lock:
            job = self.get(job_id)
            if job.state in TERMINAL or job.cancelling:
                return job
            others = [j for j in self._following(job.runs) if j.id != job.id and not j.cancelling]
            if others:  # the run goes on for the other requests that follow it
                self._finish(job, "cancelled", error=CANCELLED)
                return job
            fut = self.futures.get(job.runs)
            if job.state == "queued" and fut is not None and fut.cancel():
                self._finish(job, "cancelled", error=CANCELLED)
                return job
            # handed to a worker (the pool takes one job ahead of its workers): the worker
            # stops it at its start or its next progress report, when it sees the marker
            marker = cancel_marker(self.store, job.runs)
            marker.parent.mkdir(exist_ok=True)
            marker.touch()
            if job.state == "queued":  # not started: it ends as soon as a worker takes it
                self._finish(job, "cancelled", error=CANCELLED)
                return job
            job.cancelling = True
            job.version += 1
            self._write_journal()
            self._changed()
            return job

    # -------------------------------------------------------------------------- prewarm
    def _prewarm_next(self) -> None:
        """Hand the prewarm's next round to the preview lane — one step per worker, each taken
        by a worker of its own (:func:`_prewarm`); a worker that kept every state ends its step
        at once — when it is on and the lane has no job. Called under the lock."""
        p = self._prewarm
        if p.state != "running" or p.pending or self._stopping.is_set():
            return
        if any(j.lane == "preview" and j.state not in TERMINAL for j in self.jobs.values()):
            return  # the next job that ends calls again
        self._give_way.clear()
        size = self.workers["preview"]
        self._round.value = 0
        p.gave_way = False
        for _ in range(size):
            try:
                fut = self.pools["preview"].submit(
                    _prewarm, self.prewarmer, size, self.preview_people_per_agent, self.max_agents
                )
            except (BrokenProcessPool, RuntimeError):
                return  # the next job makes a new pool, and calls again when it ends
            p.pending.add(fut)
            p.steps += 1
            fut.add_done_callback(self._prewarmed)

    def _prewarmed(self, fut: Future[tuple[int, bool]]) -> None:
        with self.lock:
            p = self._prewarm
            if fut not in p.pending:  # a step of a pool that broke and was replaced
                return
            p.pending.discard(fut)
            if fut.cancelled() or self._stopping.is_set() or p.state != "running":
                return
            exc = fut.exception()
            if isinstance(exc, BrokenProcessPool):
                return  # the lane's next job makes a new pool (whose workers start over)
            if exc is not None:
                p.state = "failed"
                p.error = (
                    str(exc).splitlines()[0][:500]
                    if isinstance(exc, CorredorError | ValueError)
                    else f"internal error ({type(exc).__name__})"
                )
                return
            pid, finished = fut.result()
            if finished:
                p.pids.add(pid)
            else:
                p.gave_way = True
            if p.pending:
                return  # the round goes on
            if not p.gave_way and len(p.pids) < self.workers["preview"]:
                p.short_rounds += 1  # gave way to no job, left a worker behind (it died)
            if len(p.pids) >= self.workers["preview"] or p.short_rounds > 4:
                p.state = "done"
                return
            self._prewarm_next()

    def prewarm_status(self) -> dict[str, Any]:
        """How far the preview workers' prewarm got (``/api/health``)."""
        with self.lock:
            p = self._prewarm
            return {
                "state": p.state,
                "workers_done": len(p.pids),
                "steps": p.steps,
                "error": p.error,
            }

    def get(self, job_id: str) -> Job:
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None:
                raise NotFoundError(f"no job {job_id!r}")
            return job

    def snapshot(self, job_id: str) -> Job:
        """A copy of the job taken under the lock, whose fields agree with each other (the job
        itself changes in other threads: a progress stream that read its state twice could send
        'progress' and then stop as if it had sent the end)."""
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None:
                raise NotFoundError(f"no job {job_id!r}")
            return replace(job)

    def list(self) -> list[Job]:
        with self.lock:
            return sorted(self.jobs.values(), key=lambda j: j.created, reverse=True)

    # -------------------------------------------------------------------------- progress
    def _read_progress(self) -> None:
        while not self._stopping.is_set():
            try:
                item = self._progress.get(timeout=0.5)
            except queue.Empty:
                continue
            except (EOFError, OSError):
                return
            if item is None:
                return
            runs, done, total, what = item
            with self.lock:
                for job in self._following(runs):
                    if total == -2:  # the store's id of the run, catalogued 'running'
                        job.run_id = str(what)
                    elif total < 0:
                        job.state = "running"
                        job.started = _now()
                    else:
                        job.done, job.total, job.what = float(done), float(total), str(what)
                    job.version += 1
                if total == -2:
                    self._write_journal()
                self._changed()


@dataclass
class _Prewarm:
    """The prewarm of the preview lane: ``off``, ``running`` (a step in a worker, or waiting for
    the lane to have no job), ``done`` or ``failed`` (``error``); ``pids``: workers that kept
    every state; ``pending``: steps of the round handed to the lane and not ended; ``steps``: all
    handed; ``gave_way``: a step of the round gave way to a job; ``short_rounds``: rounds that
    gave way to no job and still left a worker behind."""

    state: Literal["off", "running", "done", "failed"]
    pids: set[int] = field(default_factory=set)
    pending: set[Future[tuple[int, bool]]] = field(default_factory=set)
    steps: int = 0
    gave_way: bool = False
    short_rounds: int = 0
    error: str | None = None


def _new_id() -> str:
    return f"job-{secrets.token_hex(8)}"
