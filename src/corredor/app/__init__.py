"""The use-case layer: typed requests in, stored results out. The command line, the Python API
and the web service all call it; nothing here prints.

A use case takes a request (a pydantic model of :mod:`corredor.app.requests`), a
:class:`~corredor.store.ResultsStore` and, for long work, a progress callback
``progress(done, total, what)``; it checks the request against the scenario before anything
runs, does the work, stores the result with its provenance and returns a :class:`Stored`
(``run_id``, ``kind``, the result object, the run's folder, notes for the user)::

    from corredor.app import RunRequest, run, report, ReportRequest, list_runs, ListRequest
    from corredor.store import ResultsStore

    store = ResultsStore("runs")
    stored = run(RunRequest(scenario="mexico-us", days=365, set={"usbp_hazard": 4.0},
                            without_events=["mx-gn-south-2019"]), store)
    report(ReportRequest(run=stored.run_id), store)        # runs/<id>/report.html
    list_runs(ListRequest(kind="corridor"), store)         # the catalogue, filtered

Requests and their use cases:

==================  ==========================  ==========================================
request             use case                    stores
==================  ==========================  ==========================================
RunRequest          :func:`run`                 ``flee``, ``corridor`` (or an ensemble)
EnsembleRequest     :func:`ensemble`            ``corridor-ensemble`` (+ counterfactual)
ForecastRequest     :func:`forecast`            ``forecast``
SensitivityRequest  :func:`sensitivity`         ``sensitivity``
CalibrateRequest    :func:`calibrate`           ``calibration`` (never the package's file)
BacktestRequest     :func:`backtest`            ``backtest``
BargainRequest      :func:`bargain`             ``bargain`` (+ its corridor runs)
StudyRequest        :func:`study`               ``study`` (+ one ``study-task`` per task)
CompareRequest      :func:`compare`             (reads two stored results)
ReportRequest       :func:`report`              (writes HTML/PNG of a stored result)
ListRequest         :func:`list_runs`           (reads the catalogue, with each status)
DeleteRequest       :func:`delete`              (removes a run at the user's request)
==================  ==========================  ==========================================

Run status: every use case catalogues its run ``running`` when the work starts (with the
writer's process id, host and start time; ``on_start(run_id)`` is called then), ``finished``
when it is stored, ``failed`` with the error line when it raises; a ``running`` run whose
process died becomes ``failed`` when the store is next opened. :func:`status` tells where one
run stands, :func:`lookup` finds the finished or running run of an identical corridor request,
:func:`find` the finished one.

Time: :func:`estimate` says, before a request runs, how many runs it makes and about how long
they take (from comparable finished runs in the store, else a measured cost of the scenario;
:mod:`corredor.app.estimates`); the command line prints its line before a multi-run command.

Scenarios: :func:`corredor.app.scenarios.describe` (validate / show, both kinds),
:func:`~corredor.app.scenarios.events` and :func:`~corredor.app.scenarios.levers` (tables),
:func:`~corredor.app.scenarios.builtin_scenarios`. Results as tidy frames and xarray:
:mod:`corredor.app.arrays`; any stored result rebuilt: :func:`load`.

The requests (and :class:`Stored`) are imported with this package; each use case, with the
machinery it runs (the engine, the studies, the store), when first used: a face that only builds
its options from the requests starts fast.

Errors are :class:`~corredor.errors.CorredorError` subclasses (exit status 2 on the command
line, HTTP 4xx in the web service): :class:`RequestError` for a request that cannot be carried
out, :class:`InapplicableOptionError` for an option the scenario's kind does not take
(``hasten`` for a corridor scenario, ``set`` for a Flee one).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from corredor.app.common import Progress, Stored
from corredor.app.requests import (
    BacktestRequest,
    BargainRequest,
    CalibrateRequest,
    CompareRequest,
    DeleteRequest,
    EnsembleRequest,
    ForecastRequest,
    InapplicableOptionError,
    ListRequest,
    ReportRequest,
    Request,
    RequestError,
    RunRequest,
    SensitivityRequest,
    StudyRequest,
)

if TYPE_CHECKING:  # what a type checker sees of the use cases imported on first use
    from corredor.app.comparison import compare
    from corredor.app.corridor_runs import ensemble
    from corredor.app.estimates import Estimate, estimate
    from corredor.app.reports import report
    from corredor.app.runs import delete, list_runs, load, status
    from corredor.app.simulation import find, lookup, run
    from corredor.app.studies import backtest, bargain, calibrate, forecast, sensitivity
    from corredor.app.study import list_studies, study

__all__ = [
    "BacktestRequest",
    "BargainRequest",
    "CalibrateRequest",
    "CompareRequest",
    "DeleteRequest",
    "EnsembleRequest",
    "Estimate",
    "ForecastRequest",
    "InapplicableOptionError",
    "ListRequest",
    "Progress",
    "ReportRequest",
    "Request",
    "RequestError",
    "RunRequest",
    "SensitivityRequest",
    "Stored",
    "StudyRequest",
    "backtest",
    "bargain",
    "calibrate",
    "compare",
    "delete",
    "ensemble",
    "estimate",
    "find",
    "forecast",
    "list_runs",
    "list_studies",
    "load",
    "lookup",
    "report",
    "run",
    "sensitivity",
    "status",
    "study",
]

#: The use cases, imported on first use: name -> module of this package.
USE_CASES = {
    "run": "simulation",
    "ensemble": "corridor_runs",
    "find": "simulation",
    "lookup": "simulation",
    "forecast": "studies",
    "sensitivity": "studies",
    "calibrate": "studies",
    "backtest": "studies",
    "bargain": "studies",
    "compare": "comparison",
    "estimate": "estimates",
    "Estimate": "estimates",
    "report": "reports",
    "list_runs": "runs",
    "load": "runs",
    "status": "runs",
    "delete": "runs",
    "study": "study",
    "list_studies": "study",
}


def __getattr__(name: str) -> Any:
    """A use case, imported on first use (module docstring)."""
    if name in USE_CASES:
        value = getattr(importlib.import_module(f"corredor.app.{USE_CASES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'corredor.app' has no attribute {name!r}")


def __dir__() -> list[str]:
    """Every public name, the use cases included."""
    return sorted({*globals(), *USE_CASES})
