"""A Flee scenario run as a :class:`~corredor.app.requests.RunRequest` asks, without a store.

Kept apart from :mod:`corredor.app.simulation` (the use case ``run``, which stores runs and so
loads the store) so that ``corredor.run`` of a Flee scenario loads only the Flee engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from corredor.simulation.flee import run_flee

if TYPE_CHECKING:
    from corredor.app.common import Progress
    from corredor.app.requests import RunRequest
    from corredor.results import RunResult

__all__ = ["run_flee_request"]


def _flee_progress(progress: Progress | None, replicas: int) -> Any:
    if progress is None:
        return None
    done: dict[int, int] = {}

    def callback(replica: int, day: int, days: int) -> None:
        done[replica] = max(done.get(replica, 0), min(day + 1, days))
        progress(sum(done.values()), days * replicas, f"replica {replica + 1}/{replicas}")

    return callback


def run_flee_request(request: RunRequest, progress: Progress | None = None) -> RunResult:
    """Run a Flee scenario as ``request`` asks (no store)."""
    rules = {
        "days": request.days,
        "hasten": request.hasten,
        "flee31_quirks": request.flee31_quirks,
        "threads": request.threads,
        "parallel": request.parallel,
        "progress": _flee_progress(progress, request.replicas),
    }
    if request.scheduler is not None or (
        request.workers is not None and request.workers > 1 and request.replicas > 1
    ):
        # only a run on several processes or a cluster loads the ensemble runners
        from corredor.ensemble import run_ensemble  # noqa: PLC0415

        return run_ensemble(
            request.scenario,
            seeds=range(request.seed, request.seed + request.replicas),
            backend="dask" if request.scheduler is not None else "processes",
            workers=request.workers,
            scheduler=request.scheduler,
            **rules,
        )

    return run_flee(request.scenario, seed=request.seed, replicas=request.replicas, **rules)
