"""The transit state's policy vector, the grid the solver searches, and the link to the
policy timeline (:mod:`corredor.policy`): a lever is a scenario parameter, rescaled to [0, 1].
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import numpy.typing as npt

from corredor.bargaining.calibration import default
from corredor.errors import ScenarioError
from corredor.policy import ParameterChange, PolicyTimeline
from corredor.scenario.corridor.bargaining import LEVER_NAMES

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: The levers, in the column order of policy arrays: named once, by the scenario schema's
#: ``LeverName`` (a scenario's ``bargaining:`` block maps each to its parameters).
LEVERS: tuple[str, ...] = LEVER_NAMES
#: The levers that take any value in [0, 1] (the last one is yes/no).
CONTINUOUS_LEVERS: tuple[str, ...] = LEVERS[:6]
ENFORCEMENT_LEVERS: tuple[str, ...] = LEVERS[:3]
N_LEVERS = len(LEVERS)
STC = LEVERS.index("safe_third_country")


@dataclass(frozen=True)
class TransitPolicy:
    """One policy of the transit state. Every lever is in [0, 1]:

    * ``enforcement_*``: deployed personnel as a share of the full deployment of that region
      (south and north: the June 2019 Guardia Nacional deployments);
    * ``humanitarian_visas``: issuance as a share of the maximum (``visa_share_max`` of entrants);
    * ``asylum_capacity``: decisions per day, 0 = the 2013-19 COMAR level, 1 = the 2021 level;
    * ``mpp_acceptance``: share of the hegemon's MPP returns the transit state accepts;
    * ``safe_third_country``: whether a safe-third-country agreement is signed.
    """

    enforcement_south: float = 0.0
    enforcement_transit: float = 0.0
    enforcement_north: float = 0.0
    humanitarian_visas: float = 0.0
    asylum_capacity: float = 0.0
    mpp_acceptance: float = 0.0
    safe_third_country: bool = False

    def __post_init__(self) -> None:
        for name in CONTINUOUS_LEVERS:
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and 0 <= value <= 1):
                raise ScenarioError(
                    None, f"policy lever {name} = {value!r}", field=name, expected="0 to 1"
                )

    def to_array(self) -> FloatArray:
        """The levers as a float array in :data:`LEVERS` order (the STC as 0.0 or 1.0)."""
        return np.array([float(getattr(self, n)) for n in LEVERS], dtype=np.float64)

    @classmethod
    def from_array(cls, values: Sequence[float] | FloatArray) -> TransitPolicy:
        """The policy of a row of a policy array (values clipped to [0, 1], STC at 0.5)."""
        arr = np.asarray(values, dtype=np.float64)
        if arr.shape != (N_LEVERS,):
            raise ValueError(f"a policy has {N_LEVERS} levers, got shape {arr.shape}")
        clipped = np.clip(arr, 0.0, 1.0)
        kwargs = {n: float(clipped[i]) for i, n in enumerate(CONTINUOUS_LEVERS)}
        return cls(**kwargs, safe_third_country=bool(clipped[STC] >= 0.5))

    def as_dict(self) -> dict[str, float]:
        return {n: float(getattr(self, n)) for n in LEVERS}

    @property
    def enforcement(self) -> float:
        """Mean enforcement effort over the three regions."""
        return (self.enforcement_south + self.enforcement_transit + self.enforcement_north) / 3

    def distance(self, other: TransitPolicy) -> float:
        """Root-mean-square difference of the levers (0: same policy, 1: opposite corners)."""
        diff = self.to_array() - other.to_array()
        return float(np.sqrt(np.mean(diff * diff)))


def _default_levels() -> tuple[tuple[float, ...], ...]:
    return PolicyGrid.regular().levels


@dataclass(frozen=True)
class PolicyGrid:
    """A product grid over the levers: ``levels[i]`` are the values of lever ``LEVERS[i]``.

    The solver is exact over the grid. ``volume_weights`` are trapezoid weights, so a weighted
    share of grid points estimates the share of the lever box's volume (per STC branch).
    """

    levels: tuple[tuple[float, ...], ...] = field(default_factory=_default_levels)

    def __post_init__(self) -> None:
        if len(self.levels) != N_LEVERS:
            raise ValueError(f"a grid needs levels for {N_LEVERS} levers")
        for name, lv in zip(LEVERS, self.levels, strict=True):
            if not lv or any(not 0 <= v <= 1 for v in lv) or list(lv) != sorted(set(lv)):
                raise ScenarioError(
                    None,
                    f"grid levels of {name}: {lv}",
                    field=f"grid.{name}",
                    expected="distinct increasing values in [0, 1]",
                )
        if any(v not in (0.0, 1.0) for v in self.levels[STC]):
            raise ValueError("safe_third_country levels must be 0 and/or 1")

    @classmethod
    def regular(
        cls, n: int = 5, *, safe_third_country: Sequence[bool] = (False, True)
    ) -> PolicyGrid:
        """``n`` equally spaced levels in [0, 1] for each continuous lever."""
        if n < 2:
            raise ValueError("a regular grid needs at least 2 levels per lever")
        lv = tuple(float(x) for x in np.linspace(0.0, 1.0, n))
        stc = tuple(sorted({float(b) for b in safe_third_country}))
        return cls((lv,) * len(CONTINUOUS_LEVERS) + (stc,))

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(lv) for lv in self.levels)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @cached_property
    def points(self) -> FloatArray:
        """All grid points as a read-only ``(size, 7)`` array (last lever varies fastest)."""
        mesh = np.meshgrid(*[np.asarray(lv) for lv in self.levels], indexing="ij")
        pts = np.stack([m.ravel() for m in mesh], axis=1).astype(np.float64)
        pts.setflags(write=False)
        return pts

    @cached_property
    def volume_weights(self) -> FloatArray:
        """Trapezoid weights of the grid points over the continuous levers, summing to 1 per
        STC branch and averaged over the branches (so they sum to 1)."""
        per_axis = [_trapezoid(np.asarray(lv)) for lv in self.levels[: len(CONTINUOUS_LEVERS)]]
        per_axis.append(np.full(len(self.levels[STC]), 1.0 / len(self.levels[STC])))
        mesh = np.meshgrid(*per_axis, indexing="ij")
        w = np.prod(np.stack([m.ravel() for m in mesh], axis=1), axis=1)
        w.setflags(write=False)
        return np.asarray(w, dtype=np.float64)

    def policy(self, index: int) -> TransitPolicy:
        return TransitPolicy.from_array(self.points[index])

    def index_of(self, policy: TransitPolicy) -> int | None:
        """The index of ``policy`` in the grid, or ``None`` if it is not a grid point."""
        hits = np.flatnonzero(np.all(np.abs(self.points - policy.to_array()) < 1e-12, axis=1))
        return int(hits[0]) if hits.size else None


def _trapezoid(levels: FloatArray) -> FloatArray:
    """Normalised trapezoid weights of the points ``levels`` (one point: weight 1)."""
    if levels.size == 1:
        return np.ones(1)
    gaps = np.diff(levels)
    w = np.zeros(levels.size)
    w[:-1] += gaps / 2
    w[1:] += gaps / 2
    total = float(w.sum())
    return w / total if total > 0 else np.full(levels.size, 1.0 / levels.size)


# ----------------------------------------------------------------- the link to the timeline
@dataclass(frozen=True)
class LeverMap:
    """A lever as a scenario parameter: ``lever = (value - offset) / scale``, clipped to [0, 1].

    ``op`` is how :func:`parameter_changes` writes the lever as a policy-event change: ``set``
    writes the value ``offset + lever × scale``; ``add`` writes the difference ``lever × scale``
    to the value the timeline gives (``offset`` is that value, the lever's zero); ``multiply``
    writes the factor ``lever`` (``scale`` is the value at lever 1, ``offset`` 0). ``add`` and
    ``multiply`` compose with the other events in force on the parameter; all three give the
    same value while the timeline's value is ``offset`` (``scale`` for ``multiply``).
    """

    parameter: str
    scale: float
    offset: float = 0.0
    op: Literal["set", "add", "multiply"] = "set"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.scale) and self.scale > 0):
            raise ScenarioError(None, f"scale {self.scale!r}", field=self.parameter, expected="> 0")
        if self.op == "multiply" and self.offset != 0.0:
            raise ScenarioError(
                None, f"offset {self.offset!r}", field=self.parameter, expected="0 for multiply"
            )

    def to_lever(self, value: float) -> float:
        return float(min(1.0, max(0.0, (value - self.offset) / self.scale)))

    def to_parameter(self, lever: float) -> float:
        return self.offset + lever * self.scale

    def change(self, lever: float) -> ParameterChange:
        """The policy-event change that puts the parameter at ``lever``."""
        if self.op == "add":
            return ParameterChange(parameter=self.parameter, op="add", value=lever * self.scale)
        if self.op == "multiply":
            return ParameterChange(parameter=self.parameter, op="multiply", value=lever)
        return ParameterChange(parameter=self.parameter, op="set", value=self.to_parameter(lever))


#: A lever's link to the scenario: one parameter, or several moved together.
LeverMaps = LeverMap | Sequence[LeverMap]


def _maps(entry: LeverMaps) -> tuple[LeverMap, ...]:
    return (entry,) if isinstance(entry, LeverMap) else tuple(entry)


def policy_from_parameters(
    values: Mapping[str, float], mapping: Mapping[str, LeverMaps], fallback: TransitPolicy
) -> TransitPolicy:
    """The policy that parameter ``values`` set (a lever mapped to several parameters: the
    mean of their levers); levers without a mapping keep ``fallback``'s."""
    levers = fallback.as_dict()
    for lever, entry in mapping.items():
        if lever not in LEVERS:
            raise ScenarioError(None, f"unknown lever {lever!r}", expected=", ".join(LEVERS))
        maps = _maps(entry)
        for lm in maps:
            if lm.parameter not in values:
                raise ScenarioError(
                    None,
                    f"lever {lever} maps to the unknown parameter {lm.parameter!r}",
                    field=f"levers.{lever}",
                )
        if maps:
            levers[lever] = float(np.mean([lm.to_lever(values[lm.parameter]) for lm in maps]))
    return TransitPolicy.from_array([levers[n] for n in LEVERS])


def parameter_changes(
    policy: TransitPolicy, mapping: Mapping[str, LeverMaps]
) -> tuple[ParameterChange, ...]:
    """The changes that put the mapped scenario parameters at ``policy`` (closing the loop:
    the chosen policy as a policy event's changes; ``set``, ``add`` or ``multiply`` as each
    :class:`LeverMap` says)."""
    lv = policy.as_dict()
    return tuple(lm.change(lv[name]) for name, entry in mapping.items() for lm in _maps(entry))


def policy_path_from_timeline(
    timeline: PolicyTimeline,
    starts: Sequence[dt.date],
    days: int,
    mapping: Mapping[str, LeverMaps],
    fallback: TransitPolicy,
) -> list[TransitPolicy]:
    """The policy of each review period ``[start, start + days)``: the mapped parameters'
    deployed values averaged over the period's days (exogenous mode)."""
    out: list[TransitPolicy] = []
    for start in starts:
        arrays = timeline.daily(start, start + dt.timedelta(days=days))
        means = {name: float(np.mean(arr)) for name, arr in arrays.items()}
        out.append(policy_from_parameters(means, mapping, fallback))
    return out


def mexico_us_lever_map(base_parameters: Mapping[str, float]) -> dict[str, LeverMap]:
    """The enforcement levers of the ``mexico-us`` scenario: personnel added to a zone's base
    effort, as a share of the June 2019 deployment (south 6,000, north 15,000 Guardia Nacional,
    ``national_guard_2019.csv``; interior: ``personnel_transit``)."""

    zones = {
        "enforcement_south": ("enforcement.mx_southern.effort", default("personnel_south")),
        "enforcement_transit": ("enforcement.mx_isthmus.effort", default("personnel_transit")),
        "enforcement_north": ("enforcement.mx_northern.effort", default("personnel_north")),
    }
    return {
        lever: LeverMap(param, scale, float(base_parameters.get(param, 0.0)))
        for lever, (param, scale) in zones.items()
    }
