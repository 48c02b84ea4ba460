"""``corredor validate`` and ``corredor scenario list|show`` on corridor scenarios."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from corredor.cli import app
from corredor.scenario.builtin import scenarios as flee_scenarios
from corredor.scenario.corridor import builtin_corridor_scenarios

SRC = Path(__file__).resolve().parents[2] / "src"
runner = CliRunner()
OK_LINE = "OK: mexico-us: 53 locations, 71 links, 26 services, 23 policy events, 43 observables"


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of the built-in scenario with a service at an unknown place."""
    folder = tmp_path / "mexico-us"
    shutil.copytree(builtin_corridor_scenarios()["mexico-us"].parent, folder)
    path = folder / "scenario.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("    location: Acayucan\n") == 1
    path.write_text(text.replace("    location: Acayucan\n", "    location: Acayucann\n"))
    return path


def test_validate_builtin_by_name_and_path() -> None:
    result = runner.invoke(app, ["validate", "mexico-us"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().startswith(OK_LINE + "; about ")  # then the expected agents
    assert result.stdout.strip().endswith(" agents")
    path = str(builtin_corridor_scenarios()["mexico-us"])
    assert runner.invoke(app, ["validate", path]).stdout.strip() == result.stdout.strip()


def test_validate_broken_copy_exits_2_with_file_field_and_fix(broken: Path) -> None:
    result = runner.invoke(app, ["validate", str(broken)])
    assert result.exit_code == 2
    err = result.stderr
    assert err.startswith("error: ")
    assert str(broken) in err
    assert "field services[" in err and ".location" in err
    assert "Acayucann" in err and "Fix: did you mean 'Acayucan'?" in err
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_validate_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml" in result.stderr and "Fix:" in result.stderr


def test_validate_broken_table_in_a_subprocess(broken: Path) -> None:
    """The installed entry point: exit status 2, one error line, no traceback."""
    links = broken.parent / "links.csv"
    links.write_text(links.read_text().replace("Tijuana,San Diego,", "Tijuana,San Diegoo,"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), *sys.path])}
    proc = subprocess.run(
        [sys.executable, "-m", "corredor", "validate", str(broken.parent)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ")
    assert "links.csv" in proc.stderr and "column to" in proc.stderr


def test_scenario_list_shows_both_kinds() -> None:
    result = runner.invoke(app, ["scenario", "list"])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    kinds = {name: kind for name, kind, *_ in rows}
    assert kinds["mexico-us"] == "corridor"
    for name in flee_scenarios():
        assert kinds[name] == "flee"


def test_scenarios_command_lists_both_kinds() -> None:
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0
    names = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert set(flee_scenarios()) | {"mexico-us"} <= set(names)
    assert result.stdout == runner.invoke(app, ["scenario", "list"]).stdout


def test_scenario_show_prints_the_summary_first() -> None:
    result = runner.invoke(app, ["scenario", "show", "mexico-us"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.splitlines()[0].startswith("Scenario mexico-us")
    assert len(out.splitlines()) < 120  # a summary, not the ~1,200 lines of YAML
    assert "calibration parameters" in out and "hand-set" in out
    assert "2013-01-01 – 2021-09-30" in out
    assert "levers" in out and "Mexico's enforcement" in out
    whole = runner.invoke(app, ["scenario", "show", "mexico-us", "--yaml"]).stdout
    assert whole.index("Scenario mexico-us") < whole.index("name: mexico-us")
    assert "calibration:" in whole


def test_validate_and_show_take_flee_scenarios() -> None:
    result = runner.invoke(app, ["validate", "mali2012"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: mali2012: ") and " camps, " in result.stdout
    assert result.stdout.strip().endswith(" agents")  # the checks of a run: its expected size
    shown = runner.invoke(app, ["scenario", "show", "mali2012"])
    assert shown.exit_code == 0 and "Flee scenario" in shown.stdout


def test_scenario_events_and_levers() -> None:
    result = runner.invoke(app, ["scenario", "events", "mexico-us"])
    assert result.exit_code == 0, result.output
    for word in ("mx-gn-south-2019", "2019-06-07", "enforcement.mx_southern.effort"):
        assert word in result.stdout
    # the counterfactual events it ships, to add with --event ID or --event NAME
    for word in ("Counterfactual events", "cf-mx-integration-2019", "comar_instead_of_troops"):
        assert word in result.stdout
    result = runner.invoke(app, ["scenario", "levers", "mexico-us"])
    assert result.exit_code == 0, result.output
    for word in (
        "Mexico's enforcement",
        "Asylum and visas",
        "US programmes",
        "The US–Mexico bargain",
        "inm_effort_southern",
        "personnel",
        "stc_return_share",
        "--set NAME=VALUE",
    ):
        assert word in result.stdout, word
    flee = runner.invoke(app, ["scenario", "levers", "mali2012"])
    assert flee.exit_code == 2 and "Flee scenario" in flee.stderr


def test_scenario_show_unknown_exits_2() -> None:
    result = runner.invoke(app, ["scenario", "show", "mali2013"])
    assert result.exit_code == 2
    assert "mexico-us" in result.stderr and "mali2012" in result.stderr
