"""Run a study, every variant × parameter set × seed, with common random numbers.

A *task* is one (parameter set, seed) pair. It runs the baseline variant and, from the first
day each other variant's policies differ (:mod:`corredor.simulation.branching`), a copy of the
baseline's state with the variant's arrays; it returns one number per variant and output column
(:class:`StudyTask`). Tasks are independent and deterministic, so they run on any backend of
:mod:`corredor.ensemble` (serial, processes, Dask) with the same result, and a study killed
half-way resumes from the tasks it finished (``done``): the numbers are those of an
uninterrupted run.

>>> from corredor.studies import load_study, run_study
>>> result = run_study(load_study("containment-2019"), replicas=2)     # doctest: +SKIP
>>> result.differences()                                                # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from corredor.ensemble.backends import set_numba_threads
from corredor.ensemble.parameter_sets import ParameterSet
from corredor.ensemble.runner import Backend, choose_backend, execute
from corredor.errors import ScenarioError
from corredor.files.read import read_bytes
from corredor.forecasting.forecast import thin_sets
from corredor.rules.corridor.compiled import compile_corridor
from corredor.scenario.corridor import load_corridor_scenario
from corredor.scenario.corridor.calibrated import load_calibrated, read_calibrated
from corredor.scenario.corridor.horizon import DATA_HORIZON
from corredor.simulation.branching import branch, first_difference
from corredor.simulation.corridor import CorridorModel
from corredor.studies.checks import (
    check_against_scenario,
    events_file,
    events_of,
    with_unsourced_left_out,
)
from corredor.studies.outputs import OutputColumn, columns, mark, period_values
from corredor.studies.provenance import study_digest
from corredor.studies.schema import Study, check_study, study_error

__all__ = [
    "CalibrationInfo",
    "PreparedStudy",
    "StudyTask",
    "VariantInputs",
    "calibration_file_label",
    "calibration_of",
    "data_horizon",
    "parameter_sets",
    "prepare_study",
    "run_tasks",
    "run_weights",
    "scenario_of",
]

FloatArray = npt.NDArray[np.float64]
#: ``on_task(task)``: called in the calling process as each task's result arrives.
OnTask = Callable[["StudyTask"], None]
#: ``progress(done, total, what)`` as in :mod:`corredor.app`.
Progress = Callable[[float, float, str], None]


@dataclass(frozen=True)
class VariantInputs:
    """A variant resolved against the scenario: what its runs are made of."""

    name: str
    label: str
    scenario: Any  # CorridorScenario less the events left out
    overrides: dict[str, float]
    extra_events: tuple[Any, ...]
    events_files: tuple[tuple[str, str], ...]  # (file, sha256)


@dataclass(frozen=True)
class CalibrationInfo:
    """Which calibration a study used (every report prints it)."""

    name: str  # shipped | none | file
    file: str | None
    sha256: str | None
    version: int | None
    installed: bool
    note: str
    #: the file ships inside the corredor package (``file`` is then package-relative)
    packaged: bool = False

    def file_text(self, spanish: bool = False) -> str:
        """The file as a report names it: ``corredor/…/calibrated.yaml, shipped with
        Corredor`` or the path the study gave."""
        if not self.packaged:
            return str(self.file)
        return f"{self.file}, " + ("incluida en Corredor" if spanish else "shipped with Corredor")

    def describe(self) -> str:
        if self.version is not None:
            return f"calibration version {self.version} ({self.file_text()})"
        return self.note


#: the folder that holds the ``corredor`` package: a calibration file inside it ships with the
#: package and is named relative to it (``corredor/data/…``), never by where it is installed
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]


def calibration_file_label(path: Path, given: str | None = None) -> tuple[str, bool]:
    """How a report names a calibration file, and whether it ships with the package: a file
    inside the installed ``corredor`` package is named relative to it
    (``corredor/data/…/calibrated.yaml``: no absolute path of this machine leaks into a
    committed report); any other keeps ``given`` (the path as the study file gives it), or
    ``path`` as it is."""
    try:
        rel = path.resolve().relative_to(_PACKAGE_PARENT)
    except ValueError:
        rel = None
    if rel is not None and rel.parts[:1] == ("corredor",):
        return rel.as_posix(), True
    return (given if given is not None else str(path)), False


@dataclass(frozen=True)
class StudyTask:
    """One (parameter set, seed) of a study: ``values[v, c]`` for variant v, column c."""

    task: int
    set_index: int
    seed: int
    values: FloatArray
    branch_days: tuple[int, ...]
    seconds: float
    agents: int = 0
    #: CPU seconds of the task's process (what a quiet core would take)
    cpu_seconds: float = float("nan")


@dataclass(frozen=True)
class PreparedStudy:
    """A study loaded and checked once, shipped once to each worker. Task ``k`` is parameter
    set ``k // R`` with seed ``seeds[k % R]``."""

    study: Study
    variants: tuple[VariantInputs, ...]
    base: int
    sets: tuple[dict[str, float], ...]  # complete calibrations
    set_info: tuple[ParameterSet, ...]
    seeds: tuple[int, ...]
    days: int
    start_day: int
    columns: tuple[OutputColumn, ...]
    calibration: CalibrationInfo
    people_per_agent: int = 1
    notes: tuple[str, ...] = ()
    branching: bool = True
    #: calibration parameters of status ``lever`` (read by policy events only)
    levers: frozenset[str] = frozenset()

    @property
    def tasks(self) -> int:
        return len(self.sets) * len(self.seeds)

    def task(self, k: int) -> tuple[int, int]:
        return k // len(self.seeds), self.seeds[k % len(self.seeds)]

    def digest(self) -> str:
        """What the numbers depend on: the study file's content, the scenario, the sets,
        the seeds, the variants' inputs; equal digests give equal tasks."""
        return study_digest(self)

    def compile(self, v: int, set_index: int) -> Any:
        vi = self.variants[v]
        values = {**self.sets[set_index], **vi.overrides}
        return compile_corridor(vi.scenario, values, days=self.days, extra_events=vi.extra_events)

    def run_replica(
        self,
        seed: int,
        *,
        threads: int | None = None,
        on_day: Callable[[int], None] | None = None,
    ) -> StudyTask:
        """Run task number ``seed`` (the backends key tasks by an integer)."""
        set_numba_threads(threads)
        return run_task(self, int(seed), on_day=on_day)


def run_task(
    prepared: PreparedStudy, k: int, *, on_day: Callable[[int], None] | None = None
) -> StudyTask:
    """Run one task: the baseline as the trunk, each variant from its first different day."""
    t0, c0 = time.perf_counter(), time.process_time()
    i, seed = prepared.task(k)
    V, days, s_day = len(prepared.variants), prepared.days, prepared.start_day
    compiled = [prepared.compile(v, i) for v in range(V)]
    base = prepared.base
    first = [days if v == base else 0 for v in range(V)]
    if prepared.branching:
        levers = prepared.levers
        first = [
            days if v == base else first_difference(compiled[base], c, levers=levers)
            for v, c in enumerate(compiled)
        ]
    outputs = prepared.study.outputs
    names = [c.name for c in prepared.columns]
    values = np.full((V, len(names)), np.nan)
    Model = CorridorModel
    model = Model(compiled[base], seed=seed)
    base_mark = None
    ticks = 0

    def tick() -> None:
        nonlocal ticks
        ticks += 1
        if on_day is not None:
            on_day(ticks)

    def finish(m: Any, start_mark: Any) -> FloatArray:
        got = period_values(outputs, m, start_mark, days - 1)
        return np.array([got[n] for n in names], dtype=np.float64)

    def run_branch(v: int, d0: int) -> None:
        m = branch(model, compiled[v]) if d0 > 0 else Model(compiled[v], seed=seed)
        start_mark = base_mark if d0 > s_day else None
        for d in range(d0, days):
            if d == s_day:
                start_mark = mark(m, d)
            m.run_day(d)
            tick()
        values[v] = finish(m, start_mark)

    order = sorted((first[v], v) for v in range(V) if v != base and first[v] < days)
    pos = 0
    for d in range(days):
        while pos < len(order) and order[pos][0] == d:
            run_branch(order[pos][1], d)
            pos += 1
        if d == s_day:
            base_mark = mark(model, d)
        model.run_day(d)
        tick()
    values[base] = finish(model, base_mark)
    for v in range(V):
        if v != base and first[v] >= days:
            values[v] = values[base]  # the same arrays: the same run
    return StudyTask(
        task=k,
        set_index=i,
        seed=seed,
        values=values,
        branch_days=tuple(int(x) for x in first),
        seconds=time.perf_counter() - t0,
        agents=int(model.agents.n),
        cpu_seconds=time.process_time() - c0,
    )


# ------------------------------------------------------------------------------ preparing
def calibration_of(study: Study, scenario: Any) -> tuple[Any, CalibrationInfo]:
    name = study.calibration
    if name == "none":
        return None, CalibrationInfo(
            "none", None, None, None, False, "no calibration: the scenario's hand-set defaults"
        )
    if name == "shipped":
        cal = load_calibrated(scenario)
        if cal is None:
            return None, CalibrationInfo(
                "shipped",
                None,
                None,
                None,
                False,
                f"no calibration installed for {scenario.name}: the scenario's hand-set "
                "defaults (uncalibrated)",
            )
        return cal, _info("shipped", cal)
    path = events_file(study, scenario, name)
    if path.is_dir():
        path = path / "calibrated.yaml"
    if not path.is_file():
        raise study_error(
            study,
            ("calibration",),
            f"calibration {name!r}: not 'shipped', 'none' nor a calibrated.yaml file",
            fix="give shipped, none, or the path of a calibrated.yaml (relative to the study)",
        )
    cal = read_calibrated(path, scenario)
    return cal, _info("file", cal, given=name)


def _info(name: str, cal: Any, given: str | None = None) -> CalibrationInfo:
    file, packaged = (None, False)
    if cal.path is not None:
        file, packaged = calibration_file_label(Path(cal.path), given)
    digest = _sha256(cal.path) if cal.path is not None else None
    return CalibrationInfo(
        name, file, digest, int(cal.version), True, f"calibration version {cal.version}", packaged
    )


def parameter_sets(study: Study, scenario: Any, cal: Any) -> tuple[list[ParameterSet], list[str]]:
    spec = study.ensemble
    notes: list[str] = []
    defaults = scenario.calibration_defaults()
    if spec.sets == "uncalibrated" or cal is None:
        if cal is None and spec.sets != "uncalibrated":
            notes.append(
                f"ensemble sets {spec.sets!r} asked for but no calibration is used: one "
                "parameter set, the hand-set defaults; the bands show the seeds' noise only"
            )
        sets = [ParameterSet(dict(defaults), 1.0, "hand-set defaults")]
    elif spec.sets == "point" or not cal.ensemble:
        if spec.sets != "point":
            notes.append("the calibration has no plausible sets: its point fit only")
        sets = [ParameterSet({**defaults, **cal.parameters}, 1.0, f"point fit v{cal.version}")]
    else:
        sets = [
            ParameterSet({**defaults, **cal.member(j)}, m.weight, f"member {j}")
            for j, m in enumerate(cal.ensemble)
        ]
    if spec.max_sets is not None:
        sets = thin_sets(sets, spec.max_sets, spec.seed)
    return sets, notes


def _sha256(path: Any) -> str:
    return hashlib.sha256(read_bytes(path, what="file of the study's provenance")).hexdigest()


def prepare_study(
    study: Study,
    *,
    replicas: int | None = None,
    max_sets: int | None = None,
    seed: int | None = None,
    people_per_agent: int | None = None,
    branching: bool = True,
) -> PreparedStudy:
    """Load the scenario, resolve the calibration, the sets and each variant, and check
    everything against the scenario before anything runs (errors name the study file's line).
    ``replicas``, ``max_sets``, ``seed`` and ``people_per_agent`` override the study's
    ``ensemble`` block."""
    check_study(study)
    if study.bargaining is not None:
        raise study_error(
            study,
            ("bargaining",),
            "a room-for-manoeuvre study runs with corredor.studies.room.run_room",
        )
    replicas_override = replicas
    asked = {
        "replicas": replicas,
        "max_sets": max_sets,
        "seed": seed,
        "people_per_agent": people_per_agent,
    }
    changes = {name: value for name, value in asked.items() if value is not None}
    if changes:
        study = study.model_copy(update={"ensemble": study.ensemble.model_copy(update=changes)})
    scenario = scenario_of(study, load_corridor_scenario)
    if study.ensemble.people_per_agent is not None:
        scenario = scenario.model_copy(update={"people_per_agent": study.ensemble.people_per_agent})
    check_against_scenario(study, scenario)
    study = with_unsourced_left_out(study, scenario)
    _check_period(study, scenario)
    cal, info = calibration_of(study, scenario)
    sets, notes = parameter_sets(study, scenario, cal)
    if not info.installed:
        notes.insert(0, info.note)
    variants = []
    for v in study.variants:
        drop = set(v.without_events)
        sc = scenario.model_copy(
            update={"events": tuple(e for e in scenario.events if e.id not in drop)}
        )
        extra: list[Any] = []
        files = []
        for f in v.events:
            extra.extend(events_of(study, scenario, f))
            p = events_file(study, scenario, f)
            files.append((str(f), _sha256(p)))
        variants.append(VariantInputs(v.name, v.label, sc, dict(v.set), tuple(extra), tuple(files)))
    base = [v.name for v in study.variants].index(study.base_variant.name)
    days = (study.period.end - scenario.start).days + 1
    start_day = (study.period.start - scenario.start).days
    probe = compile_corridor(scenario, sets[0].as_dict(), days=days)
    spec = study.ensemble
    replicas = spec.replicas
    if spec.runs is not None and replicas_override is None:
        replicas = max(1, -(-spec.runs // len(sets)))
    return PreparedStudy(
        study=study,
        variants=tuple(variants),
        base=base,
        sets=tuple(s.as_dict() for s in sets),
        set_info=tuple(sets),
        seeds=tuple(range(spec.seed, spec.seed + replicas)),
        days=days,
        start_day=start_day,
        columns=tuple(columns(study.outputs, probe)),
        calibration=info,
        people_per_agent=int(scenario.people_per_agent),
        notes=tuple(notes),
        branching=branching,
        levers=frozenset(n for n, p in scenario.calibration.items() if p.status == "lever"),
    )


def scenario_of(study: Study, load: Callable[[Any], Any]) -> Any:
    ref = study.scenario
    local = study.folder / ref
    try:
        return load(local if (local.exists() and not Path(ref).is_absolute()) else ref)
    except ScenarioError as exc:
        if exc.file is not None and str(ref) in str(exc.file) and "no such" in exc.message:
            raise study_error(
                study, ("scenario",), f"scenario {ref!r}: {exc.message}", fix=exc.fix
            ) from None
        raise


def data_horizon() -> dt.date:
    """The last day of data any study may simulate (2021-09-30)."""
    value: Any = DATA_HORIZON
    day: dt.date = value.date() if hasattr(value, "date") else value
    return day


def _check_period(study: Study, scenario: Any) -> None:
    p = study.period
    if p.start <= scenario.start:
        raise study_error(
            study,
            ("period", "start"),
            f"period starts on {p.start}, not after the scenario's start {scenario.start}",
            fix="start the period later (the first months of a run are a spin-up)",
        )
    horizon = min(scenario.end, data_horizon())
    if p.end > horizon:
        raise study_error(
            study,
            ("period", "end"),
            f"period ends on {p.end}, after {horizon} (the scenario's end and the data "
            "horizon: nothing after it is simulated in a study)",
            expected=f"an end on or before {horizon}",
        )


# ------------------------------------------------------------------------------ running
class _Task(Protocol):
    @property
    def task(self) -> int: ...


TaskT = TypeVar("TaskT", bound=_Task)


def run_tasks(
    prepared: Any,
    *,
    done: Mapping[int, TaskT] | None = None,
    on_task: Callable[[TaskT], None] | None = None,
    backend: Backend | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    threads: int | None = None,
    progress: Progress | None = None,
) -> list[TaskT]:
    """Every task's result, in task order: those in ``done`` are kept, the others run (each
    handed to ``on_task`` as it arrives, e.g. to store it). ``prepared`` is a
    :class:`PreparedStudy` or a :class:`~corredor.studies.room.PreparedRoom` (anything with
    ``tasks`` and ``run_replica``)."""
    have = dict(done or {})
    todo = [k for k in range(prepared.tasks) if k not in have]
    total = float(prepared.tasks)
    if progress is not None:
        progress(float(len(have)), total, "runs")
    if todo:
        chosen, n = choose_backend(backend, workers, scheduler, threads, len(todo))

        def on_result(_: int, out: TaskT) -> None:
            have[out.task] = out
            if on_task is not None:
                on_task(out)
            if progress is not None:
                progress(float(len(have)), total, "runs")

        # in this process, a task also reports its simulated days (a fraction of a task, below
        # one): the bar moves within a task, and a caller that stops at a progress report (the
        # web's cancel) stops within a day, not after a whole task of every variant
        ticks = getattr(prepared, "days", 0) * len(getattr(prepared, "variants", ())) or None

        def on_day(_: int, t: int) -> None:
            if progress is not None and ticks is not None:
                progress(float(len(have)) + min(t / ticks, 0.99), total, "runs")

        execute(
            prepared,
            todo,
            backend=chosen,
            workers=n,
            scheduler=scheduler,
            threads=threads,
            connect_timeout=None,
            on_result=on_result,
            on_day=on_day if progress is not None else None,
        )
    return [have[k] for k in range(prepared.tasks)]


def run_weights(sets: Sequence[ParameterSet], seeds: Sequence[int]) -> FloatArray:
    """(P·R,) weight of each run: its set's weight / R, normalised to sum to one."""
    w = np.repeat([float(s.weight) for s in sets], len(seeds)).astype(np.float64)
    return np.asarray(w / w.sum(), dtype=np.float64)


def task_to_json(t: StudyTask) -> dict[str, Any]:
    """A task as plain JSON (exact: floats written by ``repr``)."""
    return {
        "task": t.task,
        "set_index": t.set_index,
        "seed": t.seed,
        "values": [[float(x) for x in row] for row in t.values],
        "branch_days": list(t.branch_days),
        "seconds": t.seconds,
        "agents": t.agents,
        "cpu_seconds": t.cpu_seconds,
    }


def task_from_json(d: Mapping[str, Any]) -> StudyTask:
    return StudyTask(
        task=int(d["task"]),
        set_index=int(d["set_index"]),
        seed=int(d["seed"]),
        values=np.array(d["values"], dtype=np.float64),
        branch_days=tuple(int(x) for x in d["branch_days"]),
        seconds=float(d["seconds"]),
        agents=int(d.get("agents", 0)),
        cpu_seconds=float(d.get("cpu_seconds", float("nan"))),
    )


def dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, allow_nan=True)
