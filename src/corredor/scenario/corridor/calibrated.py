"""The versioned calibrated-parameter file, ``calibrated.yaml`` next to a scenario's YAML.

A calibration (``corredor calibrate``) writes it (:func:`save_calibrated`);
:func:`resolve_calibration` reads it and gives a run its
values, so a scenario runs with its calibrated point fit by default (``compile_corridor`` reads
no file). The order in which parameter values are taken is::

    scenario defaults (calibration: block)  <  calibrated.yaml `parameters`  <  explicit overrides

so an explicit ``calibration={...}`` still wins, and ``calibration=uncalibrated(scenario)``
(every parameter at its scenario default) runs the hand-set model for comparison
(``corredor run mexico-us --calibration none``).

The file (YAML mapping)::

    version: 3                     # increases by one each time the file is rewritten
    scenario: mexico-us
    created: '2025-01-01T12:00:00+00:00'
    command: corredor calibrate mexico-us --trials 48 --workers 2
    git_commit: 1a2b3c...          # or null when not run from a git checkout
    data_until: 2021-09-30         # the last day of data the loss read (≤ 2021-09-30)
    loss: 1.234                    # the loss of the point fit
    parameters: {name: value}      # the point fit (only the fitted parameters)
    ensemble:                      # plausible parameter sets; weights sum to 1
      - {weight: 0.25, loss: 1.3, parameters: {name: value}}
    study: {...}                   # free-form: method, trials, seeds, ranges, wall time

Every ``parameters`` name must be declared in the scenario's ``calibration:`` block and every
value must lie inside its range; otherwise loading fails with a
:class:`~corredor.errors.ScenarioError` naming the file, the field and the fix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from corredor.errors import ScenarioError
from corredor.files.atomic import write_text
from corredor.files.checkout import git_commit
from corredor.files.read import excerpt, load_yaml, read_bytes
from corredor.scenario.corridor.horizon import DATA_HORIZON

if TYPE_CHECKING:
    from corredor.scenario.corridor import CorridorScenario

#: File name of the calibrated parameters, next to the scenario's YAML file.
CALIBRATED_FILE = "calibrated.yaml"
#: Keys a calibrated file may have.
_KEYS = (
    "version",
    "scenario",
    "created",
    "command",
    "git_commit",
    "data_until",
    "loss",
    "parameters",
    "ensemble",
    "study",
)
_REQUIRED = ("version", "created", "command", "data_until", "loss", "parameters")


def _horizon() -> dt.date:
    return DATA_HORIZON.date()


@dataclass(frozen=True)
class EnsembleMember:
    """One plausible parameter set: its weight (the weights of an ensemble sum to 1), its loss
    and the values of the fitted parameters."""

    weight: float
    parameters: dict[str, float]
    loss: float | None = None


@dataclass(frozen=True)
class Calibrated:
    """The content of a ``calibrated.yaml`` (module docstring)."""

    version: int
    created: str
    command: str
    data_until: dt.date
    loss: float
    parameters: dict[str, float]
    ensemble: tuple[EnsembleMember, ...] = ()
    git_commit: str | None = None
    scenario: str | None = None
    study: dict[str, Any] = field(default_factory=dict)
    #: where it was read from (None when built in memory)
    path: Path | None = None

    def member(self, index: int) -> dict[str, float]:
        """The calibration values of ensemble member ``index``: the point fit with the member's
        values on top (pass it as ``calibration=`` to ``run_corridor``)."""
        if not 0 <= index < len(self.ensemble):
            raise IndexError(f"ensemble member {index} of {len(self.ensemble)}")
        return {**self.parameters, **self.ensemble[index].parameters}

    def weights(self) -> list[float]:
        return [m.weight for m in self.ensemble]

    def document(self) -> dict[str, Any]:
        """The YAML document (plain types, in the order of the file format)."""
        doc: dict[str, Any] = {
            "version": int(self.version),
            "scenario": self.scenario,
            "created": self.created,
            "command": self.command,
            "git_commit": self.git_commit,
            "data_until": self.data_until.isoformat(),
            "loss": _plain(self.loss),
            "parameters": {k: _plain(v) for k, v in self.parameters.items()},
            "ensemble": [
                {
                    "weight": _plain(m.weight),
                    **({"loss": _plain(m.loss)} if m.loss is not None else {}),
                    "parameters": {k: _plain(v) for k, v in m.parameters.items()},
                }
                for m in self.ensemble
            ],
        }
        if self.study:
            doc["study"] = self.study
        return doc


def _plain(x: float) -> float:
    """A float that YAML writes exactly and readably (17 significant digits at most)."""
    return float(f"{float(x):.12g}")


# ------------------------------------------------------------------------------ paths
def calibrated_path(scenario: CorridorScenario) -> Path | None:
    """Where the scenario's calibrated file is (or would be): next to its YAML; None for a
    scenario built in memory (no ``path``)."""
    if scenario.path is None:
        return None
    return scenario.base_dir / CALIBRATED_FILE


# ------------------------------------------------------------------------------ loading
_CACHE: dict[tuple[Any, ...], Calibrated] = {}


def load_calibrated(scenario: CorridorScenario) -> Calibrated | None:
    """The calibrated parameters of ``scenario`` (``calibrated.yaml`` next to its YAML file), or
    None if there is none. Raises :class:`~corredor.errors.ScenarioError` if the file is
    malformed or names parameters the scenario does not declare, or values outside their
    ranges. Parsed files are cached by path, size and modification time."""
    path = calibrated_path(scenario)
    if path is None or not path.is_file():
        return None
    st = path.stat()
    ranges = tuple((n, p.range) for n, p in scenario.calibration.items())
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size, scenario.name, ranges)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    result = read_calibrated(path, scenario, root=scenario.base_dir)
    if len(_CACHE) > 32:
        _CACHE.clear()
    _CACHE[key] = result
    return result


def calibrated_parameters(scenario: CorridorScenario) -> dict[str, float]:
    """The point fit of ``scenario``'s calibrated file ({} without one): what
    ``compile_corridor`` puts between the scenario defaults and explicit overrides."""
    cal = load_calibrated(scenario)
    return dict(cal.parameters) if cal is not None else {}


def uncalibrated(scenario: CorridorScenario) -> dict[str, float]:
    """Every calibration parameter at its scenario default. Passed as ``calibration=`` it
    overrides the calibrated file: the hand-set model, for comparison."""
    return scenario.calibration_defaults()


def read_calibrated(
    path: str | Path, scenario: CorridorScenario | None = None, *, root: Path | None = None
) -> Calibrated:
    """Read and check a calibrated file; with ``scenario``, also check every parameter name and
    value against the scenario's ``calibration:`` block. Read by the one reader
    (:func:`corredor.files.read.load_yaml`; ``root``: the folder it must stay inside)."""
    path = Path(path)
    raw, _ = load_yaml(path, root=root, what="calibrated file")
    return parse_calibrated(raw, path, scenario)


def _err(path: Path | None, message: str, field_: str | None, fix: str) -> ScenarioError:
    return ScenarioError(path, message, field=field_, fix=fix)


def _number(value: Any, path: Path | None, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _err(path, f"{excerpt(value)} is not a number", where, "give a finite number")
    x = float(value)
    if not math.isfinite(x):
        raise _err(path, f"{excerpt(value)} is not finite", where, "give a finite number")
    return x


def _parameters(
    value: Any, path: Path | None, where: str, scenario: CorridorScenario | None
) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise _err(path, "must be a mapping name: value", where, "write `name: value` lines")
    out: dict[str, float] = {}
    for name, v in value.items():
        key = f"{where}.{name}"
        x = _number(v, path, key)
        if scenario is not None:
            declared = scenario.calibration.get(str(name))
            if declared is None:
                raise _err(
                    path,
                    f"{excerpt(name)} is not a calibration parameter of scenario {scenario.name!r}",
                    key,
                    "use names declared under calibration: in the scenario (or recalibrate)",
                )
            low, high = declared.range
            if not low <= x <= high:
                raise _err(
                    path,
                    f"value {x:g} is outside the parameter's range [{low:g}, {high:g}]",
                    key,
                    "recalibrate, or widen the range in the scenario",
                )
        out[str(name)] = x
    return out


def _check_keys(raw: Any, path: Path | None) -> None:
    if not isinstance(raw, Mapping):
        raise _err(path, "must be a YAML mapping", None, "see docs/calibration.md for the format")
    unknown = sorted(set(map(str, raw)) - set(_KEYS))
    if unknown:
        raise _err(
            path,
            f"unknown key(s) {excerpt(', '.join(unknown))}",
            unknown[0],
            "allowed: " + ", ".join(_KEYS),
        )
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise _err(
            path, f"missing key(s) {', '.join(missing)}", missing[0], "rerun `corredor calibrate`"
        )
    version = raw["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _err(
            path, f"{excerpt(version)} is not a version number", "version", "give an integer >= 1"
        )


def _data_until(raw: Mapping[str, Any], path: Path | None) -> dt.date:
    until = raw["data_until"]
    if isinstance(until, str):
        try:
            until = dt.date.fromisoformat(until)
        except ValueError:
            until = None
    if isinstance(until, dt.datetime):
        until = until.date()
    if not isinstance(until, dt.date):
        raise _err(
            path, f"{excerpt(raw['data_until'])} is not a date", "data_until", "write YYYY-MM-DD"
        )
    if until > _horizon():
        raise _err(
            path,
            f"data_until {until} is after the data horizon {_horizon()}: nothing after it may be "
            "fitted (docs/calibration.md)",
            "data_until",
            "recalibrate with --until 2021-09-30 or earlier",
        )
    return until


def _ensemble(
    raw: Mapping[str, Any], path: Path | None, scenario: CorridorScenario | None
) -> tuple[EnsembleMember, ...]:
    members = raw.get("ensemble") or []
    if not isinstance(members, Sequence) or isinstance(members, str):
        raise _err(path, "must be a list", "ensemble", "write a list of {weight:, parameters:}")
    ensemble: list[EnsembleMember] = []
    for i, m in enumerate(members):
        where = f"ensemble[{i}]"
        if not isinstance(m, Mapping) or "weight" not in m or "parameters" not in m:
            raise _err(path, "must be {weight: w, parameters: {...}}", where, "see the format")
        w = _number(m["weight"], path, f"{where}.weight")
        if w < 0:
            raise _err(path, f"negative weight {w:g}", f"{where}.weight", "give a weight >= 0")
        loss = m.get("loss")
        ensemble.append(
            EnsembleMember(
                weight=w,
                parameters=_parameters(m["parameters"], path, f"{where}.parameters", scenario),
                loss=None if loss is None else _number(loss, path, f"{where}.loss"),
            )
        )
    if ensemble:
        total = sum(m.weight for m in ensemble)
        if not abs(total - 1.0) < 1e-6:
            raise _err(
                path,
                f"ensemble weights sum to {total:g}, not 1",
                "ensemble",
                "normalise the weights",
            )
    return tuple(ensemble)


def parse_calibrated(
    raw: Any, path: Path | None = None, scenario: CorridorScenario | None = None
) -> Calibrated:
    """Check a parsed calibrated document (see :func:`read_calibrated`)."""
    _check_keys(raw, path)
    until = _data_until(raw, path)
    if scenario is not None and raw.get("scenario") not in (None, scenario.name):
        raise _err(
            path,
            f"was made for scenario {excerpt(raw['scenario'])}, not {scenario.name!r}",
            "scenario",
            "recalibrate this scenario or remove the file",
        )
    ensemble = _ensemble(raw, path, scenario)
    study = raw.get("study") or {}
    if not isinstance(study, Mapping):
        raise _err(path, "must be a mapping", "study", "write key: value lines or remove it")
    commit = raw.get("git_commit")
    return Calibrated(
        version=raw["version"],
        created=str(raw["created"]),
        command=str(raw["command"]),
        data_until=until,
        loss=_number(raw["loss"], path, "loss"),
        parameters=_parameters(raw["parameters"], path, "parameters", scenario),
        ensemble=ensemble,
        git_commit=None if commit in (None, "") else str(commit),
        scenario=None if raw.get("scenario") is None else str(raw["scenario"]),
        study=dict(study),
        path=path,
    )


# ------------------------------------------------------------------------------ resolving
#: :func:`resolve_calibration`'s name for the scenario's defaults (no calibrated values).
UNCALIBRATED = "uncalibrated"
#: Names of a calibration source (:func:`resolve_calibration`): the scenario's own calibrated
#: file, and the hand-set defaults (``"uncalibrated"`` is the defaults too).
SHIPPED, NONE = "shipped", "none"
CALIBRATED_FILE = "calibrated.yaml"


@dataclass(frozen=True)
class ResolvedCalibration:
    """The calibration a run uses: what to record in its provenance, and its values.

    ``values`` are the calibrated parameter values a run puts on top of the scenario's
    ``calibration:`` defaults (empty: the defaults, the hand-set model). ``name`` is
    ``"calibrated.yaml, version N"`` for the scenario's own file, ``"uncalibrated"`` for the
    defaults, or the path of another calibrated file; ``path`` and ``sha256`` (of the file's
    bytes) are None without a file. ``calibrated`` is the parsed file (None without one);
    ``note`` says why a run that asked for the scenario's own file runs the defaults.
    """

    name: str
    values: dict[str, float] = field(default_factory=dict)
    path: Path | None = None
    sha256: str | None = None
    version: int | None = None
    calibrated: Calibrated | None = None
    note: str = ""


def resolve_calibration(
    scenario: CorridorScenario, source: str | Path | None = None
) -> ResolvedCalibration:
    """Which calibration a run of ``scenario`` uses, and its values — the one resolver of
    calibration sources (``corredor.app.inputs.resolve_calibration`` adds the calibrations
    stored in a results store, by run id, and calls this).

    ``source`` None or ``"shipped"``: the scenario's own calibrated file (``calibrated.yaml``
    next to its YAML; the one shipped with a built-in scenario) if there is one, else the
    defaults (with a ``note``); ``"uncalibrated"`` or ``"none"``: the defaults; anything else:
    the path of a calibrated file made for this scenario, or of a folder holding one (a
    calibration study's folder). The file is checked against the scenario (names, ranges, data
    horizon): a bad file raises :class:`~corredor.errors.ScenarioError` naming it.
    """
    if source is None or str(source) == SHIPPED:
        cal = load_calibrated(scenario)
        if cal is None:
            note = f"{scenario.name} ships no {CALIBRATED_FILE}: running its hand-set defaults"
            return ResolvedCalibration(UNCALIBRATED, note=note)
        name = f"{cal.path.name if cal.path else CALIBRATED_FILE}, version {cal.version}"
    elif str(source) in (UNCALIBRATED, NONE):
        return ResolvedCalibration(UNCALIBRATED)
    else:
        path = Path(source)
        if path.is_dir():
            path = path / CALIBRATED_FILE
        cal = read_calibrated(path, scenario)
        name = str(path)
    assert cal.path is not None
    return ResolvedCalibration(
        name=name,
        values=dict(cal.parameters),
        path=cal.path,
        sha256=hashlib.sha256(read_bytes(cal.path, what="calibrated file")).hexdigest(),
        version=cal.version,
        calibrated=cal,
    )


# ------------------------------------------------------------------------------ saving
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
                old, _ = load_yaml(path, what="calibrated file")
                if isinstance(old, Mapping) and isinstance(old.get("version"), int):
                    version = int(old["version"]) + 1
            except ScenarioError:  # an unreadable old file is replaced: start again at 1
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
    write_text(path, text)
    _CACHE.clear()
    return Calibrated(**{**checked.__dict__, "path": path})


__all__ = [
    "CALIBRATED_FILE",
    "UNCALIBRATED",
    "Calibrated",
    "EnsembleMember",
    "ResolvedCalibration",
    "calibrated_parameters",
    "calibrated_path",
    "git_commit",
    "load_calibrated",
    "parse_calibrated",
    "read_calibrated",
    "resolve_calibration",
    "save_calibrated",
    "uncalibrated",
]
