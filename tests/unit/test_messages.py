"""Every message template is filled: none prints ``{found!r}``, ``{{value, source}}`` or
``{name}`` as written (issue 16 §3).

Two kinds of check: a scan of the source for templates that cannot be filled where they are
raised (a plain string with ``{placeholders}`` handed to an error, a pydantic custom error whose
placeholders its context lacks or that uses ``!r``/format specs pydantic does not know), and
each message builder called with real inputs. The hostile corpus (tests/hostile) checks the
printed lines of every case on top.
"""

from __future__ import annotations

import ast
import math
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from corredor.errors import ScenarioError
from corredor.scenario.corridor import params, problems
from corredor.scenario.flee.settings import settings_from_dict

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hostile"))
from corpus import UNFILLED

SRC = Path(__file__).resolve().parents[2] / "src" / "corredor"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(![rsa])?(:[^}\s]*)?\}")
#: callables whose string arguments end up in a message a user reads
MESSAGE_SINKS = re.compile(r"(Error|Problem|_err|_error|_problem|error|raise_problems)$")


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _calls() -> list[tuple[Path, ast.Call]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [(path, node) for node in ast.walk(tree) if isinstance(node, ast.Call)]
    return found


CALLS = _calls()


def test_no_plain_string_template_reaches_an_error() -> None:
    bad = []
    for path, call in CALLS:
        name = _name(call.func)
        if name == "PydanticCustomError" or not MESSAGE_SINKS.search(name):
            continue
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            text = arg.value if isinstance(arg, ast.Constant) else None
            if isinstance(text, str) and (PLACEHOLDER.search(text) or "{{" in text):
                bad.append(f"{path.relative_to(SRC)}:{call.lineno}: {text!r}")
    assert not bad, "templates that nothing fills:\n" + "\n".join(bad)


def test_pydantic_custom_errors_are_fillable() -> None:
    seen = 0
    for path, call in CALLS:
        if _name(call.func) != "PydanticCustomError":
            continue
        seen += 1
        template = call.args[1] if len(call.args) > 1 else None
        if not isinstance(template, ast.Constant) or not isinstance(template.value, str):
            continue  # a message formatted in Python before (params._error)
        context = call.args[2] if len(call.args) > 2 else None
        keys: set[str] = set()
        if isinstance(context, ast.Dict):
            keys = {k.value for k in context.keys if isinstance(k, ast.Constant)}
        elif isinstance(context, ast.Name):  # a dict built just before: trust its literal keys
            keys = _dict_keys_assigned(path, context.id)
        where = f"{path.relative_to(SRC)}:{call.lineno}"
        assert "{{" not in template.value, f"{where}: pydantic prints '{{{{' as is"
        for m in PLACEHOLDER.finditer(template.value):
            assert not m.group(2) and not m.group(3), f"{where}: pydantic knows no !r or :spec"
            assert m.group(1) in keys, f"{where}: {m.group(1)!r} is not in the error's context"
    assert seen >= 2


def _dict_keys_assigned(path: Path, name: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    keys: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Dict)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        ):
            keys |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    return keys


# ----------------------------------------------------------------------------- builders
PARAM_INPUTS: list[Any] = [
    "abc",
    "x" * 5000,
    float("nan"),
    math.inf,
    -5.0,
    7.0,
    "$",
    "$9bad",
    "rest",
    {"value": 1},
    {"value": 1, "source": ""},
    {"value": "y", "source": "s"},
    [1, 2],
    None,
    True,
]


@pytest.mark.parametrize("raw", PARAM_INPUTS, ids=[repr(r)[:20] for r in PARAM_INPUTS])
def test_param_messages_are_filled(raw: Any) -> None:
    try:
        params.parse_param(raw, 0.0, 1.0, allow_rest=False)
    except Exception as exc:
        text = str(exc)
        assert not UNFILLED.search(text), text
        assert len(text) < 400
    else:
        pytest.fail(f"{raw!r} was accepted as a probability")


@pytest.mark.parametrize("kind", sorted(problems._SPECIAL))
def test_problem_builders_are_filled(kind: str) -> None:
    error = {
        "loc": ("services", 0, "name"),
        "type": "string_pattern_mismatch" if kind == "string_pattern_mismatch" else kind,
        "msg": "Value error, something is wrong",
        "input": "x" * 3000,
        "ctx": {"expected": "'a' or 'b'", "pattern": "^[a-z]+$"},
    }
    if kind == "key":
        error["loc"] = ("services", "[key]")
    problem = problems.problem_from_pydantic(error)
    for text in (problem.message, problem.expected or "", problem.fix or ""):
        assert not UNFILLED.search(text), text
        assert len(text) < 400


def test_settings_messages_are_filled() -> None:
    cases: list[dict[str, Any]] = [
        {"move_rules": {"softening": "soft"}},
        {"move_rules": {"avoid_short_stints": "False"}},
        {"move_rules": {"max_move_speed": -1}},
        {"spawn_rules": {"conflict_driven_spawning": {"spawn_mode": "x" * 900}}},
        {"corredor": {"nope": 1}},
        {"log_levels": []},
    ]
    for raw in cases:
        with pytest.raises(ScenarioError) as info:
            settings_from_dict(raw, "simsetting.yml")
        text = str(info.value)
        assert not UNFILLED.search(text), text
        assert len(text) < 700, text


def test_scenario_errors_say_where() -> None:
    err = ScenarioError("f.csv", "bad {thing}", line=3, column="c", fix="do {this}")
    assert str(err) == "f.csv, line 3, column c: bad {thing}. Fix: do {this}"


def test_validation_error_still_a_pydantic_error() -> None:
    with pytest.raises(ValidationError):
        from pydantic import TypeAdapter

        TypeAdapter(params.Prob).validate_python("not a number")
