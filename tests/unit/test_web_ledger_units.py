"""The web's ledger units and the entries never multiplied by a preview's scale follow the
ledger's patterns (``*``: the scenario's ledger labels), not one corridor's names."""

from __future__ import annotations

from corredor.web.views import RATIO_ENTRIES, ledger_unit

#: What the web said of mexico-us's entries when it listed them by name.
MEXICO_US_UNITS = {
    "stranded_person_days": "person-days",
    "stranded_end_of_year": "people",
    "mpp_waiting_person_days": "person-days",
    "asylum_backlog_mexico_end": "people",
    "court_backlog_us_end": "people",
    "detention_days_mexico": "person-days",
    "detention_days_us": "person-days",
    "asylum_wait_mexico_days": "days",
    "court_wait_us_days": "days",
    "externalization_share": "share",
    "deportations_without_screening": "people",
    "apprehensions_mexico_non_mexicans": "people",
    "family_members_detained_in_us": "people",
    "expulsions": "people",
}
MEXICO_US_RATIOS = {"asylum_wait_mexico_days", "court_wait_us_days", "externalization_share"}


def test_mexico_us_entries_keep_their_units() -> None:
    for name, unit in MEXICO_US_UNITS.items():
        assert ledger_unit(name) == unit, name
        assert (name in RATIO_ENTRIES) == (name in MEXICO_US_RATIOS), name


def test_another_corridors_waits_are_days_and_not_scaled() -> None:
    assert "asylum_wait_meridia_days" in RATIO_ENTRIES
    assert "court_wait_austral_days" in RATIO_ENTRIES
    assert ledger_unit("asylum_wait_meridia_days") == "days"
    assert ledger_unit("detention_days_austral") == "person-days"
    assert ledger_unit("rtw_waiting_person_days") == "person-days"
    assert "detention_days_austral" not in RATIO_ENTRIES
    assert ledger_unit("court_backlog_austral_end") == "people"
    assert 3 not in RATIO_ENTRIES
