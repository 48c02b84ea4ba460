"""``CorridorScenario``: the whole corridor scenario, as validated from YAML + CSV tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    Field,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from corredor.scenario.corridor.analysis import AnalysisSettings, read_analysis
from corredor.scenario.corridor.bargaining import BargainingSpec
from corredor.scenario.corridor.base import Name, NationalityCode, ScenarioName, Strict, Text
from corredor.scenario.corridor.behaviour import Decisions, Enforcement
from corredor.scenario.corridor.calibration import CalibrationParameter
from corredor.scenario.corridor.geography import Link, Location
from corredor.scenario.corridor.levers import LeverGroup, check_lever_names
from corredor.scenario.corridor.observables import Observable
from corredor.scenario.corridor.params import NonNeg
from corredor.scenario.corridor.population import Caravan, Groups, Origin
from corredor.scenario.corridor.roles import Roles
from corredor.scenario.corridor.services import Service

RowT = TypeVar("RowT", bound=BaseModel)


class Table(Strict, Generic[RowT]):
    """A CSV table referenced by a path relative to the scenario file; ``rows`` are loaded."""

    file: Text
    rows: tuple[RowT, ...] = ()
    lines: tuple[int, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _from_path(cls, value: Any) -> Any:
        return {"file": value} if isinstance(value, str) else value

    @model_serializer
    def _to_path(self) -> str:
        return self.file

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by row type: ``Table[Location]`` is not an attribute of this module, so the
        default reduction fails (the ensembles ship a loaded scenario to worker processes)."""
        row_type = self.__pydantic_generic_metadata__["args"][0]
        return (_rebuild_table, (row_type, self.file, self.rows, self.lines))


def _rebuild_table(row_type: type[BaseModel], file: str, rows: Any, lines: Any) -> Table[Any]:
    return Table[row_type].model_construct(file=file, rows=rows, lines=lines)  # type: ignore[valid-type]


class CorridorScenario(Strict):
    """A corridor scenario. ``model_dump(mode="json", by_alias=True)`` gives its YAML form."""

    name: ScenarioName
    description: str = ""
    start: dt.date
    end: dt.date
    step: Literal["day"] = "day"
    people_per_agent: int = Field(default=1, ge=1)
    calibration_horizon: dt.date | None = None
    nationalities: dict[NationalityCode, Text]
    locations: Table[Location]
    links: Table[Link]
    circuity: dict[Name, NonNeg] = Field(default_factory=dict)
    origins: tuple[Origin, ...]
    groups: Groups
    caravans: tuple[Caravan, ...] = ()
    services: tuple[Service, ...] = ()
    enforcement: Enforcement = Field(default_factory=Enforcement)
    decisions: Decisions | None = None
    #: Which of the scenario's parameters and places play the engine's generic roles.
    roles: Roles = Field(default_factory=Roles)
    policy_events: str | None = None
    observables: tuple[Observable, ...] = ()
    calibration: dict[Name, CalibrationParameter] = Field(default_factory=dict)
    #: How the threat game of ``corredor.bargaining`` is coupled to the run (optional).
    bargaining: BargainingSpec | None = None
    #: The policy levers among the calibration parameters, in groups (optional; ``levers.py``).
    levers: dict[Name, LeverGroup] = Field(default_factory=dict)
    #: The analysis settings (``corredor.scenario.corridor.analysis``): inline, or a file
    #: name relative to the scenario.
    analysis: Text | AnalysisSettings | None = None
    #: Where the scenario was read from (not part of the YAML).
    path: Path | None = Field(default=None, exclude=True)
    #: The policy events read from ``policy_events`` (``corredor.policy.PolicyEvent``).
    events: tuple[Any, ...] = Field(default=(), exclude=True)

    @field_validator("end")
    @classmethod
    def _check_end(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if isinstance(start, dt.date) and end < start:
            raise ValueError(f"end {end} is before start {start}; give an end on or after start")
        return end

    @field_validator("levers")
    @classmethod
    def _check_levers(
        cls, levers: dict[str, LeverGroup], info: ValidationInfo
    ) -> dict[str, LeverGroup]:
        check_lever_names(levers, info.data.get("calibration") or {})
        return levers

    @property
    def days(self) -> int:
        """Number of simulated days (``start`` and ``end`` both simulated)."""
        return (self.end - self.start).days + 1

    @property
    def base_dir(self) -> Path:
        """The folder relative paths are read from."""
        return self.path.parent if self.path is not None else Path()

    def location_names(self) -> set[str]:
        return {loc.name for loc in self.locations.rows}

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)

    def calibration_defaults(self) -> dict[str, float]:
        return {name: p.default for name, p in self.calibration.items()}

    def analysis_settings(self) -> AnalysisSettings:
        """The analysis settings (``corredor.scenario.corridor.analysis``): inline, read from
        the file ``analysis`` names (relative to the scenario), or the defaults."""
        if self.analysis is None:
            return AnalysisSettings()
        if isinstance(self.analysis, AnalysisSettings):
            return self.analysis
        return read_analysis(self.base_dir / self.analysis, root=self.base_dir)

    def counts(self) -> dict[str, int]:
        """What ``corredor validate`` reports."""
        return {
            "locations": len(self.locations.rows),
            "links": len(self.links.rows),
            "services": len(self.services),
            "policy events": len(self.events),
            "observables": len(self.observables),
        }
