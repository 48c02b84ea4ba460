"""The web service's API in-process: every endpoint's 4xx paths, security, the queue limit.

Runs here are stand-ins (``web_helpers``) executed by the real worker pool; the real model runs
in ``test_web_service.py`` and the browser tests.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import web_helpers
from corredor.web import ServeSettings, create_app
from corredor.web.jobs import JobManager

pytestmark = pytest.mark.xdist_group("web-api")


def _client(store: Path, runner=web_helpers.instant_fail, **kw) -> TestClient:  # type: ignore[no-untyped-def]
    settings = ServeSettings(store=store, extra_hosts=("testserver",), warm=False, **kw)
    jobs = JobManager(store, workers=1, preview_workers=1, queue_limit=settings.queue_limit,
                      warm=False, runner=runner)  # fmt: skip
    return TestClient(create_app(settings, jobs=jobs))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with _client(tmp_path_factory.mktemp("store")) as c:
        yield c


def test_scenarios_levers_events(client: TestClient) -> None:
    names = {s["name"]: s["kind"] for s in client.get("/api/scenarios").json()}
    assert names["mexico-us"] == "corridor" and names["mali2012"] == "flee"
    detail = client.get("/api/scenarios/mexico-us").json()
    assert detail["start"] == "2013-01-01" and len(detail["observables"]) >= 20
    levers = client.get("/api/scenarios/mexico-us/levers").json()
    lever = next(x for x in levers if x["name"] == "comar_funding_multiplier")
    assert lever["status"] == "lever" and lever["range"] == [1.0, 10.0] and lever["description"]
    events = client.get("/api/scenarios/mexico-us/events").json()
    ids = {e["id"]: e["origin"] for e in events}
    assert ids["us-title42-2020"] == "history"
    assert ids["cf-mx-comar-instead-of-troops-2019"] == "counterfactual"
    assert client.post("/api/scenarios/mexico-us/validate").json()["ok"] is True


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/scenarios/nowhere"),
        ("get", "/api/scenarios/nowhere/levers"),
        ("get", "/api/scenarios/nowhere/events"),
        ("post", "/api/scenarios/nowhere/validate"),
        ("get", "/api/runs/mexico-us-20990101T000000-abcdef"),
        ("get", "/api/runs/mexico-us-20990101T000000-abcdef/series"),
        ("get", "/api/runs/mexico-us-20990101T000000-abcdef/ledger"),
        ("get", "/api/runs/mexico-us-20990101T000000-abcdef/map"),
        ("get", "/api/runs/mexico-us-20990101T000000-abcdef/tables/monthly"),
        ("delete", "/api/runs/mexico-us-20990101T000000-abcdef"),
        ("get", "/api/jobs/job-0000"),
        ("delete", "/api/jobs/job-0000"),
        ("get", "/api/jobs/job-0000/events"),
        ("get", "/api/compare?a=x1&b=x2"),
        ("get", "/api/paired?a=x1&b=x2"),
        ("get", "/api/ensembles/mexico-us-20990101T000000-abcdef"),
        ("get", "/api/forecasts/mexico-us-20990101T000000-abcdef"),
        ("get", "/api/studies/mexico-us-20990101T000000-abcdef"),
        ("get", "/api/studies/mexico-us-20990101T000000-abcdef/files/report.html"),
    ],
)
def test_not_found(client: TestClient, method: str, path: str) -> None:
    r = getattr(client, method)(path)
    assert r.status_code == 404, r.text
    assert r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"scenario": "nowhere"}, "no corridor scenario"),
        ({"scenario": "mexico-us", "levers": {"no_such_lever": 1}}, "declares no lever"),
        (
            {"scenario": "mexico-us", "levers": {"comar_funding_multiplier": 50}},
            "outside its range",
        ),
        ({"scenario": "mexico-us", "without_events": ["nope"]}, "not one of"),
        ({"scenario": "mexico-us", "with_events": ["us-title42-2020"]}, "counterfactual"),
        ({"scenario": "mexico-us", "days": 100000}, "over this service's limit"),
        ({"scenario": "mexico-us", "days": 0}, "days"),
        ({"scenario": "mexico-us", "seed": -1}, "seed"),
        ({"scenario": "mexico-us", "surprise": 1}, "surprise"),
        ({"scenario": "../../etc/passwd"}, "scenario"),
        ({"scenario": "mexico-us", "levers": {"comar_funding_multiplier": "NaN"}}, "valid number"),
        ({}, "scenario"),
    ],
)
def test_bad_run_requests(client: TestClient, body: dict[str, object], words: str) -> None:
    r = client.post("/api/runs", json=body)
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/api/ensembles", {"scenario": "nowhere"}, "no corridor scenario"),
        ("/api/ensembles", {"scenario": "mexico-us", "replicas": 65}, "replicas"),
        ("/api/ensembles", {"scenario": "mexico-us", "replicas": 17}, "over this service's limit"),
        ("/api/ensembles", {"scenario": "mexico-us", "sets": "some"}, "sets"),
        ("/api/ensembles", {"scenario": "mexico-us", "days": 100000}, "over this service's"),
        (
            "/api/ensembles",
            {"scenario": "mexico-us", "counterfactual": ["us-title42-2020"]},
            "counterfactual",
        ),
        ("/api/forecasts", {"scenario": "mexico-us", "until": "2019-01"}, "calibration horizon"),
        ("/api/forecasts", {"scenario": "mexico-us", "until": "2022-13"}, "until"),
        ("/api/forecasts", {"scenario": "mexico-us", "until": "2090-01"}, "too far"),
        (
            "/api/forecasts",
            {"scenario": "mexico-us", "until": "2022-06", "policy_path": "nope"},
            "policy paths",
        ),
        ("/api/forecasts", {"scenario": "mexico-us"}, "until"),
        ("/api/studies", {"study": "nope"}, "no built-in study"),
        ("/api/studies", {"study": "containment-2019", "runs": 100}, "runs"),
        ("/api/studies", {"study": "../../etc/passwd"}, "study"),
    ],
)
def test_bad_ensemble_forecast_study_requests(
    client: TestClient, path: str, body: dict[str, object], words: str
) -> None:
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"]


def test_ensembles_forecasts_studies_are_queued(client: TestClient) -> None:
    """Good requests become jobs of the full lane (the stand-in runner fails them at once)."""
    studies = {s["study"]: s for s in client.get("/api/studies").json()}
    assert {"containment-2019", "room-to-manoeuvre"} <= set(studies)
    assert studies["containment-2019"]["stored"] == [] and studies["containment-2019"]["title"]
    assert studies["containment-2019"]["title_es"].startswith("Lo que la contención costó")
    detail = client.get("/api/scenarios/mexico-us").json()
    assert "policy_path_as_happened" in detail["policy_paths"]
    bodies = [
        ("/api/ensembles", {"scenario": "mexico-us", "days": 31, "replicas": 2,
                            "counterfactual": ["cf-mx-comar-instead-of-troops-2019"]}),
        ("/api/forecasts", {"scenario": "mexico-us", "until": "2022-03", "replicas": 1,
                            "max_sets": 2, "policy_path": "policy_path_as_happened"}),
        ("/api/studies", {"study": "containment-2019", "runs": 2}),
    ]  # fmt: skip
    runs = []
    for path, body in bodies:
        r = client.post(path, json=body)
        assert r.status_code == 202, r.text
        assert r.json()["lane"] == "full" and r.json()["kind"] in ("ensemble", "forecast", "study")
        runs.append(r.json()["estimate"]["runs"])  # its runs and expected time
    assert runs[:2] == [4, 2]  # 1 set × 2 seeds × (history, counterfactual); 2 sets × 1 seed


def test_bad_paths_and_tables(client: TestClient) -> None:
    assert client.get("/api/runs/..%2F..%2Fetc").status_code in (404, 422)
    assert client.get("/api/runs/x/tables/secrets").status_code == 422
    assert client.get("/api/runs/x/tables/monthly?format=exe").status_code == 422
    assert client.get("/api/runs?kind=other").status_code == 422
    assert client.get("/api/studies/x/files/secret.txt").status_code == 422
    assert client.get("/static/../pyproject.toml").status_code == 404
    r = client.post("/api/runs", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_unknown_query_parameters_refused(client: TestClient) -> None:
    """A misspelt filter is a 422 naming it, not an unfiltered (or empty) answer."""
    assert client.get("/api/runs?kind=run").status_code == 200  # a declared one
    for path, name in (
        ("/api/runs?since=notadate", "since"),
        ("/api/runs?scenraio=mexico-us", "scenraio"),
        ("/api/scenarios?x=1", "x"),
        ("/api/runs/x/tables/monthly?format=csv&rows=5", "rows"),
    ):
        r = client.get(path)
        assert r.status_code == 422, (path, r.text)
        detail = r.json()["detail"]
        assert f"query parameter '{name}'" in detail and "Fix:" in detail, detail
    r = client.get("/api/runs?" + "\u00e9" * 500 + "=1")
    assert r.status_code == 422 and len(r.json()["detail"]) < 400


def test_body_size_limit(client: TestClient) -> None:
    big = {"scenario": "mexico-us", "without_events": ["x" * 70] * 2000}
    r = client.post("/api/runs", json=big)
    assert r.status_code == 413
    assert "bytes" in r.json()["detail"]


def test_security_headers_and_index(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "<main" in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/api/health").headers["cache-control"] == "no-store"
    # every script and stylesheet of the page is served by the service itself
    assets = ["vendor/d3/d3.min.js", "vendor/plot/plot.umd.min.js", "js/app.js", "css/app.css"]
    for asset in [*assets, "geo/corridor_countries.geojson"]:
        assert client.get(f"/static/{asset}").status_code == 200, asset
    assert "http" not in "".join(
        line for line in r.text.splitlines() if "<script" in line or "<link" in line
    )


def test_dns_rebinding_host_refused(client: TestClient) -> None:
    r = client.get("/api/health", headers={"host": "evil.example:8765"})
    assert r.status_code == 400


def test_token_required_off_loopback(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    token = "t0ken-for-the-tests-0123456789"
    settings = ServeSettings(host="0.0.0.0", store=tmp_path, token=token, warm=False)
    jobs = JobManager(tmp_path, warm=False, runner=web_helpers.instant_fail)
    caplog.set_level(logging.INFO, logger="corredor.web")
    with TestClient(create_app(settings, jobs=jobs)) as c:
        assert c.get("/api/health").status_code == 401
        assert c.get("/").status_code == 401
        assert c.get("/api/health", headers={"authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/health", headers={"authorization": f"Bearer {token}"}).status_code == 200
        r = c.get(f"/?token={token}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"
        assert (
            "HttpOnly" in r.headers["set-cookie"] and "SameSite=Strict" in r.headers["set-cookie"]
        )
        assert c.get("/api/health").status_code == 200  # the cookie now
    assert token not in caplog.text  # never in the logs
    assert "GET / 303" in caplog.text


def test_generated_token_off_loopback(tmp_path: Path) -> None:
    s = ServeSettings(host="0.0.0.0", store=tmp_path).checked()
    assert s.token is not None and len(s.token) >= 16
    assert ServeSettings(host="127.0.0.1", store=tmp_path).checked().token is None


def test_queue_limit_answers_429_never_hangs(tmp_path: Path) -> None:
    with _client(tmp_path, runner=web_helpers.sleepy_run, queue_limit=1) as c:

        def submit(seed: int) -> int:
            return c.post(
                "/api/runs", json={"scenario": "mexico-us", "seed": seed, "days": 2}
            ).status_code

        with cf.ThreadPoolExecutor(6) as pool:
            codes = list(pool.map(submit, range(6), timeout=60))
        assert sorted(codes) == [202, 202, 429, 429, 429, 429]  # 1 worker + 1 queued
        r = c.post("/api/runs", json={"scenario": "mexico-us", "seed": 99, "days": 2})
        assert r.status_code == 429 and r.headers["retry-after"]
        # a preview has its own lane
        p = c.post(
            "/api/runs", json={"scenario": "mexico-us", "seed": 7, "days": 2, "preview": True}
        )
        assert p.status_code == 202 and p.json()["lane"] == "preview"
        # the same request again follows the run in flight (a job of its own)
        again = c.post(
            "/api/runs", json={"scenario": "mexico-us", "seed": 7, "days": 2, "preview": True}
        )
        assert again.status_code == 202 and again.json()["shares"] == p.json()["id"]
        assert again.json()["id"] != p.json()["id"]


def test_progress_stream_ends_with_the_job(client: TestClient) -> None:
    job = client.post("/api/runs", json={"scenario": "mexico-us", "days": 3, "seed": 11}).json()
    with client.stream("GET", f"/api/jobs/{job['id']}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [line for line in r.iter_lines() if line.startswith("event:")]
    assert events[-1] == "event: failed"
    done = client.get(f"/api/jobs/{job['id']}").json()
    assert done["state"] == "failed" and "stand-in" in done["error"]
    assert any(j["id"] == job["id"] for j in client.get("/api/jobs").json())


def test_openapi_documents_every_route(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    paths = set(spec["paths"])
    expected = ["/api/runs", "/api/runs/{run_id}", "/api/runs/{run_id}/series", "/api/compare"]
    expected += ["/api/jobs/{job_id}/events", "/api/scenarios/{name}/levers", "/api/catalogue"]
    expected += ["/api/ensembles", "/api/ensembles/{run_id}", "/api/forecasts/{run_id}"]
    expected += ["/api/studies", "/api/studies/{run_id}/files/{name}", "/api/paired"]
    for p in expected:
        assert p in paths
    for path, ops in spec["paths"].items():
        for op in ops.values():
            assert op.get("summary"), path


def test_vendored_assets_match_their_manifest() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    r = subprocess.run(
        [sys.executable, str(root / "scripts/vendor_web_assets.py"), "--check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout
    static = root / "src/corredor/web/static/vendor"
    assert (static / "d3/LICENSE").is_file() and (static / "plot/LICENSE").is_file()


def test_every_label_in_both_languages(client: TestClient) -> None:
    """Every observable, ledger entry, grouped lever and event of mexico-us has an English and
    a Spanish label, and the UI strings are the same keys in both languages."""
    import json

    static = Path(__file__).resolve().parents[2] / "src/corredor/web/static/i18n"
    en, es = (json.loads((static / f"{x}.json").read_text()) for x in ("en", "es"))
    assert set(en) == set(es) and all(es.values())
    labels = json.loads((static / "scenarios/mexico-us.json").read_text())
    observables = [o["name"] for o in client.get("/api/scenarios/mexico-us").json()["observables"]]
    levers = {x["name"] for x in client.get("/api/scenarios/mexico-us/levers").json()}
    listed = client.get("/api/scenarios/mexico-us/events").json()
    events = {e["id"] for e in listed}
    whatif = {e["id"]: e["counterfactual"] for e in listed if e["origin"] == "counterfactual"}
    grouped = [x for g in labels["groups"] for x in g["levers"]]
    grouped_events = [x for g in labels["groups"] for x in g["events"]]
    assert set(grouped) <= levers, set(grouped) - levers
    assert all(x in events or x in labels["families"] for x in grouped_events)
    assert {x for x in levers if x.endswith("_multiplier") and "lever" in x} <= set(grouped)
    ledger_names = labels["en"]["ledger"].keys()
    for lang in ("en", "es"):
        tr = labels[lang]
        assert set(observables) <= set(tr["observables"]), set(observables) - set(tr["observables"])
        assert set(grouped) <= set(tr["levers"]) and set(grouped_events) <= set(tr["events"])
        assert set(whatif) <= set(tr["events"]), set(whatif) - set(tr["events"])
        assert set(whatif.values()) == set(tr["counterfactuals"])
        assert all(v["title"] and v["description"] for v in tr["counterfactuals"].values())
        assert set(ledger_names) == set(tr["ledger"])
        assert all(v["title"] and v["definition"] for v in tr["ledger"].values())
        assert all(v["title"] and v["meaning"] for v in tr["levers"].values())
    assert labels["es"]["observables"] != labels["en"]["observables"]


def test_counterfactual_events_by_id(client: TestClient) -> None:
    """The events endpoint lists each shipped counterfactual event with the counterfactual it
    belongs to (as `corredor scenario events` does); a web request adds exactly the ids it
    names — the app's request carries the ids, not the files holding them."""
    from corredor.app.scenarios import events as app_events
    from corredor.web import requests

    listed = [e for e in client.get("/api/scenarios/mexico-us/events").json()
              if e["origin"] == "counterfactual"]  # fmt: skip
    table = app_events("mexico-us")
    want = table[table["counterfactual"] != ""]
    assert [(e["id"], e["counterfactual"]) for e in listed] == list(
        zip(want["id"], want["counterfactual"], strict=True)
    )
    comar = [e["id"] for e in listed if e["counterfactual"] == "comar_instead_of_troops"]
    assert len(comar) == 2 and all(e["notes"] or e["source"] for e in listed)
    assert client.get("/api/scenarios/mexico-us").json()["counterfactuals"] == sorted(
        {e["counterfactual"] for e in listed}
    )
    one = requests.RunRequest(scenario="mexico-us", with_events=(comar[0],))
    assert one.to_app().events == [comar[0]]
    both = requests.EnsembleRequest(scenario="mexico-us", counterfactual=tuple(comar))
    assert sorted(both.to_app().counterfactual) == sorted(comar)
    r = client.post("/api/runs", json={"scenario": "mexico-us", "days": 31,
                                       "with_events": ["cf-us-mx-safe-third-country"]})  # fmt: skip
    assert r.status_code == 202, r.text
    assert r.json()["request"]["with_events"] == ["cf-us-mx-safe-third-country"]


@pytest.mark.parametrize(
    "body",
    [
        {"review_days": 1},
        {"review_days": 400},
        {"scenario": "other"},
        {"exposures": [0.5]},
    ],
)
def test_bad_bargain_requests(client: TestClient, body: dict[str, object]) -> None:
    assert client.post("/api/bargain", json=body).status_code == 422


def test_the_bargaining_sweep_is_offered_where_the_data_ship_its_actors(
    client: TestClient,
) -> None:
    """Every built-in scenario whose ``bargaining:`` block names an episode (the data of the
    game's two actors) is offered (``bargaining: true``) and accepted; any other is refused
    with the list. It was one name written in the web's code (``BARGAIN_SCENARIOS``)."""
    from corredor.scenario.corridor import load_corridor_scenario

    listed = client.get("/api/scenarios").json()
    offered = []
    for s in listed:
        block = load_corridor_scenario(s["name"]).bargaining if s["kind"] == "corridor" else None
        assert s["bargaining"] is (block is not None and block.episode is not None), s["name"]
        if s["bargaining"]:
            offered.append(s["name"])
    assert offered  # mexico-us ships the 2019 US and Mexico data
    for name in offered:
        r = client.post("/api/bargain", json={"scenario": name, "review_days": 45})
        assert r.status_code in (200, 202) and r.json()["request"]["scenario"] == name, r.text
    r = client.post("/api/bargain", json={"review_days": 45})  # the first, by default
    assert r.json()["request"]["scenario"] == sorted(offered)[0]
    r = client.post("/api/bargain", json={"scenario": "mali2012"})
    assert r.status_code == 422
    assert r.json()["detail"] == (
        f"scenario: 'mali2012' ships no bargaining actors; the scenarios that do: "
        f"{', '.join(sorted(offered))}"
    )


def test_the_bargaining_texts_name_the_scenarios_actors(client: TestClient) -> None:
    """The page's bargaining texts name the two states of the scenario's ``bargaining:`` block
    (``actors`` in ``/api/scenarios`` and a scenario's detail; their Spanish names in the
    scenario's labels), never a country of their own: they said "US–Mexico" for any scenario."""
    import json
    import re

    from corredor.scenario.corridor import load_corridor_scenario

    for s in client.get("/api/scenarios").json():
        block = load_corridor_scenario(s["name"]).bargaining if s["kind"] == "corridor" else None
        want = None if block is None else {"hegemon": block.hegemon, "transit": block.transit}
        assert s["actors"] == want, s["name"]
        if s["kind"] == "corridor":
            assert client.get(f"/api/scenarios/{s['name']}").json()["actors"] == want
    assert client.get("/api/scenarios/mexico-us").json()["actors"] == {
        "hegemon": "United States",
        "transit": "Mexico",
    }
    static = Path(__file__).resolve().parents[2] / "src/corredor/web/static"
    countries = re.compile(r"US|U\.S\.|United States|EE\. ?UU\.|Estados Unidos|Mexic|Méxic|2019")
    for lang in ("en", "es"):
        table = json.loads((static / f"i18n/{lang}.json").read_text("utf-8"))
        texts = {
            k: v for k, v in table.items() if k.startswith("bargain.") or k.endswith(".bargain")
        }
        assert len(texts) >= 15
        named = {k: v for k, v in texts.items() if countries.search(v)}
        assert not named, (lang, named)
        for key in ("title", "intro", "feasible", "exposure", "enforcement", "arrivals"):
            assert "{transit}" in texts[f"bargain.{key}"] or "{hegemon}" in texts[f"bargain.{key}"]
        labels = json.loads((static / "i18n/scenarios/mexico-us.json").read_text("utf-8"))
        assert set(labels[lang]["countries"]) == {"United States", "Mexico"}
    html = (static / "index.html").read_text("utf-8")
    assert not countries.search(html.split('data-i18n="nav.bargain">')[1].split("<")[0])


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [  # JSON of the wrong type is refused, never coerced (true was 1 day, "yes" a preview)
        ("/api/runs", {"scenario": "mexico-us", "days": True}, "days: Input should be a valid"),
        ("/api/runs", {"scenario": "mexico-us", "seed": "7"}, "seed: Input should be a valid"),
        ("/api/runs", {"scenario": "mexico-us", "seed": 7.0}, "seed: Input should be a valid"),
        ("/api/runs", {"scenario": "mexico-us", "preview": "yes"}, "preview: Input should be"),
        ("/api/runs", {"scenario": "mexico-us", "reuse_baseline": 0}, "reuse_baseline: Input"),
        (
            "/api/runs",
            {"scenario": "mexico-us", "levers": {"comar_funding_multiplier": True}},
            "levers.comar_funding_multiplier: Input should be a valid number",
        ),
        ("/api/ensembles", {"scenario": "mexico-us", "replicas": "2"}, "replicas: Input"),
        (
            "/api/forecasts",
            {"scenario": "mexico-us", "until": "2022-03", "discrepancy": "no"},
            "discrepancy: Input",
        ),
        ("/api/studies", {"study": "containment-2019", "runs": True}, "runs: Input"),
        ("/api/bargain", {"review_days": "90"}, "review_days: Input"),
    ],
)
def test_wrong_json_types_are_refused(
    client: TestClient, path: str, body: dict[str, object], words: str
) -> None:
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"]


@pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity", b"1e309"])
def test_a_lever_that_is_not_finite_is_refused_as_such(client: TestClient, token: bytes) -> None:
    body = b'{"scenario": "mexico-us", "levers": {"comar_funding_multiplier": ' + token + b"}}"
    r = client.post("/api/runs", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "is not a finite number" in r.json()["detail"], r.text


@pytest.mark.parametrize("field", ["levers", "without_events"])
def test_a_long_name_is_quoted_short(client: TestClient, field: str) -> None:
    name = "x" * 5000
    value: object = {name: 1} if field == "levers" else [name]
    r = client.post("/api/runs", json={"scenario": "mexico-us", field: value})
    assert r.status_code == 422 and "(5,000 characters)" in r.json()["detail"]
    assert len(r.text) < 1000, len(r.text)


def test_a_bargain_result_is_not_a_corridor_run(client: TestClient) -> None:
    assert client.get("/api/bargain/mexico-us-20990101T000000-abcdef").status_code == 404


def test_a_worker_error_reaches_the_service_as_the_job_error(tmp_path: Path) -> None:
    """A run the scenario refuses in the worker (half a counterfactual: its June 2019 event
    without the July 2021 one drives an effort below 0) fails with the error's line. The pool
    sends the error by pickling it; a ScenarioError did not unpickle, so the pool broke and the
    job said "the worker process stopped during the run"."""
    import pickle

    from corredor.errors import CorredorError
    from corredor.web.jobs import _work

    request = {"scenario": "mexico-us", "people_per_agent": 1000,  # refused before day 0
               "with_events": ["cf-mx-comar-instead-of-troops-2019"]}  # fmt: skip
    with pytest.raises(CorredorError) as caught:
        _work("job-0123456789abcdef", "preview", request, str(tmp_path))
    again = pickle.loads(pickle.dumps(caught.value))
    assert "outside its bounds" in str(again) and "mx-gn-levels-2021" in str(again)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"levers": {"speed_road": 300.0}, "levers_from": "2019-06-07"}, "read as a constant"),
        ({"levers": {"usbp_effort": 2.0}, "levers_from": "2030-01-01"}, "outside"),
        ({"levers_from": "2019-06-07"}, "goes with --set"),
        ({"levers": {"usbp_effort": 2.0}, "levers_from": "June 2019"}, "levers_from"),
    ],
)
def test_levers_from_a_date_checked_before_queueing(
    client: TestClient, extra: dict[str, object], words: str
) -> None:
    r = client.post("/api/runs", json={"scenario": "mexico-us", "preview": True, **extra})
    assert r.status_code == 422 and words in r.text, r.text


def test_a_progress_stream_reads_a_consistent_copy_of_its_job(client: TestClient) -> None:
    """The job changes in other threads; the stream reads a copy taken under the manager's lock
    (it read the live job twice and could send 'progress', then stop as if it had sent the
    end)."""
    job = client.post("/api/runs", json={"scenario": "mexico-us", "days": 3, "seed": 12}).json()
    manager = client.app.state.jobs  # type: ignore[attr-defined]
    copy = manager.snapshot(job["id"])
    live = manager.get(job["id"])
    assert copy is not live and copy.id == live.id
    copy.version = -1
    assert manager.get(job["id"]).version != -1


def test_cancel_is_per_request_of_a_shared_run(tmp_path: Path) -> None:
    """Two pages (two clients) ask the same thing: the second follows the first's run (a job of
    its own, not counted against the queue); one page cancelling leaves the other's job running
    with its progress, to the end; the run stops only when every page has cancelled."""
    with _client(tmp_path, runner=web_helpers.counting_run, queue_limit=0) as page_a:
        page_b = TestClient(page_a.app)  # a second client of the same service
        body = {"scenario": "mexico-us", "seed": 5, "days": 2}
        a = page_a.post("/api/runs", json=body).json()
        b = page_b.post("/api/runs", json=body)
        assert b.status_code == 202, b.text  # a follower, not one more run: no 429
        b = b.json()
        assert b["shares"] == a["id"] and b["id"] != a["id"]
        web_helpers.wait_until(lambda: page_b.get(f"/api/jobs/{b['id']}").json()["done"] >= 3)

        cancelled = page_a.delete(f"/api/jobs/{a['id']}").json()
        assert cancelled["state"] == "cancelled"  # at once: the run goes on for page b
        job_b = page_b.get(f"/api/jobs/{b['id']}").json()
        assert job_b["state"] == "running" and not job_b["cancelling"]
        job_b = web_helpers.wait_until(
            lambda: (j := page_b.get(f"/api/jobs/{b['id']}").json())["state"] != "running" and j
        )
        assert job_b["state"] == "done" and job_b["done"] == job_b["total"] == 60
        assert job_b["run_id"] == "mexico-us-20990101T000000-abcdef"
        assert page_a.get(f"/api/jobs/{a['id']}").json()["state"] == "cancelled"

        # both cancel: the run stops
        body["seed"] = 6
        a = page_a.post("/api/runs", json=body).json()
        b = page_b.post("/api/runs", json=body).json()
        assert b["shares"] == a["id"]
        web_helpers.wait_until(lambda: page_a.get(f"/api/jobs/{a['id']}").json()["done"] >= 3)
        assert page_b.delete(f"/api/jobs/{b['id']}").json()["state"] == "cancelled"
        assert page_a.delete(f"/api/jobs/{a['id']}").json()["cancelling"] is True
        job_a = web_helpers.wait_until(
            lambda: (j := page_a.get(f"/api/jobs/{a['id']}").json())["state"] != "running" and j
        )
        assert job_a["state"] == "cancelled" and job_a["done"] < 59


def test_each_preview_worker_takes_one_prewarm_step_a_round(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With two preview workers, each round of the prewarm hands each worker exactly one step
    (a step waits until its round's other step is taken, so a worker cannot take two). Here one
    worker keeps every state at once; the other works until it is released, and is stopped
    three times before that by a job handed to the lane; in each round after a job the first
    ends its step at once and the second goes on with its own step. A round used to hand one
    step to either worker: on the one that had kept every state it was taken again (by chance,
    in about half the rounds), and the prewarm gave up after four times the number of
    workers."""
    from corredor.web.requests import RunRequest

    log = tmp_path / "prewarm.log"
    monkeypatch.setenv("CORREDOR_TEST_PREWARM_LOG", str(log))
    jobs = JobManager(tmp_path / "runs", workers=1, preview_workers=2, warm=False,
                      runner=web_helpers.instant_fail, prewarm=True,
                      prewarmer=web_helpers.uneven_prewarm)  # fmt: skip

    def lines() -> list[tuple[str, str]]:
        text = log.read_text() if log.exists() else ""
        return [(ln.split(" ", 1)[0], ln.split(" ", 1)[1]) for ln in text.splitlines()]

    jobs.start()
    try:
        web_helpers.wait_until(lambda: [w for _, w in lines()].count("kept") == 1, timeout=60)
        fast = next(p for p, w in lines() if w == "kept")
        for k in range(1, 4):  # the slow worker is at work on its k-th step: a job stops it
            web_helpers.wait_until(
                lambda k=k: sum(p != fast and w == "started" for p, w in lines()) == k
            )
            job = jobs.submit("preview", RunRequest(scenario="mexico-us", seed=k, days=2,
                                                    people_per_agent=50))  # fmt: skip
            web_helpers.wait_until(lambda job=job: jobs.get(job.id).state == "failed")
        (tmp_path / "release").touch()  # the slow worker's next step keeps every state
        web_helpers.wait_until(lambda: jobs.prewarm_status()["state"] != "running")
        status = jobs.prewarm_status()
        assert (status["state"], status["workers_done"], status["steps"]) == ("done", 2, 8)
        seen = lines()
        (slow,) = {p for p, _ in seen} - {fast}
        assert [w for p, w in seen if p == fast] == ["started", "kept", "had", "had", "had"]
        assert [w for p, w in seen if p == slow] == [
            *["started", "gave way"] * 3,
            "started",
            "kept",
        ]
    finally:
        jobs.stop()
