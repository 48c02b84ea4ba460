"""What the worker processes of :mod:`corredor.web.jobs` run: the app layer's use cases.

Each use case stores its result in the one :class:`~corredor.store.ResultsStore` with its
provenance, unless the store already has the result of an identical request. The use cases
and the simulation machinery are imported here, in the worker process, when first called.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corredor.web.errors import BadRequestError
from corredor.web.records import find_run, open_store
from corredor.web.requests import (
    BargainRequest,
    EnsembleRequest,
    ForecastRequest,
    RunRequest,
    StudyRequest,
    check_request,
    to_app,
)
from corredor.web.scenarios import counterfactuals, load_scenario

ProgressFn = Callable[[float, float, str], None]
"""Called with (done, total, what), as the app layer's use cases do."""


OnStart = Callable[[str], None]
"""Called with the run id once the use case has catalogued its run ``running``."""


def set_threads(threads: int) -> None:
    """Numba threads of this worker process (clamped to numba's pool)."""
    from corredor.ensemble.backends import set_numba_threads

    set_numba_threads(threads)


def warm_up() -> None:
    """Load the built-in scenarios and compile the model's kernels, so that a worker's first
    real request does not pay for them: a two-day run of each, stored in a scratch store that
    is then removed (storing loads and exercises the tidy tables, the observed data the run
    is compared with, Parquet and the catalogue)."""
    from corredor.app.simulation import run
    from corredor.scenario.corridor import builtin_corridor_scenarios
    from corredor.store import ResultsStore

    with tempfile.TemporaryDirectory(prefix="corredor-warm-") as scratch:
        store = ResultsStore(Path(scratch) / "store")
        for name in sorted(builtin_corridor_scenarios()):
            counterfactuals(name)
            run(to_app(RunRequest(scenario=name, days=2, people_per_agent=1000)), store)


def prewarm(people_per_agent: int, max_agents: int | None, stop: Callable[[], bool] | None) -> bool:
    """Keep, in this worker, the baseline states that the previews of the built-in corridor
    scenarios branch from (:func:`corredor.app.corridor_runs.prewarm`: the default preview —
    seed 0, the whole period, at ``people_per_agent`` — on the days their policy events and
    shipped counterfactual events start). ``stop()`` asked before every simulated day; returns
    True when every state is kept, False when it stopped first (called again, it goes on)."""
    from corredor.app.corridor_runs import prewarm as keep
    from corredor.scenario.corridor import builtin_corridor_scenarios

    for name in sorted(builtin_corridor_scenarios()):
        req = RunRequest(scenario=name, people_per_agent=people_per_agent)
        if not keep(to_app(req, max_agents=max_agents), stop=stop).finished:
            return False
    return True


def execute(
    req: RunRequest,
    root: Path,
    progress: ProgressFn | None,
    *,
    max_agents: int | None = None,
    on_start: OnStart | None = None,
) -> str:
    """Run ``req`` through :func:`corredor.app.run` (which stores it) unless the store has it;
    returns the run id. Runs in a worker process."""
    from corredor.app import run
    from corredor.engine.loop import AgentBudgetError

    check_request(req)
    found = find_run(root, req)
    if found is not None:
        return found
    try:
        stored = run(
            to_app(req, max_agents=max_agents), open_store(root), progress, on_start=on_start
        )
    except AgentBudgetError as exc:
        raise BadRequestError(
            f"the run was stopped on day {exc.day}: it created over {max_agents or 0:,} people, "
            "this service's limit (--max-agents); choose lever values nearer their historical "
            "ones"
        ) from None
    return str(stored.run_id)


def execute_ensemble(
    req: EnsembleRequest,
    root: Path,
    progress: ProgressFn | None,
    on_start: OnStart | None = None,
) -> str:
    """Run a corridor ensemble through :func:`corredor.app.ensemble` (its counterfactual, when
    asked, is stored as its child) unless the store has it; returns its run id."""
    from corredor.app import ensemble

    check_request(req)
    return _stored_or_run(ensemble, req, root, progress, on_start)


def execute_forecast(
    req: ForecastRequest,
    root: Path,
    progress: ProgressFn | None,
    on_start: OnStart | None = None,
) -> str:
    """Run a forecast through :func:`corredor.app.forecast` unless the store has it."""
    from corredor.app import forecast

    load_scenario(req.scenario)
    return _stored_or_run(forecast, req, root, progress, on_start)


def _stored_or_run(
    use_case: Callable[..., Any],
    req: EnsembleRequest | ForecastRequest,
    root: Path,
    progress: ProgressFn | None,
    on_start: OnStart | None,
) -> str:
    """The run id of ``req``'s result: the stored one when the store has it, else the one the
    use case makes."""
    found = find_run(root, req)
    if found is not None:
        return found
    return str(use_case(req.to_app(), open_store(root), progress, on_start=on_start).run_id)


def execute_study(
    req: StudyRequest,
    root: Path,
    progress: ProgressFn | None,
    on_start: OnStart | None = None,
) -> str:
    """Run a built-in study through :func:`corredor.app.study` (resuming from its stored
    tasks)."""
    from corredor.app import study

    return str(study(req.to_app(), open_store(root), progress, on_start=on_start).run_id)


def execute_bargain(
    req: BargainRequest,
    root: Path,
    progress: ProgressFn | None,
    on_start: OnStart | None = None,
) -> str:
    """Solve the game for every (exposure, credibility) pair (:func:`corredor.app.bargain`)."""
    from corredor.app import bargain

    if progress is not None:
        progress(0, 1, "sweep")
    stored = bargain(req.to_app(), open_store(root), progress, on_start=on_start)
    return str(stored.run_id)
