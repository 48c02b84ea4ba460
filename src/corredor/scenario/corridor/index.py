"""Every numeric parameter of a scenario, with its YAML path and its dotted name.

The dotted name is how policy events address a parameter (``corredor.policy``'s
``changes[].parameter``): list items are named by their ``name`` field, mapping entries by
their key, so ``services[3].capacity`` in the YAML is ``services.comar_tapachula.capacity``, and
``enforcement.zones[0].effort`` is ``enforcement.mx_southern.effort``.
Calibration parameters are ``calibration.<name>`` (changing one changes all its uses). Rows of
CSV tables (links) have no dotted names: vary them through the calibration parameters they use.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from corredor.scenario.corridor.model import CorridorScenario, Table
from corredor.scenario.corridor.params import Param
from corredor.scenario.corridor.yaml_lines import PathKey


@dataclass(frozen=True)
class ParamSite:
    """Where a parameter sits: YAML path, dotted name, and the nearest enclosing source."""

    path: PathKey
    dotted: str
    param: Param
    covering_source: str | None


def _field_key(model: BaseModel, name: str) -> str:
    info = type(model).model_fields[name]
    return info.alias or name


def iter_params(scenario: CorridorScenario) -> Iterator[ParamSite]:
    """All parameters written in the YAML (not the CSV tables), in document order."""
    yield from _walk(scenario, (), (), None)


def _walk(
    node: Any, path: PathKey, dotted: tuple[str, ...], source: str | None
) -> Iterator[ParamSite]:
    if isinstance(node, Param):
        yield ParamSite(path, _dotted_name(dotted), node, source)
    elif isinstance(node, Table):
        return
    elif isinstance(node, BaseModel):
        own = getattr(node, "source", None)
        cover = own if isinstance(own, str) and own.strip() else source
        for name, info in type(node).model_fields.items():
            if info.exclude:
                continue
            key = _field_key(node, name)
            yield from _walk(getattr(node, name), (*path, key), (*dotted, key), cover)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, str(key)), (*dotted, str(key)), source)
    elif isinstance(node, tuple | list):
        for i, item in enumerate(node):
            label = getattr(item, "name", None)
            step = str(label) if isinstance(label, str) else str(i)
            yield from _walk(item, (*path, i), (*dotted, step), source)


def _dotted_name(parts: tuple[str, ...]) -> str:
    """Zones are addressed ``enforcement.<zone>.effort`` (without the ``zones`` level)."""
    if parts[:2] == ("enforcement", "zones"):
        parts = ("enforcement", *parts[2:])
    return ".".join(parts)


def parameter_index(scenario: CorridorScenario) -> dict[str, Param]:
    """Dotted name → parameter, for every YAML parameter and every calibration parameter (a new
    dict each call: callers may change it)."""
    hit = _INDEXES.get(id(scenario))
    if hit is not None and hit[0]() is scenario:
        return dict(hit[1])
    index = {site.dotted: site.param for site in iter_params(scenario)}
    for name, cal in scenario.calibration.items():
        index[f"calibration.{name}"] = Param(value=cal.default, low=cal.range[0], high=cal.range[1])
    key = id(scenario)
    _INDEXES[key] = (weakref.ref(scenario, lambda _: _INDEXES.pop(key, None)), index)
    return dict(index)


#: :func:`parameter_index` of the scenarios alive (a run asks for it several times: checks,
#: compile, policy values; the walk over the model is ~0.1 s for mexico-us). A scenario is a
#: frozen model; an entry goes with its scenario.
_INDEXES: dict[int, tuple[weakref.ref[CorridorScenario], dict[str, Param]]] = {}


def resolve_table(table: dict[str, Param], calibration: dict[str, float]) -> dict[str, float]:
    """Probabilities of an outcome or share table with refs resolved and ``rest`` filled in."""
    fixed = {k: p.default(calibration) for k, p in table.items() if not p.rest}
    total = sum(v for v in fixed.values() if v is not None)
    return {
        k: (max(0.0, 1.0 - total) if p.rest else float(fixed[k] or 0.0)) for k, p in table.items()
    }


def parameter_values(
    scenario: CorridorScenario, calibration: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Dotted name → value with the calibration defaults (or ``calibration`` overriding some of
    them); ``rest`` filled in from its table.

    These are the base parameters a policy timeline changes (``corredor.policy``).
    """
    calibration = {**scenario.calibration_defaults(), **(calibration or {})}
    index = parameter_index(scenario)
    for name, value in calibration.items():
        index[f"calibration.{name}"] = Param(value=float(value))
    tables: dict[str, dict[str, Param]] = {}
    for name, p in index.items():
        parent, _, key = _table_key(name)
        tables.setdefault(parent, {})[key] = p
    # origin shares form one table per nationality (``share: rest`` on one of its origins)
    for o in scenario.origins:
        if o.share is not None:
            tables[f"origins.share.{o.nationality}"] = {
                x.name: x.share
                for x in scenario.origins
                if x.nationality == o.nationality and x.share is not None
            }
    values: dict[str, float] = {}
    for name, p in index.items():
        if p.rest:
            parent, _, key = _table_key(name)
            if parent.startswith("origins.") and key == "share":
                nat = next(
                    o.nationality for o in scenario.origins if name == f"origins.{o.name}.share"
                )
                parent, key = f"origins.share.{nat}", name.split(".")[1]
            values[name] = resolve_table(tables[parent], calibration)[key]
        else:
            found = p.default(calibration) if p.ref is None or p.ref in calibration else None
            if found is not None:
                values[name] = found
    return values


def _table_key(dotted: str) -> tuple[str, str, str]:
    """``...outcomes.default.deport.p`` → (``...outcomes.default``, ``.``, ``deport``)."""
    parts = dotted.split(".")
    if parts[-1] == "p" and len(parts) >= 2:
        return ".".join(parts[:-2]), ".", parts[-2]
    return ".".join(parts[:-1]), ".", parts[-1]
