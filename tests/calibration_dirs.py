"""A tiny synthetic corridor with observed data made by the model itself (a test helper).

:func:`write_calibration_dir` writes the corridor of ``tests/corridor_dirs.py`` for
:data:`DAYS` days, runs it once with :data:`TRUTH` (known parameter values, seed
:data:`TRUTH_SEED`) and writes the simulated monthly counts as the scenario's observed data
(``observed/counts.csv``), so a calibration started from the scenario's defaults should recover
:data:`TRUTH`. Apprehensions in the destination are published rounded to 10
(``value_type: rounded_to_10``), those in the transit zone exactly.

``tests/`` is not a package: a test module imports this file after putting ``tests/`` on
``sys.path``.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from corridor_dirs import START, scenario_document, write_corridor_dir

if TYPE_CHECKING:
    import optuna

DAYS = 300
#: The parameters the synthetic data are made with (defaults: 30 and 5e-4).
TRUTH: dict[str, float] = {"base_departures": 60.0, "mid_hazard": 2.0e-3}
TRUTH_SEED = 11
SOURCE = "synthetic: corredor run of the tiny corridor with known parameters"

#: observable -> (zone, value type)
OBSERVED = {
    "dest_apprehensions": ("dest_zone", "rounded_to_10"),
    "mid_apprehensions": ("mid_zone", "exact"),
}


def _document(days: int) -> dict[str, object]:
    doc = scenario_document(days=days)
    observables = [o for o in doc["observables"] if o["name"] != "dest_apprehensions"]  # type: ignore[union-attr]
    for name, (zone, _kind) in OBSERVED.items():
        observables.append(
            {
                "name": name,
                "definition": {"events": ["apprehend"], "zones": [zone]},
                "unit": "events",
                "frequency": "month",
                "data": {
                    "file": "observed/counts.csv",
                    "value_column": "value",
                    "filter": {"series": name},
                },
            }
        )
    doc["observables"] = observables
    return doc


def write_calibration_dir(
    root: Path,
    *,
    truth: Mapping[str, float] | None = None,
    days: int = DAYS,
    seed: int = TRUTH_SEED,
    blank: Mapping[str, str] | None = None,
) -> Path:
    """Write the scenario with synthetic observed data into ``root``; returns ``scenario.yaml``.

    ``blank`` maps an observable to a month (``YYYY-MM``) whose observed value is left empty.
    """
    from corredor.scenario.corridor import load_corridor_scenario
    from corredor.simulation.corridor import run_corridor

    truth = dict(TRUTH if truth is None else truth)
    root.mkdir(parents=True, exist_ok=True)
    write_corridor_dir(root, days=days)
    path = root / "scenario.yaml"
    (root / "observed").mkdir(exist_ok=True)
    # placeholder data so that the scenario loads, then the truth run
    _write_counts(root, {name: {} for name in OBSERVED}, days)
    path.write_text(yaml.safe_dump(_document(days), sort_keys=False, width=100), encoding="utf-8")
    result = run_corridor(load_corridor_scenario(path), seed=seed, calibration=truth)
    monthly = result.monthly()
    counts = {
        name: {d.strftime("%Y-%m"): float(v) for d, v in monthly[name].items()} for name in OBSERVED
    }
    _write_counts(root, counts, days, blank=blank)
    return path


def _write_counts(
    root: Path,
    counts: Mapping[str, Mapping[str, float]],
    days: int,
    blank: Mapping[str, str] | None = None,
) -> None:
    end = START + dt.timedelta(days=days - 1)
    with open(root / "observed" / "counts.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["period_start", "period_end", "series", "value", "value_type", "source"])
        for name, (_zone, kind) in OBSERVED.items():
            month = START
            while month <= end:
                nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
                last = nxt - dt.timedelta(days=1)
                if last > end:
                    break
                key = month.strftime("%Y-%m")
                value = counts[name].get(key, 0.0)
                if kind == "rounded_to_10":
                    value = 10.0 * round(value / 10.0)
                text = "" if blank and blank.get(name) == key else f"{value:.0f}"
                w.writerow([month.isoformat(), last.isoformat(), name, text, kind, SOURCE])
                month = nxt


def journal_studies(folder: Path) -> list[optuna.Study]:
    """The Optuna studies in the journal of the calibration folder ``folder`` (none before the
    journal is written)."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    journal = folder / "study.journal"
    if not journal.exists():
        return []
    storage = JournalStorage(JournalFileBackend(str(journal)))
    return [
        optuna.load_study(study_name=summary.study_name, storage=storage)
        for summary in optuna.get_all_study_summaries(storage)
    ]


def journal_study(folder: Path) -> optuna.Study:
    """The one Optuna study of the calibration folder ``folder``."""
    (study,) = journal_studies(folder)
    return study


def complete_trials(folder: Path) -> int:
    """The complete trials in the journal of the calibration folder ``folder`` so far."""
    import optuna

    states = (optuna.trial.TrialState.COMPLETE,)
    return sum(len(study.get_trials(states=states)) for study in journal_studies(folder))
