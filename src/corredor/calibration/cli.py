"""The ``corredor calibrate`` and ``corredor validate-model`` commands (registered in
``corredor.cli``, which imports this module only when one of them runs)."""

from __future__ import annotations

import hashlib
import math
import shlex
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from corredor.errors import CorredorError

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table as RichTable

    from corredor.calibration.fit import CalibrationResult


def command_line(
    scenario: str,
    *,
    trials: int,
    workers: int,
    scheduler: str | None,
    until: str | None,
    out: Path | None,
    resume: bool,
    seed: int,
    batch: int,
    parameters: Sequence[str],
    base: Path | None = None,
    agent_budget: float = 2.0,
) -> str:
    """The command in canonical form (options in a fixed order, defaults left out), for the
    calibrated file: rerunning it reproduces the study."""
    words = ["corredor", "calibrate", scenario, "--trials", str(trials), "--workers", str(workers)]
    if scheduler is not None:
        words += ["--scheduler", scheduler]
    if until is not None:
        words += ["--until", str(until)]
    if out is not None:
        words += ["--out", str(out)]
    if seed != 0:
        words += ["--seed", str(seed)]
    if batch != 4:
        words += ["--batch", str(batch)]
    for name in parameters:
        words += ["--parameter", name]
    if base is not None:
        words += ["--from", str(base)]
    if agent_budget != 2.0:
        words += ["--agent-budget", f"{agent_budget:g}"]
    if resume:
        words.append("--resume")
    return shlex.join(words)


def default_folder(scenario: str, parameters: Sequence[str], base: Path | None) -> Path:
    """The study folder without ``--out``: ``calibrations/SCENARIO``, with a short digest of the
    parameters and ``--from`` file when they are given (so stages do not share a folder)."""
    if not parameters and base is None:
        return Path("calibrations") / scenario
    key = "\n".join([*sorted(parameters), str(base or "")])
    return Path("calibrations") / f"{scenario}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def _scenario(name: str) -> object:
    from corredor.scenario.corridor import load_corridor_scenario

    return load_corridor_scenario(name)


def _num(x: float, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


def calibrate_command(
    console: Console,
    *,
    scenario: str,
    trials: int,
    workers: int,
    scheduler: str | None,
    until: str | None,
    out: Path | None,
    resume: bool,
    seed: int,
    batch: int,
    parameters: Sequence[str],
    show_progress: bool,
    base: Path | None = None,
    agent_budget: float = 2.0,
) -> CalibrationResult:
    """Run a calibration with a progress bar and print what it found."""
    from rich.table import Table

    from corredor.calibration.fit import calibrate, select_parameters
    from corredor.calibration.loss import check_until
    from corredor.scenario.corridor import CorridorScenario

    sc = _scenario(scenario)
    assert isinstance(sc, CorridorScenario)
    last = check_until(until)
    horizon = check_until(None)
    if out is None and last != horizon:
        raise CorredorError(
            f"--until {last}: a fit to data ending before {horizon} is a study (a back-test), "
            "not the scenario's calibration; give --out DIR to keep it apart"
        )
    select_parameters(sc, list(parameters) or None, until=last)  # errors before the bar
    install = out is None
    folder = out if out is not None else default_folder(sc.name, parameters, base)
    command = command_line(
        scenario,
        trials=trials,
        workers=workers,
        scheduler=scheduler,
        until=until,
        out=out,
        resume=resume,
        seed=seed,
        batch=batch,
        parameters=parameters,
        base=base,
        agent_budget=agent_budget,
    )
    t0 = time.perf_counter()
    kwargs = {
        "out": folder,
        "trials": trials,
        "parameters": list(parameters) or None,
        "workers": workers,
        "scheduler": scheduler,
        "batch": batch,
        "seed": seed,
        "until": last,
        "resume": resume,
        "command": command,
        "install": install,
        "base": base,
        "agent_budget": agent_budget,
    }
    from corredor.progress import progress_bar

    with progress_bar(show_progress, "trials", description="calibrating", total=trials) as bar:

        def progress(done: int, total: int, best: float | None) -> None:
            text = "calibrating" if best is None else f"best loss {best:.4f}"
            assert bar is not None
            bar.update(completed=done, total=total, description=text)

        result = calibrate(
            sc,
            progress=None if bar is None else progress,
            **kwargs,  # type: ignore[arg-type]
        )
    wall = time.perf_counter() - t0
    table = Table(title=f"{sc.name}: calibrated parameters", title_justify="left")
    for col in ("parameter", "start", "fitted", "search range"):
        table.add_column(col, justify="left" if col == "parameter" else "right")
    defaults = sc.calibration_defaults()
    if base is not None:
        from corredor.scenario.corridor.calibrated import read_calibrated

        defaults.update(read_calibrated(base, sc).parameters)
    for p in result.parameters:
        table.add_row(
            p.name,
            f"{defaults[p.name]:.4g}",
            f"{result.best.params[p.name]:.4g}",
            f"{p.low:g} – {p.high:g}" + (" (log)" if p.log else ""),
        )
    console.print(table)
    console.print(
        f"loss: {_num(result.default_loss, 4)} (start) → {_num(result.best.loss, 4)} "
        f"(trial {result.best.number} of {len(result.trials)}); "
        f"{len(result.members)} plausible parameter sets"
        + (" (implausibility cut relaxed)" if result.cut_relaxed else ""),
        highlight=False,
    )
    if result.resumed_trials:
        console.print(f"resumed a study with {result.resumed_trials} complete trials")
    console.print(f"wall time {wall:.0f} s; data up to {last}", highlight=False)
    for path in result.written:
        console.print(f"wrote {path}", highlight=False)
    return result


def validate_model_command(
    console: Console,
    *,
    scenario: str,
    seed: int,
    uncalibrated: bool,
    backtest: Path | None,
    out: Path | None,
    members: int = 0,
    replicas: int = 1,
    discrepancy: bool = True,
) -> None:
    """Fit statistics of the calibrated model over the whole period and, with a back-test
    calibration (``--backtest DIR`` holding the calibrated.yaml of a fit to data up to
    2018-12-31), the back-test table against the naive baselines."""
    from rich.table import Table

    from corredor.calibration.modelcheck import backtest_model, display_fit_table, fit_statistics
    from corredor.validation.backtest import display_table, write_table

    sc = _scenario(scenario)
    stats = fit_statistics(sc, seed=seed, uncalibrated=uncalibrated)  # type: ignore[arg-type]
    table = Table(
        title=f"{scenario}: fit over the whole period "
        + ("(hand-set defaults)" if uncalibrated else "(calibrated)"),
        title_justify="left",
    )
    _fill(table, display_fit_table(stats.table))
    if not console.is_terminal:
        console.width = 140
    console.print(table)
    console.print(f"loss {stats.loss:.4f} (data up to {stats.until})", highlight=False)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        stats.table.to_csv(out / "fit_statistics.csv", index=False)
        console.print(f"wrote {out / 'fit_statistics.csv'}", highlight=False)
    if backtest is None:
        console.print(
            "no back-test: give --backtest DIR, the output folder of "
            "`corredor calibrate mexico-us --until 2018-12-31 --out DIR`"
        )
        return
    bt = backtest_model(
        sc,  # type: ignore[arg-type]
        backtest,
        seed=seed,
        members=members,
        replicas=replicas,
        discrepancy=discrepancy,
    )
    t2 = Table(title="back-test: fit to 2018-12, forecast 2019-01 – 2021-09", title_justify="left")
    _fill(t2, display_table(bt), left=("series", "model"))
    console.print(t2)
    if out is not None:
        path = write_table(bt, out / "backtest.csv")
        console.print(f"wrote {path} (for `corredor run … --validation {path}`)", highlight=False)


def _fill(table: RichTable, text: pd.DataFrame, left: tuple[str, ...] = ("observable",)) -> None:
    """Columns and rows of a rich table from a table of text."""
    for col in text.columns:
        table.add_column(str(col), justify="left" if col in left else "right")
    for row in text.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
