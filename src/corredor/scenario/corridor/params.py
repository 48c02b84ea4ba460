"""Numeric parameters of a corridor scenario: a sourced number or a named calibration parameter.

Every number that drives the model is one of:

* a bare number (``0.25``), covered by the ``source`` of the object that holds it (a service, a
  zone, a CSV row...) — the check in :mod:`.checks` refuses it when that object has no source;
* a number with its own source, ``{value: 0.25, source: "https://..."}``;
* a reference to a named calibration parameter, ``$name`` (declared under ``calibration:``);
* in an outcome table only, ``rest``: one minus the other probabilities of the table.

The type carries the bounds of the field it sits in, so that a referenced parameter's default
and range can be checked against them once the calibration block is known.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator
from pydantic_core import PydanticCustomError

from corredor.files.read import excerpt

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
REST = "rest"


@dataclass(frozen=True, slots=True)
class Param:
    """One numeric parameter as written in the scenario (exactly one of value, ref, rest)."""

    value: float | None = None
    ref: str | None = None
    source: str | None = None
    rest: bool = False
    low: float = -math.inf
    high: float = math.inf

    @property
    def is_bare(self) -> bool:
        """A literal number without its own source (needs the enclosing object's source)."""
        return self.value is not None and not self.source

    def default(self, calibration: dict[str, float]) -> float | None:
        """The number: the literal, or the referenced parameter's default (``None``: rest)."""
        if self.ref is not None:
            return calibration[self.ref]
        return self.value

    def dump(self) -> float | str | dict[str, Any]:
        """The YAML/CSV form this parameter was written in."""
        if self.rest:
            return REST
        if self.ref is not None:
            return f"${self.ref}"
        assert self.value is not None
        value: float | int = int(self.value) if self.value.is_integer() else self.value
        if self.source:
            return {"value": value, "source": self.source}
        return value


def _error(message: str) -> PydanticCustomError:
    """A pydantic error whose message is already complete: pydantic fills ``{name}``
    placeholders only from a context and knows no ``!r``, so messages are formatted here (with
    :func:`~corredor.files.read.excerpt` for what the user wrote) and passed without one."""
    return PydanticCustomError("corridor_param", message)


def _number(raw: object, low: float, high: float) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise _error("expected a number, a $calibration_parameter or {value, source}")
    try:
        value = float(raw)
    except ValueError:
        raise _error(
            f"{excerpt(raw)} is not a number, a $calibration_parameter or {{value, source}}"
        ) from None
    if not math.isfinite(value):
        raise _error(f"expected a finite number, found {excerpt(raw)}")
    if not low <= value <= high:
        raise _error(f"{value:g} is outside [{_bound(low)}, {_bound(high)}]")
    return value


def _bound(x: float) -> str:
    return "-inf" if x == -math.inf else "inf" if x == math.inf else f"{x:g}"


def parse_param(raw: object, low: float, high: float, allow_rest: bool) -> Param:
    """Turn what the YAML or CSV holds into a :class:`Param` (raises pydantic custom errors)."""
    if isinstance(raw, Param):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        if text == REST:
            if not allow_rest:
                raise _error("'rest' is only allowed for one probability of an outcome table")
            return Param(rest=True, low=low, high=high)
        if text.startswith("$"):
            name = text[1:]
            if not NAME_RE.match(name):
                raise _error(f"{excerpt(text)} is not a valid calibration parameter name")
            return Param(ref=name, low=low, high=high)
        return Param(value=_number(text, low, high), low=low, high=high)
    if isinstance(raw, dict):
        unknown = set(raw) - {"value", "source"}
        if unknown or "value" not in raw:
            raise _error("a sourced number is written {value: <number>, source: <text>}")
        source = raw.get("source")
        if not isinstance(source, str) or not source.strip():
            raise _error("the source of {value, source} must be non-empty text")
        return Param(
            value=_number(raw["value"], low, high), source=source.strip(), low=low, high=high
        )
    return Param(value=_number(raw, low, high), low=low, high=high)


def _param_type(low: float, high: float, allow_rest: bool = False) -> Any:
    return Annotated[
        Param,
        PlainValidator(lambda raw: parse_param(raw, low, high, allow_rest)),
        PlainSerializer(lambda p: p.dump()),
    ]


#: Any real number (elasticities, utility weights).
Real = _param_type(-math.inf, math.inf)
#: A number >= 0 (capacities, rates, hazards, distances, days, efforts).
NonNeg = _param_type(0.0, math.inf)
#: A probability or share in [0, 1].
Prob = _param_type(0.0, 1.0)
#: A probability in [0, 1], or ``rest`` (one minus the others of its table).
ProbOrRest = _param_type(0.0, 1.0, allow_rest=True)
