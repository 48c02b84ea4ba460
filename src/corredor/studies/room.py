"""Room for manoeuvre, the threat game played on the simulation at each exposure.

A room-for-manoeuvre study (a study file with a ``bargaining:`` block) asks how far a transit
state's dependence on the hegemon's market narrows the policies it can choose. For every
parameter set × seed (a *task*):

1. the scenario runs with its ``bargaining:`` block in endogenous mode
   (:class:`~corredor.bargaining.coupled.BargainingController`: the transit state's own events
   of ``bargaining.replaces`` are left out and the game sets its levers at each review) up to
   the study's review day (the first review under the threat).
   Before it no threat is in force, so this trunk is the same at every exposure;
2. at the review, the game is solved on the simulated state for every (export share,
   credibility) pair: the feasible share of the policy space, the transit state's chosen policy,
   whether it complies, its expected sanction and loss terms;
3. for each export share, at the credibility ``outcome_credibility``, the run goes on from the
   review for ``periods`` review periods with the chosen policy in force (a copy of the trunk's
   state; common random numbers), and the study's outputs are counted over those days; the
   share ``0`` (no dependence: the transit state's own policy) is the reference every other
   share is paired with — what the transit state gains or loses at each exposure.

Bands pool the tasks as in :mod:`corredor.studies.result`. The outcome model the game uses is the
reduced form anchored to the simulated state (``docs/bargaining.md`` §10), whose caveats the
report prints next to the numbers.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from corredor.bargaining import EPISODES, BargainingController
from corredor.bargaining.coupled import restricted_grid
from corredor.bargaining.policy import CONTINUOUS_LEVERS, LEVERS, PolicyGrid
from corredor.ensemble.backends import set_numba_threads
from corredor.ensemble.corridor_results import weighted_quantiles
from corredor.ensemble.parameter_sets import ParameterSet
from corredor.ensemble.runner import Backend
from corredor.rules.corridor.compiled import compile_corridor
from corredor.scenario.corridor import load_corridor_scenario
from corredor.simulation.branching import branch
from corredor.simulation.corridor import CorridorModel
from corredor.studies.checks import check_against_scenario, with_unsourced_left_out
from corredor.studies.outputs import OutputColumn, columns, mark, period_values
from corredor.studies.provenance import scenario_digest
from corredor.studies.result import LEVELS
from corredor.studies.runner import (
    CalibrationInfo,
    Progress,
    calibration_of,
    data_horizon,
    parameter_sets,
    run_tasks,
    run_weights,
    scenario_of,
)
from corredor.studies.schema import Study, check_study, load_study, study_error

__all__ = [
    "GAME_FIELDS",
    "PreparedRoom",
    "RoomResult",
    "RoomTask",
    "assemble_room",
    "policy_grid_size",
    "prepare_room",
    "run_room",
    "task_from_json",
    "task_to_json",
]

FloatArray = npt.NDArray[np.float64]

#: What the study keeps of each solved game (a row of ``PeriodSolution.row()``).
GAME_FIELDS: tuple[str, ...] = (
    "feasible_share",
    "feasible_volume",
    *LEVERS,
    "enforcement_mean",
    "sanction_probability",
    "expected_sanction",
    "sanction_loss_musd",
    "in_feasible_space",
    "distance_from_preferred",
    "preferred_to_feasible",
    "arrivals_per_day",
    "loss",
    "fiscal_loss",
    "humanitarian_loss",
    "audience_loss",
)


@dataclass(frozen=True)
class RoomTask:
    """One (parameter set, seed): ``game[e, k, f]`` (exposure e, credibility k, field f) and
    ``outcomes[e, c]`` (exposure e at the outcome credibility, output column c; exposure
    index 0 is the reference share 0)."""

    task: int
    set_index: int
    seed: int
    game: FloatArray
    outcomes: FloatArray
    seconds: float
    #: CPU seconds of the task's process
    cpu_seconds: float = float("nan")


@dataclass(frozen=True)
class PreparedRoom:
    """A room-for-manoeuvre study loaded and checked once (shipped to each worker)."""

    study: Study
    scenario: Any  # less the events the game replaces
    sets: tuple[dict[str, float], ...]
    set_info: tuple[ParameterSet, ...]
    seeds: tuple[int, ...]
    exposures: tuple[float, ...]  # the reference 0 first, then the study's (sorted)
    credibilities: tuple[float, ...]
    review_day: int
    days: int
    columns: tuple[OutputColumn, ...]
    calibration: CalibrationInfo
    hegemon: Any  # corredor.bargaining.Hegemon
    transit: Any  # corredor.bargaining.TransitState
    notes: tuple[str, ...] = ()

    @property
    def tasks(self) -> int:
        return len(self.sets) * len(self.seeds)

    def task(self, k: int) -> tuple[int, int]:
        return k // len(self.seeds), self.seeds[k % len(self.seeds)]

    def digest(self) -> str:
        doc = {
            "actors": [repr(self.hegemon), repr(self.transit)],
            "scenario": scenario_digest(self.scenario),
            "sets": [dict(sorted(s.items())) for s in self.sets],
            "weights": [float(s.weight) for s in self.set_info],
            "seeds": list(self.seeds),
            "exposures": list(self.exposures),
            "credibilities": list(self.credibilities),
            "outcome_credibility": self.outcome_credibility,
            "review_day": self.review_day,
            "days": self.days,
            "outputs": [c.name for c in self.columns],
            "version": 1,
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    @property
    def outcome_credibility(self) -> float:
        assert self.study.bargaining is not None
        return float(self.study.bargaining.outcome_credibility)

    def run_replica(
        self, seed: int, *, threads: int | None = None, on_day: Callable[[int], None] | None = None
    ) -> RoomTask:
        set_numba_threads(threads)
        return run_room_task(self, int(seed))


def _controller(prepared: PreparedRoom) -> BargainingController:
    return BargainingController(
        prepared.scenario.bargaining, prepared.hegemon, prepared.transit, mode="endogenous"
    )


def task_to_json(t: RoomTask) -> dict[str, Any]:
    """A room task as plain JSON (exact: floats as written by ``repr``)."""
    return {
        "task": t.task,
        "set_index": t.set_index,
        "seed": t.seed,
        "game": t.game.tolist(),
        "outcomes": t.outcomes.tolist(),
        "seconds": t.seconds,
        "cpu_seconds": t.cpu_seconds,
    }


def task_from_json(d: Mapping[str, Any]) -> RoomTask:
    return RoomTask(
        task=int(d["task"]),
        set_index=int(d["set_index"]),
        seed=int(d["seed"]),
        game=np.array(d["game"], dtype=np.float64),
        outcomes=np.array(d["outcomes"], dtype=np.float64),
        seconds=float(d["seconds"]),
        cpu_seconds=float(d.get("cpu_seconds", float("nan"))),
    )


def _number(x: object) -> float:
    return float(x) if isinstance(x, int | float | np.floating | np.integer) else float("nan")


def run_room_task(prepared: PreparedRoom, k: int) -> RoomTask:
    """Run one task (module docstring)."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    i, seed = prepared.task(k)
    sc, values, days, R = prepared.scenario, prepared.sets[i], prepared.days, prepared.review_day

    def compiled(events: tuple[Any, ...]) -> Any:
        return compile_corridor(sc, values, days=days, extra_events=events)

    c0 = compiled(())
    model = CorridorModel(c0, seed=seed)
    ctl = _controller(prepared)
    adopted: tuple[Any, ...] = ()
    for d in range(R):
        new = tuple(ctl(model, d) or ())
        if new:
            adopted += new
            model.recompile(compiled(adopted))
        model.run_day(d)
    E, K = len(prepared.exposures), len(prepared.credibilities)
    game = np.full((E, K, len(GAME_FIELDS)), np.nan)
    chosen: dict[int, tuple[Any, ...]] = {}
    start = mark(model, R)
    for e, share in enumerate(prepared.exposures):
        for j, cred in enumerate(prepared.credibilities):
            play = copy.deepcopy(ctl, {id(model.c): model.c, id(c0): c0})
            play.transit = play.transit.with_export_share(share)
            play.hegemon = play.hegemon.with_credibility(cred)
            events = tuple(play(model, R) or ())
            row = play.reviews[-1].solution.row()
            game[e, j] = [_number(row[f]) for f in GAME_FIELDS]
            if cred == prepared.outcome_credibility:
                chosen[e] = events
    outcomes = np.full((E, len(prepared.columns)), np.nan)
    names = [c.name for c in prepared.columns]
    for e in range(E):
        m = branch(model, compiled(adopted + chosen[e]))
        for d in range(R, days):
            m.run_day(d)
        got = period_values(prepared.study.outputs, m, start, days - 1)
        outcomes[e] = [got[n] for n in names]
    return RoomTask(
        k, i, seed, game, outcomes, time.perf_counter() - t0, time.process_time() - cpu0
    )


def _history_share(spec: Any) -> set[float]:
    return set() if spec.history_exposure is None else {float(spec.history_exposure)}


def prepare_room(
    study: Study,
    *,
    replicas: int | None = None,
    max_sets: int | None = None,
    hegemon: Any = None,
    transit: Any = None,
) -> PreparedRoom:
    """Load and check a room-for-manoeuvre study (errors name the study file's line). The
    actors default to the data of the episode the scenario's ``bargaining.episode`` names
    (:data:`corredor.bargaining.EPISODES`: ``june-2019`` for ``mexico-us``); their names must be
    the scenario's ``bargaining.hegemon`` and ``bargaining.transit``."""
    check_study(study)
    spec = study.bargaining
    if spec is None:
        raise study_error(study, (), "not a room-for-manoeuvre study: it has no bargaining block")
    changes: dict[str, Any] = {}
    if replicas is not None:
        changes.update(replicas=replicas, runs=None)
    if max_sets is not None:
        changes["max_sets"] = max_sets
    if changes:
        study = study.model_copy(update={"ensemble": study.ensemble.model_copy(update=changes)})
    scenario = scenario_of(study, load_corridor_scenario)
    block = scenario.bargaining
    if block is None:
        raise study_error(
            study,
            ("scenario",),
            f"scenario {scenario.name} has no bargaining: block to play the game on",
        )
    if (hegemon is None or transit is None) and block.episode is None:
        raise study_error(
            study,
            ("scenario",),
            f"the bargaining: block of {scenario.name} names no episode: whose data make the "
            "game's two actors",
            fix="add episode: june-2019 to the block (the 2019 US and Mexico data), or pass the "
            "actors (prepare_room(..., hegemon=..., transit=...))",
        )
    check_against_scenario(study, scenario)
    study = with_unsourced_left_out(study, scenario)
    review = spec.review or block.first_review
    offset = (review - block.first_review).days
    if offset < 0 or offset % block.review_days:
        raise study_error(
            study,
            ("bargaining", "review"),
            f"{review} is not a review day of {scenario.name} (from {block.first_review}, every "
            f"{block.review_days} days)",
        )
    R = (review - scenario.start).days
    days = R + spec.periods * block.review_days
    if scenario.start + dt.timedelta(days=days - 1) > min(scenario.end, data_horizon()):
        raise study_error(
            study, ("bargaining", "periods"), "the periods run past the scenario's end"
        )
    end = scenario.start + dt.timedelta(days=days - 1)
    if (study.period.start, study.period.end) != (review, end):
        raise study_error(
            study,
            ("period",),
            f"the period of a room-for-manoeuvre study is the review's: {review} to {end}",
            fix=f"period: {{start: {review}, end: {end}}}",
        )
    cal, info = calibration_of(study, scenario)
    sets, notes = parameter_sets(study, scenario, cal)
    if not info.installed:
        notes.insert(0, info.note)
    drop = set(block.replaces)
    reduced = scenario.model_copy(
        update={"events": tuple(e for e in scenario.events if e.id not in drop)}
    )
    probe = compile_corridor(reduced, sets[0].as_dict(), days=days)
    ens = study.ensemble
    reps = ens.replicas if ens.runs is None else max(1, -(-ens.runs // len(sets)))
    creds = tuple(sorted(set(spec.credibilities) | {spec.outcome_credibility}))
    return PreparedRoom(
        study=study,
        scenario=reduced,
        sets=tuple(s.as_dict() for s in sets),
        set_info=tuple(sets),
        seeds=tuple(range(ens.seed, ens.seed + reps)),
        exposures=(0.0, *sorted(set(spec.exposures) - {0.0} | _history_share(spec))),
        credibilities=creds,
        review_day=R,
        days=days,
        columns=tuple(columns(study.outputs, probe)),
        calibration=info,
        hegemon=hegemon if hegemon is not None else EPISODES[str(block.episode)].hegemon(),
        transit=transit if transit is not None else EPISODES[str(block.episode)].transit(),
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class RoomResult:
    """A finished room-for-manoeuvre study: ``game[p, r, e, k, f]`` and
    ``outcomes[p, r, e, c]`` (exposure 0 first: the reference)."""

    study: Study
    digest: str
    scenario: str
    calibration: CalibrationInfo
    sets: tuple[ParameterSet, ...]
    seeds: tuple[int, ...]
    exposures: tuple[float, ...]
    credibilities: tuple[float, ...]
    review: dt.date
    days: int
    columns: tuple[OutputColumn, ...]
    game: FloatArray
    outcomes: FloatArray
    seconds: FloatArray
    cpu_seconds: FloatArray
    wall_seconds: float = float("nan")
    notes: tuple[str, ...] = ()
    transit: str = "the transit state"
    hegemon: str = "the hegemon"
    #: whether the scenario has a safe-third-country mechanism (a lever of its bargaining
    #: block); None: not known (the caveat is then said as a condition)
    stc_mechanism: bool | None = None
    #: the number of policies of the game's grid (None: not known)
    grid_size: int | None = None

    @property
    def runs(self) -> int:
        return len(self.sets) * len(self.seeds)

    def weights(self) -> FloatArray:
        return run_weights(self.sets, self.seeds)

    def _bands(self, x: FloatArray) -> dict[str, FloatArray]:
        """x: (runs, n) → per column."""
        q = weighted_quantiles(x, self.weights(), [lv for _, lv in LEVELS])
        return {name: np.asarray(q[i]) for i, (name, _) in enumerate(LEVELS)}

    def game_runs(self, field: str) -> FloatArray:
        """(runs, exposures, credibilities) one game field of every run."""
        P, R, E, K, _ = self.game.shape
        f = GAME_FIELDS.index(field)
        return np.asarray(self.game[:, :, :, :, f].reshape(P * R, E, K), dtype=np.float64)

    def outcome_runs(self, output: str) -> FloatArray:
        """(runs, exposures) one output of every run (exposure 0 first)."""
        P, R, E, _ = self.outcomes.shape
        c = [col.name for col in self.columns].index(output)
        return np.asarray(self.outcomes[:, :, :, c].reshape(P * R, E), dtype=np.float64)

    def band(self, x: FloatArray) -> dict[str, FloatArray]:
        """Median and 90 % band over the runs (axis 0) of ``x``."""
        shape = x.shape[1:]
        b = self._bands(x.reshape(x.shape[0], -1))
        return {k: v.reshape(shape) for k, v in b.items()}

    def game_table(self) -> pd.DataFrame:
        """Per (exposure, credibility) and game field: median and 90 % band over the runs."""
        P, R, E, K, F = self.game.shape
        flat = self.game.reshape(P * R, E * K * F)
        b = self._bands(flat)
        idx = pd.MultiIndex.from_product(
            [self.exposures, self.credibilities, GAME_FIELDS],
            names=["exposure", "credibility", "field"],
        )
        return pd.DataFrame({k: v.reshape(-1) for k, v in b.items()}, index=idx).reset_index()

    def outcome_table(self) -> pd.DataFrame:
        """Per exposure and output: the simulated value (median, band) and the paired
        difference from the reference share 0 (median, band)."""
        P, R, E, C = self.outcomes.shape
        flat = self.outcomes.reshape(P * R, E, C)
        diff = flat - flat[:, :1, :]
        a = self._bands(flat.reshape(P * R, E * C))
        d = self._bands(diff.reshape(P * R, E * C))
        rows = []
        for e, share in enumerate(self.exposures):
            for c, col in enumerate(self.columns):
                j = e * C + c
                rows.append(
                    {
                        "exposure": share,
                        "output": col.name,
                        "label": col.label,
                        "unit": col.unit,
                        **{f"value_{k}": float(v[j]) for k, v in a.items()},
                        **{f"diff_{k}": float(v[j]) for k, v in d.items()},
                    }
                )
        return pd.DataFrame(rows)


def assemble_room(
    prepared: PreparedRoom, tasks: list[RoomTask], *, wall_seconds: float = float("nan")
) -> RoomResult:
    P, R = len(prepared.sets), len(prepared.seeds)
    by = sorted(tasks, key=lambda t: t.task)
    game = np.stack([t.game for t in by]).reshape(P, R, *by[0].game.shape)
    outcomes = np.stack([t.outcomes for t in by]).reshape(P, R, *by[0].outcomes.shape)
    spec = prepared.study.bargaining
    assert spec is not None
    return RoomResult(
        study=prepared.study,
        digest=prepared.digest(),
        scenario=str(prepared.scenario.name),
        calibration=prepared.calibration,
        sets=prepared.set_info,
        seeds=prepared.seeds,
        exposures=prepared.exposures,
        credibilities=prepared.credibilities,
        review=prepared.scenario.start + dt.timedelta(days=prepared.review_day),
        days=prepared.days - prepared.review_day,
        columns=prepared.columns,
        game=game,
        outcomes=outcomes,
        seconds=np.array([t.seconds for t in by]).reshape(P, R),
        cpu_seconds=np.array([t.cpu_seconds for t in by]).reshape(P, R),
        wall_seconds=wall_seconds,
        notes=prepared.notes,
        transit=str(prepared.transit.name),
        hegemon=str(prepared.hegemon.name),
        stc_mechanism="safe_third_country" in prepared.scenario.bargaining.levers,
        grid_size=policy_grid_size(prepared.scenario.bargaining.levers),
    )


def policy_grid_size(levers: Mapping[str, Any]) -> int:
    """The policies of the grid the game solves on (the controller's default grid, with the
    continuous levers the scenario does not map held at 0)."""
    unmapped = [n for n in CONTINUOUS_LEVERS if n not in levers]
    return restricted_grid(PolicyGrid(), unmapped).size


def run_room(
    study: Study | str,
    *,
    replicas: int | None = None,
    max_sets: int | None = None,
    done: Mapping[int, RoomTask] | None = None,
    on_task: Callable[[RoomTask], None] | None = None,
    backend: Backend | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    progress: Progress | None = None,
    hegemon: Any = None,
    transit: Any = None,
) -> RoomResult:
    """Run a room-for-manoeuvre study and return its result (nothing stored)."""
    s = study if isinstance(study, Study) else load_study(study)
    t0 = time.perf_counter()
    prepared = prepare_room(
        s, replicas=replicas, max_sets=max_sets, hegemon=hegemon, transit=transit
    )
    tasks = run_tasks(
        prepared,
        done=done,
        on_task=on_task,
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
    )
    return assemble_room(prepared, tasks, wall_seconds=time.perf_counter() - t0)
