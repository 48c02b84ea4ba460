"""What a web worker keeps between runs is kept only while what it was made from is unchanged
(issue 15 §2): the scenario's content digest, its shipped counterfactual events and the observed
rows a run is compared with are each read again once a file under the scenario's folder
changes, and give then what a fresh process gives."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest
import yaml

from corredor.app.inputs import added_events, load_scenario
from corredor.results.provenance import files_sha256
from corredor.simulation.corridor import run_corridor
from corredor.store import corridor as store_corridor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import policy_event, write_corridor_dir

EXPEL_ALL = [{"parameter": "services.processing.outcomes.default.expel.p", "op": "set", "value": 1}]


def _touch_later(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with a modification time surely unlike the old one."""
    old = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(old + 2_000_000_000, old + 2_000_000_000))


def _fresh_digest(path: Path) -> str:
    """The scenario's digest as computed from scratch: its YAML and the files it names."""
    folder = path.parent
    files = [folder / n for n in ("scenario.yaml", "locations.csv", "links.csv", "policy.yaml")]
    return files_sha256(folder, files)


def test_scenario_digest_follows_its_files(tmp_path: Path) -> None:
    path = write_corridor_dir(tmp_path / "c")
    sc = load_scenario(str(path))
    first = store_corridor.scenario_sha256(sc)
    assert first == _fresh_digest(path)
    assert store_corridor.scenario_sha256(sc) == first  # kept: the same answer
    _, files, inside = store_corridor.scenario_files(sc)
    assert inside and {f.name for f in files} == {
        "scenario.yaml",
        "locations.csv",
        "links.csv",
        "policy.yaml",
    }
    links = path.parent / "links.csv"
    _touch_later(links, links.read_text(encoding="utf-8") + "\n")
    changed = store_corridor.scenario_sha256(sc)  # the same scenario object, a changed file
    assert changed != first
    assert changed == _fresh_digest(path)
    # a file nobody names changes nothing but is seen; the digest stays the content's
    (path.parent / "notes.txt").write_text("x", encoding="utf-8")
    assert store_corridor.scenario_sha256(sc) == changed


def test_scenario_naming_a_file_outside_is_not_kept(tmp_path: Path) -> None:
    path = write_corridor_dir(tmp_path / "c")
    outside = tmp_path / "shared.csv"
    sc = load_scenario(str(path))
    far = sc.model_copy(update={"description": "../shared.csv"})  # a string naming it
    before = store_corridor.scenario_sha256(far)  # no such file yet: the folder's files only
    assert before == _fresh_digest(path)
    outside.write_text("a\n1\n", encoding="utf-8")  # outside the folder: no stamp sees it
    assert not store_corridor.scenario_files(far)[2]  # now read, and not inside the folder
    now = store_corridor.scenario_sha256(far)
    assert now != before
    _touch_later(outside, "a\n2\n")
    assert store_corridor.scenario_sha256(far) != now  # looked at afresh every time


def test_shipped_events_follow_their_files(tmp_path: Path) -> None:
    path = write_corridor_dir(tmp_path / "c")
    folder = path.parent / "counterfactuals"
    folder.mkdir()
    one = policy_event(EXPEL_ALL, start=dt.date(2020, 1, 5), event_id="cf-one")
    (folder / "cf.yaml").write_text(yaml.safe_dump([one]), encoding="utf-8")
    sc = load_scenario(str(path))
    assert list(added_events(sc)) == ["cf-one"]
    assert list(added_events(sc)) == ["cf-one"]  # kept
    two = policy_event(EXPEL_ALL, start=dt.date(2020, 1, 9), event_id="cf-two")
    _touch_later(folder / "cf.yaml", yaml.safe_dump([one, two]))
    found = added_events(sc)
    assert list(found) == ["cf-one", "cf-two"]
    assert found["cf-two"].event.start == dt.date(2020, 1, 9)
    # the result is the caller's: changing it changes nothing kept
    found.clear()
    assert list(added_events(sc)) == ["cf-one", "cf-two"]


@pytest.fixture()
def observed_dir(tmp_path: Path) -> Path:
    path = write_corridor_dir(tmp_path / "c", days=90)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["observables"][0]["data"] = {"file": "observed.csv", "value_column": "value"}
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    rows = [
        "period_start,period_end,value,source",
        "2020-01-01,2020-01-31,5,test",
        "2020-02-01,2020-02-29,7,test",
        "2020-03-01,2020-03-31,9,test",  # ends on day 91: outside a 90-day run
    ]
    (path.parent / "observed.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_observed_rows_follow_their_file(observed_dir: Path) -> None:
    sc = load_scenario(str(observed_dir))
    result = run_corridor(sc, seed=0, days=90)
    table = result.observed_vs_simulated()
    assert table["observed"].tolist() == [5.0, 7.0]  # the March row reaches past the run
    assert table["period_start"].tolist() == [dt.date(2020, 1, 1), dt.date(2020, 2, 1)]
    daily = result.obs_daily[:, 0]
    assert table["simulated"].tolist() == [float(daily[:31].sum()), float(daily[31:60].sum())]
    assert result.observed_vs_simulated().equals(table)  # kept: the same table
    data = observed_dir.parent / "observed.csv"
    _touch_later(data, data.read_text(encoding="utf-8").replace(",7,", ",70,"))
    again = result.observed_vs_simulated()
    assert again["observed"].tolist() == [5.0, 70.0]
    short = run_corridor(sc, seed=0, days=40).observed_vs_simulated()
    assert short["observed"].tolist() == [5.0]  # rows past the run left out, per run
