"""The web app in real headless Chromium (Debian's ``chromium``, driven by Playwright through its
executable path): a lever moved, the preview, the full run's progress to the end, charts and
map drawn with data, Spanish, compare, a CSV download. Screenshots go to ``build/screenshots``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import web_helpers

#: the service's answers wait behind the model's runs on a loaded machine: more than httpx's 5 s
http = httpx.Client(timeout=60)

CHROMIUM = web_helpers.CHROMIUM
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
DAYS = 59  # January and February 2013: a quick full run
pytestmark = [
    pytest.mark.xdist_group("web-browser"),
    pytest.mark.slow,
    web_helpers.NEEDS_CHROMIUM,
]


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with web_helpers.service(tmp_path_factory.mktemp("web") / "store") as (base, _):
        yield base


@pytest.fixture(scope="module")
def page(url: str) -> Iterator[object]:
    with web_helpers.browser_page(url) as pg:
        yield pg


def shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))  # type: ignore[attr-defined]


def test_lever_preview_full_run_charts_map_spanish_compare_csv(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.set_default_timeout(240_000)
    page.goto(f"{url}/#/")
    page.wait_for_selector("text=mexico-us")
    shot(page, "home")

    # the baseline: its full run, with the progress bar, to the end
    page.goto(f"{url}/#/scenario/mexico-us?days={DAYS}")
    page.wait_for_selector('.status[data-state="done"], .status[data-state="cached"]')
    baseline = page.locator(".status a").inner_text()
    page.wait_for_selector(
        f'#results[data-run="{baseline}"] figure.chart g[aria-label="line"] path', state="attached"
    )

    # a busy service: another user's four-month run holds the full lane (one worker), so the
    # next full run waits in the queue while the preview lane answers. (Unqueued, a two-month
    # full run may finish before its preview, which the page then rightly never shows.)
    busy = http.post(f"{url}/api/runs", json={"scenario": "mexico-us", "days": 120, "seed": 1})
    assert busy.status_code == 202, busy.text

    # move a lever with the keyboard: a preview first, then the full run's progress
    lever = page.locator('[data-lever="usbp_effort"] input[type=range]')
    lever.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    page.wait_for_selector('.status[data-state="queued"]')
    page.wait_for_selector(".status[data-preview]")
    # the reduced scale is stated, with its extra noise in numbers
    page.wait_for_selector('p.note[data-preview="true"]:has-text("±13.9%")')
    page.wait_for_selector("progress", state="attached")
    page.wait_for_selector('.status[data-state="done"]')
    variant = page.locator(".status a").inner_text()
    assert variant != baseline
    page.wait_for_selector(
        f'#results[data-run="{variant}"] figure.chart g[aria-label="line"] path', state="attached"
    )
    assert page.locator("figure.chart").count() >= 4
    assert (
        page.locator('figure.chart svg g[aria-label="line"] path').count() >= 4
    )  # lines drawn with data
    assert "events per month" in page.locator("figure.chart").first.inner_text()
    assert "Source:" in page.locator("figure.chart figcaption").first.inner_text()
    shot(page, "scenario")

    # the human cost and the map
    page.click("#tab-ledger")
    page.wait_for_selector("#ledger-table tbody tr")
    assert page.locator("#ledger-table tbody tr").count() >= 10
    page.click("#tab-map")
    page.wait_for_selector("svg.map circle.waiting")
    radii = [
        float(r)
        for r in page.locator("svg.map circle.waiting").evaluate_all(
            "cs => cs.map(c => c.getAttribute('r'))"
        )
    ]
    assert max(radii) > 0 and page.locator("svg.map path.country").count() == 10
    assert page.locator("svg.map text", has_text="Tijuana").count() == 1
    page.locator("#map-slider").focus()
    page.keyboard.press("Home")
    assert page.locator("#map-month").inner_text().startswith("Jan")
    shot(page, "map")

    # Spanish
    page.click("#lang")
    page.wait_for_selector("text=Palancas de política")
    assert page.locator("#tab-map").inner_text() == "Mapa"
    page.click("#tab-charts")
    page.wait_for_selector(
        "text=Detenciones de la Patrulla Fronteriza en la frontera México–EE. UU."
    )
    shot(page, "scenario-es")
    page.click("#lang")
    page.wait_for_selector("text=Policy levers")

    # compare the two runs
    page.goto(f"{url}/#/compare?a={baseline}&b={variant}")
    page.wait_for_selector("text=Paired difference")
    page.wait_for_selector('figure.chart svg g[aria-label="line"] path', state="attached")
    shot(page, "compare")

    # download a chart's CSV and check its rows
    page.goto(f"{url}/#/run/{variant}")
    fig = page.locator('figure.chart[data-name="usbp_encounters_total"]')
    fig.wait_for()
    with page.expect_download() as dl:
        fig.locator('button[data-download="csv"]').click()
    rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text())))
    assert [r["month"] for r in rows] == ["2013-01-01", "2013-02-01"]
    assert all(float(r["simulated"]) > 0 and r["observed"] for r in rows)
    with page.expect_download() as dl:
        fig.locator('button[data-download="svg"]').click()
    assert Path(dl.value.path()).read_text().lstrip().startswith("<svg")

    # the history lists both, with their provenance
    page.goto(f"{url}/#/history")
    page.wait_for_selector(f'tr[data-run="{variant}"]')
    assert "usbp_effort" in page.locator(f'tr[data-run="{variant}"]').inner_text()
    shot(page, "history")

    # an ensemble with its 90 % band, the forecast's form (ex ante unless a policy path is
    # chosen) and the built-in studies
    ens = http.post(
        f"{url}/api/ensembles", json={"scenario": "mexico-us", "days": 31, "replicas": 2}
    )
    assert ens.status_code in (200, 202), ens.text
    job = web_helpers.wait_job(url, ens.json()["id"])
    assert job["state"] == "done", job
    page.goto(f"{url}/#/ensemble/{job['run_id']}")
    page.wait_for_selector('figure.chart g[aria-label="area"]', state="attached")
    assert "90%" in page.locator(".legend").first.inner_text()
    shot(page, "ensemble")
    page.goto(f"{url}/#/forecast")
    page.wait_for_selector("#fc-path")
    assert page.locator("#fc-path option").first.inner_text().startswith("Ex ante")
    page.goto(f"{url}/#/studies")
    page.wait_for_selector('[data-study="containment-2019"]')
    page.click("#lang")
    page.wait_for_selector("text=Estudios: las dos preguntas, con bandas")
    page.click("#lang")
    assert page.errors == []  # type: ignore[attr-defined]


def test_counterfactuals_by_id_and_cancel(page, url: str) -> None:  # type: ignore[no-untyped-def]
    """The scenario page offers every shipped counterfactual (one box each, its description and
    its events), sends the ids of the one checked, and its Cancel button stops the run: the
    job ends cancelled and never ran."""
    import json

    page.set_default_timeout(240_000)
    page.goto(f"{url}/#/scenario/mexico-us?days={DAYS}")
    page.wait_for_selector('.status[data-state="done"], .status[data-state="cached"]')
    boxes = page.locator('fieldset[data-group="counterfactuals"] input[data-counterfactual]')
    assert boxes.count() == 4
    comar = page.locator(
        '.counterfactual:has(input[data-counterfactual="comar_instead_of_troops"])'
    )
    assert "COMAR" in comar.inner_text() and comar.locator("li").count() == 2
    # a busy full lane: the run asked next waits in the queue, where Cancel reaches it
    busy = http.post(f"{url}/api/runs", json={"scenario": "mexico-us", "days": 3000, "seed": 5})
    assert busy.status_code == 202, busy.text

    def full_run(r: Any) -> bool:
        return (
            r.url.endswith("/api/runs")
            and r.method == "POST"
            and "preview" not in json.loads(r.post_data or "{}")
        )

    with page.expect_request(full_run) as asked:
        page.check('input[data-counterfactual="comar_instead_of_troops"]')
    body = json.loads(asked.value.post_data)
    assert sorted(body["with_events"]) == [
        "cf-mx-comar-instead-of-troops-2019",
        "cf-mx-comar-instead-of-troops-2021",
    ]
    page.wait_for_selector('.status[data-state="queued"] button[data-cancel]')
    page.click(".status button[data-cancel]")
    page.wait_for_selector('.status[data-state="cancelled"]')
    jobs = [j for j in http.get(f"{url}/api/jobs").json() if j["request"].get("with_events")]
    full = next(j for j in jobs if j["kind"] == "run")
    assert full["state"] == "cancelled" and full["started"] is None and full["run_id"] is None
    assert httpx.delete(f"{url}/api/jobs/{busy.json()['id']}").status_code == 200
    shot(page, "scenario-counterfactuals")

    page.click("#lang")
    page.wait_for_selector("text=Financiar el asilo en vez de tropas")
    page.click("#lang")
    page.wait_for_selector("text=Policy levers")
    assert page.errors == []  # type: ignore[attr-defined]
