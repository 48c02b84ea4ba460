"""Drive the PyPI ``flee==3.1`` peer through its public API, reproducing 3.1's ``run.py`` loop.

Runs under the Flee virtual environment (``pip install flee==3.1 mpich``); it never imports
``corredor``. The PyPI wheel does not ship Flee's ``runscripts/run.py``, so :func:`run_flee`
rebuilds it step by step (docs/flee-notes.md §1, output columns §2.9):

* ``SimulationSettings.ReadFromYML("simsetting.yml")``; the period comes from
  ``input_csv/conflict_period.csv`` (3.1 name) or ``input_csv/sim_period.csv`` (later name);
* ``SimulationSettings.ConflictInputFile = "input_csv/conflicts.csv"`` (set *after* reading the
  YAML, which resets it to ""), then ``ReadConflictInputCSV``, ``ReadLocationsFromCSV``,
  ``ReadLinksFromCSV``, ``ReadClosuresFromCSV``, ``StoreInputGeographyInEcosystem``;
* ``RefugeeTable(csvformat="generic", data_directory="source_data", data_layout="data_layout.csv",
  population_scaledown_factor=hasten)`` plus ``ReadL1Corrections``;
* ``spawning.add_initial_refugees`` for every camp, then ``ig.ReadAgentsFromCSV`` when
  ``spawn_rules: read_from_agents_csv_file`` is on;
* per day ``t``: ``AddNewConflictZones``, ``spawn_daily_displaced``, ``refresh_spawn_weights``,
  ``enact_border_closures``, ``evolve`` and one ``out.csv`` row.

Flee's ``spawning`` module keeps module-level state (refugee debt, raw count, demographics) and
reads ``demographics_*.csv`` from the *relative* path ``input_csv``, so every run must happen in a
fresh process whose working directory is the scenario directory. The command-line entry point of
this file does exactly one run::

    python scripts/_flee31_driver.py SCENARIO_DIR --seed 0 --out-csv out.csv --stats stats.json

Flee prints progress to stdout and stderr (``ReadAgentsFromCSV`` prints every agent row), so the
entry point sends Flee's own output to ``--flee-log`` (default: discarded).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import yaml

SIMSETTING = "simsetting.yml"
INPUT_DIR = "input_csv"
DATA_DIR = "source_data"

#: Columns of 3.1's out.csv after the per-camp triples (docs/flee-notes.md §2.9).
TOTAL_COLUMNS = (
    "Total error",
    "refugees in camps (UNHCR)",
    "total refugees (simulation)",
    "raw UNHCR refugee count",
    "refugees in camps (simulation)",
    "refugee_debt",
)


def flee_version() -> str:
    """Installed Flee distribution version (e.g. ``"3.1"``)."""
    from importlib import metadata

    return metadata.version("flee")


def peak_rss_mib() -> float:
    """Peak resident set size of this process in MiB (Linux ``ru_maxrss`` is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def read_period(scenario: Path) -> tuple[str, int]:
    """Start date and length from ``conflict_period.csv``, else ``sim_period.csv``."""
    from flee.datamanager import read_period as rp

    for name in ("conflict_period.csv", "sim_period.csv"):
        path = scenario / INPUT_DIR / name
        if path.is_file():
            start, length = rp.read_conflict_period(str(path))
            return str(start), int(length)
    raise FileNotFoundError(f"{scenario / INPUT_DIR}: no conflict_period.csv or sim_period.csv")


def prepare_scenario_copy(src: Path, dst: Path, hasten: int) -> Path:
    """Copy scenario ``src`` to ``dst`` and set ``optimisations: hasten:`` in its simsetting.yml.

    All other keys of the YAML file are kept (comments are not). ``dst`` must not exist.
    """
    shutil.copytree(src, dst)
    yml = dst / SIMSETTING
    settings: dict[str, Any] = {}
    if yml.is_file():
        with yml.open(encoding="utf-8") as fh:
            settings = yaml.safe_load(fh) or {}
    opt = settings.get("optimisations") or {}
    opt["hasten"] = int(hasten)
    settings["optimisations"] = opt
    with yml.open("w", encoding="utf-8") as fh:
        yaml.safe_dump(settings, fh, sort_keys=False)
    return dst


def camp_names_from_header(columns: Sequence[str]) -> list[str]:
    """Camp names from out.csv column names, as Flee's ``plot_flee_output.plot_errors`` does."""
    names = []
    for col in columns:
        if " sim" in col and "numAgents" not in col:
            names.append(" ".join(col.split()[:-1]))
    return names


def validation_errors(frame: Any, camps: Sequence[str] | None = None) -> dict[str, float]:
    """ARD and rescaled ARD of one out.csv table, computed as Flee 3.1's validation does.

    Mirrors ``flee/postprocessing/plot_flee_output.py`` (``error_quantification`` and
    ``plot_errors``) with ``analysis.abs_diffs``: per camp |sim − data| rounded to 4 decimals;
    rescaled sim = sim × untot / simtot where simtot > 0 (else 0), with untot the column
    ``refugees in camps (UNHCR)`` and simtot ``refugees in camps (simulation)``; per day the sum
    over camps divided by max(untot, 1); the score is the mean over days.
    """
    from flee.postprocessing import analysis

    if camps is None:
        camps = camp_names_from_header(list(frame.columns))
    untot = frame["refugees in camps (UNHCR)"].to_numpy().flatten()
    simtot = frame["refugees in camps (simulation)"].to_numpy().flatten()
    diff = np.zeros(len(frame))
    diff_rescaled = np.zeros(len(frame))
    for camp in camps:
        y1 = frame[f"{camp} sim"].to_numpy()
        y2 = frame[f"{camp} data"].to_numpy()
        y1_rescaled = np.zeros(len(y1))
        for i in range(len(y1_rescaled)):
            if simtot[i] > 0:
                y1_rescaled[i] = y1[i] * untot[i] / simtot[i]
        diff = np.add(diff, analysis.abs_diffs(forecast_vals=y1, correct_vals=y2))
        diff_rescaled = np.add(
            diff_rescaled, analysis.abs_diffs(forecast_vals=y1_rescaled, correct_vals=y2)
        )
    denom = np.maximum(untot, np.ones(len(untot)))
    return {
        "ard": float(np.mean(diff / denom)),
        "ard_rescaled": float(np.mean(diff_rescaled / denom)),
    }


def run_flee(
    scenario: Path,
    out_csv: Path,
    seed: int | None = None,
    days: int | None = None,
) -> dict[str, Any]:
    """Run Flee 3.1 once on ``scenario`` in this process, writing 3.1's ``out.csv`` to ``out_csv``.

    Must be called once per fresh process: it changes the working directory to ``scenario``
    (Flee reads demographics from the relative path ``input_csv``) and Flee's ``spawning``
    module keeps global state. ``days`` > 0 overrides the period length (as run.py's third
    argument does). Returns timing and size statistics.
    """
    t_start = time.perf_counter()
    out_csv = Path(out_csv).resolve()
    scenario = Path(scenario).resolve()
    os.chdir(scenario)

    from flee import InputGeography, flee, spawning
    from flee.datamanager import DataTable, handle_refugee_data
    from flee.postprocessing import analysis
    from flee.SimulationSettings import SimulationSettings

    if seed is not None:
        random.seed(seed)
        np.random.seed(seed)  # noqa: NPY002 (Flee draws from the legacy global generator)

    SimulationSettings.ReadFromYML(SIMSETTING)
    start_date, end_time = read_period(scenario)
    if days is not None and days > 0:
        end_time = int(days)
    hasten = int(SimulationSettings.optimisations["PopulationScaleDownFactor"])

    conflicts = os.path.join(INPUT_DIR, "conflicts.csv")
    SimulationSettings.ConflictInputFile = conflicts

    e = flee.Ecosystem()
    ig = InputGeography.InputGeography()
    ig.ReadConflictInputCSV(conflicts)
    ig.ReadLocationsFromCSV(os.path.join(INPUT_DIR, "locations.csv"))
    ig.ReadLinksFromCSV(os.path.join(INPUT_DIR, "routes.csv"))
    ig.ReadClosuresFromCSV(os.path.join(INPUT_DIR, "closures.csv"))
    e, lm = ig.StoreInputGeographyInEcosystem(e)

    d = handle_refugee_data.RefugeeTable(
        csvformat="generic",
        data_directory=DATA_DIR,
        start_date=start_date,
        data_layout="data_layout.csv",
        population_scaledown_factor=hasten,
    )
    d.ReadL1Corrections(os.path.join(INPUT_DIR, "registration_corrections.csv"))

    camp_locations = e.get_camp_names()
    header = "Day,Date"
    for name in camp_locations:
        spawning.add_initial_refugees(e, d, lm[name])
        header += f",{name} sim,{name} data,{name} error"
    header += "," + ",".join(TOTAL_COLUMNS)
    idp_totals = SimulationSettings.log_levels["idp_totals"] > 0
    if idp_totals:
        header += ",total IDPs"

    if SimulationSettings.spawn_rules["read_from_agents_csv_file"]:
        ig.ReadAgentsFromCSV(e, os.path.join(INPUT_DIR, "agents.csv"))

    agents_initial = e.numAgents()
    setup_s = time.perf_counter() - t_start
    agent_steps = 0
    refugees_raw = 0
    refugee_debt = 0
    camps = [lm[name] for name in camp_locations]

    t_loop = time.perf_counter()
    with out_csv.open("w", encoding="utf-8") as out:
        out.write(header + "\n")
        for t in range(end_time):
            ig.AddNewConflictZones(e, t)
            _new_refs, refugees_raw, refugee_debt = spawning.spawn_daily_displaced(e, t, d)
            spawning.refresh_spawn_weights(e)
            e.enact_border_closures(t)
            e.evolve()

            loc_data = [d.get_field(name, t) for name in camp_locations]
            refugees_in_camps_sim = sum(c.numAgents for c in camps)
            row = f"{t},{DataTable.steps_to_date(t, start_date)}"
            abs_errors = []
            for camp, data in zip(camps, loc_data, strict=True):
                err = analysis.rel_error(camp.numAgents, data)
                abs_errors.append(analysis.abs_error(camp.numAgents, data))
                row += f",{camp.numAgents},{data},{err}"
            num_agents = e.numAgents()
            if refugees_raw > 0:
                totals = (
                    float(np.sum(abs_errors)) / float(refugees_raw),
                    int(sum(loc_data)),
                    num_agents,
                    refugees_raw,
                    refugees_in_camps_sim,
                    refugee_debt,
                )
                row += "".join(f",{v}" for v in totals)
            else:  # 3.1's run.py writes zeros for every total while no refugees are recorded
                row += ",0,0,0,0,0,0"
            if idp_totals:
                row += f",{e.numIDPs()}"
            out.write(row + "\n")
            agent_steps += num_agents
    loop_s = time.perf_counter() - t_loop

    return {
        "wall_s": time.perf_counter() - t_start,
        "setup_s": setup_s,
        "loop_s": loop_s,
        "agent_steps": agent_steps,
        "agent_steps_per_s": agent_steps / loop_s if loop_s > 0 else 0.0,
        "peak_rss_mib": peak_rss_mib(),
        "days": end_time,
        "hasten": hasten,
        "agents_initial": agents_initial,
        "agents_final": e.numAgents(),
        "camps": list(camp_locations),
        "start_date": start_date,
        "seed": seed,
    }


@contextlib.contextmanager
def redirect_flee_output(log: TextIO) -> Iterator[None]:
    """Send Python-level stdout and stderr to ``log`` for the duration of the block."""
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """One Flee 3.1 run in this (fresh) process; statistics go to ``--stats`` as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--out-csv", type=Path, required=True)
    parser.add_argument("--stats", type=Path, required=True)
    parser.add_argument("--flee-log", type=Path, default=None, help="Flee's own output")
    args = parser.parse_args(argv)
    out_csv = args.out_csv.resolve()
    stats_path = args.stats.resolve()
    log_path = args.flee_log.resolve() if args.flee_log else Path(os.devnull)
    with log_path.open("w", encoding="utf-8") as log, redirect_flee_output(log):
        stats = run_flee(args.scenario, out_csv, seed=args.seed, days=args.days)
    stats_path.write_text(json.dumps(stats, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
