"""The forecasts page (``#/forecast``) and the studies page (``#/studies``) in real headless
Chromium, on results of the tiny synthetic corridor stored beforehand by the use-case layer
(``corredor.app``, as the command line stores them: two forecasts — ex ante and conditional on a
policy path — and a study), so that the pages draw real stored results in seconds. The forms
are submitted with the smallest request they allow and cancelled from the page (their mexico-us
runs would take minutes): the job ends cancelled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import web_helpers
from corredor.app import StudyRequest, study
from corredor.store import ResultsStore
from study_dirs import OUTPUTS, VARIANTS, write_study_dir

STATIC = Path(__file__).resolve().parents[2] / "src/corredor/web/static"
SPANISH = {"history": "Historia", "no-deploy": "Sin despliegue", "no-mpp": "Sin MPP",
           "asylum": "Oficiales de asilo"}  # fmt: skip
#: Spanish names of the study's headline outputs (its summary names them); the other outputs
#: have none, so the page names them by their measure, from its own table
HEADLINE_ES = {"encounters": "detenciones en la frontera", "stranded": "días-persona varados",
               "wait": "espera media del asilo"}  # fmt: skip

pytestmark = [
    pytest.mark.xdist_group("web-browser-results"),
    pytest.mark.slow,
    web_helpers.NEEDS_CHROMIUM,
]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("results")
    store = ResultsStore(root / "store")
    _, ex_ante, conditional = web_helpers.store_tiny_forecasts(root, store)
    variants = [{**v, "label_es": SPANISH[v["name"]]} for v in VARIANTS]
    outputs = [{**o, "label_es": HEADLINE_ES[o["name"]]} if o["name"] in HEADLINE_ES else o
               for o in OUTPUTS]  # fmt: skip
    file = write_study_dir(root / "study", variants=variants, outputs=outputs,
                           title_es="Un estudio del corredor")  # fmt: skip
    tiny = study(StudyRequest(study=str(file), runs=2), store)
    return {
        "store": store.root,
        "ex_ante": ex_ante,
        "conditional": conditional,
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


UNTRANSLATED = """(root) => {
  const copy = root.cloneNode(true);
  copy.querySelectorAll('[lang="en"], code, script, style').forEach((x) => x.remove());
  return copy.innerText;
}"""


def test_the_spanish_pages_have_no_english_string(
    page: Any, url: str, made: dict[str, Any]
) -> None:
    """In Spanish, the forecasts and studies pages (forms, stored results, tabs) show no string
    of the English table that Spanish says otherwise, nor a raw key; the study's variants and
    outputs carry their Spanish names. Text marked English (the model's notes) is left out."""
    en = json.loads((STATIC / "i18n/en.json").read_text(encoding="utf-8"))
    es = json.loads((STATIC / "i18n/es.json").read_text(encoding="utf-8"))
    english = {k: v for k, v in en.items() if v != es[k] and len(v) >= 6}
    page.goto(f"{url}/#/studies")
    page.wait_for_selector("div.card")
    if page.locator("html").get_attribute("lang") != "es":
        page.click("#lang")
    page.wait_for_selector("text=Estudios: las dos preguntas, con bandas")

    def check(where: str, tabs: tuple[str, ...] = ()) -> str:
        for tab in tabs:  # draw every tab first
            page.click(tab)
            page.wait_for_selector(f"{tab}[aria-selected=true]")
        page.wait_for_timeout(300)
        text = str(page.locator("body").evaluate(UNTRANSLATED))
        found = {
            k: text[max(i - 40, 0) : i + len(v) + 40]
            for k, v in english.items()
            if (m := re.search(rf"(?<!\w){re.escape(v)}(?!\w)", text)) and (i := m.start()) >= 0
        }
        raw = [k for k in en if k in text]
        assert not found and not raw, (where, found, raw)
        return text

    text = check("studies")
    assert "Lo que la contención costó a las personas" in text  # the study's own Spanish title
    page.goto(f"{url}/#/studies/{made['study']}")
    page.wait_for_selector("#study-differences figure.chart")
    text = check("study")
    assert all(x in text for x in SPANISH.values() if x != "Historia")  # variants vs history
    assert "Un estudio del corredor" in text
    assert "días-persona varados" in text  # the study file's Spanish name of an output
    assert "días de detención en el país de tránsito" in text  # a measure's, from the table
    page.goto(f"{url}/#/forecast")
    page.wait_for_selector("#fc-path")
    check("forecast form")
    for run in ("ex_ante", "conditional"):
        page.goto(f"{url}/#/forecast/{made[run]}")
        page.wait_for_selector("[data-forecast]")
        text = check(run, ("#tab-fc-charts", "#tab-fc-ledger", "#tab-fc-details"))
    assert "Condicionado a una trayectoria de políticas: policy_events_forecast" in text
    page.click("#lang")
    page.wait_for_selector("text=Conditional on a policy path")
    assert page.errors == []


def test_the_bargaining_page_names_the_scenarios_two_states(page: Any, url: str) -> None:
    """The bargaining page names the two states of the offered scenario's ``bargaining:`` block
    (mexico-us: the United States and Mexico), in English and in Spanish (the scenario's labels
    translate the countries); no placeholder is left. It said "US–Mexico" for any scenario."""
    page.goto(f"{url}/#/bargain")
    if page.locator("html").get_attribute("lang") != "en":
        page.click("#lang")
    title = "The United States and Mexico: how much room does Mexico have under pressure?"
    page.wait_for_selector(f"h1:has-text('{title}')")
    intro = page.locator("main p.muted").first.inner_text()
    assert "the United States threatens tariffs unless Mexico enforces" in intro, intro
    assert page.locator('a[href="#/bargain"]').inner_text() == "Bargaining game"
    page.click("#lang")
    page.wait_for_selector("h1:has-text('Estados Unidos y México: ¿cuánto margen tiene México')")
    text = page.locator("main").inner_text()
    assert "Estados Unidos amenaza con aranceles si México" in text
    assert "{" not in text and "Mexico" not in text
    page.click("#lang")
    page.wait_for_selector(f"h1:has-text('{title}')")
    assert page.errors == []
