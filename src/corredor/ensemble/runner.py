"""``run_ensemble``: one replica per seed, on any backend, assembled in seed order."""

from __future__ import annotations

import operator
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from corredor.ensemble.backends import (
    EnsembleError,
    EnsembleInputError,
    OnDay,
    OnResult,
    OutT,
    Replicable,
    dask_client,
    run_dask,
    run_processes,
    run_serial,
)
from corredor.ensemble.models import ReplicaOutput, prepare

if TYPE_CHECKING:
    from distributed import Client

    from corredor.results import RunResult

Backend = Literal["serial", "processes", "dask"]
BACKENDS: tuple[str, ...] = get_args(Backend)

DEFAULT_CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a Dask scheduler before giving up with an ``EnsembleError``."""

Progress = Callable[[int, int, int], None]
"""``progress(replica, day, days)``, as in ``corredor.run``. The serial backend calls it after
every simulated day; the parallel backends once per replica, when its result arrives (in
completion order, ``day = days - 1``)."""


def _seed_list(seeds: Iterable[int]) -> list[int]:
    out: list[int] = []
    for s in seeds:
        try:
            if isinstance(s, bool):
                raise TypeError
            out.append(operator.index(s))  # int, numpy integers; not floats
        except TypeError:
            raise EnsembleInputError(f"seeds must be integers, got {s!r}") from None
    if not out:
        raise EnsembleInputError("an ensemble needs at least one seed (seeds is empty)")
    if len(set(out)) != len(out):
        dup = sorted({s for s in out if out.count(s) > 1})
        raise EnsembleInputError(
            f"seeds must be distinct (repeated: {dup}); a repeated seed repeats a replica "
            "exactly and would understate the spread"
        )
    return out


def choose_backend(
    backend: str | None,
    workers: int | None,
    scheduler: str | Client | None,
    threads: int | None,
    tasks: int,
) -> tuple[Backend, int]:
    """The backend to use and the number of local workers (never more than ``tasks``).

    Default: ``"dask"`` with a scheduler, ``"processes"`` when ``workers > 1``, else
    ``"serial"``. Raises :class:`EnsembleInputError` on a bad combination.
    """
    if backend is None:
        if scheduler is not None:
            backend = "dask"
        elif workers is not None and workers > 1:
            backend = "processes"
        else:
            backend = "serial"
    if backend not in BACKENDS:
        raise EnsembleInputError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if scheduler is not None and backend != "dask":
        raise EnsembleInputError(f"a scheduler is only used by the dask backend, not {backend!r}")
    if workers is not None and workers < 1:
        raise EnsembleInputError(f"workers must be at least 1, got {workers}")
    if threads is not None and threads < 1:
        raise EnsembleInputError(f"threads must be at least 1, got {threads}")
    n_workers = min(workers if workers is not None else os.cpu_count() or 1, max(tasks, 1))
    return backend, n_workers  # type: ignore[return-value]


def execute(
    prepared: Replicable[OutT],
    keys: Sequence[int],
    *,
    backend: Backend,
    workers: int,
    scheduler: str | Client | None,
    threads: int | None,
    connect_timeout: float | None,
    on_result: OnResult[OutT],
    on_day: OnDay | None = None,
) -> None:
    """Run ``prepared.run_replica(key)`` for every key on the chosen backend; each result is
    handed to ``on_result(position, output)`` as it arrives (completion order)."""
    if backend == "serial":
        run_serial(prepared, keys, threads=threads, on_result=on_result, on_day=on_day)
    elif backend == "processes":
        run_processes(
            prepared,
            keys,
            workers=workers,
            threads=1 if threads is None else threads,
            on_result=on_result,
        )
    else:
        timeout = DEFAULT_CONNECT_TIMEOUT if connect_timeout is None else connect_timeout
        with dask_client(scheduler, workers=workers, timeout=timeout) as client:
            run_dask(
                prepared,
                keys,
                client=client,
                threads=1 if threads is None else threads,
                on_result=on_result,
            )


def execute_all(
    prepared: Replicable[OutT],
    keys: Sequence[int],
    *,
    backend: Backend,
    workers: int,
    scheduler: str | Client | None,
    threads: int | None,
    connect_timeout: float | None,
    progress: Progress | None,
    days: int,
) -> list[OutT | None]:
    """:func:`execute`, keeping the outputs in the order of ``keys`` (None where none came
    back) and calling ``progress(position, day, days)`` after every day on the serial backend,
    once per key as its result arrives on the others."""
    outputs: list[OutT | None] = [None] * len(keys)

    def on_result(i: int, out: OutT) -> None:
        outputs[i] = out
        if progress is not None and backend != "serial":
            progress(i, days - 1, days)

    def on_day(i: int, d: int) -> None:
        if progress is not None:
            progress(i, d, days)

    execute(
        prepared,
        keys,
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        threads=threads,
        connect_timeout=connect_timeout,
        on_result=on_result,
        on_day=on_day,
    )
    return outputs


def run_ensemble(
    scenario: str | Path,
    *,
    seeds: Iterable[int],
    backend: Backend | None = None,
    workers: int | None = None,
    scheduler: str | Client | None = None,
    days: int | None = None,
    hasten: int | None = None,
    flee31_quirks: bool | None = None,
    threads: int | None = None,
    parallel: bool = False,
    progress: Progress | None = None,
    connect_timeout: float | None = None,
) -> RunResult:
    """Run one replica of ``scenario`` per seed and return them as one ``RunResult``.

    The scenario is loaded once, here (bad input fails before any worker starts), and shipped
    once to each worker; each task is one replica; results come back as they finish and are
    assembled in the order of ``seeds``. A replica depends only on (scenario, options, seed), so
    the result is bit for bit the same whatever the backend and the number of workers, and equal
    to ``corredor.run`` with the same seeds.

    Args:
        scenario: a Flee scenario directory or the name of a built-in scenario.
        seeds: one replica per seed (distinct integers), e.g. ``range(64)``.
        backend: ``"serial"`` (this process), ``"processes"`` (a local pool of spawned
            processes) or ``"dask"`` (Dask distributed). Default: ``"dask"`` when a scheduler is
            given, else ``"processes"`` when ``workers > 1``, else ``"serial"``.
        workers: number of local worker processes (default: the number of CPUs), never more
            than the number of seeds. Ignored with a scheduler (the cluster has its workers).
        scheduler: the address of a running Dask scheduler (``tcp://HOST:PORT``) or a
            ``distributed.Client``; without it the dask backend starts a ``LocalCluster`` of
            ``workers`` single-threaded processes and closes it at the end.
        days, hasten, flee31_quirks, parallel: as in ``corredor.run``.
        threads: numba threads per replica (results do not depend on it). Serial: as in
            ``corredor.run``; parallel backends: default 1, the workers already fill the cores.
        progress: ``progress(replica, day, days)``; see :data:`Progress`.
        connect_timeout: seconds to wait for the scheduler (default
            :data:`DEFAULT_CONNECT_TIMEOUT`).

    Raises:
        ScenarioError: the scenario is malformed.
        EnsembleError: bad seeds, backend or workers, or the scheduler cannot be reached.
    """
    seed_list = _seed_list(seeds)
    chosen, n_workers = choose_backend(backend, workers, scheduler, threads, len(seed_list))
    prepared = prepare(
        scenario, days=days, hasten=hasten, flee31_quirks=flee31_quirks, parallel=parallel
    )
    outputs: list[ReplicaOutput | None] = execute_all(
        prepared,
        seed_list,
        backend=chosen,
        workers=n_workers,
        scheduler=scheduler,
        threads=threads,
        connect_timeout=connect_timeout,
        progress=progress,
        days=prepared.days,
    )
    missing = [seed_list[i] for i, o in enumerate(outputs) if o is None]
    if missing:  # pragma: no cover - every backend either delivers every result or raises
        raise EnsembleError(f"no result came back for seeds {missing}")
    return prepared.assemble([o for o in outputs if o is not None])


__all__ = [
    "BACKENDS",
    "DEFAULT_CONNECT_TIMEOUT",
    "Backend",
    "Progress",
    "choose_backend",
    "execute",
    "execute_all",
    "run_ensemble",
]
