"""The policy timeline: the value of every parameter on every day, given the policy events.

On a day ``d`` the value of a parameter is its base value with the changes of every event active
on ``d`` applied in the events' start order (events that start on the same day keep their input
order; the changes of one event keep their listed order). Each change moves the running value
``old`` to ``old + w * (stated(old) - old)`` with ``w = implemented_share * ramp_fraction``. So an
event's effect starts on its start day and is gone on its end day, and the value on a day never
depends on earlier days.

:meth:`PolicyTimeline.daily` computes the same values for a range of days as one NumPy array per
parameter (a loop over events, vectorised over days, cached), for the engine's step loop.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

from corredor.errors import ScenarioError
from corredor.policy._dates import DayLike, to_date
from corredor.policy.events import (
    ParameterChange,
    PolicyEvent,
    apply_change,
    is_finite,
    ramp_fraction,
)

FloatArray = npt.NDArray[np.float64]

_MAX_LISTED = 40


class PolicyTimeline:
    """Policy events over a set of named base parameters.

    ``events`` are validated against ``base_parameters`` (every changed parameter must be one of
    them; ids must be unique). ``day0`` is the date of simulation day 0, so that methods also
    accept integer days. ``file`` only names the source in error messages.
    """

    def __init__(
        self,
        events: Iterable[PolicyEvent],
        base_parameters: Mapping[str, float],
        *,
        day0: DayLike | None = None,
        file: str | Path | None = None,
    ) -> None:
        evs = list(events)
        for i, event in enumerate(evs):
            if not isinstance(event, PolicyEvent):
                raise TypeError(f"events[{i}] is a {type(event).__name__}, not a PolicyEvent")
        base: dict[str, float] = {}
        for name, value in base_parameters.items():
            if not is_finite(value):
                raise ScenarioError(
                    file,
                    f"base parameter {name!r} is {value!r}",
                    field=f"base_parameters.{name}",
                    expected="a finite number",
                )
            base[name] = float(value)
        check_unique_ids(evs, file)
        bad = first_unknown_parameter(evs, base)
        if bad is not None:
            i, j = bad
            raise unknown_parameter_error(evs[i], j, base, file=file)
        evs = [resolve_refs(e, base, file) for e in evs]
        # sorted() is stable: events starting on the same day keep their input order
        self._events: tuple[PolicyEvent, ...] = tuple(sorted(evs, key=lambda e: e.start))
        self._base = base
        self._day0 = None if day0 is None else to_date(day0)
        self._cache: dict[tuple[dt.date, dt.date, bool], dict[str, FloatArray]] = {}

    # ------------------------------------------------------------------ accessors
    @property
    def events(self) -> tuple[PolicyEvent, ...]:
        """All events, in the order they are applied (start date, then input order)."""
        return self._events

    @property
    def parameters(self) -> tuple[str, ...]:
        """The names of the base parameters, in the order given."""
        return tuple(self._base)

    @property
    def base_parameters(self) -> dict[str, float]:
        """A copy of the base parameters (the values with no event active)."""
        return dict(self._base)

    @property
    def day0(self) -> dt.date | None:
        """The date of simulation day 0 (``None``: integer days are not accepted)."""
        return self._day0

    def to_date(self, day: DayLike) -> dt.date:
        """``day`` as a date (an integer is a day counted from ``day0``)."""
        return to_date(day, self._day0)

    def __len__(self) -> int:
        return len(self._events)

    def __repr__(self) -> str:
        return (
            f"PolicyTimeline({len(self._events)} events, {len(self._base)} parameters, "
            f"day0={self._day0})"
        )

    # ------------------------------------------------------------------ one day
    def active_events(self, day: DayLike) -> list[PolicyEvent]:
        """The events in force on ``day`` (``start <= day < end``), in application order."""
        d = self.to_date(day)
        return [e for e in self._events if e.is_active(d)]

    def parameters_on(self, day: DayLike) -> dict[str, float]:
        """Every parameter's deployed value on ``day`` (changes scaled by implemented_share)."""
        return self._values_on(self.to_date(day), stated=False)

    def stated_parameters_on(self, day: DayLike) -> dict[str, float]:
        """Every parameter's value on ``day`` if each event were deployed as stated (share 1)."""
        return self._values_on(self.to_date(day), stated=True)

    def _values_on(self, d: dt.date, *, stated: bool) -> dict[str, float]:
        values = dict(self._base)
        for event in self._events:
            if not event.is_active(d):
                continue
            share = 1.0 if stated else event.implemented_share
            k = (d - event.start).days
            for change in event.changes:
                weight = share * ramp_fraction(k, change.ramp_days)
                values[change.parameter] = apply_change(values[change.parameter], change, weight)
        return values

    # ------------------------------------------------------------------ many days
    def daily(self, start: DayLike, end: DayLike, *, stated: bool = False) -> dict[str, FloatArray]:
        """One float64 array per parameter over the days ``[start, end)``: row ``i`` is day
        ``start + i``, equal to ``parameters_on(start + i)[name]`` (or the stated values).

        The arrays are read-only and cached per ``(start, end, stated)``; the dict is a new one.
        """
        d0, d1 = self.to_date(start), self.to_date(end)
        if d1 < d0:
            raise ValueError(f"end {d1.isoformat()} is before start {d0.isoformat()}")
        key = (d0, d1, stated)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._compute_daily(d0, d1, stated=stated)
            self._cache[key] = cached
        return dict(cached)

    def _compute_daily(self, d0: dt.date, d1: dt.date, *, stated: bool) -> dict[str, FloatArray]:
        n = (d1 - d0).days
        arrays = {name: np.full(n, value, dtype=np.float64) for name, value in self._base.items()}
        for event in self._events:
            first = max(event.start, d0)
            stop = d1 if event.end is None else min(event.end, d1)
            if first >= stop:
                continue
            i0, i1 = (first - d0).days, (stop - d0).days
            k = np.arange(i0, i1) + (d0 - event.start).days  # days since the event's start
            share = 1.0 if stated else event.implemented_share
            for change in event.changes:
                weight = share * np.minimum(1.0, (k + 1) / (change.ramp_days + 1))
                arr = arrays[change.parameter]
                arr[i0:i1] = _apply_array(arr[i0:i1], change, weight)
        for arr in arrays.values():
            arr.setflags(write=False)
        return arrays


def _apply_array(old: FloatArray, change: ParameterChange, weight: FloatArray) -> FloatArray:
    """The array twin of :func:`corredor.policy.events.apply_change` (bit-for-bit equal)."""
    # an overflow to infinity is the value validation then refuses (by the event's name)
    with np.errstate(invalid="ignore", over="ignore"):
        if change.op == "set":
            new = np.full_like(old, change.number)
        elif change.op == "multiply":
            new = old * change.number
        else:
            new = old + change.number
        mixed = old + weight * (new - old)
    out: FloatArray = np.where(weight == 1.0, new, np.where(weight == 0.0, old, mixed))
    return out


# ---------------------------------------------------------------------- validation helpers
def resolve_refs(
    event: PolicyEvent, base: Mapping[str, float], file: str | Path | None
) -> PolicyEvent:
    """``event`` with every ``$name`` change value replaced by ``base["calibration.<name>"]``.

    A magnitude that data do not give is a named calibration parameter of the scenario, so the
    calibration (and a user's override) sets it.
    """
    if all(c.ref is None for c in event.changes):
        return event
    calibration = {
        k.removeprefix("calibration."): v for k, v in base.items() if k.startswith("calibration.")
    }
    for j, change in enumerate(event.changes):
        if change.ref is not None and change.ref not in calibration:
            known = ", ".join(sorted(calibration)[:_MAX_LISTED]) or "none"
            raise ScenarioError(
                file,
                f"policy event {event.id!r} refers to the unknown calibration parameter "
                f"{change.value!r}",
                field=f"events[{event.id}].changes[{j}].value",
                expected=f"a number or $name of a calibration parameter ({known})",
                fix="declare the parameter under `calibration:` in the scenario or write a number",
            )
    changes = tuple(c.resolved(calibration) for c in event.changes)
    return event.model_copy(update={"changes": changes})


def check_unique_ids(events: list[PolicyEvent], file: str | Path | None) -> None:
    seen: set[str] = set()
    for event in events:
        if event.id in seen:
            raise ScenarioError(
                file,
                f"two policy events have the id {event.id!r}",
                field=f"events[{event.id}].id",
                fix="give every policy event its own id",
            )
        seen.add(event.id)


def first_unknown_parameter(
    events: list[PolicyEvent], known: Mapping[str, float]
) -> tuple[int, int] | None:
    """``(event index, change index)`` of the first change to a parameter not in ``known``."""
    for i, event in enumerate(events):
        for j, change in enumerate(event.changes):
            if change.parameter not in known:
                return i, j
    return None


def unknown_parameter_error(
    event: PolicyEvent,
    j: int,
    known: Mapping[str, float],
    *,
    file: str | Path | None,
    line: int | None = None,
    column: str | None = None,
    field: str | None = None,
) -> ScenarioError:
    """The error for ``event.changes[j]`` naming a parameter that is not in ``known``.

    Without ``column`` or ``field`` the field path is ``events[<id>].changes[<j>].parameter``.
    """
    parameter = event.changes[j].parameter
    names = sorted(known)
    listed = ", ".join(names[:_MAX_LISTED])
    if len(names) > _MAX_LISTED:
        listed += f", … ({len(names) - _MAX_LISTED} more)"
    close = difflib.get_close_matches(parameter, names, n=1)
    fix = f"did you mean {close[0]!r}?" if close else "use one of the known parameter names"
    if field is None and column is None:
        field = f"events[{event.id}].changes[{j}].parameter"
    return ScenarioError(
        file,
        f"policy event {event.id!r} changes the unknown parameter {parameter!r}",
        line=line,
        column=column,
        field=field,
        expected=f"one of the scenario's parameters: {listed}" if names else "no parameters",
        fix=fix,
    )
