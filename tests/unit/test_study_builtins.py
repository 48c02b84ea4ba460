"""The built-in studies against issue 14's text: every output it lists per variant, by every
citizenship of the scenario; a ledger entry without a sourced rate left out and said so; the
asylum variant costed from sourced budgets (its size computed from them, not typed); Spanish
texts for what the Spanish summary prints; nothing cited from after the data horizon."""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from corredor.errors import ScenarioError
from corredor.scenario.corridor import load_corridor_scenario
from corredor.studies import builtin_studies, load_study
from corredor.studies.checks import unsourced_rates, with_unsourced_left_out

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from study_dirs import write_study_dir

STUDIES = Path(builtin_studies()["containment-2019"]).parent


@pytest.fixture(scope="module")
def mexico_us() -> Any:
    return load_corridor_scenario("mexico-us")


#: The outputs issue 14 asks of containment-2019, per variant, as measures.
ISSUE_OUTPUTS = {
    "apprehensions in Mexico": "apprehensions_transit",
    "deportations in Mexico": "deportations_transit",
    "deportations without a screening": "deportations_without_screening",
    "detention-days": "detention_days_transit",
    "person-days stranded": "stranded_person_days",
    "asylum applications": "asylum_applications_transit",
    "backlog at COMAR": "asylum_backlog_transit_end",
    "mean wait at COMAR": "asylum_wait_transit_mean_days",
    "people settled in Mexico": "settled_transit",
    "re-attempts after expulsion": "repeat_encounters_destination",
}


def test_containment_has_every_output_the_issue_lists(mexico_us: Any) -> None:
    s = load_study("containment-2019")
    measures = {o.measure for o in s.outputs}
    for what, measure in ISSUE_OUTPUTS.items():
        assert measure in measures, what
    stranded = next(o for o in s.outputs if o.measure == "stranded_person_days")
    assert stranded.by == "place"  # each border city
    families = [o for o in s.outputs if o.measure == "encounters_destination"]
    assert any(
        {"family_unit_member", "unaccompanied_child"} <= set(o.demographics) for o in families
    )
    # US encounters in total and by every citizenship of the scenario
    observables = {o.name: o for o in mexico_us.observables}
    single = set()
    for o in s.outputs:
        if o.measure == "observable":
            groups = observables[o.observable].definition.groups
            if len(groups) == 1:
                single.add(groups[0])
            elif not groups:
                single.add("all")
    assert single == {"all", *mexico_us.nationalities}


def test_texts_the_spanish_summary_prints_are_in_spanish() -> None:
    for name in ("containment-2019", "room-to-manoeuvre"):
        s = load_study(name)
        assert s.title_es and s.question_es and s.summary is not None
        for v in s.variants:
            assert v.label_es, v.name
            if v.effort:
                assert v.effort_es, v.name
        for o in s.outputs:
            assert o.label_es, o.name
        for x in s.left_out:
            assert x.what_es, x.what
        if s.bargaining is not None:
            assert len(s.bargaining.caveats_es) == len(s.bargaining.caveats)


def test_harm_is_left_out_and_said_so(mexico_us: Any) -> None:
    """mexico-us's harm hazards are hand-set with no source: both studies leave the harm
    ledger entry out and their reports say so, naming the rates."""
    assert unsourced_rates(mexico_us) == {
        "harm_events": ["risk_bus", "risk_foot", "risk_road", "risk_train"]
    }
    for name in ("containment-2019", "room-to-manoeuvre"):
        s = with_unsourced_left_out(load_study(name), mexico_us)
        harm = [x for x in s.left_out if x.ledger == "harm_events"]
        assert len(harm) == 1, name
    room = with_unsourced_left_out(load_study("room-to-manoeuvre"), mexico_us)
    added = next(x for x in room.left_out if x.ledger == "harm_events")
    assert "risk_road" in added.why
    assert str(added.what_es).startswith("las personas dañadas en el camino")  # Spanish first


def _risk_corridor(tmp_path: Path, source: str | None) -> Any:
    path = write_study_dir(tmp_path)
    doc_path = tmp_path / "corridor" / "scenario.yaml"
    links = tmp_path / "corridor" / "links.csv"
    links.write_text(
        links.read_text(encoding="utf-8").replace(",0.002,", ",$risk_foot,"), encoding="utf-8"
    )
    doc = yaml.safe_load(doc_path.read_text(encoding="utf-8"))
    doc["calibration"]["risk_foot"] = {
        "default": 0.002,
        "range": [0, 0.01],
        "description": "harm hazard on foot",
        "status": "hand-set",
        **({"source": source} if source else {}),
    }
    doc_path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return load_study(path), load_corridor_scenario(doc_path)


def test_an_unsourced_rate_is_added_to_left_out(tmp_path: Path) -> None:
    study, scenario = _risk_corridor(tmp_path / "a", None)
    assert unsourced_rates(scenario) == {"harm_events": ["risk_foot"]}
    got = with_unsourced_left_out(study, scenario)
    assert len(got.left_out) == len(study.left_out) + 1
    assert "risk_foot" in got.left_out[-1].why
    study, scenario = _risk_corridor(tmp_path / "b", "https://example.org/harm-survey")
    assert unsourced_rates(scenario) == {}
    assert with_unsourced_left_out(study, scenario) == study


def _costs() -> dict[tuple[str, str], float]:
    with (STUDIES / "costs.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        assert r["source"].strip(), r["item"]
    return {(r["item"], r["period"]): float(r["value"]) for r in rows}


def test_the_asylum_variant_is_sized_and_costed_from_sourced_budgets() -> None:
    costs = _costs()
    asked, had = costs[("comar_budget_requested", "2020")], costs[("comar_budget", "2019")]
    officers, guard = (
        costs[("comar_interview_officers", "2018")],
        costs[("guardia_nacional_deployed", "2019-07-20")],
    )
    s = load_study("containment-2019")
    v = next(x for x in s.variants if x.name == "asylum-and-integration")
    assert v.set["comar_funding_multiplier"] == round(asked / had, 2)
    added = officers * (asked / had - 1)
    years = ((s.period.end - s.period.start).days + 1) / 365.25
    effort = " ".join(v.effort.split())
    assert f"{asked - had:.0f} million pesos a year" in effort
    assert f"about {round((asked - had) * years, -1):.0f} million pesos" in effort
    assert f"about {added:.0f} more COMAR interview officers" in effort
    assert f"{guard:,.0f} Guardia Nacional" in effort
    assert f"one COMAR officer for every {guard / added:.0f} Guard members" in effort


def test_no_study_text_cites_data_after_the_horizon() -> None:
    """The studies' files may not size a variant from what happened after September 2021."""
    late = re.compile(r"\b20(2[2-9]|[3-9]\d)\b|\bin 2021\b")
    for path in [*STUDIES.glob("*.yaml"), *STUDIES.glob("events/*.yaml")]:
        text = path.read_text(encoding="utf-8")
        assert not late.search(text), (path.name, late.search(text))


def test_spanish_caveats_must_match_one_for_one(tmp_path: Path) -> None:
    doc = yaml.safe_load(Path(builtin_studies()["room-to-manoeuvre"]).read_text(encoding="utf-8"))
    doc["bargaining"]["caveats_es"] = doc["bargaining"]["caveats_es"][:-1]
    path = tmp_path / "room.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_study(path)
    text = str(err.value)
    assert "room.yaml" in text and "caveats_es" in text and "one Spanish text per caveat" in text
