"""Where the replicas of an ensemble run: in this process, a local process pool, or Dask.

Two ways in: ``run_serial`` / ``run_processes`` / ``run_dask`` run one replica per seed of a
:class:`Replicable` and stop at the first failure; :func:`task_pool` keeps a pool (serial, local
processes or Dask) open for batches of independent tasks over one payload shipped once per
worker (the calibration's trials), each task's exception returned in its place.

Every backend receives a prepared scenario (loaded once, in the caller) and a list of seeds, runs
one task per seed, hands each result to ``on_result(index, output)`` as soon as it arrives (in
completion order), and returns nothing: the caller assembles the replicas in seed order. A replica
is a pure function of (scenario, settings, seed), so the numbers do not depend on the backend,
on the number of workers or on the order in which the tasks finish.

Nothing here runs at import time: no cluster is started and the multiprocessing start method is
chosen per call (``spawn``), never set globally.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import re
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numba

from corredor.errors import InputError, RunError
from corredor.files.read import excerpt

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

OutT = TypeVar("OutT")
ItemT = TypeVar("ItemT")
OutT_co = TypeVar("OutT_co", covariant=True)


class Replicable(Protocol[OutT_co]):
    """What a backend runs: an object shipped once to each worker that runs one task per
    integer key (a seed for Flee ensembles, a task number for corridor ensembles)."""

    def run_replica(
        self,
        seed: int,
        *,
        threads: int | None = None,
        on_day: Callable[[int], None] | None = None,
    ) -> OutT_co: ...


OnResult = Callable[[int, OutT], None]
"""Called in the calling process with (position in ``seeds``, replica output)."""

OnDay = Callable[[int, int], None]
"""Serial backend only: called after each simulated day with (position in ``seeds``, day)."""

START_METHOD = "spawn"
"""Start method of the process pool: the same on Linux, macOS and Windows, and safe in a
process that already runs threads (numba's, Dask's). Chosen per pool, never globally."""


class EnsembleError(RunError):
    """An ensemble could not be run."""


class EnsembleInputError(EnsembleError, InputError):
    """An ensemble refused before any member ran: bad seeds, backend or workers, a
    ``--scheduler`` that is no address or that cannot be reached. As an
    :class:`~corredor.errors.InputError`, a use case that catalogued its run ``running`` removes
    the row (nothing ran) instead of leaving it ``failed``."""


# ------------------------------------------------------------------------------------- serial
def run_serial(
    prepared: Replicable[OutT],
    seeds: Sequence[int],
    *,
    threads: int | None,
    on_result: OnResult[OutT],
    on_day: OnDay | None = None,
) -> None:
    """One replica after the other, in this process."""
    for i, seed in enumerate(seeds):

        def day_done(t: int, i: int = i) -> None:
            if on_day is not None:
                on_day(i, t)

        on_result(i, prepared.run_replica(seed, threads=threads, on_day=day_done))


def set_numba_threads(threads: int | None) -> None:
    """Numba threads of the calling thread (clamped to the pool size); None leaves it as is."""
    if threads is None:
        return
    top = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    numba.set_num_threads(max(1, min(int(threads), top)))


# ------------------------------------------------------------------------------ process pool
_WORKER_PAYLOAD: Any = None
"""The payload of this pool worker (a prepared scenario, a :class:`Replicable`), set once by
:func:`_init_process_worker`."""


def _init_process_worker(payload: Any, threads: int | None) -> None:
    """Pool initializer: receives the payload once per worker process."""
    global _WORKER_PAYLOAD  # noqa: PLW0603 - one payload per worker process, by design
    _WORKER_PAYLOAD = payload

    set_numba_threads(threads)


def _process_task(seed: int) -> Any:
    if _WORKER_PAYLOAD is None:  # pragma: no cover - the initializer always runs first
        raise EnsembleError("process pool worker was not initialised with a scenario")
    return _WORKER_PAYLOAD.run_replica(seed)


def worker_environment() -> dict[str, str]:
    """Environment variables given explicitly to local Dask workers: the numba kernel cache, so
    that workers load the compiled kernels instead of compiling them again. (Spawned pool
    workers inherit the whole environment.)"""
    return {k: os.environ[k] for k in ("NUMBA_CACHE_DIR",) if os.environ.get(k)}


def run_processes(
    prepared: Replicable[OutT],
    seeds: Sequence[int],
    *,
    workers: int,
    threads: int | None,
    on_result: OnResult[OutT],
) -> None:
    """A ``ProcessPoolExecutor`` of ``workers`` spawned processes; one task per seed."""

    ctx = multiprocessing.get_context(START_METHOD)  # spawned children inherit os.environ
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=_init_process_worker,
        initargs=(prepared, threads),
    )
    try:
        pending: dict[Future[OutT], int] = {
            pool.submit(_process_task, seed): i for i, seed in enumerate(seeds)
        }
        for fut in as_completed(pending):
            on_result(pending[fut], fut.result())
    except BrokenProcessPool as exc:
        pool.shutdown(wait=False, cancel_futures=True)
        raise EnsembleError(
            f"a worker process of the pool stopped abruptly ({exc}). Worker processes are "
            "spawned: a script that runs an ensemble must do so under "
            "`if __name__ == '__main__':`; a worker can also be killed for lack of memory"
        ) from exc
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _call_in_worker(task: Callable[[Any, Any], Any], item: Any) -> Any:
    """A :func:`task_pool` task in a pool worker, over the worker's payload."""
    return task(_WORKER_PAYLOAD, item)


# -------------------------------------------------------------------------------------- dask
_PARALLEL_LOCK = threading.Lock()
"""Serialises numba's parallel kernels between the threads of one Dask worker process (not
every numba threading layer allows concurrent parallel launches)."""


def _dask_task(prepared: Replicable[OutT], seed: int, threads: int) -> OutT:
    """One replica on a Dask worker; ``prepared`` arrives once per worker (scattered)."""
    if getattr(prepared, "parallel", False):
        with _PARALLEL_LOCK:
            return prepared.run_replica(seed, threads=threads)
    return prepared.run_replica(seed, threads=threads)


def _call_on_dask(task: Callable[[Any, Any], Any], payload: Any, item: Any) -> Any:
    """A :func:`task_pool` task on a Dask worker: one at a time per worker process."""
    with _PARALLEL_LOCK:
        return task(payload, item)


#: a Dask scheduler's address: tcp:// or tls://, a host name, IPv4 or [IPv6] address, a port
SCHEDULER_ADDRESS = re.compile(r"(tcp|tls)://([A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}")


#: Seconds to wait for the scheduler's port to answer before Dask is asked to connect: a port
#: where nothing listens is refused at once (Dask itself retries until its timeout, 10 or 30 s).
PROBE_SECONDS = 3.0


def connect(scheduler: str, timeout: float) -> Client:
    """A client of the Dask scheduler at ``scheduler`` (``tcp://HOST:PORT``), or an
    :class:`EnsembleInputError`: at once where nothing listens at that port (or the host is
    unknown), else within ``timeout`` seconds."""
    from distributed import Client  # noqa: PLC0415 - Dask is loaded only when a run uses it

    address = SCHEDULER_ADDRESS.fullmatch(scheduler)
    if not address or not 0 < int(scheduler.rsplit(":", 1)[1]) < 65536:
        # Dask would wait, then print a traceback
        raise EnsembleInputError(
            f"--scheduler {excerpt(scheduler)} is not a scheduler address. Fix: write "
            "tcp://HOST:PORT (or tls://HOST:PORT, a port from 1 to 65535), as `dask scheduler` "
            "prints it"
        )
    host, port = address.group(2).strip("[]"), int(scheduler.rsplit(":", 1)[1])
    try:  # refused, unknown host, unreachable: said now, not after Dask's retries
        socket.create_connection((host, port), timeout=min(timeout, PROBE_SECONDS)).close()
    except OSError as exc:
        raise EnsembleInputError(
            f"cannot connect to the Dask scheduler at {excerpt(scheduler)} ({type(exc).__name__}: "
            f"{exc}); check the address (tcp://HOST:PORT) and that a `dask scheduler` is "
            "running there"
        ) from None
    try:
        return Client(scheduler, timeout=timeout, set_as_default=False)  # type: ignore[no-untyped-call]
    except Exception as exc:  # refused, timed out, bad address, or not a Dask scheduler there
        raise EnsembleInputError(
            f"cannot connect to the Dask scheduler at {excerpt(scheduler)} ({type(exc).__name__}: "
            f"{exc}); check the address (tcp://HOST:PORT) and that a `dask scheduler` is "
            "running there"
        ) from None


LOCAL_CLUSTER_CONFIG: dict[str, object] = {
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ": {
        "OMP_NUM_THREADS": 1,
        "MKL_NUM_THREADS": 1,
        "OPENBLAS_NUM_THREADS": 1,
    },
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}
"""Dask settings of the clusters started here:

* no statistical profiler (it samples the task's stack every 10 ms, costs a few per cent of a
  replica's time and feeds only the dashboard, which is off);
* the nanny's default pre-spawn environment without ``MALLOC_TRIM_THRESHOLD_=65536``: setting
  it turns off glibc's dynamic mmap threshold, so every large temporary NumPy array is mapped
  and unmapped again; a 400-day ``mexico-us`` run took 10.5 s on a worker with it, 7.8 s
  without it and 7.5–7.8 s in the calling process (benchmarks.md);
* the event-loop tick and system monitor at 1 s and 5 s (20 ms and 0.5 s by default: they feed
  the blocked-loop warning and the dashboard only) so the worker's loop thread takes the GIL
  from the running task less often."""


def local_cluster(workers: int) -> LocalCluster:
    """A fresh local Dask cluster: ``workers`` processes of one thread each, no dashboard, the
    numba cache directory passed on in the workers' environment."""

    import dask  # noqa: PLC0415 - Dask is loaded only when a run uses it
    from distributed import LocalCluster  # noqa: PLC0415

    with dask.config.set(LOCAL_CLUSTER_CONFIG), preserved_environ():
        return LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # the scheduler still serves /health &c. over HTTP: on any free port, not 8787
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
            env=worker_environment(),
        )


@contextlib.contextmanager
def preserved_environ() -> Iterator[None]:
    """Undo changes to ``os.environ``: Dask's nanny sets its ``pre-spawn-environ`` variables
    (``OMP_NUM_THREADS=1``, ``MALLOC_TRIM_THRESHOLD_``, ``PYTHONHASHSEED``) in the *calling*
    process before it spawns a worker; they must not outlive the run."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        for key in [k for k in os.environ if k not in saved]:
            del os.environ[key]
        for key, value in saved.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


@contextlib.contextmanager
def dask_client(
    scheduler: str | Client | None, *, workers: int, timeout: float
) -> Iterator[Client]:
    """A client for the run: of the scheduler at an address (closed at the end), an existing
    client (left open), or of a new ``LocalCluster`` of ``workers`` (both closed at the end)."""

    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler
        return
    # preserved_environ: a nanny that restarts a dead worker sets its variables again
    with preserved_environ(), contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = local_cluster(workers)
            stack.callback(cluster.close)
            from distributed import Client  # noqa: PLC0415 - Dask is loaded only when a run uses it

            client = Client(cluster, set_as_default=False)  # type: ignore[no-untyped-call]
        else:
            client = connect(scheduler, timeout)
        stack.callback(client.close)
        yield client


def run_dask(
    prepared: Replicable[OutT],
    seeds: Sequence[int],
    *,
    client: Client,
    threads: int,
    on_result: OnResult[OutT],
) -> None:
    """Scatter the prepared scenario to every worker once, then submit one task per seed and
    hand the results over as they complete."""

    from distributed import as_completed as as_completed_dask  # noqa: PLC0415 - loaded when used

    data = client.scatter(prepared, broadcast=True, hash=False)  # type: ignore[no-untyped-call]
    futures = [client.submit(_dask_task, data, seed, threads, pure=False) for seed in seeds]
    index = {f.key: i for i, f in enumerate(futures)}
    try:
        for fut, out in as_completed_dask(futures, loop=client.loop, with_results=True):  # type: ignore[no-untyped-call]
            on_result(index[fut.key], out)
            fut.release()
    finally:
        client.cancel([*futures, data])  # type: ignore[no-untyped-call]


# ------------------------------------------------------------------------------- task pools
Task = Callable[[Any, ItemT], OutT]
"""A task of a :func:`task_pool`: a module-level (picklable) function of (payload, item)."""


class TaskPool(Protocol):
    """An open pool: ``map(task, items)`` runs ``task(payload, item)`` for every item and returns
    the outputs in item order, a task's exception in its place."""

    def map(self, task: Task[ItemT, OutT], items: Sequence[ItemT]) -> list[OutT | BaseException]:
        """The outputs (or exceptions) of ``task`` over ``items``, in item order."""
        ...


def _gather(futures: Sequence[Any]) -> list[Any]:
    """The results of ``futures`` in order, an exception in its place (a broken process pool
    still raises)."""

    out: list[Any] = []
    for fut in futures:
        try:
            out.append(fut.result())
        except BrokenProcessPool:
            raise
        except Exception as exc:
            out.append(exc)
    return out


class _SerialPool:
    def __init__(self, payload: Any) -> None:
        self.payload = payload

    def map(self, task: Task[ItemT, OutT], items: Sequence[ItemT]) -> list[OutT | BaseException]:
        out: list[OutT | BaseException] = []
        for item in items:
            try:
                out.append(task(self.payload, item))
            except Exception as exc:
                out.append(exc)
        return out


class _ProcessPool:
    def __init__(self, pool: Any) -> None:
        self.pool = pool

    def map(self, task: Task[ItemT, OutT], items: Sequence[ItemT]) -> list[OutT | BaseException]:

        try:
            return _gather([self.pool.submit(_call_in_worker, task, item) for item in items])
        except BrokenProcessPool as exc:
            raise EnsembleError(
                f"a worker process of the pool stopped abruptly ({exc}). Worker processes are "
                "spawned: a script that uses them must do so under "
                "`if __name__ == '__main__':`; a worker can also be killed for lack of memory"
            ) from None


class _DaskPool:
    def __init__(self, client: Client, data: Any) -> None:
        self.client, self.data = client, data

    def map(self, task: Task[ItemT, OutT], items: Sequence[ItemT]) -> list[OutT | BaseException]:
        return _gather(
            [self.client.submit(_call_on_dask, task, self.data, item, pure=False) for item in items]
        )


@contextlib.contextmanager
def task_pool(
    payload: Any,
    *,
    workers: int,
    scheduler: str | Client | None = None,
    threads: int | None = None,
    timeout: float = 30.0,
) -> Iterator[TaskPool]:
    """An open :class:`TaskPool` over ``payload``: on the Dask cluster at ``scheduler`` (the
    payload scattered once; one task at a time per worker process), else in this process
    (``workers <= 1``), else on ``workers`` spawned local processes (the payload sent once per
    process; ``threads`` numba threads in each, default 1: the processes already share the
    cores, and a parallel kernel whose threads wait for a core is slower than one thread). A
    broken local pool raises :class:`EnsembleError`."""
    if scheduler is not None:
        with dask_client(scheduler, workers=workers, timeout=timeout) as client:
            data = client.scatter(payload, broadcast=True, hash=False)  # type: ignore[no-untyped-call]
            try:
                yield _DaskPool(client, data)
            finally:
                client.cancel([data])  # type: ignore[no-untyped-call]
        return
    if workers <= 1:
        yield _SerialPool(payload)
        return

    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(START_METHOD),
        initializer=_init_process_worker,
        initargs=(payload, 1 if threads is None else threads),
    )
    try:
        yield _ProcessPool(pool)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


__all__ = [
    "START_METHOD",
    "EnsembleError",
    "EnsembleInputError",
    "OnDay",
    "OnResult",
    "Replicable",
    "Task",
    "TaskPool",
    "connect",
    "dask_client",
    "local_cluster",
    "preserved_environ",
    "run_dask",
    "run_processes",
    "run_serial",
    "set_numba_threads",
    "task_pool",
    "worker_environment",
]
