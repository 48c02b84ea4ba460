"""The room-for-manoeuvre report and summaries (corredor.report.room) on a hand-made result:
the answer (feasible share, chosen policy, outcomes against the own policy, each with its band
and unit) on the first screen, in English and Spanish, and every caveat of docs/bargaining.md
next to the numbers (corredor.bargaining.caveats) — also in the bargaining section of a
coupled run's report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from corredor.bargaining.caveats import CAVEATS, caveat_texts
from corredor.bargaining.policy import CONTINUOUS_LEVERS, PolicyGrid
from corredor.ensemble.parameter_sets import ParameterSet
from corredor.report.bargaining import coupled_section_html
from corredor.report.room import (
    room_html,
    room_markdown,
    room_summary,
    switch_share,
)
from corredor.report.study import FIRST_SCREEN_LINES
from corredor.studies.outputs import OutputColumn
from corredor.studies.room import GAME_FIELDS, RoomResult, policy_grid_size
from corredor.studies.runner import CalibrationInfo
from corredor.studies.schema import Study, load_study

DOCS = Path(__file__).resolve().parents[2] / "docs" / "bargaining.md"
EXPOSURES = (0.0, 0.2, 0.5, 0.815, 0.9)
CREDIBILITIES = (0.5, 1.0)


def study() -> Study:
    return Study.model_validate(
        {
            "study": "room",
            "title": "How much room?",
            "title_es": "¿Cuánto margen?",
            "question": "How much room does the transit state have?",
            "scenario": "x",
            "period": {"start": "2019-06-10", "end": "2019-09-07"},
            "outputs": [
                {"name": "arrivals", "measure": "encounters_destination", "label_es": "llegadas"},
                {"name": "stranded", "measure": "stranded_person_days"},
            ],
            "headline": ["arrivals", "stranded"],
            "bargaining": {
                "exposures": list(EXPOSURES[1:]),
                "credibilities": list(CREDIBILITIES),
                "history_exposure": 0.815,
                "history_label": "history, June 2019",
                "caveats": ["a caveat of this study"],
                "caveats_es": ["una advertencia de este estudio"],
            },
            "left_out": [{"what": "money", "why": "no source", "what_es": "el dinero"}],
        }
    )


@pytest.fixture
def result() -> RoomResult:
    """1 set × 4 seeds; the feasible share falls with the exposure; the transit state keeps its
    own policy (enforcement 0.2, visas 1) up to 0.2 and enforces (0.9, no visas) from 0.5 on,
    safe from the sanction in 3 of 4 runs at 0.5 and in every run above; arrivals fall by
    1000 × the exposure, run by run."""
    P, R, E, K, F = 1, 4, len(EXPOSURES), len(CREDIBILITIES), len(GAME_FIELDS)
    game = np.zeros((P, R, E, K, F))
    f = GAME_FIELDS.index
    for e, x in enumerate(EXPOSURES):
        game[0, :, e, :, f("feasible_share")] = 1.0 - x
        own = x < 0.5
        game[0, :, e, :, f("enforcement_mean")] = 0.2 if own else 0.9
        game[0, :, e, :, f("enforcement_south")] = 0.2 if own else 0.9
        game[0, :, e, :, f("humanitarian_visas")] = 1.0 if own else 0.0
        game[0, :, e, :, f("sanction_probability")] = 0.0 if own else 0.25
    comply = game[0, :, :, :, f("in_feasible_space")]
    comply[:, 3:, :] = 1.0
    comply[:3, 2, :] = 1.0
    outcomes = np.zeros((P, R, E, 2))
    for r in range(R):
        outcomes[0, r, :, 0] = 1000.0 + r - 1000.0 * np.array(EXPOSURES)
        outcomes[0, r, :, 1] = 500.0 + r  # no change: the band is 0 to 0
    return RoomResult(
        study=study(),
        digest="0" * 64,
        scenario="x",
        calibration=CalibrationInfo("none", None, None, None, False, "no calibration"),
        sets=(ParameterSet({}, 1.0, "defaults"),),
        seeds=(0, 1, 2, 3),
        exposures=EXPOSURES,
        credibilities=CREDIBILITIES,
        review=dt.date(2019, 6, 10),
        days=90,
        columns=(
            OutputColumn("arrivals", "arrivals", "arrivals", "events", None, "llegadas"),
            OutputColumn("stranded", "stranded", "people stranded", "person-days"),
        ),
        game=game,
        outcomes=outcomes,
        seconds=np.ones((P, R)),
        cpu_seconds=np.ones((P, R)),
        transit="Mexico",
        hegemon="United States",
    )


def first_screen(text: str) -> str:
    return "\n".join(text.splitlines()[:FIRST_SCREEN_LINES])


def test_the_answer_is_on_the_first_screen(result: RoomResult) -> None:
    top = first_screen(room_summary(result, "en"))
    assert "| **81.5 % (history, June 2019)** | 18.5 % (18.5 % to 18.5 %) |" in top
    assert (
        "| 20 % | 80.0 % (80.0 % to 80.0 %) | enforcement 20 %, visas 100 %, asylum 0 %, MPP 0 %; "
        "P(sanction) 0.0 % |" in top
    )
    assert "−815 (−815 to −815)" in top  # arrivals at 0.815, paired with the own policy
    assert "≈ 0 (0 to 0)" in top  # stranded: no change
    assert "arrivals (events)" in top and "people stranded (person-days)" in top
    assert "| 0 % (no dependence): Mexico's own policy, the model's values | 100.0 %" in top
    assert (
        "Mexico keeps its enforcement and visas (20 %, 100 %) up to 20 % of its exports sold to "
        "United States, defying the threat (chance of the sanction 0.0 %); from 50 % on it "
        "chooses more enforcement (90 % of the levers' size) and 0 % of the humanitarian visas "
        "(chance of the sanction 25.0 %)." in top
    )
    assert "the policy Mexico chooses leaves a 25.0 % chance of the sanction" in top
    assert "Uncalibrated" in top and "90 % band" in top


def test_the_spanish_answer_is_on_the_first_screen(result: RoomResult) -> None:
    top = first_screen(room_summary(result, "es"))
    assert "| **81.5 % (historia, junio de 2019)** | 18.5 % (18.5 % a 18.5 %) |" in top
    assert "control 20 %, visas 100 %, asilo 0 %, MPP 0 %; P(sanción) 0.0 %" in top
    assert "Mexico mantiene su control y sus visas (20 %, 100 %) hasta 20 %" in top
    assert "−815 (−815 a −815)" in top and "llegadas (eventos)" in top
    assert "Sin calibrar" in top and "banda de 90 %" in top
    assert "10 de junio de 2019" in top


def test_switch_share_is_where_the_choice_leaves_the_own_policy(result: RoomResult) -> None:
    assert switch_share(result) == 0.5
    game = result.game.copy()
    for name in ("enforcement_mean", "humanitarian_visas"):
        game[..., GAME_FIELDS.index(name)] = game[:, :, :1, :, GAME_FIELDS.index(name)]
    assert switch_share(dataclasses.replace(result, game=game)) is None


def test_every_caveat_is_next_to_the_numbers(result: RoomResult) -> None:
    md, page = room_markdown(result), room_html(result)
    en, es = room_summary(result, "en"), room_summary(result, "es")
    for c in CAVEATS:
        assert c.en in md and c.en in en, c.key
        assert c.es in es, c.key
    assert "a caveat of this study" in md and "una advertencia de este estudio" in es
    assert page.count("<li>") >= len(CAVEATS) + 1
    assert "Sin cifra con fuente, se deja fuera: el dinero." in es
    assert "Left out, no sourced figure: money (no source)." in en


def test_each_caveat_is_said_once(result: RoomResult) -> None:
    """The safe-third-country caveat is said of the scenario when the study knows it (or left
    out where the scenario has the mechanism), and the built-in study's own caveats repeat none
    of the game's: each limit appears once, in English and in Spanish."""
    no_stc = dataclasses.replace(result, stc_mechanism=False)
    for es, text in ((False, room_markdown(no_stc)), (True, room_summary(no_stc, "es"))):
        phrase = "mecanismo de tercer país seguro" if es else "safe-third-country mechanism"
        assert text.count(phrase) == 1, es
        assert ("El escenario no tiene un" if es else "The scenario has no safe-") in text
    with_stc = room_summary(dataclasses.replace(result, stc_mechanism=True), "en")
    assert "safe-third-country mechanism" not in with_stc
    spec = load_study("room-to-manoeuvre").bargaining
    assert spec is not None
    for lang, own, topics in (
        ("en", spec.caveats, ("safe-third-country mechanism", "grid")),
        ("es", spec.caveats_es, ("mecanismo de tercer país seguro", "rejilla")),
    ):
        said = caveat_texts(lang, stc_mechanism=False) + [" ".join(c.split()) for c in own]
        assert len(set(said)) == len(said)
        for topic in topics:
            assert sum(topic in c for c in said) == 1, (lang, topic)


def test_the_grid_size_is_the_games_not_typed(result: RoomResult) -> None:
    """The report counts the policies of the grid the game solves on: the continuous levers
    the scenario does not map are held at 0, so a scenario with fewer levers has fewer."""
    assert policy_grid_size(dict.fromkeys(CONTINUOUS_LEVERS)) == PolicyGrid().size == 5**6 * 2
    assert policy_grid_size({"humanitarian_visas": None}) == 5 * 2
    one_lever = policy_grid_size({"mpp_acceptance": 1})
    md = room_markdown(dataclasses.replace(result, grid_size=one_lever))
    assert "Share of the 10 policies of the grid" in md
    assert "Share of the policies of the grid" in room_markdown(result)


def _section(text: str, number: str) -> str:
    """The text of section ``number`` (``9``, ``10.1``) of a Markdown document."""
    level = "###" if "." in number else "##"
    start = re.search(rf"^{level} {re.escape(number)}\.? ", text, flags=re.M)
    assert start is not None, number
    end = re.search(r"^#{2,3} ", text[start.end() :], flags=re.M)
    return text[start.start() : start.end() + (end.start() if end else len(text))]


def test_the_caveats_follow_docs_bargaining() -> None:
    """Each caveat quotes its section of docs/bargaining.md, and every limitation of §9 has
    its caveat: a limitation added to the document without one fails here."""
    doc = DOCS.read_text(encoding="utf-8")
    for c in CAVEATS:
        section = " ".join(_section(doc, c.section.lstrip("§")).split())
        assert c.doc_phrase in section, (c.key, c.section)
    limits = [ln for ln in _section(doc, "9").splitlines() if ln.startswith("* ")]
    cited = [c for c in CAVEATS if c.section == "§9"]
    assert len(cited) == len(limits)
    for ln in limits:
        assert any(ln[2:].startswith(c.doc_phrase[:20]) for c in cited), ln


def test_the_bargaining_section_of_a_coupled_report_carries_the_caveats() -> None:
    frame = pd.DataFrame(
        {
            "start": [dt.date(2019, 6, 10)],
            "tariff_mean": [0.1],
            "feasible_share": [0.5],
            "sim_arrivals_per_day": [100.0],
            "arrivals_per_day": [90.0],
            "enforcement_mean": [0.5],
            "humanitarian_visas": [0.0],
            "sanction_probability": [0.2],
        }
    )
    try:
        html = coupled_section_html({"endogenous": frame})
    except (KeyError, ValueError) as exc:  # the chart needs more columns than the table
        pytest.fail(f"coupled_section_html on a minimal frame: {exc}")
    for text in caveat_texts():
        assert text.replace("'", "&#x27;") in html
