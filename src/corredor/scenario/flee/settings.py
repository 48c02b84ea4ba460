"""``simsetting.yml``: every key Flee 3.1 reads, with 3.1's defaults and conversions.

Mirrors ``flee/SimulationSettings.py::ReadFromYML`` (docs/flee-notes.md §2.10):

* a missing key, a missing section or an empty file gives 3.1's default;
* values are converted as 3.1 converts them: ``float(x)``, ``int(x)`` (so ``2.7`` becomes ``2``)
  and ``bool(x)``. A *string* where 3.1 expects a flag is refused, because 3.1 would read any
  non-empty string, even ``"False"``, as true;
* ``use_v1_rules: True`` overrides five movement keys after everything else is read, exactly as
  3.1 does (``max_move_speed`` 200, ``camp_weight`` 2, ``conflict_weight`` 0.25, and
  ``start_on_foot``/``avoid_short_stints`` off), even when the file sets them;
* keys 3.1 does not read are kept out of the model and listed in ``FleeSettings.ignored_keys``;
* ``corredor:`` is Corredor's own section (3.1 ignores it): ``flee31_quirks: true`` asks the
  rule set to reproduce 3.1's known bugs (docs/flee-notes.md §9) instead of the fixed behaviour.

Any type error becomes a :class:`~corredor.errors.ScenarioError` naming the file, the dotted
field path and the expected type.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from corredor.errors import ScenarioError
from corredor.files.read import excerpt, load_yaml, parse_yaml

#: Flee 3.1's ``SimulationSettings.sqrt_ten`` (the literal, not ``math.sqrt(10)``).
SQRT_TEN_31 = 3.16227766017


# --------------------------------------------------------------------------- 3.1 conversions
def _type_error(expected: str, value: object, note: str = "") -> PydanticCustomError:
    context = {"expected": expected, "found": excerpt(value), "note": note}
    return PydanticCustomError("flee_type", "expected {expected}, found {found}", context)


def _as_float(value: object) -> float:
    """``float(value)``, as 3.1 converts numeric settings (numeric strings included)."""
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _type_error("a number", value)


def _as_int(value: object) -> int:
    """``int(value)``, as 3.1 converts integer settings (a float is truncated toward zero)."""
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise _type_error("an integer", value)


def _as_bool(value: object) -> bool:
    """``bool(value)`` for YAML booleans and numbers; ``key:`` with no value is false as in 3.1."""
    if value is None:
        return False
    if isinstance(value, bool | int | float):
        return bool(value)
    if isinstance(value, str):
        note = "Flee 3.1 reads every non-empty string as true; write True or False unquoted"
        raise _type_error("true or false", value, note)
    raise _type_error("true or false", value)


def _as_str(value: object) -> str:
    if isinstance(value, str):
        return value
    raise _type_error("a string", value)


FleeFloat = Annotated[float, BeforeValidator(_as_float)]
FleeInt = Annotated[int, BeforeValidator(_as_int)]
FleeBool = Annotated[bool, BeforeValidator(_as_bool)]
FleeStr = Annotated[str, BeforeValidator(_as_str)]


class _Section(BaseModel):
    """A YAML section: unknown keys are ignored (and reported by :func:`load_settings`)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


# --------------------------------------------------------------------------- sections
class LogLevels(_Section):
    """``log_levels``: 3.1's logging switches (Corredor reads them only for compatibility)."""

    agent: FleeInt = 0
    link: FleeInt = 0
    camp: FleeInt = 0
    init: FleeInt = 0
    conflict: FleeInt = 0
    idp_totals: FleeInt = 0


def _driven_spawning_input(data: Any) -> Any:
    """Apply 3.1's mode-dependent default and conversion of ``displaced_per_conflict_day``."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    mode = data.get("spawn_mode", "constant")
    if mode == "Poisson":
        mode = data["spawn_mode"] = "poisson"
    if mode == "pop_ratio":
        amount = _as_float(data.get("displaced_per_conflict_day", 0.01))
        data["displaced_per_conflict_day"] = amount
    else:
        amount = _as_int(data.get("displaced_per_conflict_day", 500))
        data["displaced_per_conflict_day"] = float(amount)
    return data


class ConflictDrivenSpawning(_Section):
    """``spawn_rules.conflict_driven_spawning``: a fixed push per conflict zone and day.

    ``displaced_per_conflict_day`` defaults to 500 for ``constant`` (and ``poisson``), read with
    ``int()``, and to 0.01 for ``pop_ratio``, read with ``float()``. 3.1 crashes on ``poisson``
    (it lowers the string and compares it with ``"Poisson"``); Corredor accepts it.
    """

    spawn_mode: Literal["constant", "pop_ratio", "poisson"] = "constant"
    displaced_per_conflict_day: float = 500.0

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        return _driven_spawning_input(data)


class FloodDrivenSpawning(ConflictDrivenSpawning):
    """``spawn_rules.flood_driven_spawning`` (DFlee; read only with ``flood_zone_spawning_only``).

    3.1 reads the amount from the key ``displaced_per_conflict_day`` here too.
    """


class SpawnRules(_Section):
    """``spawn_rules``. ``camps_are_sicks`` is 3.1's spelling (the only key 3.1 reads);
    ``camps_are_sinks`` is the correct spelling, honoured by Corredor unless ``flee31_quirks``.
    """

    take_from_population: FleeBool = False
    insert_day0: FleeBool = True
    conflict_zone_spawning_only: FleeBool = True
    flood_zone_spawning_only: FleeBool = False
    camps_are_sicks: FleeBool = False
    camps_are_sinks: FleeBool | None = None
    read_from_agents_csv_file: FleeBool = False
    conflict_driven_spawning: ConflictDrivenSpawning | None = None
    flood_driven_spawning: FloodDrivenSpawning | None = None
    conflict_spawn_decay: list[FleeFloat] | None = None


class MoveRules(_Section):
    """``move_rules`` with 3.1's defaults; CamelCase keys keep their 3.1 spelling as aliases."""

    max_move_speed: FleeFloat = 360.0
    max_walk_speed: FleeFloat = 35.0
    max_crossing_speed: FleeFloat = 20.0
    foreign_weight: FleeFloat = 1.0
    camp_weight: FleeFloat = 1.0
    conflict_weight: FleeFloat = 1.0 / SQRT_TEN_31
    conflict_movechance: FleeFloat = 1.0
    camp_movechance: FleeFloat = 0.001
    idpcamp_movechance: FleeFloat = 0.1
    default_movechance: FleeFloat = 0.3
    awareness_level: FleeInt = 1
    capacity_buffer: FleeFloat = 0.9
    avoid_short_stints: FleeBool = False
    start_on_foot: FleeBool = False
    use_v1_rules: FleeBool = False
    softening: FleeFloat = 10.0
    weight_softening: FleeFloat = 0.0
    weight_power: FleeFloat = 1.0
    distance_power: FleeFloat = 1.0
    stay_close_to_home: FleeBool = False
    home_distance_power: FleeFloat = 0.5
    use_pop_for_loc_weight: FleeBool = False
    pop_power_for_loc_weight: FleeFloat = 0.1
    movechance_pop_base: FleeFloat = 10000.0
    movechance_pop_scale_factor: FleeFloat = 0.0
    children_avoid_hazards: FleeBool = Field(default=False, alias="ChildrenAvoidHazards")
    boys_take_risk: FleeBool = Field(default=False, alias="BoysTakeRisk")
    match_camp_ethnicity: FleeBool = Field(default=False, alias="MatchCampEthnicity")
    match_town_ethnicity: FleeBool = Field(default=False, alias="MatchTownEthnicity")
    match_conflict_ethnicity: FleeBool = Field(default=False, alias="MatchConflictEthnicity")

    @model_validator(mode="after")
    def _v1_overrides(self) -> MoveRules:
        if self.use_v1_rules:  # 3.1 applies these last, over any value from the file
            for key, value in V1_OVERRIDES.items():
                object.__setattr__(self, key, value)
        return self


#: What ``use_v1_rules: True`` forces in 3.1 (``SimulationSettings.ReadFromYML``, last lines).
V1_OVERRIDES: dict[str, Any] = {
    "max_move_speed": 200.0,
    "start_on_foot": False,
    "avoid_short_stints": False,
    "camp_weight": 2.0,
    "conflict_weight": 0.25,
}


class Optimisations(_Section):
    """``optimisations.hasten``: divisor of populations, capacities and observed counts."""

    hasten: FleeInt = 1


class CorredorSection(BaseModel):
    """``corredor:``, Corredor's own section (Flee 3.1 ignores it). Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    flee31_quirks: FleeBool = False


class FleeSettings(BaseModel):
    """A whole ``simsetting.yml``. ``ignored_keys`` lists dotted paths that 3.1 does not read.

    ``flood_rules`` (DFlee) is kept as the raw mapping: 3.1 reads it from the wrong section and
    stops with a KeyError whenever it is present (docs/flee-notes.md §9 item 8).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    number_of_steps: FleeFloat = -1.0
    conflict_input_file: FleeStr = ""
    log_levels: LogLevels = Field(default_factory=LogLevels)
    spawn_rules: SpawnRules = Field(default_factory=SpawnRules)
    move_rules: MoveRules = Field(default_factory=MoveRules)
    flood_rules: dict[str, Any] | None = None
    optimisations: Optimisations = Field(default_factory=Optimisations)
    corredor: CorredorSection = Field(default_factory=CorredorSection)
    ignored_keys: list[str] = Field(default_factory=list)

    @property
    def hasten(self) -> int:
        return self.optimisations.hasten

    @property
    def flee31_quirks(self) -> bool:
        return self.corredor.flee31_quirks

    @property
    def camps_are_sinks_effective(self) -> bool:
        """Whether camps deactivate agents: 3.1 reads only ``camps_are_sicks``; otherwise the
        correct spelling wins when present."""
        rules = self.spawn_rules
        if self.flee31_quirks or rules.camps_are_sinks is None:
            return rules.camps_are_sicks
        return rules.camps_are_sinks


_SECTIONS: dict[str, type[BaseModel]] = {
    "log_levels": LogLevels,
    "spawn_rules": SpawnRules,
    "move_rules": MoveRules,
    "optimisations": Optimisations,
}
_NESTED: dict[str, type[BaseModel]] = {
    "conflict_driven_spawning": ConflictDrivenSpawning,
    "flood_driven_spawning": FloodDrivenSpawning,
}
_SECTION_KEYS = {"flood_rules", "corredor", *_SECTIONS}
_TOP_KEYS = {"number_of_steps", "conflict_input_file", "flood_rules", "corredor", *_SECTIONS}


# --------------------------------------------------------------------------- loading
def load_settings(path: Path | None, *, root: Path | None = None) -> FleeSettings:
    """Read ``simsetting.yml`` (``None`` or an empty file → defaults) with the one reader
    (:func:`corredor.files.read.load_yaml`: inside ``root``, a regular file, safe YAML with
    limits). As in Flee 3.1 (``yaml.safe_load``), a key written twice keeps its last value."""
    if path is None:
        return FleeSettings()
    raw, _ = load_yaml(Path(path), root=root, duplicate_keys="last", what="settings file")
    return settings_from_dict(raw, path)


def settings_from_text(text: str, file: str | Path = "simsetting.yml") -> FleeSettings:
    """Parse the YAML text of a ``simsetting.yml``; ``file`` names it in errors."""
    raw, _ = parse_yaml(text, str(file), duplicate_keys="last")
    return settings_from_dict(raw, file)


def settings_from_dict(raw: object, file: str | Path = "simsetting.yml") -> FleeSettings:
    """Validate already-parsed YAML (``None`` → defaults)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ScenarioError(
            file, "must be a mapping of sections", expected="`section:` keys at top level"
        )
    ignored = _unknown_keys(raw)
    # An empty section (``move_rules:`` with nothing under it) means defaults, as in 3.1.
    clean = {
        k: v for k, v in raw.items() if k in _TOP_KEYS and not (v is None and k in _SECTION_KEYS)
    }
    try:
        settings = FleeSettings.model_validate(clean)
    except ValidationError as exc:
        raise _to_scenario_error(exc, file) from None
    spawn = settings.spawn_rules
    if spawn.conflict_zone_spawning_only and spawn.flood_zone_spawning_only:
        raise ScenarioError(
            file,
            "both conflict_zone_spawning_only and flood_zone_spawning_only are true; Flee 3.1 "
            "stops here (conflict_zone_spawning_only is true by default)",
            field="spawn_rules.flood_zone_spawning_only",
            fix="set spawn_rules.conflict_zone_spawning_only: False to use flood-driven spawning",
        )
    spawn_raw = raw.get("spawn_rules") or {}
    if spawn.flood_zone_spawning_only:
        if "conflict_driven_spawning" in spawn_raw:
            ignored.append("spawn_rules.conflict_driven_spawning")
        spawn = spawn.model_copy(update={"conflict_driven_spawning": None})
    else:
        if "flood_driven_spawning" in spawn_raw:
            ignored.append("spawn_rules.flood_driven_spawning")
        spawn = spawn.model_copy(update={"flood_driven_spawning": None})
    _check_bounds(settings, file)
    if settings.hasten < 1:
        raise ScenarioError(
            file,
            f"hasten is {settings.hasten}; Flee divides populations and counts by it",
            field="optimisations.hasten",
            expected="a positive integer",
        )
    return settings.model_copy(update={"spawn_rules": spawn, "ignored_keys": ignored})


#: What a value of ``move_rules`` must lie in for a run to mean what it says: Flee 3.1 takes a
#: negative speed or a move chance of 5 without a word and moves no one (or everyone) — and a
#: run would silently clip them. (low, high, what).
MOVE_BOUNDS: dict[str, tuple[float, float, str]] = {
    "max_move_speed": (0.0, math.inf, "a speed in km/day, 0 or more"),
    "max_walk_speed": (0.0, math.inf, "a speed in km/day, 0 or more"),
    "max_crossing_speed": (0.0, math.inf, "a speed in km/day, 0 or more"),
    "foreign_weight": (0.0, math.inf, "a weight, 0 or more"),
    "camp_weight": (0.0, math.inf, "a weight, 0 or more"),
    "conflict_weight": (0.0, math.inf, "a weight, 0 or more"),
    "conflict_movechance": (0.0, 1.0, "a probability between 0 and 1"),
    "camp_movechance": (0.0, 1.0, "a probability between 0 and 1"),
    "idpcamp_movechance": (0.0, 1.0, "a probability between 0 and 1"),
    "default_movechance": (0.0, 1.0, "a probability between 0 and 1"),
    "awareness_level": (0.0, math.inf, "a whole number of links, 0 or more"),
    "capacity_buffer": (0.0, math.inf, "a share of the capacity, 0 or more"),
    "softening": (0.0, math.inf, "a distance in km, 0 or more"),
    "weight_softening": (0.0, math.inf, "a weight, 0 or more"),
    "movechance_pop_base": (math.ulp(0.0), math.inf, "a population, above 0"),
}


def _check_bounds(settings: FleeSettings, file: str | Path) -> None:
    """Every number finite, and ``move_rules`` within :data:`MOVE_BOUNDS`."""
    moves = settings.move_rules
    for key in type(moves).model_fields:
        value = getattr(moves, key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        low, high, what = MOVE_BOUNDS.get(key, (-math.inf, math.inf, "a finite number"))
        if not (math.isfinite(value) and low <= value <= high):
            raise ScenarioError(
                file,
                f"is {value:g}",
                field=f"move_rules.{key}",
                expected=what,
                fix=f"give move_rules.{key} {what}",
            )
    spawn = settings.spawn_rules
    for section in (spawn.conflict_driven_spawning, spawn.flood_driven_spawning):
        if section is not None and not (
            math.isfinite(section.displaced_per_conflict_day)
            and section.displaced_per_conflict_day >= 0
        ):
            name = "conflict" if section is spawn.conflict_driven_spawning else "flood"
            raise ScenarioError(
                file,
                f"is {section.displaced_per_conflict_day:g}",
                field=f"spawn_rules.{name}_driven_spawning.displaced_per_conflict_day",
                expected="a number of people (or a ratio), 0 or more",
            )
    for i, factor in enumerate(spawn.conflict_spawn_decay or []):
        if not (math.isfinite(factor) and factor >= 0):
            raise ScenarioError(
                file,
                f"is {factor:g}",
                field=f"spawn_rules.conflict_spawn_decay[{i}]",
                expected="a factor, 0 or more",
            )
    if not math.isfinite(settings.number_of_steps):
        raise ScenarioError(
            file, "is not a finite number", field="number_of_steps", expected="a number of days"
        )


def _unknown_keys(raw: dict[Any, Any]) -> list[str]:
    """Dotted paths of keys that Flee 3.1 does not read (inside ``corredor:`` they are errors)."""
    found: list[str] = []
    for key, value in raw.items():
        if key not in _TOP_KEYS:
            found.append(str(key))
        elif key in _SECTIONS and isinstance(value, dict):
            found += _unknown_in(_SECTIONS[key], value, str(key))
    return found


def _unknown_in(model: type[BaseModel], data: dict[Any, Any], prefix: str) -> list[str]:
    known: set[str] = set()
    for name, info in model.model_fields.items():
        known.add(info.alias or name)
    found: list[str] = []
    for key, value in data.items():
        path = f"{prefix}.{key}"
        if key not in known:
            found.append(path)
        elif key in _NESTED and isinstance(value, dict):
            found += _unknown_in(_NESTED[key], value, path)
    return found


_EXPECTED = {
    "list_type": "a list of numbers, e.g. [1.0, 1.0, 0.5]",
    "model_type": "a mapping of `key: value` lines",
    "model_attributes_type": "a mapping of `key: value` lines",
    "dict_type": "a mapping of `key: value` lines",
    "literal_error": "one of constant, pop_ratio, poisson",
    "extra_forbidden": "only the keys flee31_quirks",
    "string_type": "a string",
}


def _to_scenario_error(exc: ValidationError, file: str | Path) -> ScenarioError:
    err = exc.errors()[0]
    path = ".".join(str(part) for part in err["loc"])
    ctx = err.get("ctx") or {}
    if err["type"] == "flee_type":
        expected = str(ctx["expected"])
        message = f"has the wrong type: found {ctx['found']}"
        if ctx.get("note"):
            message += f" ({ctx['note']})"
    else:
        expected = _EXPECTED.get(err["type"], err["msg"])
        message = f"is not valid: {err['msg']} (found {excerpt(err.get('input'))})"
        if err["type"] == "extra_forbidden":
            message = "is not a key of Corredor's `corredor:` section"
    more = len(exc.errors()) - 1
    if more:
        message += f"; {more} more problem(s) after this one"
    return ScenarioError(file, message, field=path, expected=expected)
