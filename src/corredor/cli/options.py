"""Command-line options made from the request models: one declaration per option.

:func:`request_params` turns the fields of a :class:`corredor.app.Request` into click
parameters: ``scenario`` (and other ``positional`` fields) become arguments, every other field an
option named ``--<field-name>`` (or the field's ``flag``), with its help text, default, bounds
(``IntRange``/``FloatRange``) and choices (a ``Literal`` becomes a ``Choice`` shown in
``--help``). Booleans are flags (``--x``, or ``--x/--no-x`` when the default is true or unset),
lists are repeatable options, and ``set`` takes ``NAME=VALUE`` (repeatable).
:func:`build_request` turns what click parsed back into the request.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Sequence
from typing import Any

import click
from pydantic.fields import FieldInfo

from corredor.app.requests import Request, RequestError
from corredor.files.read import excerpt

__all__ = ["build_request", "request_params"]

#: The order options are shown in (fields not listed follow in declaration order, then the
#: backend options last).
ORDER = (
    "mode",
    "method",
    "seed",
    "replicas",
    "days",
    "until",
    "sets",
    "max_sets",
    "calibration",
    "set",
    "without_events",
    "events",
    "counterfactual",
    "forecast_events",
)
LAST = ("threads", "workers", "scheduler")


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return dict(extra) if isinstance(extra, dict) else {}


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    low = high = None
    for m in info.metadata:
        low = getattr(m, "ge", low) if getattr(m, "ge", None) is not None else low
        high = getattr(m, "le", high) if getattr(m, "le", None) is not None else high
    return low, high


def _base(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``| None``, and whether None is allowed."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), True
    return annotation, False


def _click_type(annotation: Any, info: FieldInfo) -> Any:
    low, high = _bounds(info)
    if typing.get_origin(annotation) is typing.Literal:
        return click.Choice([str(a) for a in typing.get_args(annotation)])
    if annotation is int:
        if low is None and high is None:
            return click.INT
        return click.IntRange(
            min=None if low is None else int(low), max=None if high is None else int(high)
        )
    if annotation is float:
        if low is None and high is None:
            return click.FLOAT
        return click.FloatRange(min=low, max=high)
    return click.STRING


def _flag(name: str, info: FieldInfo) -> str:
    return str(_extra(info).get("flag") or "--" + name.replace("_", "-"))


def _option(name: str, info: FieldInfo) -> click.Parameter:
    extra = _extra(info)
    flag = _flag(name, info)
    decls = [flag, *([extra["short"]] if extra.get("short") else []), name]
    help_text = info.description or ""
    annotation, optional = _base(info.annotation)
    default = None if info.is_required() else info.default
    metavar = extra.get("metavar")
    if annotation is bool:
        if default is False and not optional:
            return click.Option(decls, is_flag=True, default=False, help=help_text)
        negative = "--no-" + flag.removeprefix("--")
        return click.Option(
            [f"{flag}/{negative}", name],
            default=default,
            help=help_text,
            show_default=default is not None,
        )
    origin = typing.get_origin(annotation)
    if origin is dict:
        return click.Option(decls, multiple=True, metavar=metavar, help=help_text)
    if origin in (list, tuple):
        (item,) = typing.get_args(annotation)[:1]
        return click.Option(
            decls, multiple=True, type=_click_type(item, info), metavar=metavar, help=help_text
        )
    kind = _click_type(annotation, info)
    if isinstance(kind, click.Choice):
        metavar = None  # the choices are shown instead
    elif metavar is None and annotation in (int, float):
        metavar = "N" if annotation is int else "X"
    return click.Option(
        decls,
        type=kind,
        default=default,
        required=info.is_required(),
        metavar=metavar,
        help=help_text,
        show_default=default is not None and default != "",
    )


def request_params(
    model: type[Request],
    *,
    positional: Sequence[str] = ("scenario",),
    exclude: Sequence[str] = (),
    optional_positional: dict[str, str] | None = None,
) -> list[click.Parameter]:
    """Click parameters for the fields of ``model`` (module docstring)."""
    params: list[click.Parameter] = []
    fields = model.model_fields
    for name in positional:
        info = fields[name]
        metavar = str(_extra(info).get("metavar") or name.upper())
        if optional_positional and name in optional_positional:
            params.append(
                click.Argument(
                    [name], required=False, default=optional_positional[name], metavar=metavar
                )
            )
        else:
            params.append(click.Argument([name], metavar=metavar))
    names = [n for n in ORDER if n in fields]
    names += [n for n in fields if n not in names and n not in LAST]
    names += [n for n in LAST if n in fields]
    for name in names:
        info = fields[name]
        if name in positional or name in exclude or _extra(info).get("cli") is False:
            continue
        params.append(_option(name, info))
    return params


def _pairs(name: str, flag: str, values: Sequence[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in values:
        key, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not key.strip() or not math.isfinite(number):
            # a number that overflows (1e400) or is NaN is not "no number": say what it is
            why = " (the value is not a finite number)" if value.strip() and sep else ""
            raise RequestError(
                f"{flag} {excerpt(item)}{why}: write NAME=VALUE with a finite number, e.g. "
                "usbp_hazard=4"
            )
        if key.strip() in out:  # the first value would be dropped without a word
            raise RequestError(
                f"{flag} {excerpt(key.strip())} is given twice ({out[key.strip()]:g} and "
                f"{number:g}). Fix: give each name once"
            )
        out[key.strip()] = number
    return out


def build_request(model: type[Request], values: dict[str, Any]) -> Request:
    """The request made of what click parsed (options absent from ``model`` ignored)."""
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name not in values:
            continue
        value = values[name]
        annotation, _ = _base(info.annotation)
        origin = typing.get_origin(annotation)
        if origin is dict:
            value = _pairs(name, _flag(name, info), value or ())
        elif origin in (list, tuple):
            value = list(value or ())
        data[name] = value
    return model.model_validate(data)
