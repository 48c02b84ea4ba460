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
CompareRequest      :func:`compare`             (reads two stored results)
ReportRequest       :func:`report`              (writes HTML/PNG of a stored result)
ListRequest         :func:`list_runs`           (reads the catalogue)
==================  ==========================  ==========================================

Scenarios: :func:`corredor.app.scenarios.describe` (validate / show, both kinds),
:func:`~corredor.app.scenarios.events` and :func:`~corredor.app.scenarios.levers` (tables),
:func:`~corredor.app.scenarios.builtin_scenarios`. Results as tidy frames and xarray:
:mod:`corredor.app.arrays`; any stored result rebuilt: :func:`load`.

Errors are :class:`~corredor.errors.CorredorError` subclasses (exit status 2 on the command
line, HTTP 4xx in the web service): :class:`RequestError` for a request that cannot be carried
out, :class:`InapplicableOptionError` for an option the scenario's kind does not take
(``hasten`` for a corridor scenario, ``set`` for a Flee one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from corredor.app.common import Progress, Stored
from corredor.app.requests import (
    BacktestRequest,
    BargainRequest,
    CalibrateRequest,
    CompareRequest,
    EnsembleRequest,
    ForecastRequest,
    InapplicableOptionError,
    ListRequest,
    ReportRequest,
    Request,
    RequestError,
    RunRequest,
    SensitivityRequest,
)

if TYPE_CHECKING:
    import pandas as pd

    from corredor.store import ResultsStore

__all__ = [
    "BacktestRequest",
    "BargainRequest",
    "CalibrateRequest",
    "CompareRequest",
    "EnsembleRequest",
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
    "backtest",
    "bargain",
    "calibrate",
    "compare",
    "ensemble",
    "forecast",
    "list_runs",
    "load",
    "report",
    "run",
    "sensitivity",
]


def run(
    request: RunRequest,
    store: ResultsStore,
    progress: Progress | None = None,
    *,
    command: str | None = None,
) -> Stored:
    """Run a scenario of either kind and store it (:mod:`corredor.app.simulation`)."""
    from corredor.app.simulation import run as _run

    return _run(request, store, progress, command=command)


def ensemble(
    request: EnsembleRequest,
    store: ResultsStore,
    progress: Progress | None = None,
    *,
    command: str | None = None,
) -> Stored:
    """Run a corridor ensemble and store it (:mod:`corredor.app.simulation`)."""
    from corredor.app.simulation import ensemble as _ensemble

    return _ensemble(request, store, progress, command=command)


def report(request: ReportRequest, store: ResultsStore | None) -> Any:
    """Write the report of a stored result (:mod:`corredor.app.reports`)."""
    from corredor.app.reports import report as _report

    return _report(request, store)


def list_runs(request: ListRequest, store: ResultsStore) -> pd.DataFrame:
    """The catalogue of stored results, filtered as ``request`` asks."""
    import datetime as dt

    since = None
    if request.since is not None:
        try:
            since = dt.datetime.fromisoformat(request.since)
        except ValueError:
            raise RequestError(f"since {request.since!r} is not a date (YYYY-MM-DD)") from None
    parent = store.resolve(request.parent) if request.parent is not None else None
    return store.list(kind=request.kind, scenario=request.scenario, parent=parent, since=since)


def forecast(
    request: ForecastRequest,
    store: ResultsStore,
    progress: Progress | None = None,
    *,
    command: str | None = None,
) -> Stored:
    """A forecast past the calibration horizon, stored (:mod:`corredor.app.studies`)."""
    from corredor.app.studies import forecast as _forecast

    return _forecast(request, store, progress, command=command)


def sensitivity(
    request: SensitivityRequest,
    store: ResultsStore,
    progress: Progress | None = None,
    *,
    command: str | None = None,
) -> Stored:
    """A global sensitivity analysis, stored (:mod:`corredor.app.studies`)."""
    from corredor.app.studies import sensitivity as _sensitivity

    return _sensitivity(request, store, progress, command=command)


def calibrate(
    request: CalibrateRequest,
    store: ResultsStore,
    progress: Progress | None = None,
    *,
    command: str | None = None,
) -> Stored:
    """A calibration study, stored (:mod:`corredor.app.studies`)."""
    from corredor.app.studies import calibrate as _calibrate

    return _calibrate(request, store, progress, command=command)


def backtest(
    request: BacktestRequest,
    store: ResultsStore,
    progress: Progress | None = None,
    *,
    command: str | None = None,
) -> Stored:
    """Fit statistics and a back-test, stored (:mod:`corredor.app.studies`)."""
    from corredor.app.studies import backtest as _backtest

    return _backtest(request, store, progress, command=command)


def bargain(
    request: BargainRequest,
    store: ResultsStore,
    progress: Progress | None = None,
    *,
    command: str | None = None,
) -> Stored:
    """The threat game, stored (:mod:`corredor.app.studies`)."""
    from corredor.app.studies import bargain as _bargain

    return _bargain(request, store, progress, command=command)


def compare(request: CompareRequest, store: ResultsStore) -> Any:
    """The differences of two stored results (:mod:`corredor.app.comparison`)."""
    from corredor.app.comparison import compare as _compare

    return _compare(request, store)


def load(store: ResultsStore, ref: str) -> Any:
    """A stored result of any kind, rebuilt (:func:`corredor.app.codecs.load`)."""
    from corredor.app.codecs import load as _load

    return _load(store, ref)
