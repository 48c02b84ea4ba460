"""A corridor run (:class:`~corredor.results.corridor.CorridorResult`) as a stored record, and back.

What is stored:

* tidy tables for people and programs: ``monthly`` (month, observable, value), ``ledger``
  (year, entry, value), ``observed_vs_simulated``, ``fit``, ``people_vs_events`` (per US fiscal
  year), ``stranded`` (date, border city, people), ``events`` (month, kind, target, group,
  events);
* every result array of the run exactly (tables ``array_<name>``: the flattened values, with
  the shape and dtype in the metadata), so that loading gives back the same ``CorridorResult``;
* what the run's compiled arrays were made from: the calibration values (all of them), the
  days, the ids of the scenario's policy events in force (after any were removed) and the events
  added (counterfactuals, forecast paths, events a bargaining controller adopted), as JSON;
* a **snapshot of the scenario's files** (the YAML and every file it references, by relative
  path), kept once per content in ``<store>/.scenarios/<digest>/``: a stored run can be
  reloaded and reported even after the scenario's files change.

:func:`from_record` reloads the scenario from the snapshot, compiles it with the stored
calibration, days and events (a second or so) and returns the ``CorridorResult`` with the stored
arrays: every method (``ledger()``, ``fit_table()``…) and the HTML report give what they gave
when the run was made.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from corredor.errors import RunError
from corredor.files.atomic import FolderExistsError, discard, new_folder
from corredor.files.read import read_bytes
from corredor.policy.events import PolicyEvent
from corredor.results.corridor import CorridorResult
from corredor.results.provenance import Provenance, files_sha256
from corredor.results.record import Record
from corredor.rules.corridor.compiled import compile_corridor
from corredor.scenario.corridor import load_corridor_scenario
from corredor.store.snapshots import SNAPSHOTS

if TYPE_CHECKING:
    from corredor.scenario.corridor import CorridorScenario

KIND = "corridor"
_ARRAY_PREFIX = "array_"
#: Fields of a CorridorResult that are not stored as such (rebuilt on loading).
_REBUILT = frozenset({"compiled", "adopted_events"})


# ------------------------------------------------------------------------------ scenario files
def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def scenario_files(scenario: CorridorScenario) -> tuple[Path, list[Path], bool]:
    """The scenario's folder, the files it reads (its YAML and every file a field of it names
    by a path relative to the folder) and whether all of them lie inside the folder."""
    base, files, inside, _ = _scenario_content(scenario)
    return base, list(files), inside


def scenario_sha256(scenario: CorridorScenario) -> str:
    """SHA-256 of the scenario's content: its YAML and every file it references."""
    return _scenario_content(scenario)[3]


#: :func:`_scenario_content` kept per (YAML path, the document's strings, a stamp of every
#: file under the scenario's folder): the most recently used last
_CONTENT: OrderedDict[tuple[Any, ...], tuple[Path, tuple[Path, ...], bool, str]] = OrderedDict()
_CONTENT_MAX = 16
_CONTENT_LOCK = threading.Lock()
#: a folder with more files than this is not stamped (its scenario's digest is not kept)
_STAMP_MAX_FILES = 2000


def _folder_stamp(folder: Path) -> tuple[tuple[str, int, int], ...] | None:
    """(relative path, modification time in ns, size) of every file under ``folder``; None
    when there are too many, or a folder under it is a link (its files are not looked at)."""
    out: list[tuple[str, int, int]] = []
    for top, dirs, names in os.walk(folder):
        if any(os.path.islink(os.path.join(top, d)) for d in dirs):
            return None
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(top, name)
            try:
                st = os.stat(path)
            except OSError:
                return None
            out.append((os.path.relpath(path, folder), st.st_mtime_ns, st.st_size))
            if len(out) > _STAMP_MAX_FILES:
                return None
    return tuple(out)


def _contained(text: str) -> bool:
    """Whether ``text``, read as a path relative to the scenario's folder, can only name
    something under it (not absolute, no ``..``): a file it names later is then seen by the
    folder's stamp."""
    return not os.path.isabs(text) and ".." not in text.replace("\\", "/").split("/")


def _scenario_content(scenario: CorridorScenario) -> tuple[Path, tuple[Path, ...], bool, str]:
    """(folder, files read, all inside the folder, SHA-256 of their content): a web worker
    asks for it several times per run, so it is kept while the scenario's document and every
    file under its folder (path, modification time, size) stay the same; a scenario whose
    strings may name files outside its folder is looked at afresh every time."""
    if scenario.path is None:
        raise RunError(f"scenario {scenario.name!r} was not read from files: nothing to store")
    yaml_path = Path(scenario.path).resolve()
    base = yaml_path.parent
    stamp = _folder_stamp(base)
    key = (str(yaml_path), scenario.model_dump_json(by_alias=True), stamp)
    if stamp is not None:
        with _CONTENT_LOCK:
            hit = _CONTENT.get(key)
            if hit is not None:
                _CONTENT.move_to_end(key)
                return hit
    document = scenario.model_dump(mode="json", by_alias=True)
    texts = sorted({t for t in _strings(document) if t and len(t) <= 400 and "\n" not in t})
    found = {yaml_path}
    inside = True
    for text in texts:
        candidate = base / text
        try:
            if not candidate.is_file():
                continue
            resolved = candidate.resolve()
        except OSError:
            continue
        if base not in resolved.parents:
            inside = False
        found.add(resolved)
    files = tuple(sorted(found))
    root = base if inside else Path(*Path(base).parts[:1])
    out = (base, files, inside, files_sha256(root, files))
    keep = inside and all(_contained(t) for t in texts)
    if stamp is not None and keep and stamp == _folder_stamp(base):  # unchanged meanwhile
        with _CONTENT_LOCK:
            _CONTENT[key] = out
            while len(_CONTENT) > _CONTENT_MAX:
                _CONTENT.popitem(last=False)
    return out


def write_snapshot(store_root: Path, scenario: CorridorScenario) -> tuple[str, bool]:
    """Keep a copy of the scenario's files under ``store_root/.scenarios/<digest>/`` (once per
    content). Returns the digest and whether a snapshot exists (False: the scenario reads
    files outside its folder; the run is then reloaded from where the scenario is)."""
    base, files, inside, digest = _scenario_content(scenario)
    if not inside:
        return digest, False
    target = store_root / SNAPSHOTS / digest[:24]
    if (target / ".complete").is_file():
        return digest, True
    # a folder without the marker (written before snapshots were atomic): written again; the
    # marker is checked again first, as another process may have just renamed its complete copy
    if target.exists() and not (target / ".complete").is_file():
        discard(target)
    try:
        with new_folder(target) as tmp:
            for f in files:
                dst = tmp / f.relative_to(base)
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.write_bytes(read_bytes(f, root=base))
            (tmp / ".complete").write_text(digest + "\n", encoding="utf-8")
    except FolderExistsError:
        pass  # another process wrote the same content first
    return digest, True


def _snapshot_scenario(store_root: Path, meta: dict[str, Any]) -> Path:
    digest = str(meta["scenario_sha256"])
    if meta.get("snapshot"):
        path = store_root / SNAPSHOTS / digest[:24] / str(meta["scenario_file"])
        if path.is_file():
            return path
    original = Path(str(meta.get("scenario_yaml", "")))
    if not original.is_file():
        raise RunError(
            f"the scenario of this run is gone ({original}) and the store keeps no copy of it: "
            "its tables can still be read (corredor.app.load_tables), not the full run"
        )
    return original


# ------------------------------------------------------------------------------ tidy tables
def tidy_tables(result: CorridorResult) -> dict[str, pd.DataFrame]:
    """The run's tidy tables (module docstring)."""
    monthly = result.monthly()
    monthly.index.name = "month"
    ledger = result.ledger()
    stranded = result.border_city_stranded()
    stranded.index.name = "date"
    pve = result.people_vs_events()
    pve.index.name = "fiscal_year"
    ovs = result.observed_vs_simulated()
    return {
        "monthly": monthly.reset_index().melt(
            id_vars="month", var_name="observable", value_name="value"
        ),
        "ledger": ledger.reset_index().melt(id_vars="year", var_name="entry", value_name="value"),
        "observed_vs_simulated": ovs,
        "fit": result.fit_table(ovs),
        "people_vs_events": pve.reset_index(),
        "stranded": stranded.reset_index().melt(
            id_vars="date", var_name="border_city", value_name="people"
        ),
        "events": result.events_frame(),
        **geography(result.compiled.scenario, result.compiled.calibration),
    }


def geography(scenario: CorridorScenario, calibration: dict[str, float]) -> dict[str, pd.DataFrame]:
    """The scenario's places and route legs (for maps): ``locations`` (name, kind, country,
    lat, lon) and ``links`` (from, to, km with the run's calibration, mode, directed)."""
    locations = pd.DataFrame(
        [
            {"name": x.name, "kind": x.kind, "country": x.country, "lat": x.lat, "lon": x.lon}
            for x in scenario.locations.rows
        ],
        columns=["name", "kind", "country", "lat", "lon"],
    )
    links = pd.DataFrame(
        [
            {
                "from": x.from_,
                "to": x.to,
                "km": x.km.default(calibration),
                "mode": x.mode,
                "directed": bool(x.directed),
            }
            for x in scenario.links.rows
        ],
        columns=["from", "to", "km", "mode", "directed"],
    )
    return {"locations": locations, "links": links}


# ----------------------------------------------------------------------------------- record
def to_record(
    result: CorridorResult,
    provenance: Provenance | None = None,
    *,
    snapshot: tuple[str, bool] | None = None,
) -> Record:
    """The record of a corridor run; ``snapshot``: what :func:`write_snapshot` returned."""
    c = result.compiled
    scenario = c.scenario
    digest, has_snapshot = snapshot if snapshot is not None else (scenario_sha256(scenario), False)
    own_ids = [e.id for e in scenario.events]
    own = set(own_ids)
    timeline_events = c.timeline.events if c.timeline is not None else ()
    added = [e.model_dump(mode="json") for e in timeline_events if e.id not in own]
    tables = tidy_tables(result)
    arrays: dict[str, dict[str, Any]] = {}
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(result):
        if f.name in _REBUILT:
            continue
        value = getattr(result, f.name)
        if isinstance(value, np.ndarray):
            arrays[f.name] = {"shape": list(value.shape), "dtype": str(value.dtype)}
            tables[_ARRAY_PREFIX + f.name] = pd.DataFrame({"value": value.reshape(-1)})
        else:
            fields[f.name] = value
    assert scenario.path is not None
    yaml_path = Path(scenario.path).resolve()
    summary = {
        "agents": int(result.agents),
        "agent_days": int(result.agent_days),
        "seconds": float(result.seconds),
        "agent_steps": int(result.agent_days),
        "start": c.start.isoformat(),
        "rows": {label: value for label, value in result.summary_rows()},
    }
    return Record(
        kind=KIND,
        scenario=result.scenario,
        scenario_path=str(yaml_path),
        seeds=(int(result.seed),),
        replicas=1,
        days=int(result.days),
        summary=summary,
        meta={
            "scenario_sha256": digest,
            "snapshot": has_snapshot,
            "scenario_file": yaml_path.name,
            "scenario_yaml": str(yaml_path),
            "arrays": arrays,
            "fields": fields,
            "scenario_events": own_ids,
            "people_per_agent": int(scenario.people_per_agent),
            "adopted_events": [e.id for e in result.adopted_events],
        },
        tables=tables,
        documents={"calibration": dict(c.calibration), "added_events": added},
        provenance=provenance,
    )


def from_record(record: Record, store_root: Path) -> CorridorResult:
    """Rebuild the stored ``CorridorResult`` (module docstring)."""
    meta = record.meta
    scenario = load_corridor_scenario(_snapshot_scenario(store_root, meta))
    if scenario_sha256(scenario) != meta["scenario_sha256"]:
        raise RunError(
            f"{scenario.path}: the scenario's files changed since run {record.run_id} was made "
            "(and the store keeps no copy of them): its tables can still be read, not the run"
        )
    keep = list(meta.get("scenario_events", []))
    by_id = {e.id: e for e in scenario.events}
    update: dict[str, Any] = {"events": tuple(by_id[i] for i in keep)}
    if "people_per_agent" in meta:
        update["people_per_agent"] = int(meta["people_per_agent"])
    scenario = scenario.model_copy(update=update)
    added = tuple(PolicyEvent.model_validate(e) for e in record.documents.get("added_events", []))
    calibration = {str(k): float(v) for k, v in record.documents["calibration"].items()}
    compiled = compile_corridor(scenario, calibration, days=record.days, extra_events=added)
    values: dict[str, Any] = dict(meta.get("fields", {}))
    for name, spec in meta.get("arrays", {}).items():
        flat = record.table(_ARRAY_PREFIX + name)["value"].to_numpy()
        values[name] = flat.astype(spec["dtype"], copy=False).reshape(spec["shape"])
    adopted_ids = set(meta.get("adopted_events", []))
    values["adopted_events"] = tuple(e for e in added if e.id in adopted_ids)
    names = {f.name for f in dataclasses.fields(CorridorResult)}
    return CorridorResult(compiled=compiled, **{k: v for k, v in values.items() if k in names})
