"""Command-line options and output paths under hostile values (families of inputs, with
Hypothesis), and the store's lock: the cases the audit of issue 16 found still failing.

* any value of any length in any option (long, escapes, NUL, bidirectional overrides): exit
  status 0 or 2, and on 2 one ``error:`` line that quotes a short excerpt of the value — never
  the value whole, never "internal error" (a name too long for the file system is the user's);
* NaN and infinity in a number option: refused as not finite, not as "out of range";
* the seeds of the replicas (``seed … seed + replicas - 1``) must all be seeds;
* an output path (``--report``, ``--png``, ``--output``) that cannot be written is refused
  before the work, not after a whole simulation;
* a new lock file whose lock cannot be taken stops the save.

See docs/reliability.md.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import Case, check_outcome, run_cli, write_tiny
from test_fuzz import FUZZ as FAMILY

from corredor.app.requests import (
    MAX_SEED,
    BacktestRequest,
    BargainRequest,
    EnsembleRequest,
    ForecastRequest,
    RequestError,
    RunRequest,
)

#: The longest error line a hostile option value may produce (the message, the excerpt of the
#: value and the temporary folder's path).
MAX_LINE = 800


# ------------------------------------------------------------------ values of any length
def _long(char: str, n: int) -> str:
    return char * n


VALUES = st.one_of(
    st.text(max_size=40),
    st.builds(
        _long,
        st.sampled_from(["x", "9", "é", "/", "\x1b", "\u202e", "a\x00"]),
        st.integers(300, 120_000),
    ),
)
#: Command lines with one slot, ``{v}``, for the hostile value ({scenario}, {out} filled).
COMMANDS = [
    ["run", "{scenario}", "--set", "{v}=1.5"],
    ["run", "{scenario}", "--set", "circuity={v}"],
    ["run", "{scenario}", "--event", "{v}"],
    ["run", "{scenario}", "--without-event", "{v}"],
    ["run", "{scenario}", "--calibration", "{v}"],
    ["run", "{scenario}", "--days", "{v}"],
    ["run", "{scenario}", "--x{v}"],
    ["validate", "{v}"],
    ["scenario", "show", "{v}"],
    ["report", "{v}"],
    ["runs", "--kind", "{v}"],
    ["runs", "--since", "{v}"],
]


def _fill(args: list[str], value: str, scenario: Path, out: Path) -> list[str]:
    filled = [
        a.replace("{scenario}", str(scenario)).replace("{out}", str(out)).replace("{v}", value)
        for a in args
    ]
    if args[0] == "run":
        filled += ["--days", "2"] if "--days" not in args else []
        filled += ["--no-progress"]
    if args[0] in ("run", "report", "runs"):
        filled += ["--store", str(out)]
    return filled


@FAMILY
@given(command=st.sampled_from(COMMANDS), value=VALUES)
def test_any_option_value_gives_one_short_line(command: list[str], value: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scenario = write_tiny(Path(tmp) / "s") / "scenario.yaml"
        args = _fill(command, value, scenario, Path(tmp) / "out")
        outcome = run_cli(args, {})
        case = Case(id="option", base="tiny", ops=(), args=tuple(args), exit=outcome.exit)
        problems = list(check_outcome(case, outcome))
        assert outcome.exit in (0, 2), (outcome.exit, outcome.stderr[:300])
        assert not problems, problems
        if outcome.exit == 2:
            (line,) = [x for x in outcome.stderr.splitlines() if x.startswith("error:")]
            assert len(line) <= MAX_LINE, len(line)
            if len(value) > MAX_LINE:
                assert value not in line


# ------------------------------------------------------------------ NaN and infinity
NOT_FINITE = ["nan", "NaN", "-nan", "inf", "-inf", "+inf", "Infinity", "-Infinity"]
FLOAT_OPTIONS = [
    ["bargain", "mexico-us", "--exposure"],
    ["bargain", "mexico-us", "--credibility"],
    ["calibrate", "{scenario}", "--agent-budget"],
]


@FAMILY
@given(command=st.sampled_from(FLOAT_OPTIONS), value=st.sampled_from(NOT_FINITE))
def test_not_finite_numbers_are_refused_as_such(command: list[str], value: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scenario = write_tiny(Path(tmp) / "s") / "scenario.yaml"
        args = [a.replace("{scenario}", str(scenario)) for a in command]
        outcome = run_cli([*args, value, "--store", str(Path(tmp) / "out")], {})
        assert outcome.exit == 2, outcome.stderr[:300]
        (line,) = [x for x in outcome.stderr.splitlines() if x.startswith("error:")]
        assert command[-1] in line
        if "nan" in value.lower():  # before: "input should be less than or equal to 1"
            assert "finite number" in line, line
        else:
            assert "finite number" in line or "not in the range" in line, line


def test_python_api_refuses_nan_by_name() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="finite number"):
        BargainRequest(scenario="mexico-us", exposure=float("nan"))


# ------------------------------------------------------------------ seeds of the replicas
@FAMILY
@given(
    model=st.sampled_from([RunRequest, EnsembleRequest, ForecastRequest, BacktestRequest]),
    below=st.integers(0, 50),
    replicas=st.integers(1, 60),
)
def test_every_replica_has_a_seed(model: type, below: int, replicas: int) -> None:
    seed = MAX_SEED - below
    extra = {"until": "2020-06"} if model is ForecastRequest else {}
    if seed + replicas - 1 <= MAX_SEED:
        request = model(scenario="s", seed=seed, replicas=replicas, **extra)
        assert request.seed + request.replicas - 1 <= MAX_SEED
    else:  # before: accepted, then OverflowError (exit status 1) once the run started
        with pytest.raises(RequestError, match="largest seed"):
            model(scenario="s", seed=seed, replicas=replicas, **extra)


# ------------------------------------------------------------------ output paths
def _layout(tmp: Path) -> dict[str, str]:
    (tmp / "folder").mkdir()
    (tmp / "file").write_text("keep", encoding="utf-8")
    return {
        "a folder": str(tmp / "folder"),
        "under a file": str(tmp / "file" / "x.out"),
        "deep under a file": str(tmp / "file" / "a" / "b" / "x.out"),
    }


@pytest.mark.parametrize("where", ["a folder", "under a file", "deep under a file"])
@pytest.mark.parametrize("option", ["--report", "--png"])
def test_unwritable_output_fails_before_the_run(
    tmp_path: Path, option: str, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the whole simulation ran, then IsADirectoryError or FileExistsError (exit 1)."""
    scenario = write_tiny(tmp_path / "s") / "scenario.yaml"
    path = _layout(tmp_path)[where]
    store = tmp_path / "store"
    monkeypatch.chdir(tmp_path)
    args = ["run", str(scenario), "--days", "5", "--no-progress", "--store", str(store)]
    outcome = run_cli([*args, option, path], {})
    assert outcome.exit == 2, outcome.stderr[:500]
    (line,) = [x for x in outcome.stderr.splitlines() if x.startswith("error:")]
    assert line.startswith(f"error: {option} ")
    if where == "a folder":  # the example file name suits the option
        assert line.endswith("figure.png" if option == "--png" else "report.html"), line
    assert not store.exists(), "the run was made before the output was checked"
    assert (tmp_path / "file").read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize("field", ["output", "png"])
def test_report_checks_its_outputs_first(tmp_path: Path, field: str) -> None:
    """The use case refuses the output before it looks for the run (none exists here)."""
    from corredor.app import ReportRequest, report

    path = _layout(tmp_path)["a folder"]
    with pytest.raises(RequestError, match=f"--{field} .*is a folder, not a file"):
        report(ReportRequest(run="latest", **{field: path}), None)


def test_writable_outputs_pass(tmp_path: Path) -> None:
    from corredor.app.common import check_output

    check_output(None, "--png")
    check_output(tmp_path / "new" / "deeper" / "r.html", "--report")
    check_output(tmp_path / "new-folder", "--report", folder=True)
    (tmp_path / "f").write_text("", encoding="utf-8")
    check_output(tmp_path / "f", "--png")  # an existing file is replaced atomically
    with pytest.raises(RequestError, match="is a file, not a folder"):
        check_output(tmp_path / "f", "--report", folder=True)


# ------------------------------------------------------------------ the store's lock
def test_save_stops_when_its_new_lock_is_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the result of taking the lock was ignored, and the writer went on unlocked (a
    repair could then remove its temporary folder while it wrote)."""
    from corredor.errors import RunError
    from corredor.store import store as store_module

    monkeypatch.setattr(store_module, "_lock", lambda fh: False)
    with pytest.raises(RunError, match="holds the lock"):
        store_module._locked_file(tmp_path)
    assert not list(tmp_path.iterdir()), "the lock file was left behind"
