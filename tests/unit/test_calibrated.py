"""The calibrated-parameter file (``corredor.scenario.corridor.calibrated``): round trip, checks,
atomic writes, and its use by default in a run (``resolve_calibration``) with an opt-out."""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path

import pytest
import yaml

from corredor.calibration import (
    Calibrated,
    EnsembleMember,
    load_calibrated,
    save_calibrated,
    uncalibrated,
)
from corredor.errors import ScenarioError
from corredor.rules.corridor.compiled import compile_corridor
from corredor.scenario.corridor import (
    CorridorScenario,
    load_corridor_scenario,
    resolve_calibration,
)
from corredor.scenario.corridor.calibrated import CALIBRATED_FILE, git_commit, read_calibrated

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import CALIBRATION, write_corridor_dir


@pytest.fixture
def scenario(tmp_path: Path) -> CorridorScenario:
    return load_corridor_scenario(write_corridor_dir(tmp_path / "c", days=30))


def save(sc: CorridorScenario, **kw: object) -> Calibrated:
    args: dict[str, object] = {
        "parameters": {"base_departures": 55.5, "mid_hazard": 0.002},
        "loss": 0.25,
        "command": "corredor calibrate c --trials 4",
        "data_until": "2020-01-30",
        "scenario": sc,
        "ensemble": [
            EnsembleMember(0.5, {"base_departures": 50.0, "mid_hazard": 0.002}, 0.3),
            EnsembleMember(0.5, {"base_departures": 60.0, "mid_hazard": 0.003}),
        ],
        "study": {"trials": 4},
        "commit": "0" * 40,
    }
    args.update(kw)
    assert sc.path is not None
    return save_calibrated(sc.path.parent / CALIBRATED_FILE, **args)  # type: ignore[arg-type]


def test_no_file_means_none(scenario: CorridorScenario) -> None:
    assert load_calibrated(scenario) is None
    resolved = resolve_calibration(scenario)
    assert resolved.name == "uncalibrated" and resolved.values == {}
    assert resolved.path is None and resolved.sha256 is None
    c = compile_corridor(scenario, resolved.values, days=2)
    assert c.calibration["base_departures"] == CALIBRATION["base_departures"][0]


def test_round_trip(scenario: CorridorScenario) -> None:
    written = save(scenario)
    loaded = load_calibrated(scenario)
    assert loaded is not None
    assert loaded.parameters == {"base_departures": 55.5, "mid_hazard": 0.002}
    assert loaded.loss == 0.25
    assert loaded.data_until == dt.date(2020, 1, 30)
    assert loaded.command == "corredor calibrate c --trials 4"
    assert loaded.git_commit == "0" * 40
    assert loaded.scenario == "tiny-test-corridor"
    assert loaded.version == 1 == written.version
    assert loaded.weights() == [0.5, 0.5]
    assert loaded.ensemble[0].loss == 0.3 and loaded.ensemble[1].loss is None
    assert loaded.member(1) == {"base_departures": 60.0, "mid_hazard": 0.003}
    assert loaded.study == {"trials": 4}
    doc = yaml.safe_load((scenario.base_dir / CALIBRATED_FILE).read_text())
    assert list(doc)[:8] == [
        "version",
        "scenario",
        "created",
        "command",
        "git_commit",
        "data_until",
        "loss",
        "parameters",
    ]
    dt.datetime.fromisoformat(doc["created"])  # an ISO timestamp


def test_version_increases_and_write_is_atomic(scenario: CorridorScenario) -> None:
    save(scenario)
    second = save(scenario, loss=0.2)
    assert second.version == 2
    loaded = load_calibrated(scenario)  # the cache sees the new file
    assert loaded is not None and loaded.version == 2 and loaded.loss == 0.2
    leftovers = [p.name for p in scenario.base_dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_applied_by_default_overrides_win_and_opt_out(scenario: CorridorScenario) -> None:
    save(scenario)
    resolved = resolve_calibration(scenario)
    path = scenario.base_dir / CALIBRATED_FILE
    assert resolved.name == "calibrated.yaml, version 1" and resolved.version == 1
    assert resolved.path == path
    assert resolved.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    c = compile_corridor(scenario, resolved.values, days=2)
    assert c.calibration["base_departures"] == 55.5  # calibrated by default
    assert c.calibration["speed_road"] == CALIBRATION["speed_road"][0]  # not fitted: default
    c = compile_corridor(scenario, {**resolved.values, "base_departures": 7.0}, days=2)
    assert c.calibration["base_departures"] == 7.0  # an explicit value wins
    assert c.calibration["mid_hazard"] == 0.002
    # the rules read no file: without the values, the scenario's defaults
    c = compile_corridor(scenario, days=2)
    assert c.calibration["base_departures"] == CALIBRATION["base_departures"][0]
    assert resolve_calibration(scenario, "uncalibrated").values == {}
    other = resolve_calibration(scenario, path)
    assert other.name == str(path) and other.values == resolved.values
    c = compile_corridor(scenario, {**resolved.values, **uncalibrated(scenario)}, days=2)
    assert c.calibration["base_departures"] == CALIBRATION["base_departures"][0]
    assert c.calibration["mid_hazard"] == CALIBRATION["mid_hazard"][0]


def test_one_resolver_for_every_source(scenario: CorridorScenario, tmp_path: Path) -> None:
    """The scenario layer's resolve_calibration takes every name a request does (``shipped``,
    ``none``, a file, a folder); the app layer's adds stored runs and calls it."""
    from corredor.app.inputs import resolve_calibration as app_resolve
    from corredor.errors import CorredorError
    from corredor.store import ResultsStore

    missing = resolve_calibration(scenario, "shipped")
    assert missing.values == {} and "ships no calibrated.yaml" in missing.note
    cal, used, notes = app_resolve(scenario, "shipped")
    assert cal is None and used.name == "shipped" and notes == [missing.note]
    save(scenario)
    shipped = resolve_calibration(scenario, "shipped")
    assert shipped == resolve_calibration(scenario) and shipped.note == ""
    assert resolve_calibration(scenario, "none") == resolve_calibration(scenario, "uncalibrated")
    by_folder = resolve_calibration(scenario, scenario.base_dir)
    assert by_folder.values == shipped.values and by_folder.sha256 == shipped.sha256
    cal, used, notes = app_resolve(scenario, str(scenario.base_dir))
    assert cal is not None and cal.parameters == shipped.values and notes == []
    assert (used.name, used.file, used.sha256) == ("file", str(by_folder.path), shipped.sha256)
    with pytest.raises(CorredorError, match="nor a calibration stored"):
        app_resolve(scenario, "no-such-calibration", ResultsStore(tmp_path / "runs"))


def _write(sc: CorridorScenario, doc: dict[str, object]) -> Path:
    path = sc.base_dir / CALIBRATED_FILE
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def _doc(**kw: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "version": 1,
        "created": "2025-01-01T00:00:00+00:00",
        "command": "x",
        "data_until": "2020-01-30",
        "loss": 1.0,
        "parameters": {"base_departures": 40.0},
    }
    doc.update(kw)
    return {k: v for k, v in doc.items() if v is not None}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"parameters": {"no_such": 1.0}}, "not a calibration parameter"),
        ({"parameters": {"base_departures": 5000.0}}, "outside the parameter's range"),
        ({"parameters": {"base_departures": "many"}}, "not a number"),
        ({"data_until": "2021-10-31"}, "after the data horizon"),
        ({"data_until": "yesterday"}, "not a date"),
        ({"version": 0}, "not a version number"),
        ({"loss": None}, "missing key"),
        ({"colour": "red"}, "unknown key"),
        ({"scenario": "another"}, "was made for scenario"),
        ({"ensemble": [{"weight": 0.5, "parameters": {"base_departures": 40.0}}]}, "sum to"),
        ({"ensemble": [{"weight": 1.0}]}, "weight: w, parameters"),
    ],
)
def test_bad_files_name_file_and_field(
    scenario: CorridorScenario, changes: dict[str, object], message: str
) -> None:
    path = _write(scenario, _doc(**changes))
    with pytest.raises(ScenarioError, match=message) as info:
        load_calibrated(scenario)
    assert info.value.file == str(path)
    # a run refuses to use it, with the same error
    with pytest.raises(ScenarioError, match=message):
        resolve_calibration(scenario)


def test_invalid_yaml(scenario: CorridorScenario) -> None:
    path = scenario.base_dir / CALIBRATED_FILE
    path.write_text("version: [1\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid YAML") as info:
        read_calibrated(path, scenario)
    assert info.value.line is not None


def test_save_checks_before_writing(scenario: CorridorScenario) -> None:
    with pytest.raises(ScenarioError, match="outside"):
        save(scenario, parameters={"base_departures": -1.0})
    assert not (scenario.base_dir / CALIBRATED_FILE).exists()


def test_git_commit_outside_a_checkout(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None
    repo = tmp_path / "repo"
    (repo / ".git" / "refs" / "heads").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / ".git" / "refs" / "heads" / "main").write_text("a" * 40 + "\n")
    assert git_commit(repo / "sub") == "a" * 40


def test_builtin_file_is_shipped_and_valid() -> None:
    sc = load_corridor_scenario("mexico-us")
    cal = load_calibrated(sc)
    if cal is None:  # uninstalled while the scenario changed (docs/calibration.md): no file
        assert not (sc.base_dir / "calibrated.yaml").exists()
        pytest.skip("mexico-us has no installed calibration (docs/calibration.md)")
    assert cal.data_until <= dt.date(2021, 9, 30)
    assert cal.command.startswith("corredor calibrate mexico-us")
    assert set(cal.parameters) <= set(sc.calibration)
    assert cal.ensemble and abs(sum(cal.weights()) - 1.0) < 1e-6
