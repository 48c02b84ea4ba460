"""Writing the versioned calibrated-parameter file, ``calibrated.yaml`` next to a scenario's YAML.

The format, its checks and reading it belong to the scenario layer
(:mod:`corredor.scenario.corridor.calibrated`, re-exported here); a run resolves its calibration
with :func:`corredor.scenario.corridor.calibration.resolve_calibration`. This module writes the
file (:func:`save_calibrated`, atomically) and finds the git commit a calibration ran on.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from corredor.scenario.corridor.calibrated import (
    CALIBRATED_FILE,
    Calibrated,
    EnsembleMember,
    calibrated_parameters,
    calibrated_path,
    clear_calibrated_cache,
    load_calibrated,
    parse_calibrated,
    read_calibrated,
    uncalibrated,
)

if TYPE_CHECKING:
    from corredor.scenario.corridor import CorridorScenario


# ------------------------------------------------------------------------------ saving
def git_commit(directory: str | Path | None = None) -> str | None:
    """The commit checked out in the git work tree holding ``directory`` (default: this
    package), read from ``.git`` without running git; None outside a checkout."""
    where = (Path(directory) if directory is not None else Path(__file__).parent).resolve()
    for folder in (where, *where.parents):
        dotgit = folder / ".git"
        if dotgit.is_file():  # a linked work tree or submodule: "gitdir: <path>"
            text = dotgit.read_text(encoding="utf-8", errors="replace").strip()
            if not text.startswith("gitdir:"):
                return None
            dotgit = (folder / text.removeprefix("gitdir:").strip()).resolve()
        if dotgit.is_dir():
            return _read_head(dotgit)
    return None


def _read_head(gitdir: Path) -> str | None:
    try:
        head = (gitdir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head if _is_sha(head) else None
    ref = head.removeprefix("ref:").strip()
    common = gitdir
    if (gitdir / "commondir").is_file():  # linked work trees keep refs in the common folder
        common = (gitdir / (gitdir / "commondir").read_text(encoding="utf-8").strip()).resolve()
    for base in (gitdir, common):
        try:
            sha = (base / ref).read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if _is_sha(sha):
            return sha
    try:
        packed = (common / "packed-refs").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in packed:
        parts = line.split()
        if len(parts) == 2 and parts[1] == ref and _is_sha(parts[0]):
            return parts[0]
    return None


def _is_sha(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def save_calibrated(
    path: str | Path,
    *,
    parameters: Mapping[str, float],
    loss: float,
    command: str,
    data_until: dt.date | str,
    ensemble: Sequence[EnsembleMember] = (),
    scenario: CorridorScenario | None = None,
    study: Mapping[str, Any] | None = None,
    version: int | None = None,
    commit: str | None = None,
    created: dt.datetime | None = None,
) -> Calibrated:
    """Write a calibrated file atomically (a temporary file in the same folder, renamed over the
    target) and return what was written.

    ``version`` defaults to the version of the file being replaced plus one (1 for a new file);
    ``commit`` to the current git commit, if any. The document is checked exactly as
    :func:`load_calibrated` checks it (against ``scenario`` if given) before anything is written.
    """
    path = Path(path)
    if version is None:
        version = 1
        if path.is_file():
            try:
                old = yaml.safe_load(path.read_text(encoding="utf-8"))
                if isinstance(old, Mapping) and isinstance(old.get("version"), int):
                    version = int(old["version"]) + 1
            except (OSError, yaml.YAMLError):
                version = 1
    until = dt.date.fromisoformat(data_until) if isinstance(data_until, str) else data_until
    when = created if created is not None else dt.datetime.now(dt.UTC).replace(microsecond=0)
    cal = Calibrated(
        version=version,
        created=when.isoformat(),
        command=command,
        data_until=until,
        loss=float(loss),
        parameters={k: float(v) for k, v in parameters.items()},
        ensemble=tuple(ensemble),
        git_commit=commit if commit is not None else git_commit(),
        scenario=scenario.name if scenario is not None else None,
        study=dict(study or {}),
    )
    document = cal.document()
    checked = parse_calibrated(
        yaml.safe_load(yaml.safe_dump(document, sort_keys=False)), path, scenario
    )
    text = (
        "# Calibrated parameters, written by Corredor (docs/calibration.md); do not edit by hand:\n"
        "# rerun the command below. Values override the scenario's calibration: defaults.\n"
        + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    clear_calibrated_cache()
    return Calibrated(**{**checked.__dict__, "path": path})


__all__ = [
    "CALIBRATED_FILE",
    "Calibrated",
    "EnsembleMember",
    "calibrated_parameters",
    "calibrated_path",
    "git_commit",
    "load_calibrated",
    "parse_calibrated",
    "read_calibrated",
    "save_calibrated",
    "uncalibrated",
]
