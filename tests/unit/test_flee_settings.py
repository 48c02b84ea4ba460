"""simsetting.yml as Flee 3.1 reads it (corredor.scenario.flee.settings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from corredor.errors import ScenarioError
from corredor.scenario.flee.settings import (
    FleeSettings,
    load_settings,
    settings_from_text,
)

# Every key of SimulationSettings.ReadFromYML (Flee 3.1) with its default.
DEFAULT_MOVE_RULES = {
    "max_move_speed": 360.0,
    "max_walk_speed": 35.0,
    "max_crossing_speed": 20.0,
    "foreign_weight": 1.0,
    "camp_weight": 1.0,
    "conflict_weight": 1.0 / 3.16227766017,
    "conflict_movechance": 1.0,
    "camp_movechance": 0.001,
    "idpcamp_movechance": 0.1,
    "default_movechance": 0.3,
    "awareness_level": 1,
    "capacity_buffer": 0.9,
    "avoid_short_stints": False,
    "start_on_foot": False,
    "use_v1_rules": False,
    "softening": 10.0,
    "weight_softening": 0.0,
    "weight_power": 1.0,
    "distance_power": 1.0,
    "stay_close_to_home": False,
    "home_distance_power": 0.5,
    "use_pop_for_loc_weight": False,
    "pop_power_for_loc_weight": 0.1,
    "movechance_pop_base": 10000.0,
    "movechance_pop_scale_factor": 0.0,
    "children_avoid_hazards": False,
    "boys_take_risk": False,
    "match_camp_ethnicity": False,
    "match_town_ethnicity": False,
    "match_conflict_ethnicity": False,
}
DEFAULT_SPAWN_RULES = {
    "take_from_population": False,
    "insert_day0": True,
    "conflict_zone_spawning_only": True,
    "flood_zone_spawning_only": False,
    "camps_are_sicks": False,
    "camps_are_sinks": None,
    "read_from_agents_csv_file": False,
    "conflict_driven_spawning": None,
    "flood_driven_spawning": None,
    "conflict_spawn_decay": None,
}


def error_of(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        settings_from_text(text, "sim.yml")
    return info.value


@pytest.mark.parametrize("text", ["", "# only a comment\n", "move_rules:\nspawn_rules:\n"])
def test_empty_gives_31_defaults(text: str) -> None:
    s = settings_from_text(text)
    assert s.move_rules.model_dump() == DEFAULT_MOVE_RULES
    assert s.spawn_rules.model_dump() == DEFAULT_SPAWN_RULES
    assert s.log_levels.model_dump() == dict.fromkeys(
        ["agent", "link", "camp", "init", "conflict", "idp_totals"], 0
    )
    assert (s.hasten, s.number_of_steps, s.conflict_input_file) == (1, -1.0, "")
    assert (s.flee31_quirks, s.ignored_keys, s.flood_rules) == (False, [], None)


def test_none_and_file(tmp_path: Path) -> None:
    assert load_settings(None) == FleeSettings()
    path = tmp_path / "simsetting.yml"
    path.write_text("", encoding="utf-8")
    assert load_settings(path).move_rules.softening == 10.0
    path.write_text("move_rules:\n  softening: 50\n", encoding="utf-8")
    assert load_settings(path).move_rules.softening == 50.0


def test_unknown_keys_are_listed() -> None:
    s = settings_from_text(
        "sum_from_camps: 1\n"
        "spawn_rules:\n  sum_from_camps: True\n  conflict_driven_spawning:\n    rate: 3\n"
        "move_rules:\n  capacity_scaling: 1.25\n  softening: 50\n"
    )
    assert s.ignored_keys == [
        "sum_from_camps",
        "spawn_rules.sum_from_camps",
        "spawn_rules.conflict_driven_spawning.rate",
        "move_rules.capacity_scaling",
    ]
    assert s.move_rules.softening == 50.0


def test_31_conversions() -> None:
    s = settings_from_text(
        "move_rules:\n  awareness_level: 2.7\n  softening: '12.5'\n  avoid_short_stints: 1\n"
        "  ChildrenAvoidHazards: True\n"
        "optimisations:\n  hasten: 10\n"
        "spawn_rules:\n  conflict_spawn_decay: [1, 1, 0.5]\n  take_from_population:\n"
    )
    rules = s.move_rules
    assert (rules.awareness_level, rules.softening, rules.avoid_short_stints) == (2, 12.5, True)
    assert rules.children_avoid_hazards is True
    assert s.hasten == 10
    assert s.spawn_rules.conflict_spawn_decay == [1.0, 1.0, 0.5]
    assert s.spawn_rules.take_from_population is False  # `key:` with no value → bool(None)


def test_use_v1_rules_overrides_like_31() -> None:
    s = settings_from_text(
        "move_rules:\n  use_v1_rules: True\n  max_move_speed: 500\n  camp_weight: 9\n"
        "  start_on_foot: True\n  avoid_short_stints: True\n  softening: 3\n"
    )
    m = s.move_rules
    assert (m.max_move_speed, m.camp_weight, m.conflict_weight) == (200.0, 2.0, 0.25)
    assert (m.start_on_foot, m.avoid_short_stints, m.softening) == (False, False, 3.0)


@pytest.mark.parametrize(
    ("block", "mode", "amount"),
    [
        ("{}", "constant", 500.0),
        ("{spawn_mode: pop_ratio}", "pop_ratio", 0.01),
        ("{spawn_mode: constant, displaced_per_conflict_day: 2.7}", "constant", 2.0),
        ("{spawn_mode: pop_ratio, displaced_per_conflict_day: 0.5}", "pop_ratio", 0.5),
        ("{spawn_mode: Poisson}", "poisson", 500.0),
    ],
)
def test_conflict_driven_spawning(block: str, mode: str, amount: float) -> None:
    cds = settings_from_text(f"spawn_rules:\n  conflict_driven_spawning: {block}\n")
    section = cds.spawn_rules.conflict_driven_spawning
    assert section is not None
    assert (section.spawn_mode, section.displaced_per_conflict_day) == (mode, amount)


def test_empty_conflict_driven_spawning_means_off() -> None:
    s = settings_from_text("spawn_rules:\n  conflict_driven_spawning:\n")
    assert s.spawn_rules.conflict_driven_spawning is None


@pytest.mark.parametrize(
    ("text", "sinks", "sicks"),
    [
        ("spawn_rules: {camps_are_sicks: True}", True, True),
        ("spawn_rules: {camps_are_sinks: True}", True, False),
        ("spawn_rules: {camps_are_sinks: True}\ncorredor: {flee31_quirks: True}", False, False),
        ("spawn_rules: {camps_are_sicks: True, camps_are_sinks: False}", False, True),
    ],
)
def test_camps_are_sinks_both_spellings(text: str, sinks: bool, sicks: bool) -> None:
    s = settings_from_text(text)
    assert s.camps_are_sinks_effective is sinks
    assert s.spawn_rules.camps_are_sicks is sicks
    assert s.ignored_keys == []


def test_type_error_names_file_field_and_type() -> None:
    err = error_of("move_rules:\n  softening: abc\n")
    assert (err.file, err.field, err.expected) == ("sim.yml", "move_rules.softening", "a number")
    assert "'abc'" in str(err)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("spawn_rules: {take_from_population: 'False'}", "spawn_rules.take_from_population"),
        ("move_rules: {awareness_level: two}", "move_rules.awareness_level"),
        ("spawn_rules: {conflict_spawn_decay: [1, x]}", "spawn_rules.conflict_spawn_decay.1"),
        ("spawn_rules: {conflict_spawn_decay: 0.5}", "spawn_rules.conflict_spawn_decay"),
        (
            "spawn_rules: {conflict_driven_spawning: {spawn_mode: steady}}",
            "spawn_rules.conflict_driven_spawning.spawn_mode",
        ),
        ("move_rules: [1, 2]", "move_rules"),
        ("corredor: {flee31_quirk: True}", "corredor.flee31_quirk"),
        ("optimisations: {hasten: 0}", "optimisations.hasten"),
        ("spawn_rules: {flood_zone_spawning_only: True}", "spawn_rules.flood_zone_spawning_only"),
    ],
)
def test_bad_values(text: str, field: str) -> None:
    err = error_of(text)
    assert (err.file, err.field) == ("sim.yml", field)


def test_yaml_syntax_error_has_line() -> None:
    err = error_of("move_rules:\n  softening: [1,\n")
    assert err.file == "sim.yml" and err.line is not None


def test_flood_spawning_switches_sections() -> None:
    s = settings_from_text(
        "spawn_rules:\n  conflict_zone_spawning_only: False\n  flood_zone_spawning_only: True\n"
        "  conflict_driven_spawning: {}\n  flood_driven_spawning: {spawn_mode: pop_ratio}\n"
    )
    assert s.spawn_rules.conflict_driven_spawning is None
    assert s.spawn_rules.flood_driven_spawning is not None
    assert s.spawn_rules.flood_driven_spawning.displaced_per_conflict_day == 0.01
    assert s.ignored_keys == ["spawn_rules.conflict_driven_spawning"]
