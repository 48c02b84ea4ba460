"""The transit state's levers as scenario parameters of a corridor run (``docs/bargaining.md``
§10), from the scenario's ``bargaining.levers`` block.

* :meth:`LeverBinding.read`: the policy in force over some days, read back from the run's daily
  parameter arrays against the *baseline* (the same timeline without the transit state's own
  events): ``op: add`` levers are ``(value - baseline) / scale``, ``op: multiply`` levers
  ``value / baseline`` (where the baseline is above 0), averaged over the days and parameters
  and clipped to [0, 1] — :meth:`LeverMap.to_lever <corredor.bargaining.policy.LeverMap>` on
  each day;
* :meth:`LeverBinding.events`: a policy for a review period as policy events
  (:func:`~corredor.bargaining.policy.parameter_changes` of ``add`` / ``multiply``
  :class:`~corredor.bargaining.policy.LeverMap` s), split on the days another event touching a
  lever's parameters starts, so that the game's change applies after it (events apply in start
  order) and composes with the rest of the timeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from corredor.bargaining.policy import (
    CONTINUOUS_LEVERS,
    LEVERS,
    FloatArray,
    LeverMap,
    TransitPolicy,
    parameter_changes,
)
from corredor.errors import ScenarioError
from corredor.policy import PolicyEvent, PolicyTimeline
from corredor.scenario.corridor.bargaining import lever_parameters

if TYPE_CHECKING:
    from corredor.scenario.corridor.bargaining import BargainingSpec

#: Ids of the events the game adopts start with this.
GAME_EVENT_PREFIX = "bargaining-game"


class LeverBinding:
    """The levers of ``spec`` on a run: ``base`` are the run's base parameters (calibration
    applied), ``baseline`` the timeline without the transit state's own events, ``start`` the
    date of day 0 and ``days`` the run's length."""

    def __init__(
        self,
        spec: BargainingSpec,
        base: Mapping[str, float],
        baseline: PolicyTimeline,
        start: dt.date,
        days: int,
    ) -> None:

        self.spec = spec
        self.start = start
        self.days = days
        self.baseline = baseline.daily(start, start + dt.timedelta(days=days))
        calibration = {
            k.removeprefix("calibration."): v
            for k, v in base.items()
            if k.startswith("calibration.")
        }
        names = list(base)
        self.parameters: dict[str, list[str]] = {}
        self.scales: dict[str, float] = {}
        self.ops: dict[str, str] = {}
        for lever, ls in spec.levers.items():
            self.ops[lever] = ls.op
            params = lever_parameters(ls, names)
            if not params:
                raise ScenarioError(
                    None,
                    f"lever {lever} matches no parameter of the run",
                    field=f"bargaining.levers.{lever}.parameters",
                )
            self.parameters[lever] = params
            if ls.op == "add":
                assert ls.scale is not None
                scale = ls.scale.default(calibration)
                if scale is None or not scale > 0:
                    raise ScenarioError(
                        None,
                        f"lever {lever} has scale {scale!r}",
                        field=f"bargaining.levers.{lever}.scale",
                        expected="a number above 0",
                    )
                self.scales[lever] = float(scale)
        self._touching = [
            e
            for e in baseline.events
            if any(c.parameter in self._all_parameters for c in e.changes)
        ]

    @property
    def _all_parameters(self) -> set[str]:
        return {p for ps in self.parameters.values() for p in ps}

    @property
    def mapped(self) -> tuple[str, ...]:
        """The levers this scenario maps, in :data:`LEVERS` order."""
        return tuple(n for n in LEVERS if n in self.parameters)

    @property
    def unmapped_continuous(self) -> tuple[str, ...]:
        """Continuous levers the scenario does not map (the game holds them at 0)."""
        return tuple(n for n in CONTINUOUS_LEVERS if n not in self.parameters)

    # ------------------------------------------------------------------ reading
    def read(
        self, actual: Mapping[str, FloatArray], day0: int, day1: int, *, stc: bool = False
    ) -> TransitPolicy:
        """The policy in force over days ``[day0, day1)`` of the run whose daily parameter
        arrays are ``actual`` (unmapped continuous levers 0; the STC lever ``stc`` unless
        mapped)."""
        day1 = min(max(day1, day0 + 1), self.days)
        day0 = min(day0, day1 - 1)
        levers = dict.fromkeys(LEVERS, 0.0)
        levers["safe_third_country"] = float(stc)
        for lever, params in self.parameters.items():
            values = []
            for p in params:
                v = np.asarray(actual[p][day0:day1])
                b = np.asarray(self.baseline[p][day0:day1])
                if self.ops[lever] == "add":
                    values.append((v - b) / self.scales[lever])
                else:
                    on = b > 0
                    values.append(v[on] / b[on])
            flat = np.concatenate(values) if values else np.zeros(0)
            default = 0.0 if self.ops[lever] == "add" else 1.0
            levers[lever] = float(np.clip(flat.mean(), 0.0, 1.0)) if flat.size else default
        return TransitPolicy.from_array([levers[n] for n in LEVERS])

    # ------------------------------------------------------------------ writing
    def lever_maps(self, day: int) -> dict[str, list[LeverMap]]:
        """The levers as :class:`LeverMap` s on ``day`` (offsets and multiplicative scales
        from the baseline that day; a ``multiply`` parameter at 0 that day is left out)."""
        out: dict[str, list[LeverMap]] = {}
        for lever, params in self.parameters.items():
            op = self.ops[lever]
            maps = []
            for p in params:
                b = float(self.baseline[p][day])
                if op == "add":
                    maps.append(LeverMap(p, self.scales[lever], b, op="add"))
                elif b > 0:
                    maps.append(LeverMap(p, b, op="multiply"))
            out[lever] = maps
        return out

    def boundaries(self, day0: int, day1: int) -> list[int]:
        """``day0`` and the days in (day0, day1) on which a baseline event touching a lever's
        parameters starts."""
        cuts = {day0}
        for e in self._touching:
            d = (e.start - self.start).days
            if day0 < d < day1:
                cuts.add(d)
        return sorted(cuts)

    def events(
        self, policy: TransitPolicy, day0: int, day1: int, *, period: int, source: str
    ) -> list[PolicyEvent]:
        """``policy`` in force over days ``[day0, day1)`` as policy events (module docstring)."""
        day1 = max(day1, day0 + 1)
        cuts = [*self.boundaries(day0, day1), day1]
        lv = policy.as_dict()
        notes = ", ".join(f"{n} {lv[n]:.2f}" for n in self.mapped)
        out = []
        for k, (a, b) in enumerate(pairwise(cuts)):
            changes = parameter_changes(policy, self.lever_maps(min(a, self.days - 1)))
            if not changes:
                continue
            out.append(
                PolicyEvent(
                    id=f"{GAME_EVENT_PREFIX}-{period}-{k}",
                    name=f"Transit-state policy chosen in the bargaining game (review {period})",
                    country=self.spec.event_country,
                    policy_area="border_land_control",
                    tool="bargaining game",
                    target_group="migrants in transit",
                    direction=0,
                    magnitude="mid-level",
                    start=self.start + dt.timedelta(days=a),
                    end=self.start + dt.timedelta(days=b),
                    source=source,
                    notes=f"levers: {notes}",
                    changes=changes,
                )
            )
        return out


def baseline_timeline(
    events: Sequence[PolicyEvent],
    base: Mapping[str, float],
    replaces: Sequence[str],
    start: dt.date,
) -> PolicyTimeline:
    """The timeline without the transit state's own events (``replaces``) and the game's."""
    kept = [
        e for e in events if e.id not in set(replaces) and not e.id.startswith(GAME_EVENT_PREFIX)
    ]
    return PolicyTimeline(kept, base, day0=start)
