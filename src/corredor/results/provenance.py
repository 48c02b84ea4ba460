"""Provenance: where a stored result came from, enough to reproduce it.

Every result in the store carries a :class:`Provenance`: the kind of run, the scenario (name,
path and a SHA-256 of the content of every file it reads), every parameter value used, the
calibration (its name, file and the file's SHA-256), the policy events added (files, their
SHA-256 and event ids) or removed (ids), the seeds, the code (package version and git commit
when run from a checkout) and the request or command that made it.

>>> prov = Provenance(kind="corridor", scenario="mexico-us", seeds=[0])   # doctest: +SKIP
>>> prov.code.version                                                    # doctest: +SKIP
'0.1.0'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import platform
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from corredor.files.checkout import git_commit
from corredor.files.read import read_bytes

__all__ = [
    "CalibrationUsed",
    "CodeVersion",
    "EventsFile",
    "Provenance",
    "code_version",
    "files_sha256",
    "git_commit",
    "sha256_file",
]


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex)."""
    return hashlib.sha256(read_bytes(path, what="file to hash")).hexdigest()


def files_sha256(base: Path, files: Iterable[Path]) -> str:
    """One SHA-256 over several files: their paths relative to ``base`` and their contents, in
    sorted order (the same files with the same bytes give the same digest anywhere)."""
    digest = hashlib.sha256()
    entries = sorted({(p.relative_to(base).as_posix(), p) for p in files})
    for rel, path in entries:
        digest.update(rel.encode() + b"\0" + sha256_file(path).encode() + b"\n")
    return digest.hexdigest()


# ------------------------------------------------------------------------------- models
class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CodeVersion(_Model):
    """The code that made a result."""

    package: str = "corredor"
    version: str
    git_commit: str | None = None
    python: str = ""


def package_version() -> str:
    """The installed package's version (``unknown`` when run from sources never installed)."""
    try:
        return importlib.metadata.version("corredor")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def code_version() -> CodeVersion:
    """This installation's package version and git commit (None outside a checkout)."""
    return CodeVersion(
        version=package_version(), git_commit=git_commit(), python=platform.python_version()
    )


class CalibrationUsed(_Model):
    """The calibration a corridor run used.

    ``name``: ``shipped`` (the scenario's own ``calibrated.yaml``), ``none`` (the scenario's
    hand-set defaults), ``file`` (a calibrated file given by path) or ``run`` (a calibration
    stored in the results store, ``run_id``). ``file`` and ``sha256``: the file read, if any.
    """

    name: str
    file: str | None = None
    sha256: str | None = None
    run_id: str | None = None


class EventsFile(_Model):
    """A file of policy events added to a run: its path, SHA-256 and the ids of its events."""

    file: str
    sha256: str
    ids: list[str] = Field(default_factory=list)


class Provenance(_Model):
    """Where a stored result came from (module docstring). Every field is plain JSON."""

    kind: str
    scenario: str
    scenario_path: str = ""
    scenario_sha256: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    overrides: dict[str, float] = Field(default_factory=dict)
    calibration: CalibrationUsed | None = None
    events_added: list[EventsFile] = Field(default_factory=list)
    events_removed: list[str] = Field(default_factory=list)
    seeds: list[int] = Field(default_factory=list)
    days: int | None = None
    code: CodeVersion = Field(default_factory=code_version)
    request: dict[str, Any] | None = None
    command: str | None = None
    #: SHA-256 of everything the result depends on (scenario content, parameter values,
    #: events, seeds, days, the result-changing options): equal digests, equal results
    inputs_sha256: str | None = None
    #: a run started from a kept baseline state (``reuse_baseline``): the day it started from
    #: (``day``, ``date``, of ``days``) and whether that state was kept from an earlier run
    reused_baseline: dict[str, Any] | None = None
    created: str = Field(
        default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    )

    def digest(self) -> str:
        """The :attr:`inputs_sha256` of this provenance: what changes the result, without the
        request's options that do not (workers, scheduler, threads, reuse_baseline, progress)."""
        request = {
            k: v
            for k, v in (self.request or {}).items()
            if k not in ("workers", "scheduler", "threads", "calibration", "reuse_baseline")
        }
        key = {
            "kind": self.kind,
            "scenario_sha256": self.scenario_sha256,
            "parameters": self.parameters,
            "events_added": [(e.sha256, e.ids) for e in self.events_added],
            "events_removed": self.events_removed,
            "seeds": self.seeds,
            "days": self.days,
            "request": request,
        }
        text = json.dumps(key, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = self.model_dump(mode="json")
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Provenance | None:
        """A provenance read back from the store (None for runs stored without one)."""
        if not data:
            return None
        return cls.model_validate(dict(data))
