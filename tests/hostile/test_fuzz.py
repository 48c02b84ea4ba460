"""Property-based fuzzing of the input boundary: malformed scenario folders and policy files
generated from the real schema (the documented example scenario and a small Flee scenario,
mutated at every level), and the promise they must all keep:

* either an input error — a :class:`~corredor.errors.CorredorError` naming a file, one short
  line, no unfilled template — or a scenario that validates and then runs;
* never another exception, and within bounded time and memory.

The budget is fixed (:data:`EXAMPLES` per property, deterministic: ``derandomize``) so the suite
stays fast; docs/reliability.md gives the numbers and how to run a longer campaign
(``CORREDOR_FUZZ_EXAMPLES=2000``).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import UNFILLED, doc_example, write_flee

from corredor.errors import CorredorError, ScenarioError

EXAMPLES = int(os.environ.get("CORREDOR_FUZZ_EXAMPLES", "25"))
SECONDS = 60.0
MEMORY_MB = 600
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

# ----------------------------------------------------------------------------- values
NASTY_TEXT = [
    "",
    " ",
    "$",
    "$nope",
    "$base_departures_aaa",
    "rest",
    "none",
    "../../etc/passwd",
    "/dev/zero",
    "2019-06-31",
    "2019-02-29",
    "1e400",
    "-1",
    "NaN",
    "inf",
    "\x1b[31m",
    "\u202e",
    "a,b",
    '"',
    "x" * 5000,
    "Alpha",
    "Gamma -> Delta",
    "AAA",
    "default",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.5, 2, 1e12, 1e308, -1e12, 10**400]),
    st.sampled_from(NASTY_TEXT),
    st.text(max_size=30),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["value", "source", "p", "x", "name"]), inner, max_size=3),
    ),
    max_leaves=6,
)


# ----------------------------------------------------------------------------- documents
def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(doc: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value if action == "replace" else doc
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "add" and isinstance(parent, dict):
        parent[f"unknown_{len(parent)}"] = value
    elif action == "add" and isinstance(parent, list):
        parent.append(value)
    else:
        parent[last] = value
    return doc


def _dump(doc: Any) -> str:
    try:
        return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, OverflowError, ValueError):
        return yaml.safe_dump(str(doc))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _holds(action: Callable[[], object]) -> object:
    """Run ``action``: an input error must be one short line naming a file; anything else
    must succeed; both within the time and memory bounds."""
    before, t0 = _peak_mb(), time.perf_counter()
    result: object = None
    try:
        result = action()
    except CorredorError as exc:
        text = str(exc)
        assert len(text) < 1500, text[:300]
        assert not UNFILLED.search(text), text
        if isinstance(exc, ScenarioError):
            assert exc.file or exc.field, text
        result = exc
    assert time.perf_counter() - t0 < SECONDS
    assert _peak_mb() - before < MEMORY_MB
    return result


def _validate_then_run(folder: Path, days: int = 3) -> None:
    """Validate; if the scenario passes, a short run of it must work too."""
    from corredor.scenario.validate import validate_scenario

    found = _holds(lambda: validate_scenario(folder))
    if isinstance(found, CorredorError):
        return
    if (folder / "scenario.yaml").exists():
        from corredor.simulation.corridor import run_corridor

        result = _holds(lambda: run_corridor(folder, seed=0, days=days))
        assert not isinstance(result, CorredorError), f"validated but the run refused: {result}"
    else:
        import corredor

        result = _holds(lambda: corredor.run(folder, seed=0, days=days))
        assert not isinstance(result, CorredorError), f"validated but the run refused: {result}"


def _tiny(folder: Path) -> dict[str, str]:
    files = doc_example()
    for name, body in files.items():
        (folder / name).write_text(body, encoding="utf-8")
    return files


ACTIONS = st.sampled_from(["replace", "replace", "delete", "add"])


# ----------------------------------------------------------------------------- properties
@FUZZ
@given(data=st.data(), action=ACTIONS, value=values)
def test_fuzz_scenario_yaml(data: st.DataObject, action: str, value: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = _tiny(folder)
        doc = yaml.safe_load(files["scenario.yaml"])
        path = data.draw(st.sampled_from(_paths(doc)), label="path")
        doc = _mutate(doc, path, action, value)
        (folder / "scenario.yaml").write_text(_dump(doc), encoding="utf-8")
        _validate_then_run(folder)


@FUZZ
@given(data=st.data(), action=ACTIONS, value=values)
def test_fuzz_policy_events(data: st.DataObject, action: str, value: Any) -> None:
    from corredor.scenario.corridor import load_corridor_scenario, parameter_values

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = _tiny(folder)
        names = sorted(parameter_values(load_corridor_scenario(folder)))
        doc = yaml.safe_load(files["policy.yaml"])
        change = doc[0]["changes"][0]
        change["parameter"] = data.draw(st.sampled_from(names), label="parameter")
        change["op"] = data.draw(st.sampled_from(["set", "multiply", "add"]), label="op")
        change["value"] = data.draw(
            st.one_of(
                st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
                st.sampled_from([0, 1, -1, 0.5, 2, 1e12, -1e12, "$hazard_per_agent"]),
            ),
            label="value",
        )
        doc = _mutate(doc, data.draw(st.sampled_from(_paths(doc)), label="path"), action, value)
        (folder / "policy.yaml").write_text(_dump(doc), encoding="utf-8")
        _validate_then_run(folder)


TABLES = ("locations.csv", "links.csv", "observed.csv", "drivers.csv")


@FUZZ
@given(data=st.data(), cell=st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=20)))
def test_fuzz_csv_cells(data: st.DataObject, cell: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = _tiny(folder)
        name = data.draw(st.sampled_from(TABLES), label="table")
        lines = files[name].splitlines()
        row = data.draw(st.integers(0, len(lines) - 1), label="row")
        fields = lines[row].split(",")
        col = data.draw(st.integers(0, len(fields) - 1), label="column")
        fields[col] = cell
        lines[row] = ",".join(fields)
        (folder / name).write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))
        _validate_then_run(folder)


SETTINGS_KEYS = {
    "move_rules": [
        "max_move_speed",
        "default_movechance",
        "camp_weight",
        "softening",
        "awareness_level",
        "capacity_buffer",
        "distance_power",
    ],
    "spawn_rules": ["take_from_population", "insert_day0", "conflict_spawn_decay"],
    "optimisations": ["hasten"],
}


@FUZZ
@given(data=st.data(), value=values)
def test_fuzz_flee_settings(data: st.DataObject, value: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_flee(Path(tmp) / "flee")
        section = data.draw(st.sampled_from(sorted(SETTINGS_KEYS)), label="section")
        key = data.draw(st.sampled_from(SETTINGS_KEYS[section]), label="key")
        if isinstance(value, float) and math.isnan(value):
            text = f"{section}:\n  {key}: .nan\n"
        else:
            text = _dump({section: {key: value}})
        (folder / "simsetting.yml").write_text(text, encoding="utf-8")
        _validate_then_run(folder, days=2)
