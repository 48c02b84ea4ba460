"""Checks of a scenario's analysis settings (:mod:`corredor.scenario.corridor.analysis`) that
need the rest of the scenario: its calibration parameters and its observables."""

from __future__ import annotations

from pathlib import Path

from corredor.files.read import LineMap, PathKey, excerpt
from corredor.scenario.corridor.analysis import read_analysis_lines
from corredor.scenario.corridor.model import CorridorScenario
from corredor.scenario.corridor.problems import Problem


def check_analysis(scenario: CorridorScenario) -> list[Problem]:
    """Names of the analysis settings that the scenario does not have."""
    a = scenario.analysis_settings()
    # in a file of its own: the problems name that file and its lines
    file: Path | None = None
    lines: LineMap | None = None
    if isinstance(scenario.analysis, str):
        file = scenario.base_dir / scenario.analysis
        _, lines = read_analysis_lines(file, root=scenario.base_dir)
    observables = {ob.name for ob in scenario.observables}
    problems: list[Problem] = []

    def need(names: list[str], known: set[str], where: tuple[str, ...], what: str) -> None:
        for j, name in enumerate(names):
            if name not in known:
                key: PathKey = (*where, j)
                problems.append(
                    Problem(
                        ("analysis", *key),
                        f"{excerpt(name)} is not {what} of the scenario",
                        fix="use a name the scenario declares",
                        file=file,
                        line=None if lines is None else lines.line(key),
                    )
                )

    params = set(scenario.calibration)
    need([p.name for p in a.fit.parameters], params, ("fit", "parameters"), "a parameter")
    scales = [p.scales for p in a.fit.parameters if p.scales]
    need(scales, observables, ("fit", "scales"), "an observable")
    need(list(a.fit.weights), observables, ("fit", "weights"), "an observable")
    need(list(a.report.charts), observables, ("report", "charts"), "an observable")
    need(list(a.report.printed), observables, ("report", "printed"), "an observable")
    if a.backtest is not None:
        need(list(a.backtest.series), observables, ("backtest", "series"), "an observable")
    outputs = [o for o in a.sensitivity.outputs if not o.startswith("ledger.")]
    need(outputs, observables, ("sensitivity", "outputs"), "an observable")
    return problems


__all__ = ["check_analysis"]
