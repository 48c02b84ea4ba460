"""The forecasts page (``#/forecast``) and the studies page (``#/studies``) in real headless
Chromium, on results of the tiny synthetic corridor stored beforehand by the use-case layer
(``corredor.app``, as the command line stores them: two forecasts — ex ante and conditional on a
policy path — and a study), so that the pages draw real stored results in seconds. The forms
are submitted with the smallest request they allow and cancelled from the page (their mexico-us
runs would take minutes): the job ends cancelled.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import web_helpers
from corredor.app import ForecastRequest, StudyRequest, forecast, study
from corredor.store import ResultsStore
from forecast_dirs import write_forecast_dir
from study_dirs import write_study_dir

pytestmark = [
    pytest.mark.xdist_group("web-browser-results"),
    pytest.mark.slow,
    # CI (.ci/run, CI=true) installs Debian's chromium: there a missing browser fails the tests
    pytest.mark.skipif(
        not Path(web_helpers.CHROMIUM).exists() and not os.environ.get("CI"),
        reason="needs Debian's chromium (apt install chromium; .ci/run installs it)",
    ),
]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("results")
    scenario = write_forecast_dir(root / "tiny")
    store = ResultsStore(root / "store")
    path = str(scenario)
    ex_ante = forecast(ForecastRequest(scenario=path, until="2020-08", replicas=2), store)
    conditional = forecast(
        ForecastRequest(
            scenario=path,
            until="2020-08",
            replicas=2,
            policy_path=str(scenario.parent / "policy_events_forecast.yaml"),
        ),
        store,
    )
    tiny = study(StudyRequest(study=str(write_study_dir(root / "study")), runs=2), store)
    return {
        "store": store.root,
        "ex_ante": ex_ante.run_id,
        "conditional": conditional.run_id,
        "study": tiny.run_id,
    }


@pytest.fixture(scope="module")
def url(made: dict[str, Any]) -> Iterator[str]:
    with web_helpers.service(Path(made["store"])) as (base, _):
        yield base


@pytest.fixture(scope="module")
def page(url: str) -> Iterator[Any]:
    with web_helpers.browser_page(url) as pg:
        pg.set_default_timeout(120_000)
        yield pg


def _posted(path: str) -> Any:
    return lambda r: r.url.endswith(f"/api{path}") and r.method == "POST"


def _cancel_from_the_page(page: Any) -> None:
    page.wait_for_selector(".status button[data-cancel]")
    page.click(".status button[data-cancel]")
    page.wait_for_selector('.status[data-state="cancelled"]')


def test_forecasts_page(page: Any, url: str, made: dict[str, Any]) -> None:
    page.goto(f"{url}/#/forecast")
    page.wait_for_selector("#fc-path")
    for run in ("ex_ante", "conditional"):  # both stored forecasts are listed
        page.wait_for_selector(f'ul.stored a[href="#/forecast/{made[run]}"]')

    # the ex ante forecast: its banner, encounter bands after the horizon, every chart tagged
    page.click(f'a[href="#/forecast/{made["ex_ante"]}"]')
    page.wait_for_selector('[data-forecast="exante"]')
    assert "Ex ante forecast" in page.locator("[data-forecast]").inner_text()
    page.wait_for_selector('figure.chart g[aria-label="area"] path', state="attached")
    charts = page.locator("figure.chart")
    assert charts.count() >= 1
    assert all("Ex ante" in c for c in charts.all_inner_texts())
    page.click("#tab-fc-ledger")
    page.wait_for_selector("#ledger-bands tbody tr")
    assert "Ex ante" in page.locator('#panel-fc-ledger [data-assumption="true"]').inner_text()
    page.click("#tab-fc-charts")
    page.wait_for_selector('#panel-fc-charts figure.chart g[aria-label="area"]', state="attached")

    # the conditional one says so, naming its policy path
    page.goto(f"{url}/#/forecast/{made['conditional']}")
    page.wait_for_selector('[data-forecast="conditional"]')
    banner = page.locator("[data-forecast]").inner_text()
    assert "Conditional on a policy path" in banner and "policy_events_forecast" in banner

    # the form: the smallest forecast it allows is submitted, then cancelled from the page
    page.goto(f"{url}/#/forecast")
    page.fill("#fc-replicas", "1")
    page.fill("#fc-max-sets", "1")
    with page.expect_request(_posted("/forecasts")) as asked:
        page.click('form button[type="submit"]')
    body = json.loads(asked.value.post_data)
    assert body["scenario"] == "mexico-us" and body["replicas"] == 1 and body["max_sets"] == 1
    assert "policy_path" not in body  # ex ante unless a path is chosen
    _cancel_from_the_page(page)
    jobs = [j for j in httpx.get(f"{url}/api/jobs").json() if j["kind"] == "forecast"]
    assert [j["state"] for j in jobs] == ["cancelled"]
    assert page.errors == []


def test_studies_page(page: Any, url: str, made: dict[str, Any]) -> None:
    page.goto(f"{url}/#/studies")
    for name in ("containment-2019", "room-to-manoeuvre"):  # the built-in studies, not run here
        card = page.locator(f'div.card[data-study="{name}"]')
        card.wait_for()
        assert "Not run yet" in card.inner_text()

    # a stored study: its summary, its report's files, one chart of paired differences per
    # output with the variants' medians and bands drawn
    page.goto(f"{url}/#/studies/{made['study']}")
    page.wait_for_selector("#study-differences figure.chart")
    assert "tiny-study" in page.locator("h1").inner_text()
    summary = page.locator("div.summary").inner_text()
    assert len(summary) > 100
    files = page.locator("a[data-file]").evaluate_all("xs => xs.map(x => x.dataset.file)")
    assert {"report.html", "summary.en.md", "summary.es.md"} <= set(files)
    diffs = httpx.get(f"{url}/api/studies/{made['study']}").json()["tables"]["differences"]
    outputs = {r["output"] for r in diffs}
    variants = {r["variant"] for r in diffs}
    figures = page.locator("#study-differences figure.chart")
    assert figures.count() == len(outputs)
    dots = figures.first.locator('g[aria-label="dot"] circle')
    assert dots.count() == len(variants)
    with page.expect_download() as dl:
        figures.first.locator('button[data-download="csv"]').click()
    rows = Path(dl.value.path()).read_text().splitlines()
    assert len(rows) == 1 + len(variants)

    # in Spanish, the summary is the Spanish one
    page.click("#lang")
    page.wait_for_selector("text=Estudio tiny-study")
    assert page.locator("div.summary").inner_text() != summary
    page.click("#lang")
    page.wait_for_selector("text=Study tiny-study")

    # a built-in study from its card, with the fewest runs the form allows, then cancelled
    page.goto(f"{url}/#/studies")
    page.fill("#st-runs-containment-2019", "1")
    with page.expect_request(_posted("/studies")) as asked:
        page.click('button[data-study="containment-2019"]')
    assert json.loads(asked.value.post_data) == {"study": "containment-2019", "runs": 1}
    _cancel_from_the_page(page)
    jobs = [j for j in httpx.get(f"{url}/api/jobs").json() if j["kind"] == "study"]
    assert [j["state"] for j in jobs] == ["cancelled"]
    assert page.errors == []
