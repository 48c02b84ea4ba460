"""The built-in scenarios and studies as the web shows them (JSON-ready dicts).

A scenario is loaded once per process by name (or, for a stored result run from a user's
scenario file, by that file's absolute path: never a path from a request). The scenario, study
and calibration machinery is imported on first use ("first use" below), not when the service
starts (the service preloads it in a background thread).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from corredor.errors import CorredorError
from corredor.web.errors import NotFoundError


@functools.lru_cache(maxsize=1)
def _builtin() -> frozenset[str]:
    from corredor.scenario.corridor import builtin_corridor_scenarios  # noqa: PLC0415 - first use

    return frozenset(builtin_corridor_scenarios())


@functools.lru_cache(maxsize=16)
def _scenario(ref: str) -> Any:
    """A built-in corridor scenario by name, or — for a result stored from a scenario file of
    the user's (``scenario_ref`` of its catalogue row) — that file by its absolute path. A
    request's scenario name never holds a ``/``, so it never reaches a file."""
    from corredor.scenario.corridor import load_corridor_scenario  # noqa: PLC0415 - first use

    if ref in _builtin() or (ref.startswith("/") and Path(ref).is_file()):
        return load_corridor_scenario(ref)
    raise NotFoundError(f"no corridor scenario {ref!r} (GET /api/scenarios lists them)")


def scenario_ref(name: str, path: str | None) -> str:
    """What :func:`_scenario` loads a stored result's scenario by: its built-in name, else the
    absolute path of the file it was run from (when that file is still there)."""
    if name in _builtin() or not path or not path.startswith("/"):
        return name
    return path if Path(path).is_file() else name


def load_scenario(name: str) -> Any:
    """A built-in corridor scenario, loaded once per process (404 for another name)."""
    return _scenario(name)


def list_scenarios() -> list[dict[str, Any]]:
    from corredor.app.scenarios import builtin_scenarios  # noqa: PLC0415 - first use

    out = []
    for s in builtin_scenarios():
        if s.kind == "corridor":
            sc = _scenario(s.name)
            out.append(
                {
                    "name": s.name,
                    "kind": "corridor",
                    "description": sc.description,
                    "start": sc.start.isoformat(),
                    "end": sc.end.isoformat(),
                    "days": (sc.end - sc.start).days + 1,
                    # its bargaining: block names an episode, whose data are the game's actors
                    "bargaining": sc.bargaining is not None and sc.bargaining.episode is not None,
                    "actors": actors(sc),
                }
            )
        else:
            out.append(
                {"name": s.name, "kind": s.kind, "description": s.description,
                 "start": None, "end": None, "bargaining": False, "actors": None}
            )  # fmt: skip
    return out


def actors(sc: Any) -> dict[str, str] | None:
    """The two states of a scenario's ``bargaining:`` block (the page names them), or None."""
    b = sc.bargaining
    return None if b is None else {"hegemon": str(b.hegemon), "transit": str(b.transit)}


def bargaining_scenarios() -> tuple[str, ...]:
    """The built-in scenarios that ship the threat game's actors (a ``bargaining:`` block naming
    an episode), in name order: the web's bargaining sweep is offered for these."""
    return tuple(sorted(s["name"] for s in list_scenarios() if s.get("bargaining")))


def _event_dict(e: Any, counterfactual: str | None = None) -> dict[str, Any]:
    return {
        "id": str(e.id),
        "name": str(e.name),
        "start": e.start.isoformat(),
        "end": e.end.isoformat() if getattr(e, "end", None) else None,
        "country": str(getattr(e, "country", "") or ""),
        "policy_area": str(getattr(e, "policy_area", "") or ""),
        "magnitude": str(getattr(e, "magnitude", "") or ""),
        "source": str(getattr(e, "source", "") or ""),
        "notes": str(getattr(e, "notes", "") or ""),
        "origin": "history" if counterfactual is None else "counterfactual",
        "counterfactual": counterfactual,
        "levers": sorted(
            {
                str(c.value)[1:]
                for c in getattr(e, "changes", ())
                if isinstance(c.value, str) and c.value.startswith("$")
            }
        ),
    }


@functools.lru_cache(maxsize=8)
def counterfactuals(name: str) -> tuple[tuple[str, Any], ...]:
    """(counterfactual, event) of the events the scenario ships for adding to a run
    (:func:`corredor.app.inputs.added_events`: ``counterfactuals/NAME.yaml``), in file order."""
    from corredor.app.inputs import added_events  # noqa: PLC0415 - first use

    return tuple((a.counterfactual, a.event) for a in added_events(_scenario(name)).values())


def scenario_events(name: str) -> list[dict[str, Any]]:
    """The scenario's policy events in date order (``origin: history``), then those it ships
    for adding to a run (``origin: counterfactual``, ``counterfactual``: the name of the
    counterfactual they belong to), as ``corredor scenario events NAME`` lists them."""
    return list(_scenario_events(name))


@functools.lru_cache(maxsize=8)
def _scenario_events(name: str) -> tuple[dict[str, Any], ...]:
    sc = _scenario(name)
    history = [_event_dict(e) for e in sc.events]
    extra = [_event_dict(e, cf) for cf, e in counterfactuals(name)]
    return tuple(sorted(history, key=lambda e: e["start"]) + extra)


def scenario_levers(name: str) -> list[dict[str, Any]]:
    """Every named parameter the user may set (``corredor scenario levers NAME --all``): levers
    first, then the calibrated or hand-set parameters, each with meaning, unit, range,
    historical value and source."""
    from corredor.app.scenarios import levers  # noqa: PLC0415 - first use

    sc = _scenario(name)
    table = levers(name, everything=True)
    out = []
    for row in table.to_dict(orient="records"):
        p = sc.calibration[row["name"]]
        out.append(
            {
                "name": str(row["name"]),
                "group": str(row["group"]),
                "status": p.status,
                "description": str(row["meaning"] or ""),
                "unit": str(row["unit"] or ""),
                "range": [float(row["low"]), float(row["high"])],
                "default": float(p.default),
                "value": float(row["historical"]),
                "source": str(p.source or ""),
            }
        )
    out.sort(key=lambda d: (d["status"] != "lever", d["name"]))
    return out


def scenario_detail(name: str) -> dict[str, Any]:
    sc = _scenario(name)
    return {
        "name": sc.name,
        "description": sc.description,
        "start": sc.start.isoformat(),
        "end": sc.end.isoformat(),
        "days": (sc.end - sc.start).days + 1,
        "calibration_horizon": (
            sc.calibration_horizon.isoformat() if sc.calibration_horizon else None
        ),
        "people_per_agent": sc.people_per_agent,
        "actors": actors(sc),
        "policy_paths": list(policy_paths(name)),
        "calibrated_sets": calibrated_sets(name),
        "counterfactuals": sorted({cf for cf, _ in counterfactuals(name)}),
        "observables": [
            {
                "name": o.name,
                "description": o.description,
                "unit": o.unit,
                "frequency": o.frequency,
                "fit": o.fit,
                "note": o.note,
                "data_file": o.data.file if o.data is not None else None,
            }
            for o in sc.observables
        ],
    }


def validate_scenario(name: str) -> dict[str, Any]:
    from corredor.app.scenarios import describe  # noqa: PLC0415 - first use

    _scenario(name)
    summary = describe(name)
    return {
        "ok": True,
        "name": summary.name,
        "summary": summary.line,
        "warnings": list(summary.warnings),
        "observables": len(_scenario(name).observables),
    }


def scenario_days(name: str) -> int:
    sc = _scenario(name)
    return int((sc.end - sc.start).days + 1)


def policy_paths(name: str) -> dict[str, str]:
    """The policy paths shipped with a scenario (``policy_path_*.yaml`` in its folder): name ->
    file. A forecast on one of them is conditional on it."""
    sc = _scenario(name)
    return {f.stem: str(f) for f in sorted(sc.base_dir.glob("policy_path_*.yaml"))}


def calibrated_sets(name: str) -> int:
    """How many plausible parameter sets the scenario's shipped calibration has (1: a point
    fit only)."""
    from corredor.scenario.corridor.calibrated import load_calibrated  # noqa: PLC0415 - first use

    cal = load_calibrated(_scenario(name))
    return max(len(cal.ensemble), 1) if cal is not None and cal.ensemble else 1


@functools.lru_cache(maxsize=8)
def scenario_observables(name: str) -> dict[str, dict[str, Any]]:
    return {o["name"]: o for o in scenario_detail(name)["observables"]}


def data_sources(name: str, files: Iterable[str]) -> dict[str, list[str]]:
    """The distinct ``source`` values of each observed data file (what a chart cites)."""
    return _data_sources(name, tuple(sorted(files)))


@functools.lru_cache(maxsize=16)
def _data_sources(name: str, files: tuple[str, ...]) -> dict[str, list[str]]:
    # the one reader
    from corredor.scenario.corridor.tables import read_csv_records  # noqa: PLC0415 - first use

    sc = _scenario(name)
    out: dict[str, list[str]] = {}
    for f in files:
        # inside the scenario folder, a regular file, capped, UTF-8 with or without a BOM
        header, records = read_csv_records(sc.base_dir / f, f, root=sc.base_dir)
        if "source" not in header:
            out[f] = []
            continue
        col = header.index("source")
        seen = dict.fromkeys(fields[col].strip() for _, fields in records if col < len(fields))
        out[f] = [s for s in seen if s]
    return out


@functools.lru_cache(maxsize=1)
def _studies() -> tuple[dict[str, Any], ...]:
    from corredor.app import list_studies  # noqa: PLC0415 - first use

    return tuple(
        {**{str(k): v for k, v in r.items() if k != "file"},
         "title_es": _study_file(str(r["file"])).title_es or r["title"]}
        for r in list_studies().to_dict(orient="records")
    )  # fmt: skip


def studies() -> dict[str, dict[str, Any]]:
    """The built-in studies by name: ``study``, ``kind`` (counterfactual or room),
    ``scenario``, ``title``, ``title_es``."""
    return {str(r["study"]): dict(r) for r in _studies()}


@functools.lru_cache(maxsize=16)
def _study_file(ref: str) -> Any:
    from corredor.studies import load_study  # noqa: PLC0415 - first use

    return load_study(ref)


def study_labels(prov: dict[str, Any]) -> dict[str, Any]:
    """A stored study's title, variants and outputs in English and Spanish (``{"en", "es"}``
    each, None where the study file has none; an output also with its ``measure`` and ``obs``,
    its observable), read from its study file: a built-in one by name, else the file it was
    run from (an absolute path in its catalogued request) while it is still there. Empty when
    the file is gone."""
    request = prov.get("request") or {}
    ref = str(request.get("study") or prov.get("label") or "")
    if ref not in studies() and not (ref.startswith("/") and Path(ref).is_file()):
        return {}
    try:
        s = _study_file(ref)
    except CorredorError:
        return {}

    return {
        "title": {"en": s.title, "es": s.title_es},
        "variants": {v.name: {"en": v.label, "es": v.label_es} for v in s.variants},
        # an output without labels is named by its measure (the page's table translates it)
        "outputs": {
            o.name: {"en": o.label, "es": o.label_es, "measure": o.measure, "obs": o.observable}
            for o in s.outputs
        },
    }
