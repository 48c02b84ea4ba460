"""Study files in YAML (a base scenario, named variants, a period, outputs, an ensemble).

A study (``docs/studies.md``) asks one question of one corridor scenario: what changes when the
policies change. Its file names

* ``scenario`` (a built-in name or a path relative to the study file) and ``calibration``
  (``shipped``, ``none`` or a ``calibrated.yaml``), whose name every report prints;
* ``period``: the days reported, ``start`` to ``end``;
* ``ensemble``: the parameter sets (``point``, ``calibrated`` or ``uncalibrated``, at most
  ``max_sets`` of them) × ``replicas`` seeds from ``seed``; every variant runs with the same sets
  and seeds (common random numbers), so differences are paired run by run;
* ``variants``: each a name, a label, and the same vocabulary as the command line: ``set``
  (``--set NAME=VALUE``), ``without_events`` (``--without-event ID``) and ``events``
  (``--event FILE``); ``baseline`` names the variant the others are compared with;
* ``outputs``: what to count over the period (:mod:`corredor.studies.outputs`);
* ``left_out``: harm rates and costs the study would want but that have no sourced value (they
  are listed in the report, never invented), and ``assumptions`` in plain words;
* ``headline``: the three or four outputs the one-page summary shows, and ``summary`` texts in
  English and Spanish.

A ``bargaining`` block makes the study a room-for-manoeuvre study (:mod:`corredor.studies.room`)
instead: the threat game is played on the simulation for each export exposure and credibility.

Every error names the file, the line and the field (:class:`~corredor.errors.ScenarioError`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from corredor.errors import ScenarioError
from corredor.files.read import PathKey, load_yaml
from corredor.scenario.corridor.problems import (
    Problem,
    field_path,
    problems_from_validation,
    raise_problems,
)
from corredor.studies.builtin import resolve_study

__all__ = [
    "Bargaining",
    "EnsembleSpec",
    "LeftOut",
    "OutputSpec",
    "Period",
    "Study",
    "Variant",
    "check_study",
    "consistency_problems",
    "load_study",
    "study_error",
]

Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Sets = Literal["point", "calibrated", "uncalibrated"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(Strict):
    """The days reported: ``start`` to ``end`` (inclusive)."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class EnsembleSpec(Strict):
    """Parameter sets × seeds; the same for every variant (common random numbers)."""

    sets: Sets = "point"
    max_sets: int | None = Field(default=None, ge=1, le=1000)
    replicas: int = Field(default=4, ge=1, le=1000)
    #: total runs wanted: when given, replicas = ceil(runs / number of sets)
    runs: int | None = Field(default=None, ge=1, le=100000)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    people_per_agent: int | None = Field(default=None, ge=1, le=1000)


class Variant(Strict):
    """One policy world: levers set, scenario events left out, events added."""

    name: Name
    label: Text
    label_es: Text | None = None
    description: str = ""
    set: dict[str, float] = Field(default_factory=dict)
    without_events: list[str] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)
    #: what the variant costs or saves, in words (staff units, budgets with their source)
    effort: str = ""
    effort_es: str = ""

    @field_validator("set")
    @classmethod
    def _finite(cls, values: dict[str, float]) -> dict[str, float]:
        for k, v in values.items():
            if not math.isfinite(v):
                raise ValueError(f"{k} = {v} is not a finite number")
        return values


Measure = Literal[
    "observable",
    "encounters_destination",
    "repeat_encounters_destination",
    "apprehensions_transit",
    "deportations_transit",
    "deportations_without_screening",
    "detention_days_transit",
    "detention_days_destination",
    "stranded_person_days",
    "hearing_waiting_person_days",
    "asylum_applications_transit",
    "asylum_decisions_transit",
    "asylum_backlog_transit_end",
    "asylum_wait_transit_mean_days",
    "settled_transit",
    "expulsions",
    "returned_to_wait",
]


class OutputSpec(Strict):
    """One number per run over the period (:mod:`corredor.studies.outputs`)."""

    name: Name
    measure: Measure
    label: Text | None = None
    label_es: Text | None = None
    observable: str | None = None
    #: only these nationalities / demographics (the scenario's names)
    nationalities: list[str] = Field(default_factory=list)
    demographics: list[str] = Field(default_factory=list)
    #: ``place``: one output per border city as well as the total (stranded measures)
    by: Literal["place"] | None = None

    @model_validator(mode="after")
    def _observable(self) -> OutputSpec:
        if (self.measure == "observable") != (self.observable is not None):
            raise ValueError("give observable: NAME with measure: observable, and only then")
        if self.by is not None and self.measure not in (
            "stranded_person_days",
            "hearing_waiting_person_days",
        ):
            raise ValueError("by: place applies to the stranded measures only")
        return self


class LeftOut(Strict):
    """A harm rate or cost the study leaves out, and why (no sourced value)."""

    what: Text
    why: Text
    #: the same in Spanish (the Spanish summary prints it)
    what_es: Text | None = None
    #: the run ledger's entry this replaces, if any (``harm_events``): a ledger entry whose
    #: rates have no source is added to ``left_out`` when the study does not name it
    #: (:func:`corredor.studies.checks.with_unsourced_left_out`)
    ledger: Name | None = None


class Bargaining(Strict):
    """A room-for-manoeuvre study: the threat game on the simulation at each exposure."""

    exposures: list[Annotated[float, Field(ge=0.0, le=1.0)]] = Field(min_length=1)
    credibilities: list[Annotated[float, Field(ge=0.0, le=1.0)]] = Field(min_length=1)
    #: the exposure of the data (the history point), marked in the report with its label
    history_exposure: float | None = Field(default=None, ge=0.0, le=1.0)
    history_label: str = "history"
    #: the actors' names in Spanish for the summary (default: as the scenario names them)
    transit_es: str | None = None
    hegemon_es: str | None = None
    #: the first review under the threat (default: the scenario's first tariff day)
    review: dt.date | None = None
    #: the periods simulated after the review with the transit state's chosen policy (outcomes)
    periods: int = Field(default=1, ge=1, le=8)
    #: the credibility at which the simulated outcomes are compared
    outcome_credibility: float = Field(default=1.0, ge=0.0, le=1.0)
    #: what bounds the numbers beyond the game's own caveats (corredor.bargaining.caveats)
    caveats: list[Text] = Field(default_factory=list)
    #: the same in Spanish, one for one (the Spanish summary prints them)
    caveats_es: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def _caveats_es(self) -> Bargaining:
        if self.caveats_es and len(self.caveats_es) != len(self.caveats):
            raise ValueError(
                f"caveats_es has {len(self.caveats_es)} entries for {len(self.caveats)} caveats: "
                "give one Spanish text per caveat, in the same order"
            )
        return self


class Summary(Strict):
    """One-page texts for non-specialists, in English and Spanish."""

    en: Text
    es: Text


class Study(Strict):
    """A study file (module docstring)."""

    study: Name
    title: Text
    question: Text
    title_es: Text | None = None
    question_es: Text | None = None
    scenario: str = Field(min_length=1)
    calibration: str = "shipped"
    period: Period
    ensemble: EnsembleSpec = EnsembleSpec()
    baseline: Name | None = None
    variants: list[Variant] = Field(default_factory=list)
    outputs: list[OutputSpec] = Field(default_factory=list)
    headline: list[Name] = Field(default_factory=list, max_length=6)
    left_out: list[LeftOut] = Field(default_factory=list)
    assumptions: list[Text] = Field(default_factory=list)
    bargaining: Bargaining | None = None
    summary: Summary | None = None
    path: Path | None = None

    @property
    def base_variant(self) -> Variant:
        """The variant the others are compared with (``baseline``, else the first)."""
        name = self.baseline or self.variants[0].name
        return next(v for v in self.variants if v.name == name)

    @property
    def folder(self) -> Path:
        """Where relative paths of the study are looked up."""
        return self.path.parent if self.path is not None else Path.cwd()

    def output(self, name: str) -> OutputSpec:
        return next(o for o in self.outputs if o.name == name)


# ------------------------------------------------------------------------------ loading
def load_study(path: str | Path) -> Study:
    """Read and check a study file (a path, or the name of a built-in study). Errors are
    :class:`ScenarioError` naming the file, the line and the field."""
    file = resolve_study(path)
    raw, lines = load_yaml(file, what="study file")
    if not isinstance(raw, dict):
        raise ScenarioError(
            file,
            "a study file is a YAML mapping (study:, scenario:, period:, variants:, outputs:)",
            line=1,
            fix="see docs/studies.md for the format",
        )
    if "path" in raw:
        raise_problems([Problem(("path",), "path is not a study field")], file, lines)
    try:
        study = Study.model_validate({**raw, "path": file})
    except ValidationError as exc:
        raise_problems(_with_hints(problems_from_validation(exc)), file, lines)
        raise  # unreachable
    raise_problems(consistency_problems(study), file, lines)
    return study


def check_study(study: Study) -> None:
    """Raise the first consistency problem of a study built in Python (no file lines)."""
    raise_problems(consistency_problems(study), study.path or study.study, None)


def consistency_problems(study: Study) -> list[Problem]:
    """What a valid study needs beyond its fields' types (each with its path in the file)."""
    out: list[Problem] = []
    if study.bargaining is None:
        if len(study.variants) < 2:
            what = "is empty" if not study.variants else "has one variant"
            out.append(
                Problem(
                    ("variants",),
                    f"the variant list {what}; a study compares at least two variants",
                    fix="add the baseline (e.g. history, with no change) and one other variant",
                )
            )
        names = [v.name for v in study.variants]
        for i, n in enumerate(names):
            if n in names[:i]:
                out.append(Problem(("variants", i, "name"), f"variant name {n!r} used twice"))
        if study.baseline is not None and study.baseline not in names:
            out.append(
                Problem(
                    ("baseline",),
                    f"baseline {study.baseline!r} is not a variant",
                    expected="one of " + ", ".join(names),
                )
            )
        if not study.outputs:
            out.append(
                Problem(("outputs",), "the output list is empty", fix="name at least one output")
            )
    outs = [o.name for o in study.outputs]
    for i, n in enumerate(outs):
        if n in outs[:i]:
            out.append(Problem(("outputs", i, "name"), f"output name {n!r} used twice"))
    for i, h in enumerate(study.headline):
        if h not in outs and study.bargaining is None:
            out.append(
                Problem(
                    ("headline", i), f"headline {h!r} is not an output", expected=", ".join(outs)
                )
            )
    return out


def _with_hints(problems: list[Problem]) -> list[Problem]:
    """Point the fixes at the study format (and at a close field name for a misspelt one)."""
    out = []
    for p in problems:
        fix = p.fix
        if fix and "scenario-format.md" in fix:
            fix = fix.replace("docs/scenario-format.md", "docs/studies.md")
        if p.path and "unknown field" in p.message:
            known = _fields_at(p.path[:-1])
            close = difflib.get_close_matches(str(p.path[-1]), known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            fix = f"{hint}remove it or correct its spelling (see docs/studies.md)"
        out.append(Problem(p.path, p.message, p.expected, fix, p.file, p.line, p.column))
    return out


def _fields_at(path: tuple[str | int, ...]) -> list[str]:
    """The field names allowed at ``path`` of a study file (best effort)."""
    model: Any = Study
    for part in path:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        inner = field.annotation
        found = None
        for candidate in (inner, *getattr(inner, "__args__", ())):
            for arg in (candidate, *getattr(candidate, "__args__", ())):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    found = arg
                    break
            if found is not None:
                break
        if found is None:
            return []
        model = found
    return list(model.model_fields)


def study_error(
    study: Study,
    path: PathKey,
    message: str,
    *,
    expected: str | None = None,
    fix: str | None = None,
) -> ScenarioError:
    """A :class:`ScenarioError` at ``path`` of the study file (its line when it can be found)."""
    line: int | None = None
    if study.path is not None and study.path.is_file():
        try:
            _, lines = load_yaml(study.path, what="study file")
            line = lines.line(path)
        except ScenarioError:
            line = None
    return ScenarioError(
        study.path if study.path is not None else study.study,
        message,
        line=line,
        field=field_path(path) or None,
        expected=expected,
        fix=fix,
    )
