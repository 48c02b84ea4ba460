"""What a corridor run is made of, resolved once: the scenario (less the events left out), the
calibration and every parameter value, the levers set, and the policy events added.

:func:`corridor_inputs` turns the options every corridor use case shares (``calibration``,
``set``, ``without_events``, ``events``) into :class:`CorridorInputs`, checking each one against
the scenario before anything runs, and records what it used for the provenance.

Calibration names:

* ``shipped`` — the scenario's own ``calibrated.yaml`` (the scenario's hand-set defaults when it
  has none, with a note);
* ``none`` — the hand-set defaults;
* a path — a ``calibrated.yaml`` file, or a folder holding one (a calibration study's folder);
* a run id (or a unique prefix of one) of a calibration stored in the results store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corredor.app.common import request_json
from corredor.app.requests import RequestError
from corredor.errors import CorredorError, ScenarioError
from corredor.files.read import excerpt
from corredor.policy.events import ParameterChange, PolicyEvent
from corredor.results.provenance import CalibrationUsed, EventsFile, Provenance, sha256_file
from corredor.rules.corridor.compiled import compile_corridor
from corredor.scenario.corridor import (
    CorridorScenario,
    load_corridor_scenario,
    load_scenario_events,
)
from corredor.scenario.corridor.builtin import resolve_corridor_scenario
from corredor.scenario.corridor.calibrated import (
    CALIBRATED_FILE,
    NONE,
    SHIPPED,
)
from corredor.scenario.corridor.calibrated import resolve_calibration as scenario_calibration
from corredor.simulation.branching import first_difference
from corredor.store.corridor import scenario_sha256

if TYPE_CHECKING:
    from corredor.app.requests import Request
    from corredor.scenario.corridor.calibrated import Calibrated
    from corredor.store import ResultsStore

__all__ = [
    "CALIBRATED_FILE",
    "NONE",
    "SHIPPED",
    "AddedEvent",
    "CorridorInputs",
    "added_events",
    "corridor_inputs",
    "corridor_provenance",
    "inputs_of",
    "resolve_calibration",
]


@dataclass
class CorridorInputs:
    """The resolved inputs of a corridor run (module docstring)."""

    scenario: CorridorScenario
    calibration: dict[str, float]
    used: CalibrationUsed
    calibrated: Calibrated | None
    overrides: dict[str, float]
    extra_events: tuple[PolicyEvent, ...] = ()
    events_added: list[EventsFile] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def values(self, base: Mapping[str, float] | None = None) -> dict[str, float]:
        """Every calibration value: the defaults, then ``base`` (default: the calibration's
        point fit), then the levers set."""
        defaults = self.scenario.calibration_defaults()
        fit = dict(self.calibrated.parameters) if self.calibrated is not None else {}
        return {**defaults, **(fit if base is None else dict(base)), **self.overrides}


def resolve_calibration(
    scenario: CorridorScenario, name: str, store: ResultsStore | None = None
) -> tuple[Calibrated | None, CalibrationUsed, list[str]]:
    """The calibrated file a name stands for (module docstring), what to record of it, notes:
    :func:`corredor.scenario.corridor.resolve_calibration` (the one resolver) for ``shipped``,
    ``none`` and files or folders; a calibration stored in ``store``, by its run id, here."""
    run_id = None
    source: str | Path = name
    if name not in (SHIPPED, NONE) and not Path(name).exists():
        if store is not None:
            with contextlib.suppress(CorredorError):
                run_id = store.resolve(name, kind="calibration")
        if run_id is None:
            raise RequestError(
                f"calibration {excerpt(name)}: not 'shipped', 'none', a calibrated.yaml file or "
                "folder, "
                "nor a calibration stored in the results store (corredor runs --kind calibration)"
            )
        assert store is not None
        source = store.path(run_id) / CALIBRATED_FILE
    resolved = scenario_calibration(scenario, source)
    file = None if resolved.path is None else str(resolved.path)
    if run_id is not None:
        used = CalibrationUsed(name="run", run_id=run_id, file=file, sha256=resolved.sha256)
    elif name in (SHIPPED, NONE):
        used = CalibrationUsed(name=name, file=file, sha256=resolved.sha256)
    else:
        used = CalibrationUsed(name="file", file=file, sha256=resolved.sha256)
    return resolved.calibrated, used, [resolved.note] if resolved.note else []


def check_levers(scenario: CorridorScenario, values: Mapping[str, float]) -> dict[str, float]:
    """``--set NAME=VALUE``: every name a declared parameter, every value inside its range."""
    out: dict[str, float] = {}
    for name, value in values.items():
        declared = scenario.calibration.get(name)
        if declared is None:
            close = difflib.get_close_matches(name, list(scenario.calibration), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise RequestError(
                f"--set {excerpt(name)}: {scenario.name} declares no lever or parameter of "
                "that name; "
                f"{hint}see corredor scenario levers {scenario.name}"
            )
        low, high = declared.range
        unit = f" {declared.unit}" if declared.unit else ""
        if not low <= float(value) <= high:
            raise RequestError(
                f"--set {name}={value:g}: outside its range [{low:g}, {high:g}]{unit} "
                f"(historical value {declared.default:g}{unit})"
            )
        out[name] = float(value)
    return out


def _without(scenario: CorridorScenario, ids: Sequence[str]) -> CorridorScenario:
    known = [e.id for e in scenario.events]
    for event_id in ids:
        if event_id not in known:
            close = difflib.get_close_matches(event_id, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise RequestError(
                f"--without-event {excerpt(event_id)}: {scenario.name} has no policy event "
                "of that id; "
                f"{hint}see corredor scenario events {scenario.name}"
            )
    if not ids:
        return scenario
    drop = set(ids)
    return scenario.model_copy(
        update={"events": tuple(e for e in scenario.events if e.id not in drop)}
    )


def _events_file(scenario: CorridorScenario, file: str) -> Path:
    path = Path(file)
    if not path.is_file() and not path.is_absolute() and (scenario.base_dir / path).is_file():
        path = scenario.base_dir / path
    return path


#: The folder of a corridor scenario that holds its own counterfactual policy events (one YAML
#: file per counterfactual; ``corredor scenario events`` lists them, ``--event ID`` adds them).
COUNTERFACTUALS = "counterfactuals"
_EVENT_FILE_SUFFIXES = (".yaml", ".yml", ".csv")


@dataclass(frozen=True)
class AddedEvent:
    """A policy event that the scenario ships for adding to a run (a counterfactual): its
    counterfactual's name (the file's stem), the file and the event."""

    counterfactual: str
    file: Path
    event: PolicyEvent


def added_events(scenario: CorridorScenario) -> dict[str, AddedEvent]:
    """The policy events a scenario ships for adding to a run, by event id: those of
    ``counterfactuals/*.yaml`` in its folder (each checked against the scenario), in file and
    file order. Kept while the scenario (its whole document) and every file under its folder
    (path, modification time, size) stay the same: a web worker asks on every request."""
    folder = scenario.base_dir / COUNTERFACTUALS
    stamp = _folder_stamp(scenario.base_dir)
    key = f"{scenario.base_dir}\n{scenario.model_dump_json()}"
    with _LOADED_LOCK:
        hit = _ADDED.get(key)
        if stamp is not None and hit is not None and hit[0] == stamp:
            _ADDED.move_to_end(key)
            return dict(hit[1])
    out: dict[str, AddedEvent] = {}
    if not folder.is_dir():
        return out
    for file in sorted(folder.glob("*.yaml")):
        for event in load_scenario_events(scenario, file):
            if event.id in out or any(e.id == event.id for e in scenario.events):
                raise ScenarioError(
                    str(file), f"policy event id {event.id!r} is used twice", fix="rename one"
                )
            out[event.id] = AddedEvent(file.stem, file, event)
    if stamp is not None and stamp == _folder_stamp(scenario.base_dir):  # unchanged meanwhile
        with _LOADED_LOCK:
            _ADDED[key] = (stamp, dict(out))
            while len(_ADDED) > _ADDED_MAX:
                _ADDED.popitem(last=False)
    return out


#: :func:`added_events` kept per (folder, scenario document), with the folder's stamp
_ADDED: OrderedDict[str, tuple[tuple[tuple[str, int, int], ...], dict[str, AddedEvent]]] = (
    OrderedDict()
)
_ADDED_MAX = 8


def _is_file_ref(scenario: CorridorScenario, entry: str) -> bool:
    """Whether an ``--event`` entry names a file (else an event id or a counterfactual)."""
    return (
        _events_file(scenario, entry).exists()
        or "/" in entry
        or "\\" in entry
        or entry.lower().endswith(_EVENT_FILE_SUFFIXES)
    )


def _by_id(
    scenario: CorridorScenario, entry: str, shipped: dict[str, AddedEvent], flag: str
) -> list[AddedEvent]:
    """The shipped events an ``--event`` entry names: one event id, or every event of one
    counterfactual (its name)."""
    if entry in shipped:
        return [shipped[entry]]
    named = [a for a in shipped.values() if a.counterfactual == entry]
    if named:
        return named
    choices = sorted({*shipped, *(a.counterfactual for a in shipped.values())})
    history = {e.id for e in scenario.events}
    if entry in history:
        why = (
            f"{excerpt(entry)} is one of its own policy events already (leave it out with "
            "--without-event)"
        )
    else:
        close = difflib.get_close_matches(entry, choices, n=1)
        why = (f"did you mean {close[0]!r}? " if close else "") + (
            f"it ships {', '.join(choices)}" if choices else "it ships no counterfactual events"
        )
    raise RequestError(
        f"{flag} {excerpt(entry)}: not a policy events file, nor an event id or "
        "counterfactual of "
        f"{scenario.name}; {why} (see corredor scenario events {scenario.name})"
    )


def load_events(
    scenario: CorridorScenario, entries: Sequence[str], *, flag: str = "--event"
) -> tuple[tuple[PolicyEvent, ...], list[EventsFile]]:
    """The policy events to add (checked against the scenario) and what to record. Each entry
    is a YAML/CSV file of policy events (a path, or relative to the scenario's folder), the id
    of an event the scenario ships in ``counterfactuals/`` (:func:`added_events`), or the name
    of one of those counterfactuals (all its events, e.g. ``integration``)."""
    events: list[Any] = []
    record: list[EventsFile] = []
    shipped: dict[str, AddedEvent] | None = None
    for entry in entries:
        if _is_file_ref(scenario, entry):
            loaded = load_scenario_events(scenario, entry)
            path = _events_file(scenario, entry)
            events.extend(loaded)
            record.append(
                EventsFile(file=str(path), sha256=sha256_file(path), ids=[e.id for e in loaded])
            )
            continue
        if shipped is None:
            shipped = added_events(scenario)
        found = _by_id(scenario, entry, shipped, flag)
        events.extend(a.event for a in found)
        record.append(
            EventsFile(
                file=str(found[0].file),
                sha256=sha256_file(found[0].file),
                ids=[a.event.id for a in found],
            )
        )
    ids = [e.id for e in events]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise RequestError(f"{flag}: policy event(s) {', '.join(twice)} added twice")
    return tuple(events), record


def inputs_of(request: Any, store: ResultsStore | None = None) -> CorridorInputs:
    """The inputs of a request that has the corridor options (``calibration``, ``set``,
    ``without_events``, ``events``, ``set_from``; those it lacks take their defaults)."""
    inputs = corridor_inputs(
        request.scenario,
        calibration=getattr(request, "calibration", SHIPPED),
        set=getattr(request, "set", None),
        without_events=getattr(request, "without_events", ()),
        events=getattr(request, "events", ()),
        store=store,
    )
    since = getattr(request, "set_from", None)
    return inputs if since is None else levers_from(inputs, since)


#: lever names found read only through their daily values, per scenario content and calibration
_DAILY_ONLY: dict[tuple[str, str, tuple[str, ...]], bool] = {}


def levers_from(inputs: CorridorInputs, since: str) -> CorridorInputs:
    """``inputs`` with its levers (``set``) taking effect on ``since`` (YYYY-MM-DD) instead of
    the first day: the calibration's values, and one policy event that sets each lever's
    ``calibration.<name>`` from that date. Refused (:class:`RequestError`) for a date outside
    the scenario's period, and for a lever the model also reads as a constant (a value without
    daily values, e.g. a link's speed in ``links.csv``): an event cannot change that use, so the
    run would not be what the request says."""
    sc = inputs.scenario
    try:
        start = dt.date.fromisoformat(since)
    except ValueError:
        raise RequestError(f"--set-from {excerpt(since)}: not a date (YYYY-MM-DD)") from None
    if not sc.start <= start <= sc.end:
        raise RequestError(
            f"--set-from {since}: outside {sc.name}'s period {sc.start.isoformat()} – "
            f"{sc.end.isoformat()}"
        )
    if not inputs.overrides:
        raise RequestError("--set-from goes with --set: there is no lever to set from a date")
    names = tuple(sorted(inputs.overrides))
    fit = dict(inputs.calibrated.parameters) if inputs.calibrated is not None else {}
    now = {**sc.calibration_defaults(), **fit}  # the calibration's values, no lever set
    key = (scenario_sha256(sc), str(sc.people_per_agent), names)
    if key not in _DAILY_ONLY:
        # a lever read only through its daily values changes no value that is not daily
        # (compared whole: first_difference from the last day on); probed with each lever at
        # the end of its range farther from its value, over the first 30 days
        probe = dict(now)
        for n in names:
            lo, hi = sc.calibration[n].range
            probe[n] = hi if abs(hi - now[n]) >= abs(lo - now[n]) else lo
        a = compile_corridor(sc, now, days=30)
        b = compile_corridor(sc, probe, days=30)
        _DAILY_ONLY[key] = first_difference(a, b, since=a.days) == a.days
    if not _DAILY_ONLY[key]:
        raise RequestError(
            f"--set-from {since}: {', '.join(names)} "
            f"{'is' if len(names) == 1 else 'are'} also read as a constant (not only through "
            "daily values), which a dated change cannot reach; set it from the start (no "
            "--set-from), or set it alone to find which"
        )
    touched = sorted(
        {n for e in (*sc.events, *inputs.extra_events) for n in names
         if f"calibration.{n}" in e.parameters}
    )  # fmt: skip
    if touched:  # a set from the date would replace their changes, not add to them
        raise RequestError(
            f"--set-from {since}: a policy event of the run also changes {', '.join(touched)}; "
            "set it from the start (no --set-from)"
        )
    event = PolicyEvent(
        id="levers-from-" + start.isoformat(),
        name=f"levers set from {start.isoformat()}: "
        + ", ".join(f"{n}={inputs.overrides[n]:g}" for n in names),
        country="all",
        policy_area="border_land_control",
        tool="lever",
        target_group="all",
        origin=("all",),
        direction=0,
        magnitude="minor",
        start=start,
        source="the request (--set with --set-from)",
        changes=tuple(
            ParameterChange(parameter=f"calibration.{n}", op="set", value=inputs.overrides[n])
            for n in names
        ),
    )
    dated = CorridorInputs(
        scenario=sc,
        calibration={},
        used=inputs.used,
        calibrated=inputs.calibrated,
        overrides=dict(inputs.overrides),
        extra_events=(*inputs.extra_events, event),
        events_added=list(inputs.events_added),
        removed=list(inputs.removed),
        notes=[*inputs.notes, f"levers set from {start.isoformat()} (before: the calibration's)"],
    )
    dated.calibration = now
    return dated


#: Loaded scenarios kept by :func:`load_scenario` (the most recently used last).
_LOADED: OrderedDict[str, tuple[tuple[tuple[str, int, int], ...], CorridorScenario]] = OrderedDict()
_LOADED_LOCK = threading.Lock()
_LOADED_MAX = 4
_STAMP_MAX_FILES = 2000


def _folder_stamp(folder: Path) -> tuple[tuple[str, int, int], ...] | None:
    """(relative path, mtime_ns, size) of every file under ``folder``; None if there are too
    many to look at cheaply."""
    out: list[tuple[str, int, int]] = []
    for top, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(top, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            out.append((os.path.relpath(path, folder), st.st_mtime_ns, st.st_size))
            if len(out) > _STAMP_MAX_FILES:
                return None
    return tuple(out)


def load_scenario(ref: str) -> CorridorScenario:
    """The corridor scenario ``ref`` names (:func:`load_corridor_scenario`), kept in memory
    while no file under its folder changes (path, modification time and size of each): a
    long-lived process (a web worker, a study) loads a scenario once. The scenario is shared:
    change it only through ``model_copy``."""
    path = resolve_corridor_scenario(ref).resolve()
    stamp = _folder_stamp(path.parent)
    key = f"{path}\n{ref}"  # the scenario keeps the path as given
    with _LOADED_LOCK:
        hit = _LOADED.get(key)
        if stamp is not None and hit is not None and hit[0] == stamp:
            _LOADED.move_to_end(key)
            return hit[1]
    scenario = load_corridor_scenario(ref)
    if stamp is not None and stamp == _folder_stamp(path.parent):  # unchanged while loading
        with _LOADED_LOCK:
            _LOADED[key] = (stamp, scenario)
            _LOADED.move_to_end(key)
            while len(_LOADED) > _LOADED_MAX:
                _LOADED.popitem(last=False)
    return scenario


def corridor_inputs(
    scenario: str | CorridorScenario,
    *,
    calibration: str = SHIPPED,
    set: Mapping[str, float] | None = None,
    without_events: Sequence[str] = (),
    events: Sequence[str] = (),
    store: ResultsStore | None = None,
) -> CorridorInputs:
    """Resolve and check the inputs of a corridor run (module docstring)."""
    sc = scenario if isinstance(scenario, CorridorScenario) else load_scenario(scenario)
    if sc.path is None:
        raise ScenarioError(None, f"scenario {sc.name!r} was not read from a file")
    overrides = check_levers(sc, set or {})
    cal, used, notes = resolve_calibration(sc, calibration, store)
    reduced = _without(sc, list(without_events))
    extra, added = load_events(reduced, list(events))
    inputs = CorridorInputs(
        scenario=reduced,
        calibration={},
        used=used,
        calibrated=cal,
        overrides=overrides,
        extra_events=extra,
        events_added=added,
        removed=list(without_events),
        notes=notes,
    )
    inputs.calibration = inputs.values()
    return inputs


def corridor_provenance(
    kind: str,
    inputs: CorridorInputs,
    *,
    seeds: list[int],
    days: int | None,
    request: Request | None = None,
    command: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> Provenance:
    """The provenance of a corridor result made from ``inputs``."""
    sc = inputs.scenario
    provenance = Provenance(
        kind=kind,
        scenario=sc.name,
        scenario_path=str(sc.path),
        scenario_sha256=scenario_sha256(sc),
        parameters=dict(inputs.calibration if parameters is None else parameters),
        overrides=dict(inputs.overrides),
        calibration=inputs.used,
        events_added=list(inputs.events_added),
        events_removed=list(inputs.removed),
        seeds=seeds,
        days=days,
        request=None if request is None else request_json(request),
        command=command,
    )
    provenance.inputs_sha256 = provenance.digest()
    return provenance
