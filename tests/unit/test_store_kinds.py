"""Every kind in the one store: records round-trip exactly, a store of the earlier version opens,
ids never collide, results come out as tidy frames and xarray, compare pairs by seed, the report
of every kind is made after the fact, identical requests are found, deletion is explicit."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from corredor import app
from corredor.app import EnsembleRequest, RunRequest
from corredor.errors import RunError
from corredor.results.record import Record
from corredor.store import NoSuchRunError, ResultsStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_store import assert_same, make_result

from corridor_dirs import write_corridor_dir

DAYS = 45


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corridor_dir(tmp_path_factory.mktemp("kinds") / "c")


@pytest.fixture(scope="module")
def filled(
    tiny: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ResultsStore, dict[str, str]]:
    """A store with a corridor run, a paired pair of ensembles and a Flee run."""
    store = ResultsStore(tmp_path_factory.mktemp("kinds-store") / "runs")
    ids = {}
    ids["run"] = app.run(RunRequest(scenario=str(tiny), days=DAYS, seed=2), store).run_id
    ids["lever"] = app.run(
        RunRequest(scenario=str(tiny), days=DAYS, seed=2, set={"dest_hazard": 5.0}), store
    ).run_id
    ens = EnsembleRequest(scenario=str(tiny), days=DAYS, replicas=2, sets="uncalibrated")
    ids["ens"] = app.ensemble(ens, store).run_id
    ids["ens_lever"] = app.ensemble(
        ens.model_copy(update={"set": {"dest_hazard": 5.0}}), store
    ).run_id
    ids["flee"] = store.save(make_result(replicas=2))
    return store, ids


def test_kinds_listed_with_filters(filled: tuple[ResultsStore, dict[str, str]]) -> None:
    store, ids = filled
    df = store.list()
    assert sorted(df["kind"]) == ["corridor", "corridor", "corridor-ensemble",
                                  "corridor-ensemble", "flee"]  # fmt: skip
    assert list(store.list(kind="corridor")["run_id"]) == [ids["run"], ids["lever"]]
    assert store.list(kind="flee", scenario="tiny")["run_id"].tolist() == [ids["flee"]]
    assert store.list(since=dt.datetime(2999, 1, 1)).empty
    assert store.resolve("latest", kind="corridor") == ids["lever"]


def test_ensemble_round_trip_is_exact(filled: tuple[ResultsStore, dict[str, str]]) -> None:
    store, ids = filled
    ens = app.load(store, ids["ens"])
    again = app.load(store, ids["ens"])
    np.testing.assert_array_equal(ens.monthly, again.monthly)
    assert ens.seeds == (0, 1) and ens.monthly.shape[:2] == (1, 2)
    stored = store.record(ids["ens"]).table("bands_annual")
    pd.testing.assert_frame_equal(stored, ens.bands("annual"), check_dtype=False)


def test_xarray_and_tidy_frames(filled: tuple[ResultsStore, dict[str, str]]) -> None:
    from corredor.app.arrays import dataset, tables

    store, ids = filled
    ds = dataset(app.load(store, ids["ens"]))
    assert ds["monthly"].dims == ("set", "replica", "month", "observable")
    assert list(ds["seed"].values) == [0, 1]
    one = dataset(app.load(store, ids["run"]))
    assert one["monthly"].shape[:2] == (1, 1)
    run = app.load(store, ids["run"])
    got = one["monthly"].sel(observable="dest_apprehensions").values[0, 0]
    np.testing.assert_array_equal(got, run.monthly()["dest_apprehensions"].to_numpy())
    flee = dataset(app.load(store, ids["flee"]))
    assert flee["count"].dims == ("set", "replica", "time", "location")
    frames = tables(store, ids["run"])
    assert {"monthly", "ledger", "fit", "locations", "links"} <= set(frames)
    assert not any(name.startswith("array_") for name in frames)
    assert list(frames["monthly"].columns) == ["month", "observable", "value"]


def test_compare_pairs_by_seed(filled: tuple[ResultsStore, dict[str, str]]) -> None:
    from corredor.app import CompareRequest

    store, ids = filled
    same = app.compare(CompareRequest(a=ids["ens"], b=ids["ens"]), store)
    assert same.paired and (same.tables["annual"][["p05", "median", "p95"]] == 0).all().all()
    lever = app.compare(CompareRequest(a=ids["ens"], b=ids["ens_lever"]), store)
    assert lever.paired and lever.notes  # same seeds, other parameters: said so
    ap = lever.tables["annual"]
    dest = ap[ap["observable"] == "dest_apprehensions"]
    assert (dest["median"] != 0).any()
    single = app.compare(CompareRequest(a=ids["run"], b=ids["lever"]), store)
    assert single.paired and set(single.tables) == {"annual", "ledger", "monthly"}
    unpaired = app.compare(CompareRequest(a=ids["run"], b=ids["ens"]), store)
    assert not unpaired.paired and "not paired" in unpaired.notes[0]
    with pytest.raises(app.RequestError, match="cannot compare"):
        app.compare(CompareRequest(a=ids["run"], b=ids["flee"]), store)


def test_report_of_every_kind_after_the_fact(
    filled: tuple[ResultsStore, dict[str, str]], tmp_path: Path
) -> None:
    from corredor.app import ReportRequest

    store, ids = filled
    for name in ("run", "ens", "flee"):
        made = app.report(
            ReportRequest(run=ids[name], output=str(tmp_path / f"{name}.html")), store
        )
        text = made.html.read_text(encoding="utf-8")
        assert "<html" in text.lower() and len(text) > 2000, name
    text = (tmp_path / "ens.html").read_text(encoding="utf-8")
    assert "Corridor ensemble" in text and "data:image/png" in text and "bands annual" in text


def test_identical_request_is_found(
    tiny: Path, filled: tuple[ResultsStore, dict[str, str]]
) -> None:
    store, ids = filled
    request = RunRequest(scenario=str(tiny), days=DAYS, seed=2)
    assert app.find(request, store) == ids["run"]
    assert app.find(request.model_copy(update={"seed": 3}), store) is None
    lever = request.model_copy(update={"set": {"dest_hazard": 5.0}})
    assert app.find(lever, store) == ids["lever"]


def test_people_per_agent_and_geography(tiny: Path, tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "runs")
    stored = app.run(RunRequest(scenario=str(tiny), days=20, people_per_agent=10), store)
    back = store.load(stored.run_id)
    assert back.compiled.scenario.people_per_agent == 10
    np.testing.assert_array_equal(back.obs_daily, stored.result.obs_daily)
    links = store.record(stored.run_id).table("links")
    assert {"from", "to", "km"} <= set(links.columns) and (links["km"] > 0).all()
    with pytest.raises(app.InapplicableOptionError):
        app.run(RunRequest(scenario="mali2012", days=2, people_per_agent=2), store)


def test_delete_is_explicit(tmp_path: Path) -> None:
    copy = ResultsStore(tmp_path / "copy")
    parent = copy.save(make_result())
    child = copy.save(make_result(), parent=parent, label="part")
    with pytest.raises(RunError, match="belong to it"):
        copy.delete(parent)
    assert copy.delete(parent, with_children=True) == [child, parent]
    assert copy.list().empty and not copy.path(parent).exists()
    assert not list((tmp_path / "copy").glob(".tmp-*"))


def test_a_delete_that_loses_the_race_removes_nothing_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two deletes of one run (two web requests, two processes): the one that finds the row
    already gone is told so (the web answers 404), and it does not report a removal; before,
    both answered 204."""
    first, second = ResultsStore(tmp_path / "s"), ResultsStore(tmp_path / "s")
    run_id = first.save(make_result())
    keep = first.save(make_result())
    removed: list[str] = []

    def children(ref: str) -> list[str]:  # the second has read the row; the first deletes
        removed.extend(first.delete(run_id))
        return []

    monkeypatch.setattr(second, "children", children)
    with pytest.raises(NoSuchRunError, match="no run"):
        second.delete(run_id)
    assert removed == [run_id]
    assert first.run_ids() == [keep] and first.path(keep).is_dir()


def test_a_version_1_store_opens_and_migrates(tmp_path: Path) -> None:
    """A store written before results had kinds: catalogue schema 1, Flee run folders of
    format 1 (no kind, no list of tables)."""
    root = tmp_path / "old"
    new = ResultsStore(tmp_path / "new")
    result = make_result(replicas=2)
    run_id = new.save(result)
    shutil.copytree(new.path(run_id), root / run_id)
    summary = root / run_id / "summary.json"
    meta = json.loads(summary.read_text())
    for key in ("kind", "tables", "documents", "files", "provenance", "parent", "label"):
        meta.pop(key)
    meta["format"] = 1
    summary.write_text(json.dumps(meta))
    con = duckdb.connect(str(root / "catalogue.duckdb"))
    con.execute(
        "CREATE TABLE runs (run_id VARCHAR PRIMARY KEY, scenario VARCHAR, scenario_path VARCHAR,"
        " created TIMESTAMP, seeds VARCHAR, replicas INT, days INT, status VARCHAR, ard DOUBLE,"
        " ard_rescaled DOUBLE, seconds DOUBLE, agent_steps BIGINT, summary JSON, path VARCHAR)"
    )
    con.execute(
        "INSERT INTO runs VALUES (?, 'tiny', '/nowhere/tiny', now(), '3,4', 2, 6, 'complete',"
        " 0.1, 0.1, 1.0, 10, '{}', ?)",
        [run_id, str(root / run_id)],
    )
    con.close()
    old = ResultsStore(root)
    df = old.list()
    assert list(df["kind"]) == ["flee"] and list(df["run_id"]) == [run_id]
    back = old.load(run_id)
    assert_same(result, back)
    assert old.save(make_result()) != run_id  # and it takes new results


def test_records_of_unknown_kinds_are_refused(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    with pytest.raises(RunError, match="unknown result kind"):
        store.save(Record(kind="nonsense", scenario="x"))
    rid = store.save(Record(kind="backtest", scenario="x", tables={"t": pd.DataFrame({"a": [1]})}))
    assert store.record(rid).table("t")["a"].tolist() == [1]
