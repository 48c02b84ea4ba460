"""Checks of a scenario's analysis settings (:mod:`corredor.scenario.corridor.analysis`) that
need the rest of the scenario: its calibration parameters and its observables."""

from __future__ import annotations

from corredor.scenario.corridor.model import CorridorScenario
from corredor.scenario.corridor.problems import Problem


def check_analysis(scenario: CorridorScenario) -> list[Problem]:
    """Names of the analysis settings that the scenario does not have."""
    a = scenario.analysis_settings()
    observables = {ob.name for ob in scenario.observables}
    problems: list[Problem] = []

    def need(names: list[str], known: set[str], where: tuple[str, ...], what: str) -> None:
        for j, name in enumerate(names):
            if name not in known:
                problems.append(
                    Problem(
                        ("analysis", *where, j),
                        f"{name!r} is not {what} of the scenario",
                        fix="use a name the scenario declares",
                    )
                )

    params = set(scenario.calibration)
    need([p.name for p in a.fit.parameters], params, ("fit", "parameters"), "a parameter")
    scales = [p.scales for p in a.fit.parameters if p.scales]
    need(scales, observables, ("fit", "scales"), "an observable")
    need(list(a.fit.weights), observables, ("fit", "weights"), "an observable")
    need(list(a.report.charts), observables, ("report", "charts"), "an observable")
    if a.backtest is not None:
        need(list(a.backtest.series), observables, ("backtest", "series"), "an observable")
    outputs = [o for o in a.sensitivity.outputs if not o.startswith("ledger.")]
    need(outputs, observables, ("sensitivity", "outputs"), "an observable")
    return problems


__all__ = ["check_analysis"]
