"""Policy events: dated, sourced changes to a scenario's parameters, coded as in DEMIG POLICY.

A :class:`PolicyEvent` carries the descriptive fields of the DEMIG POLICY database (de Haas,
Natter & Vezzoli 2015: country, policy area, tool, target group, target origin, direction of the
change in restrictiveness and its magnitude), the dates it is in force, its source, and the
concrete :class:`ParameterChange` list it makes to the model's levers. ``implemented_share`` is
the part of the stated change that was actually deployed (the gap between law and practice).

Free-text values are normalised on input so that tables written by hand load: ``"Border and land
control"`` becomes ``border_land_control``, ``"Mid level"`` becomes ``mid-level``, ``"+1"``
becomes ``1`` and ``"GTM; HND"`` becomes ``("GTM", "HND")``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from corredor.engine.capacity import MAX_DAYS

Op = Literal["set", "multiply", "add"]
Magnitude = Literal["fine-tuning", "minor", "mid-level", "major"]
PolicyArea = Literal["border_land_control", "legal_entry_stay", "integration", "exit"]
Direction = Literal[-1, 0, 1]

#: The four DEMIG POLICY policy areas, in codebook order.
POLICY_AREAS: tuple[PolicyArea, ...] = (
    "border_land_control",
    "legal_entry_stay",
    "integration",
    "exit",
)
#: DEMIG POLICY's change magnitudes, smallest first.
MAGNITUDES: tuple[Magnitude, ...] = ("fine-tuning", "minor", "mid-level", "major")
#: Examples of policy tools (free text is accepted; these are the ones the docs use).
EXAMPLE_TOOLS: tuple[str, ...] = (
    "border patrol",
    "visa",
    "asylum procedure",
    "return agreement",
    "detention",
    "deportation",
    "safe third country",
    "processing cap",
)

_PARAMETER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_ID_RE = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
#: A change's value may name a calibration parameter of the scenario: ``$mpp_enrollment_share``.
_REF_RE = r"^\$[A-Za-z_][A-Za-z0-9_]*$"


# --------------------------------------------------------------------------- input normalisers
def _words(value: object) -> object:
    """``"Border and land control"`` / ``"border/land control"`` → ``border_land_control``."""
    if not isinstance(value, str):
        return value
    return "_".join(w for w in re.findall(r"[a-z]+", value.lower()) if w != "and")


def _magnitude(value: object) -> object:
    if not isinstance(value, str):
        return value
    return "-".join(re.findall(r"[a-z]+", value.lower()))


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _direction(value: object) -> object:
    """Accept -1/0/+1 as integers, integral floats or text (``"+1"``, ``"-1"``)."""
    if isinstance(value, bool):
        raise ValueError(f"{value} is not a direction; write -1, 0 or +1")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return value
    return value


def _origin(value: object) -> object:
    """``"all"``, ``"GTM; HND"`` or a list → a tuple of origins (``("all",)`` for all)."""
    if isinstance(value, str):
        value = re.split(r"[;,]", value)
    if isinstance(value, list | tuple):
        items = [v.strip() if isinstance(v, str) else v for v in value]
        items = [v for v in items if v != ""]
        return tuple("all" if isinstance(v, str) and v.lower() == "all" else v for v in items)
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _number_or_ref(value: object) -> float | str:
    """A finite number, or ``$name`` of a calibration parameter."""
    if isinstance(value, str) and value.strip().startswith("$"):
        if not re.match(_REF_RE, value.strip()):
            raise ValueError(f"value is not valid: {value!r} is not a $calibration_parameter name")
        return value.strip()
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(
            f"value is not valid: expected a number or $calibration_parameter, found {value!r}"
        ) from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise ValueError(f"value is not valid: expected a finite number, found {value!r}")
    return number


# --------------------------------------------------------------------------- models
class ParameterChange(BaseModel):
    """One change an event makes to one parameter.

    ``op`` is applied to the value the parameter has just before this change (the base value
    with the earlier active events applied): ``set`` gives ``value``, ``multiply`` gives
    ``old * value`` and ``add`` gives ``old + value``. With ``ramp_days = R > 0`` the change is
    phased in linearly: on day ``k`` after the event's start (``k = 0`` is the start day) the
    fraction ``min(1, (k + 1) / (R + 1))`` of it is in effect, so it is in full from day ``R``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    parameter: Annotated[str, StringConstraints(strip_whitespace=True, pattern=_PARAMETER_RE)]
    op: Annotated[Op, BeforeValidator(_lower)]
    value: Annotated[float | str, BeforeValidator(_number_or_ref)]
    ramp_days: Annotated[int, Field(ge=0, le=MAX_DAYS)] = 0  # at most a run's longest

    @property
    def ref(self) -> str | None:
        """The calibration parameter the value refers to (``$name`` → ``name``), if any."""
        return self.value[1:] if isinstance(self.value, str) else None

    @property
    def number(self) -> float:
        """The value as a number (a ``$name`` value must be resolved first)."""
        if isinstance(self.value, str):
            raise ValueError(
                f"change of {self.parameter} refers to {self.value}; resolve it against the "
                "scenario's calibration parameters first (PolicyTimeline does)"
            )
        return float(self.value)

    def resolved(self, calibration: dict[str, float]) -> ParameterChange:
        """This change with a ``$name`` value replaced by ``calibration[name]``."""
        if self.ref is None:
            return self
        return self.model_copy(update={"value": float(calibration[self.ref])})

    def stated(self, old: float) -> float:
        """The parameter's value once this change is fully in effect, given the value before."""
        if self.op == "set":
            return self.number
        if self.op == "multiply":
            return old * self.number
        return old + self.number


class PolicyEvent(BaseModel):
    """A dated policy change, coded with the DEMIG POLICY fields, and what it does to the model.

    It is in force on the half-open interval ``[start, end)``: from its start day, up to but not
    including ``end`` (``None``: still in force). ``implemented_share`` (0–1) scales every change
    toward the value it would have without the event: 1 means the change was deployed as
    stated, 0 means it stayed on paper.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, StringConstraints(strip_whitespace=True, pattern=_ID_RE)]
    name: Text
    country: Text
    policy_area: Annotated[PolicyArea, BeforeValidator(_words)]
    tool: Text
    target_group: Text
    origin: Annotated[tuple[Text, ...], BeforeValidator(_origin)] = ("all",)
    direction: Annotated[Direction, BeforeValidator(_direction)]
    magnitude: Annotated[Magnitude, BeforeValidator(_magnitude)]
    start: dt.date
    end: dt.date | None = None
    source: Text
    notes: str = ""
    changes: tuple[ParameterChange, ...] = ()
    implemented_share: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = 1.0

    @field_validator("origin")
    @classmethod
    def _check_origin(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError('no origin given; write "all" or a list of origin countries')
        if "all" in value and len(value) > 1:
            raise ValueError('"all" cannot be combined with named origins')
        return value

    @field_validator("end")
    @classmethod
    def _check_end(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start")
        if value is not None and isinstance(start, dt.date) and value < start:
            raise ValueError(f"end {value.isoformat()} is before start {start.isoformat()}")
        return value

    def is_active(self, day: dt.date) -> bool:
        """Whether the event is in force on ``day`` (``start <= day < end``)."""
        return self.start <= day and (self.end is None or day < self.end)

    @property
    def parameters(self) -> tuple[str, ...]:
        """The parameters this event changes, in the order of its changes (no repeats)."""
        return tuple(dict.fromkeys(c.parameter for c in self.changes))


def ramp_fraction(days_since_start: int, ramp_days: int) -> float:
    """The fraction of a change in effect ``days_since_start`` days after its start."""
    return min(1.0, (days_since_start + 1) / (ramp_days + 1))


def apply_change(old: float, change: ParameterChange, weight: float) -> float:
    """``old`` moved the fraction ``weight`` of the way to ``change.stated(old)``.

    ``weight`` is the event's implemented share times the ramp fraction. The end points are
    exact: weight 1 gives the stated value, weight 0 the old one.
    """
    new = change.stated(old)
    if weight == 1.0:
        return new
    if weight == 0.0:
        return old
    return old + weight * (new - old)


def is_finite(value: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
