"""What the web app shows of forecasts and ensembles, on results made by the use-case layer
(``corredor.app``, as the command line makes them) on the tiny synthetic corridor with observed
border series (``tests/forecast_dirs.py``): the store's results open in the web app whatever
scenario file they came from; the bands are ordered around the median; a forecast says whether
it is ex ante or conditional on a policy path, and says it on every output."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import web_helpers
from corredor.app import (
    EnsembleRequest,
    RunRequest,
    StudyRequest,
    ensemble,
    run,
    study,
)
from corredor.store import ResultsStore
from corredor.web import ServeSettings, bands, create_app, records
from corredor.web.jobs import JobManager
from study_dirs import write_study_dir

pytestmark = pytest.mark.xdist_group("web-bands")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("bands")
    store = ResultsStore(root / "store")
    scenario, ex_ante, conditional = web_helpers.store_tiny_forecasts(root, store, replicas=3)
    path = str(scenario)
    ens = ensemble(EnsembleRequest(scenario=path, replicas=3), store)
    single = run(RunRequest(scenario=path, seed=0), store)
    tiny_study = study(StudyRequest(study=str(write_study_dir(root / "study")), runs=2), store)
    return {
        "study": tiny_study.run_id,
        "root": store.root,
        "ex_ante": ex_ante,
        "conditional": conditional,
        "ensemble": ens.run_id,
        "run": single.run_id,
    }


@pytest.fixture(scope="module")
def client(made: dict[str, object]) -> Iterator[TestClient]:
    root = Path(str(made["root"]))
    settings = ServeSettings(store=root, extra_hosts=("testserver",), warm=False)
    jobs = JobManager(root, warm=False, runner=web_helpers.instant_fail)
    with TestClient(create_app(settings, jobs=jobs)) as c:
        yield c


def _ordered(lo: list[float | None], mid: list[float | None], hi: list[float | None]) -> bool:
    return all(
        a is None or (a <= b + 1e-9 and b <= c + 1e-9)
        for a, b, c in zip(lo, mid, hi, strict=True)
        if b is not None and c is not None
    )


def test_forecast_label_and_bands(made: dict[str, object]) -> None:
    root = Path(str(made["root"]))
    v = bands.bands_view(root, str(made["ex_ante"]))
    f = v["forecast"]
    assert f["conditional"] is False and f["label"].startswith("ex ante")
    assert f["horizon"] == "2020-03-31" and f["until"] == "2020-08-31"
    assert f["encounters"] and all(s["dates"][0] > f["horizon"] for s in f["encounters"])
    for s in f["encounters"]:
        assert _ordered(s["p05"], s["p50"], s["p95"])
    assert v["runs"] == 3 and v["kind"] == "forecast"
    for o in v["observables"]:
        assert _ordered(o["band"]["lo"], o["simulated"], o["band"]["hi"])
    observed = next(o for o in v["observables"] if o["name"] == "dest_apprehensions")
    assert [r["observed"] for r in observed["observed"]] == [100.0, 100.0, 100.0]
    assert all(r["lo"] <= r["simulated"] <= r["hi"] for r in observed["observed"])

    c = bands.bands_view(root, str(made["conditional"]))["forecast"]
    assert c["conditional"] is True and c["label"].startswith("conditional on this policy path")
    assert "policy_events_forecast.yaml" in c["label"]
    # what the page says in its language: the path's name, the events added (none here)
    assert (c["policy_path"], c["added"]) == ("policy_events_forecast", [])
    assert (f["policy_path"], f["added"]) == (None, [])


def test_ensemble_and_paired_difference(made: dict[str, object]) -> None:
    root = Path(str(made["root"]))
    v = bands.bands_view(root, str(made["ensemble"]))
    assert "forecast" not in v and v["runs"] == 3 and v["seeds"] == [0, 1, 2]
    assert v["ledger"]["rows"] and v["ledger"]["years"] == [2020]
    # the ensemble's first seed against the single run of seed 0: paired, a zero difference
    p = bands.paired(root, str(made["run"]), str(made["ensemble"]))
    assert p["months"] == ["2020-01-01", "2020-02-01", "2020-03-01"]
    assert p["observables"] and all(len(o["difference"]) == 3 for o in p["observables"])


def test_the_api_serves_stored_results_of_any_scenario_file(
    client: TestClient, made: dict[str, object]
) -> None:
    r = client.get(f"/api/forecasts/{made['conditional']}")
    assert r.status_code == 200 and r.json()["forecast"]["conditional"] is True
    assert client.get(f"/api/forecasts/{made['ensemble']}").status_code == 422
    assert client.get(f"/api/ensembles/{made['ex_ante']}").status_code == 200
    assert client.get(f"/api/runs/{made['run']}/series").status_code == 200
    kinds = {r["run_id"]: r["kind"] for r in client.get("/api/runs").json()}
    assert kinds[str(made["ensemble"])] == "ensemble" and kinds[str(made["run"])] == "run"
    assert kinds[str(made["ex_ante"])] == "forecast"
    # the same ensemble request again is answered from the store
    prov = records.provenance(Path(str(made["root"])), str(made["ensemble"]))
    assert prov["request_key"] and prov["scenario_ref"].endswith("scenario.yaml")


def test_html_reports_of_stored_results(client: TestClient, made: dict[str, object]) -> None:
    """`corredor report` from the web app: any stored result's HTML report, made in a
    temporary folder (the stored run is not changed), served with a sandboxing policy."""
    for key in ("run", "ensemble", "ex_ante"):
        r = client.get(f"/api/runs/{made[key]}/report")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/html") and "<html" in r.text.lower()
        assert any(
            "sandbox" in v for k, v in r.headers.multi_items() if k == "content-security-policy"
        )
        assert not (Path(str(made["root"])) / str(made[key]) / "report.html").exists()
    assert client.get("/api/runs/tiny-20990101T000000-abcdef/report").status_code == 404


def test_a_stored_study(client: TestClient, made: dict[str, object]) -> None:
    """A study's paired differences (variant − baseline) with ordered bands, its notes and the
    files of its report: summaries in both languages, the HTML report sandboxed."""
    v = client.get(f"/api/studies/{made['study']}").json()
    diffs = v["tables"]["differences"]
    assert diffs and v["runs"] and v["study"] == "tiny-study"
    for row in diffs:
        assert row["p05"] <= row["median"] <= row["p95"], row
    assert {"report.html", "summary.en.md", "summary.es.md"} <= set(v["files"])
    # the names the page shows, from the study file (no Spanish in this one: None)
    labels = v["labels"]
    assert labels["title"] == {"en": "A study of the tiny corridor", "es": None}
    assert labels["variants"]["no-deploy"] == {"en": "No deployment", "es": None}
    assert labels["outputs"]["stranded"]["measure"] == "stranded_person_days"
    assert {r["variant"] for r in diffs} <= set(labels["variants"])
    assert {r["output"].split(":")[0] for r in diffs} <= set(labels["outputs"])
    for lang in ("en", "es"):
        md = client.get(f"/api/studies/{made['study']}/files/summary.{lang}.md")
        assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
        assert len(md.text) > 100
    html = client.get(f"/api/studies/{made['study']}/files/report.html")
    assert html.status_code == 200 and "sandbox" in str(
        html.headers.get_list("content-security-policy")
    )
    assert client.get(f"/api/studies/{made['run']}").status_code == 422  # not a study
    assert client.get(f"/api/runs/{made['study']}").json()["kind"] == "study"
