"""Use cases ``forecast``, ``sensitivity``, ``calibrate``, ``backtest`` and ``bargain``: each runs
its study and stores it, with its provenance, as one result of its kind.

>>> from corredor.app import ForecastRequest, forecast
>>> request = ForecastRequest(scenario="mexico-us", until="2024-09")
>>> stored = forecast(request, store)              # doctest: +SKIP
>>> stored.result.encounters()                     # doctest: +SKIP

A calibration is stored in the results store (its ``calibrated.yaml``, trials and settings) and
its study folder is a user folder (``calibrations/SCENARIO`` by default, resumable): it never
writes into the installed package. Run with it: ``RunRequest(calibration=<its run id>)``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from corredor.app.common import (
    OnStart,
    Progress,
    Stored,
    check_output,
    request_json,
    running,
    task_progress,
)
from corredor.app.corridor_runs import parameter_sets
from corredor.app.inputs import (
    CorridorInputs,
    corridor_provenance,
    inputs_of,
    resolve_calibration,
)
from corredor.app.kinds import scenario_kind
from corredor.app.requests import (
    BacktestRequest,
    BargainRequest,
    CalibrateRequest,
    ForecastRequest,
    RequestError,
    SensitivityRequest,
    parse_until,
)
from corredor.app.study_codecs import forecast_to_record, sensitivity_to_record
from corredor.bargaining import coupled
from corredor.bargaining.episodes import EPISODES
from corredor.bargaining.sweep import sweep
from corredor.calibration.fit import calibrate as fit
from corredor.calibration.fit import select_parameters, trials_frame
from corredor.calibration.loss import check_until
from corredor.calibration.modelcheck import backtest_model, fit_statistics
from corredor.errors import ScenarioError
from corredor.files.read import read_bytes
from corredor.forecasting.forecast import forecast as run_forecast
from corredor.results.provenance import EventsFile, Provenance, sha256_file
from corredor.results.record import Record
from corredor.scenario.corridor import load_corridor_scenario
from corredor.sensitivity.analysis import (
    default_outputs,
    problem_of,
    runs_needed,
    sensitivity_analysis,
)
from corredor.store.corridor import scenario_sha256

if TYPE_CHECKING:
    from corredor.store import ResultsStore

__all__ = ["backtest", "bargain", "calibrate", "forecast", "sensitivity"]


def _corridor_only(scenario: str, what: str) -> None:
    if scenario_kind(scenario) != "corridor":
        raise RequestError(f"{scenario} is a Flee scenario: {what} takes a corridor scenario")


def _corridor_inputs(
    request: ForecastRequest | SensitivityRequest | BacktestRequest, store: ResultsStore, what: str
) -> CorridorInputs:
    """The checked inputs of a use case that takes a corridor scenario only."""
    _corridor_only(request.scenario, what)
    return inputs_of(request, store)


# ---------------------------------------------------------------------------------- forecast
def forecast(
    request: ForecastRequest,
    store: ResultsStore,
    progress: Progress | None = None,
    *,
    command: str | None = None,
    on_start: OnStart | None = None,
) -> Stored:
    """A forecast past the calibration horizon (:func:`corredor.forecasting.forecast`)."""
    inputs = _corridor_inputs(request, store, "forecast")
    sets, notes = parameter_sets(inputs, request.sets, request.max_sets, request.seed)
    until = parse_until(request.until)
    with running(
        store, "forecast", inputs.scenario.name, request, command=command, on_start=on_start
    ) as run_id:
        fc = run_forecast(
            inputs.scenario,
            until=until,
            replicas=request.replicas,
            seed=request.seed,
            parameter_sets=sets,
            events_file=request.forecast_events,
            policy_path=request.policy_path,
            extra_events=inputs.extra_events,
            workers=request.workers,
            scheduler=request.scheduler,
            progress=task_progress(progress, len(sets) * request.replicas),
            discrepancy=request.discrepancy,
        )
        fc = dataclasses.replace(fc, notes=(*notes, *fc.notes))
        provenance = corridor_provenance(
            "forecast",
            inputs,
            seeds=list(fc.ensemble.seeds),
            days=fc.ensemble.days,
            request=request,
            command=command,
            parameters={"sets": [s.as_dict() for s in sets]},
        )
        if fc.events_file is not None:
            provenance.events_added.append(
                EventsFile(
                    file=str(fc.events_file),
                    sha256=sha256_file(fc.events_file),
                    ids=[e.id for e in fc.events],
                )
            )
        store.save(forecast_to_record(fc, provenance, command=command), run_id=run_id)
    return Stored(run_id, "forecast", fc, store.path(run_id), notes=list(fc.notes))


# ------------------------------------------------------------------------------- sensitivity
def sensitivity(
    request: SensitivityRequest,
    store: ResultsStore,
    progress: Progress | None = None,
    *,
    command: str | None = None,
    on_start: OnStart | None = None,
) -> Stored:
    """Morris or Sobol indices (:func:`corredor.sensitivity.sensitivity_analysis`). The
    parameters not varied keep the chosen calibration's values."""
    inputs = _corridor_inputs(request, store, "sensitivity")
    sc = inputs.scenario
    problem = problem_of(sc, request.parameters or None, extra_events=inputs.extra_events)
    n_runs = runs_needed(
        request.method, request.trajectories, problem["num_vars"], request.replicas
    )
    with running(
        store, "sensitivity", sc.name, request, command=command, on_start=on_start
    ) as run_id:
        res = sensitivity_analysis(
            sc,
            method=request.method,
            size=request.trajectories,
            parameters=problem["names"],
            outputs=request.outputs or default_outputs(sc),
            levels=request.levels,
            seeds=list(range(request.seed, request.seed + request.replicas)),
            sample_seed=request.seed,
            days=request.days,
            extra_events=inputs.extra_events,
            base=inputs.calibration,
            workers=request.workers,
            scheduler=request.scheduler,
            progress=task_progress(progress, n_runs),
        )
        provenance = corridor_provenance(
            "sensitivity",
            inputs,
            seeds=list(res.ensemble.seeds),
            days=res.ensemble.days,
            request=request,
            command=command,
        )
        store.save(sensitivity_to_record(res, provenance, command=command), run_id=run_id)
    return Stored(run_id, "sensitivity", res, store.path(run_id), notes=list(inputs.notes))


# --------------------------------------------------------------------------------- calibrate
def _folder(request: CalibrateRequest, name: str) -> Path:
    """The study folder: ``--folder``, else ``calibrations/<scenario name>`` (with a digest of
    the parameters, ``--from`` and ``--until`` when given, so that stages and back-test fits
    do not share a folder)."""
    if request.folder is not None:
        return Path(request.folder)
    if not request.parameters and request.start_from is None and request.until is None:
        return Path("calibrations") / name
    parts = [*sorted(request.parameters), str(request.start_from or "")]
    key = "\n".join(parts + ([str(request.until)] if request.until else []))
    return Path("calibrations") / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def _trial_progress(progress: Progress) -> Any:
    def callback(done: int, total: int, best: float | None) -> None:
        progress(done, total, "calibrating" if best is None else f"best loss {best:.4f}")

    return callback


def calibrate(
    request: CalibrateRequest,
    store: ResultsStore,
    progress: Progress | None = None,
    *,
    command: str | None = None,
    on_start: OnStart | None = None,
) -> Stored:
    """Fit the scenario (:func:`corredor.calibration.fit.calibrate`) in its study folder and
    store the result; the installed package is never written."""
    _corridor_only(request.scenario, "calibrate")
    sc = load_corridor_scenario(request.scenario)
    until = None if request.until is None else parse_until(request.until, month_end=False)
    last = check_until(until)
    select_parameters(sc, list(request.parameters) or None, until=last)  # errors before work
    check_output(_folder(request, sc.name), "--folder", folder=True)
    base = None
    if request.start_from is not None:
        cal, _, _ = resolve_calibration(sc, request.start_from, store)
        assert cal is not None and cal.path is not None
        base = cal.path
    with running(
        store, "calibration", sc.name, request, command=command, on_start=on_start
    ) as run_id:
        folder = _folder(request, sc.name)
        result = fit(
            sc,
            out=folder,
            trials=request.trials,
            parameters=list(request.parameters) or None,
            workers=request.workers or 1,
            scheduler=request.scheduler,
            batch=request.batch,
            seed=request.seed,
            until=last,
            resume=request.resume,
            command=command or request.command_line("calibrate"),
            base=base,
            agent_budget=request.agent_budget,
            progress=None if progress is None else _trial_progress(progress),
        )
        calibrated_file = folder / "calibrated.yaml"
        provenance = Provenance(
            kind="calibration",
            scenario=sc.name,
            scenario_path=str(sc.path),
            scenario_sha256=scenario_sha256(sc),
            parameters=dict(result.calibrated.parameters),
            seeds=[request.seed],
            request=request_json(request),
            command=command,
        )
        record = Record(
            kind="calibration",
            scenario=sc.name,
            scenario_path=str(sc.path),
            seeds=(request.seed,),
            replicas=1,
            days=(last - sc.start).days + 1,
            summary={
                "loss": float(result.best.loss),
                "default_loss": float(result.default_loss),
                "trials": len(result.trials),
                "plausible_sets": len(result.members),
                "data_until": last.isoformat(),
                "seconds": float(result.wall_seconds),
            },
            meta={"folder": str(folder.resolve()), "data_until": last.isoformat()},
            tables={
                "trials": trials_frame(result.trials),
                "parameters": pd.DataFrame(
                    [
                        {
                            "parameter": p.name,
                            "low": p.low,
                            "high": p.high,
                            "log": p.log,
                            "fitted": float(result.best.params[p.name]),
                        }
                        for p in result.parameters
                    ]
                ),
            },
            files={"calibrated.yaml": read_bytes(calibrated_file, what="calibrated file")},
            provenance=provenance,
        )
        store.save(record, run_id=run_id)
    return Stored(run_id, "calibration", result, store.path(run_id), extra={"folder": folder})


# ---------------------------------------------------------------------------------- backtest
def backtest(
    request: BacktestRequest,
    store: ResultsStore,
    progress: Progress | None = None,
    *,
    command: str | None = None,
    on_start: OnStart | None = None,
) -> Stored:
    """Fit statistics of the chosen calibration over the whole period and, with ``backtest``,
    the back-test of a fit to data up to 2018 against naive baselines."""
    inputs = _corridor_inputs(request, store, "validate-model")
    sc = inputs.scenario
    study = None
    if request.backtest is not None:
        cal, _, _ = resolve_calibration(sc, request.backtest, store)
        if cal is None or cal.path is None:
            raise RequestError(f"--backtest {request.backtest}: not a calibration")
        study = cal.path.parent
    with running(store, "backtest", sc.name, request, command=command, on_start=on_start) as run_id:
        # the fit run counts one, by its days; the back-test one more, by its seeds
        steps = 2 if study is not None else 1
        if progress is not None:
            progress(0, steps, "fit run")
        stats = fit_statistics(
            sc,
            seed=request.seed,
            calibration=inputs.calibration,
            progress=None
            if progress is None
            else lambda d, n: progress((d + 1) / n, steps, "fit run"),
        )
        tables = {"fit_statistics": stats.table}
        if study is not None:
            tables["backtest"] = backtest_model(
                sc,
                study,
                seed=request.seed,
                members=request.members,
                replicas=request.replicas,
                discrepancy=request.discrepancy,
                progress=None
                if progress is None
                else lambda k, n: progress(1 + k / n, steps, "back-test"),
            )
        provenance = corridor_provenance(
            "backtest", inputs, seeds=[request.seed], days=sc.days, request=request, command=command
        )
        record = Record(
            kind="backtest",
            scenario=sc.name,
            scenario_path=str(sc.path),
            seeds=(request.seed,),
            days=sc.days,
            summary={"loss": float(stats.loss), "until": stats.until.isoformat()},
            meta={"study": None if study is None else str(study)},
            tables=tables,
            provenance=provenance,
        )
        store.save(record, run_id=run_id)
    return Stored(run_id, "backtest", record, store.path(run_id), extra={"stats": stats})


# ----------------------------------------------------------------------------------- bargain
def bargain(
    request: BargainRequest,
    store: ResultsStore,
    progress: Progress | None = None,
    *,
    command: str | None = None,
    on_start: OnStart | None = None,
) -> Stored:
    """The threat game of the episode the scenario's ``bargaining.episode`` names (its actors
    are that episode's data): the episode replayed (with a counterfactual exposure), a sweep of
    exposure × credibility from the first day of its sanctions, or the game played on the
    corridor simulation (``endogenous``) or beside it (``exogenous``), whose corridor runs are
    stored as children. A scenario whose block names no episode: a :class:`ScenarioError`."""
    episode = EPISODES[_episode_of(request.scenario, request.mode)]
    data_share = episode.transit().exposure.export_share
    shares: list[float | None] = [None]
    if request.exposure is not None and abs(request.exposure - data_share) > 1e-12:
        shares.append(request.exposure)

    def label(share: float | None) -> str:
        return f"data ({data_share:.3f})" if share is None else f"counterfactual ({share:.3f})"

    ids = {}
    with running(
        store, "bargain", request.scenario, request, command=command, on_start=on_start
    ) as run_id:
        children: list[tuple[str, Any]] = []
        if request.mode == "sweep":
            frame = sweep(
                review_days=request.review_days or 90,
                refine=request.refine,
                hegemon=episode.hegemon(),
                transit=episode.transit(),
                start=episode.start,
            )
        elif request.mode == "episode":
            frames = [
                episode.replay(
                    share,
                    request.credibility,
                    review_days=request.review_days or 90,
                    periods=request.periods,
                    refine=request.refine,
                )
                .to_frame()
                .assign(label=label(share))
                for share in shares
            ]
            frame = pd.concat(frames, ignore_index=True)
        else:
            frame, children = _coupled(request, store, shares, label, progress)
        meta = {
            "mode": request.mode,
            "credibility": request.credibility,
            "data_share": data_share,
            "review_days": request.review_days,
        }
        provenance = Provenance(
            kind="bargain",
            scenario=request.scenario,
            parameters={k: v for k, v in request.model_dump().items() if k != "scenario"},
            seeds=[request.seed],
            request=request_json(request),
            command=command,
        )
        record = Record(
            kind="bargain",
            scenario=request.scenario,
            seeds=(request.seed,),
            days=int(request.days or 0),
            summary={"mode": request.mode, "rows": len(frame)},
            meta=meta,
            tables={"game": frame},
            provenance=provenance,
        )
        for name, (result, prov) in children:  # the children first: a finished game has them
            ids[name] = store.save(result, provenance=prov, parent=run_id, label=name)
        store.save(record, run_id=run_id)
    return Stored(run_id, "bargain", record, store.path(run_id), children=ids)


def _episode_of(scenario: str, mode: str) -> str:
    """The threat episode the scenario's ``bargaining.episode`` names (whose data
    :data:`corredor.bargaining.EPISODES` holds: the game's two actors); a
    :class:`ScenarioError` if none."""
    _corridor_only(scenario, f"bargain --mode {mode}")
    block = load_corridor_scenario(scenario).bargaining
    if block is None or block.episode is None:
        raise ScenarioError(
            scenario,
            "no bargaining episode for this scenario (no bargaining: block, or one that names "
            "no episode:), whose data would make the game's two actors",
            fix="name one in the block (episode: june-2019, as mexico-us does); from Python, "
            "corredor.bargaining.sweep and run_coupled take actors of your own",
        )
    return block.episode


def _run_progress(progress: Progress, i: int, runs: int) -> Any:
    def callback(day: int, days: int) -> None:
        progress(i + (day + 1) / days, runs, "runs")

    return callback


def _coupled(
    request: BargainRequest,
    store: ResultsStore,
    shares: list[float | None],
    label: Any,
    progress: Progress | None,
) -> tuple[pd.DataFrame, list[tuple[str, Any]]]:

    _corridor_only(request.scenario, f"bargain --mode {request.mode}")
    inputs = inputs_of(request, store)
    frames, children = [], []
    for i, share in enumerate(shares):
        result = coupled.run_coupled(
            inputs.scenario,
            mode=request.mode,  # type: ignore[arg-type]
            export_share=share,
            credibility=request.credibility,
            seed=request.seed,
            days=request.days,
            review_days=request.review_days,
            calibration=inputs.calibration,
            progress=None if progress is None else _run_progress(progress, i, len(shares)),
        )
        frames.append(result.to_frame().assign(label=label(share)))
        prov = corridor_provenance(
            "corridor",
            inputs,
            seeds=[request.seed],
            days=result.corridor.days,
            request=request,
            parameters=inputs.calibration,
        )
        children.append((label(share), (result.corridor, prov)))
    frame = pd.concat(frames, ignore_index=True)
    return frame, children
