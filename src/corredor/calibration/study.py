"""The Optuna study of a calibration: its settings, the resumable journal, the seeded sampler,
the trials left running by a killed run and the warm start (see :mod:`corredor.calibration.fit`).

**Determinism.** The sampler is reseeded before each ask from ``(sampler_seed, position)``
(:func:`sampler`, :func:`ordinal`), so the sequence of trials depends neither on the backend,
nor on the number of workers, nor on interruptions. **Resume.** Trials are kept in an Optuna
journal file (``study.journal``, append-only, safe against a kill); the settings in
``study.json``, and a resume with other settings is refused (:func:`open_study`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from corredor.calibration.parameters import CalibrationInputError, FitParameter, clip
from corredor.calibration.plausible import TrialRecord
from corredor.errors import ScenarioError
from corredor.files.atomic import write_text
from corredor.files.read import read_text

if TYPE_CHECKING:
    from corredor.scenario.corridor import CorridorScenario

#: Files of a calibration's output folder: the journal and the settings.
JOURNAL_FILE = "study.journal"
SETTINGS_FILE = "study.json"


def study_settings(
    scenario: CorridorScenario,
    params: Sequence[FitParameter],
    *,
    seed: int,
    sampler_seed: int,
    until: dt.date,
    weights: Mapping[str, float],
    batch: int,
) -> dict[str, Any]:
    return {
        "scenario": scenario.name,
        "parameters": [
            {"name": p.name, "low": p.low, "high": p.high, "log": p.log} for p in params
        ],
        "seed": seed,
        "sampler_seed": sampler_seed,
        "until": until.isoformat(),
        "weights": dict(sorted(weights.items())),
        "batch": batch,
    }


def study_name(settings: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    return f"{settings['scenario']}-{digest}"


def sampler(sampler_seed: int, number: int) -> optuna.samplers.BaseSampler:
    seed = int.from_bytes(
        hashlib.sha256(f"{sampler_seed}:{number}".encode()).digest()[:4], "little"
    )
    return optuna.samplers.TPESampler(
        seed=seed, constant_liar=True, n_startup_trials=10, multivariate=True
    )


def distributions(params: Sequence[FitParameter]) -> dict[str, Any]:
    return {
        p.name: optuna.distributions.FloatDistribution(p.low, p.high, log=p.log) for p in params
    }


def check_study(out: Path, settings: Mapping[str, Any], resume: bool) -> None:
    """Refuse, writing nothing, a folder that holds a study when not resuming, or a study to
    resume whose settings differ (or cannot be read)."""
    journal, meta = out / JOURNAL_FILE, out / SETTINGS_FILE
    if journal.exists() and not resume:
        raise CalibrationInputError(
            f"{out} already holds a calibration study ({JOURNAL_FILE}); pass --resume to "
            "continue it, or give another --folder (or remove this one)"
        )
    if resume and journal.exists():
        try:
            old = json.loads(read_text(meta))
        except (ScenarioError, ValueError, RecursionError):
            raise CalibrationInputError(
                f"{meta} is missing or unreadable: cannot check that the study in {out} has the "
                "same settings; remove the folder to start again"
            ) from None
        if old != json.loads(json.dumps(settings)):
            changed = sorted(
                k for k in settings if old.get(k) != json.loads(json.dumps(settings))[k]
            )
            raise CalibrationInputError(
                f"the study in {out} was started with other settings ({', '.join(changed)}); "
                "resume it with the same options, or give another --folder"
            )


def open_study(out: Path, settings: Mapping[str, Any], resume: bool) -> optuna.Study:
    """The study in ``out`` (made there when new), after :func:`check_study`."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    check_study(out, settings, resume)
    journal, meta = out / JOURNAL_FILE, out / SETTINGS_FILE
    out.mkdir(parents=True, exist_ok=True)
    if not meta.exists():
        write_text(meta, json.dumps(settings, indent=2) + "\n")
    storage = JournalStorage(JournalFileBackend(str(journal)))
    return optuna.create_study(
        study_name=study_name(settings),
        storage=storage,
        direction="minimize",
        load_if_exists=True,
    )


def record(trial: optuna.trial.FrozenTrial, position: int) -> TrialRecord:
    """The record of a trial, numbered by its ``position`` (:func:`positions`)."""
    return TrialRecord(
        number=position,
        params={k: float(v) for k, v in trial.params.items()},
        loss=float(trial.value) if trial.value is not None else float("nan"),
        series_loss={k: float(v) for k, v in trial.user_attrs.get("series_loss", {}).items()},
        seconds=float(trial.user_attrs.get("seconds", float("nan"))),
    )


def ordinal(study: optuna.Study) -> int:
    """The position of the next trial in the study's sequence: trials abandoned half-drawn by
    a killed run (:func:`left_running`) do not count, so the trial drawn in their place gets
    the sampler seed, and so the values, that the uninterrupted run gave it."""
    return len(positions(study))


def positions(study: optuna.Study) -> dict[int, int]:
    """Each trial's position in the study's sequence (by Optuna number): its number less the
    trials abandoned half-drawn before it, so a trial drawn again after a kill has the number
    the uninterrupted run gave it (:func:`ordinal`)."""
    out: dict[int, int] = {}
    for t in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        if not t.user_attrs.get("abandoned"):
            out[t.number] = len(out)
    return out


def left_running(
    study: optuna.Study, frozen: optuna.trial.FrozenTrial, params: Sequence[FitParameter]
) -> tuple[optuna.trial.Trial, dict[str, float]] | None:
    """A trial left running by a killed run, with its parameter values; None if the run was
    killed while the values were being drawn: the trial is then abandoned (failed, marked) and
    drawn again as a new trial."""
    trial = optuna.trial.Trial(study, frozen._trial_id)  # from its storage id
    if all(p.name in frozen.params for p in params):
        return trial, {p.name: float(frozen.params[p.name]) for p in params}
    trial.set_user_attr("abandoned", True)
    fixed = frozen.system_attrs.get("fixed_params")
    # an enqueued trial (the warm start) is enqueued again, drawn next with its values; before
    # this one is told failed, and once: a run killed in between does not lose or repeat it
    again = any(
        t.user_attrs.get("redraws") == frozen.number for t in study.get_trials(deepcopy=False)
    )
    if fixed and not again:
        study.enqueue_trial(dict(fixed), user_attrs={"redraws": frozen.number})
    study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return None


def warm_start(study: optuna.Study, params: Sequence[FitParameter]) -> None:
    """Enqueue the warm-start trial once the default trial (position 0: number 0 unless it was
    abandoned half-drawn and enqueued again) is complete (once)."""
    if study.user_attrs.get("warm_start_done") or not any(p.scales for p in params):
        return
    at = positions(study)
    first = [
        t
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if at.get(t.number) == 0
    ]
    if not first:
        return
    waiting = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,))
    if waiting:  # enqueued by a run killed before it could record so
        study.set_user_attr("warm_start_done", True)
        return
    bias = first[0].user_attrs.get("series_bias", {})
    values = {p.name: float(first[0].params[p.name]) for p in params}
    for p in params:
        if p.scales and p.scales in bias and math.isfinite(bias[p.scales]):
            values[p.name] = clip(p, values[p.name] * math.exp(-bias[p.scales]))
    study.enqueue_trial(values)
    study.set_user_attr("warm_start_done", True)


__all__ = [
    "JOURNAL_FILE",
    "SETTINGS_FILE",
    "check_study",
    "distributions",
    "left_running",
    "open_study",
    "ordinal",
    "positions",
    "record",
    "sampler",
    "study_name",
    "study_settings",
    "warm_start",
]
