"""Policy variants run from a shared baseline trunk (what makes a study affordable).

The variants of a study differ from the baseline only from some day on (a policy event that
starts in June 2019, an event left out that started then). Until that day their compiled daily
arrays are identical, and with the counter-based random stream (the draws depend on the seed,
the stream, the day and the agent only) so is every agent's history. So a study runs the
baseline once and, on the first day a variant's arrays differ (:func:`first_difference`),
copies the baseline's state and goes on with the variant's arrays — exactly the run the variant
would have made from day 0 (tested bit for bit, ``tests/scientific/test_study_branching.py``).

:func:`first_difference` compares two compiled corridors field by field: arrays with a leading
day axis are compared day by day, piecewise tables (``outcome_days`` / ``outcome_tables``) on
the days either changes, everything else as a whole (a difference there means day 0). The
scenario object, the calibration dictionary (every value is also a daily array) and the
timeline kept for reports are not compared.
"""

from __future__ import annotations

import copy
import dataclasses
from contextvars import ContextVar
from typing import Any

import numpy as np

__all__ = ["branch", "first_difference"]

_SKIP = frozenset({"scenario", "calibration", "timeline", "warnings"})
#: keys of compiled dictionaries not compared (set by :func:`first_difference`)
_IGNORED: ContextVar[frozenset[str]] = ContextVar("_IGNORED", default=frozenset())
#: the first day compared (set by :func:`first_difference`)
_SINCE: ContextVar[int] = ContextVar("_SINCE", default=0)


def _first_row(a: np.ndarray, b: np.ndarray, days: int) -> int:
    if a.shape != b.shape:
        return 0
    if a.ndim == 0 or a.shape[0] != days:
        return days if np.array_equal(a, b, equal_nan=_floating(a)) else 0
    if a.size == 0:
        return days
    since = _SINCE.get()
    if since >= days:
        return days
    a, b = a[since:], b[since:]
    same = a == b
    if _floating(a):
        same |= np.isnan(a) & np.isnan(b)
    rows = same.reshape(days - since, -1).all(axis=1)
    bad = np.flatnonzero(~rows)
    return int(bad[0]) + since if bad.size else days


def _floating(a: np.ndarray) -> bool:
    return bool(np.issubdtype(a.dtype, np.floating))


def _arrays(a: Any, b: Any, days: int) -> int:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return _first_row(a, b, days)
    return 0


def _dicts(a: Any, b: Any, days: int) -> int:
    if not isinstance(b, dict) or set(a) != set(b):
        return 0
    return min((_value(a[k], b[k], days) for k in a if k not in _IGNORED.get()), default=days)


def _dataclasses(a: Any, b: Any, days: int) -> int:
    if type(a) is not type(b):
        return 0
    names = [f.name for f in dataclasses.fields(a) if f.name not in _SKIP]
    return min((_value(getattr(a, n), getattr(b, n), days) for n in names), default=days)


def _sequences(a: Any, b: Any, days: int) -> int:
    if not isinstance(b, tuple | list) or len(a) != len(b):
        return 0
    return min((_whole(x, y, days) for x, y in zip(a, b, strict=True)), default=days)


def _value(a: Any, b: Any, days: int) -> int:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return _arrays(a, b, days)
    if isinstance(a, dict):
        return _dicts(a, b, days)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return _dataclasses(a, b, days)
    if isinstance(a, tuple | list):
        return _sequences(a, b, days)
    try:
        same = bool(a == b)
    except (TypeError, ValueError):
        same = False
    return days if same else 0


def _whole(a: Any, b: Any, days: int) -> int:
    """Elements of a tuple are not daily: equal (``days``) or not (0)."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        same = a.shape == b.shape and np.array_equal(a, b, equal_nan=_floating(a))
        return days if same else 0
    return _value(a, b, days)


def _piecewise(a: Any, b: Any, days: int) -> int:
    """First day the outcome table in force differs (tables change on ``outcome_days``)."""
    since = _SINCE.get()
    changes = {int(x) for x in (*a.outcome_days, *b.outcome_days) if x >= since}
    for d in sorted(changes | ({since} if since > 0 else set())):  # the table in force then
        if d >= days:
            break
        if not np.array_equal(a.outcome_table_on(d), b.outcome_table_on(d)):
            return int(d)
    return days


def first_difference(
    a: Any, b: Any, *, levers: frozenset[str] = frozenset(), since: int = 0
) -> int:
    """The first day on which two compiled corridors differ (``a.days`` if they never do);
    with ``since``, the first such day from ``since`` on (days before it are not compared; a
    difference in a value that is not daily is still day 0).

    ``levers``: calibration parameters of status ``lever`` — sizes of counterfactual policies
    that only policy events read (``CalibrationParameter.status``), never a rule — whose own
    daily series (``calibration.<name>``) are not compared: a lever set in a variant changes the
    run from the day an event uses it, which the compared arrays show. Raises ``ValueError`` if
    the corridors do not have the same number of days."""
    if a.days != b.days:
        raise ValueError(f"compiled runs of {a.days} and {b.days} days cannot be compared")
    token = _IGNORED.set(frozenset(f"calibration.{name}" for name in levers))
    since_token = _SINCE.set(max(0, min(int(since), int(a.days))))
    try:
        return _first(a, b)
    finally:
        _IGNORED.reset(token)
        _SINCE.reset(since_token)


def _first(a: Any, b: Any) -> int:
    days = int(a.days)
    first = days
    for f in dataclasses.fields(a):
        if f.name in _SKIP or f.name in ("outcome_days", "outcome_tables"):
            continue
        first = min(first, _value(getattr(a, f.name), getattr(b, f.name), days))
        if first == 0:
            return 0
    if hasattr(a, "outcome_days"):
        first = min(first, _piecewise(a, b, days))
    return first


def branch(model: Any, compiled: Any) -> Any:
    """A copy of ``model`` (a corridor run part-way through) that goes on with ``compiled``'s
    arrays; the compiled corridor itself is shared, not copied."""
    clone = copy.deepcopy(model, {id(model.c): model.c})
    clone.recompile(compiled)
    return clone
