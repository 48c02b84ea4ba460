"""Parameter sets of a corridor ensemble: the scenario defaults, a calibrated fit, or a list.

A :class:`ParameterSet` is a mapping of calibration parameters (names of the scenario's
``calibration:`` block) to values that override the defaults, with a weight (posterior or
plausibility weight; the weights of an ensemble need not sum to one). An empty set runs the
scenario as written.

:func:`calibrated_parameter_sets` reads the calibrated parameter file of a scenario through
``corredor.scenario.corridor.calibrated.load_calibrated`` (the calibration command writes it);
without one it falls back to the scenario's defaults and says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from corredor.errors import ScenarioError
from corredor.scenario.corridor.calibrated import calibrated_parameters, load_calibrated

if TYPE_CHECKING:
    from corredor.scenario.corridor import CorridorScenario


@dataclass(frozen=True)
class ParameterSet:
    """Calibration overrides (name → value), a weight and a label (for tables)."""

    values: Mapping[str, float] = field(default_factory=dict)
    weight: float = 1.0
    label: str = ""

    def as_dict(self) -> dict[str, float]:
        return {str(k): float(v) for k, v in self.values.items()}


DEFAULTS = ParameterSet({}, 1.0, "scenario")
"""The scenario as it runs by default: its defaults, with its calibrated point fit if any."""


def coerce_set(item: object, index: int = 0) -> ParameterSet:
    """A :class:`ParameterSet` from what a calibration may hand over: a ParameterSet, a mapping
    of floats, a mapping with ``parameters``/``values`` and ``weight``, an object with those
    attributes, or a ``(values, weight)`` / ``(weight, values)`` pair."""
    if isinstance(item, ParameterSet):
        return item
    label = f"set {index}"
    if isinstance(item, Mapping):
        inner = item.get("parameters", item.get("values"))
        if isinstance(inner, Mapping):
            return ParameterSet(
                _floats(inner, label),
                float(item.get("weight", 1.0)),
                str(item.get("label", item.get("name", label))),
            )
        return ParameterSet(_floats(item, label), 1.0, label)
    if isinstance(item, tuple | list) and len(item) == 2:
        a, b = item
        if isinstance(a, Mapping):
            return ParameterSet(_floats(a, label), float(b), label)
        if isinstance(b, Mapping):
            return ParameterSet(_floats(b, label), float(a), label)
    inner = getattr(item, "parameters", getattr(item, "values", None))
    if isinstance(inner, Mapping):
        return ParameterSet(
            _floats(inner, label),
            float(getattr(item, "weight", 1.0)),
            str(getattr(item, "label", getattr(item, "name", label)) or label),
        )
    raise TypeError(
        f"parameter set {index} is a {type(item).__name__}; expected a mapping of calibration "
        "parameters to values (or one with 'parameters' and 'weight')"
    )


def _floats(values: Mapping[Any, Any], label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in values.items():
        try:
            out[str(k)] = float(v)
        except (TypeError, ValueError):
            raise TypeError(f"{label}: {k} = {v!r} is not a number") from None
    return out


def check_sets(
    scenario: CorridorScenario, sets: Sequence[ParameterSet], *, origin: str | None = None
) -> None:
    """Every name is a calibration parameter of the scenario, every value finite, every weight
    non-negative with a positive total; else a :class:`ScenarioError` naming the set."""
    known = set(scenario.calibration)
    where = origin or (str(scenario.path) if scenario.path else scenario.name)
    if not sets:
        raise ScenarioError(where, "no parameter sets to run", fix="give at least one set")
    for i, s in enumerate(sets):
        unknown = sorted(set(s.values) - known)
        if unknown:
            raise ScenarioError(
                where,
                f"parameter set {i} ({s.label or 'unnamed'}) names unknown calibration "
                f"parameter(s): {', '.join(unknown)}",
                field="calibration",
                fix="use names declared under calibration: of the scenario",
            )
        bad = [k for k, v in s.values.items() if not math.isfinite(float(v))]
        if bad:
            raise ScenarioError(
                where,
                f"parameter set {i} has non-finite values for {', '.join(sorted(bad))}",
                fix="give finite numbers",
            )
        if not (math.isfinite(s.weight) and s.weight >= 0):
            raise ScenarioError(
                where, f"parameter set {i} has weight {s.weight}", expected="a weight >= 0"
            )
    if sum(s.weight for s in sets) <= 0:
        raise ScenarioError(where, "the parameter sets' weights sum to 0", fix="give weights > 0")


def normalise_sets(
    sets: Iterable[ParameterSet | Mapping[str, float]] | None,
) -> list[ParameterSet]:
    """``None`` → the scenario defaults; anything else → :class:`ParameterSet` objects."""
    if sets is None:
        return [DEFAULTS]
    out: list[ParameterSet] = []
    for i, item in enumerate(sets):
        try:
            out.append(coerce_set(item, i))
        except TypeError as exc:
            raise ScenarioError(None, str(exc)) from None
    return out


def calibrated_parameter_sets(
    scenario: CorridorScenario, *, point_only: bool = False
) -> tuple[list[ParameterSet], str | None]:
    """The calibrated ensemble of ``scenario`` (or its point fit with ``point_only``) and a
    note, or the scenario defaults and a note saying why.

    Reads ``corredor.scenario.corridor.calibrated.load_calibrated(scenario)`` (``calibrated.yaml``
    next to the scenario): each member of its ``ensemble`` is the point fit with the member's
    values on top, with the member's weight.
    """
    calibrated = load_calibrated(scenario)
    if calibrated is None:
        return [ParameterSet({}, 1.0, "scenario defaults")], (
            f"no calibrated parameter file for {scenario.name}: running the scenario's default "
            "parameters (run `corredor calibrate` first for a fitted ensemble)"
        )
    point = ParameterSet(
        _floats(dict(calibrated.parameters), "point fit"),
        1.0,
        f"point fit (calibrated v{getattr(calibrated, 'version', '?')})",
    )
    members = list(getattr(calibrated, "ensemble", None) or [])
    if point_only or not members:
        note = None if point_only else "the calibrated file has no ensemble: using its point fit"
        return [point], note
    out = []
    for i, m in enumerate(members):
        s = coerce_set(m, i)
        out.append(ParameterSet({**point.values, **s.values}, s.weight, f"member {i}"))
    return out, None


def thin_sets(sets: Sequence[ParameterSet], n: int, seed: int = 0) -> list[ParameterSet]:
    """At most ``n`` sets drawn by systematic resampling on the weights (deterministic for a
    seed); a set drawn k times keeps weight k. Fewer sets than ``n``: unchanged. ``n < 1``
    raises a :class:`ScenarioError`."""
    if n < 1:
        raise ScenarioError(
            None, f"the number of parameter sets must be at least 1, got {n}", fix="give n >= 1"
        )
    if len(sets) <= n:
        return list(sets)
    w = np.array([s.weight for s in sets], dtype=np.float64)
    cum = np.cumsum(w / w.sum())
    u = (np.random.default_rng(seed).random() + np.arange(n)) / n
    picks = np.minimum(np.searchsorted(cum, u, side="right"), len(sets) - 1)
    counts = np.bincount(picks, minlength=len(sets))
    return [
        ParameterSet(sets[int(i)].values, float(counts[i]), sets[int(i)].label or f"set {i}")
        for i in np.flatnonzero(counts)
    ]


def resolve_sets(
    scenario: CorridorScenario, sets: Sequence[ParameterSet]
) -> list[dict[str, float]]:
    """Every set as a complete calibration (scenario defaults < calibrated point fit < the
    set's values), so a worker never reads ``calibrated.yaml`` from its own disk: the values a
    run uses travel with the task."""
    base = dict(scenario.calibration_defaults())
    base.update(calibrated_parameters(scenario))
    return [{**base, **s.as_dict()} for s in sets]


__all__ = [
    "DEFAULTS",
    "ParameterSet",
    "calibrated_parameter_sets",
    "check_sets",
    "coerce_set",
    "normalise_sets",
    "resolve_sets",
    "thin_sets",
]
