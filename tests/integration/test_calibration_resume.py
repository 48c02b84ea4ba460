"""A killed calibration resumes where it stopped (issue 5), and the sequence of trials does not
depend on the backend or on interruptions.

A calibration of the tiny synthetic corridor runs in a subprocess and is killed (SIGKILL) once
a few trials are complete; ``calibrate(..., resume=True)`` then completes it. Its trials (every
parameter value and loss, in order) and its best trial equal those of the same calibration run
without interruption (on 2 processes instead of 1), and the total number of complete trials is
the one requested.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from corredor.calibration.fit import CalibrationError, FitParameter, calibrate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from calibration_dirs import complete_trials, journal_study, write_calibration_dir

TESTS = Path(__file__).resolve().parents[1]
TRIALS = 12
PARAMETERS = [
    FitParameter("base_departures", 10.0, 300.0, log=True, scales="dest_apprehensions"),
    FitParameter("mid_hazard", 1e-4, 1e-2, log=True),
]
SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from corredor.calibration.fit import FitParameter, calibrate
P = [FitParameter("base_departures", 10.0, 300.0, log=True, scales="dest_apprehensions"),
     FitParameter("mid_hazard", 1e-4, 1e-2, log=True)]
if __name__ == "__main__":
    calibrate({scenario!r}, out={out!r}, trials={trials}, parameters=P, workers=1)
"""


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_calibration_dir(tmp_path_factory.mktemp("resume") / "scenario", days=180)


def test_killed_calibration_resumes(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    script = tmp_path / "calibrate.py"
    script.write_text(
        SCRIPT.format(tests=str(TESTS), scenario=str(scenario), out=str(out), trials=TRIALS)
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, str(script)], env=env)
    try:
        deadline = time.monotonic() + 300
        while complete_trials(out) < 4:
            assert proc.poll() is None, "the calibration ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    killed_at = complete_trials(out)
    assert 4 <= killed_at < TRIALS

    # without --resume the folder is refused, with other settings too
    with pytest.raises(CalibrationError, match="--resume"):
        calibrate(scenario, out=out, trials=TRIALS, parameters=PARAMETERS, workers=1)
    with pytest.raises(CalibrationError, match="other settings"):
        calibrate(
            scenario, out=out, trials=TRIALS, parameters=PARAMETERS, workers=1, seed=1, resume=True
        )

    resumed = calibrate(
        scenario, out=out, trials=TRIALS, parameters=PARAMETERS, workers=1, resume=True
    )
    assert resumed.resumed_trials == killed_at
    assert len(resumed.trials) == TRIALS

    straight = calibrate(
        scenario, out=tmp_path / "straight", trials=TRIALS, parameters=PARAMETERS, workers=2
    )
    # the same trials in the same order, with the same numbers (a trial half-drawn when the
    # run was killed is abandoned and drawn again with the values and number it had)
    assert [(t.number, t.params, t.loss) for t in resumed.trials] == [
        (t.number, t.params, t.loss) for t in straight.trials
    ]
    best = resumed.best
    assert (best.params, best.loss) == (straight.best.params, straight.best.loss)
    assert resumed.calibrated.parameters == straight.calibrated.parameters

    # asking for more trials continues the same study
    more = calibrate(
        scenario, out=out, trials=TRIALS + 2, parameters=PARAMETERS, workers=1, resume=True
    )
    assert len(more.trials) == TRIALS + 2
    assert more.trials[:TRIALS] == resumed.trials


def test_trials_left_running_beyond_the_target_are_not_run(scenario: Path, tmp_path: Path) -> None:
    import optuna

    out = tmp_path / "study"
    first = calibrate(scenario, out=out, trials=2, parameters=PARAMETERS, workers=1)
    assert len(first.trials) == 2
    # a trial asked by a run that was then killed
    study = journal_study(out)
    study.ask(
        {
            p.name: optuna.distributions.FloatDistribution(p.low, p.high, log=p.log)
            for p in PARAMETERS
        }
    )
    again = calibrate(scenario, out=out, trials=2, parameters=PARAMETERS, workers=1, resume=True)
    assert [t.number for t in again.trials] == [0, 1]
    states = [t.state for t in study.get_trials()]
    assert states.count(optuna.trial.TrialState.FAIL) == 1
    assert optuna.trial.TrialState.RUNNING not in states


def test_half_drawn_trial_is_drawn_again_with_the_same_values(
    scenario: Path, tmp_path: Path
) -> None:
    import optuna

    straight = calibrate(
        scenario, out=tmp_path / "straight", trials=3, parameters=PARAMETERS, workers=1, batch=1
    )
    out = tmp_path / "killed"
    calibrate(scenario, out=out, trials=2, parameters=PARAMETERS, workers=1, batch=1)
    # a run killed after drawing the first value of trial 2 only
    study = journal_study(out)
    p = PARAMETERS[0]
    study.ask({p.name: optuna.distributions.FloatDistribution(p.low, p.high, log=p.log)})
    resumed = calibrate(
        scenario, out=out, trials=3, parameters=PARAMETERS, workers=1, batch=1, resume=True
    )
    assert [(t.params, t.loss) for t in resumed.trials] == [
        (t.params, t.loss) for t in straight.trials
    ]
    # trial 2 abandoned and drawn again under a new Optuna number: the records keep the
    # numbers of the uninterrupted run
    assert [t.number for t in resumed.trials] == [t.number for t in straight.trials]


def test_trials_past_the_agent_budget_are_pruned(scenario: Path, tmp_path: Path) -> None:
    import optuna

    from corredor.simulation.corridor import AgentBudgetError, run_corridor

    with pytest.raises(AgentBudgetError, match="budget 100"):
        run_corridor(scenario, max_agents=100)
    # a budget of 1.2 x the agents of the first trial: larger departures are stopped early
    out = tmp_path / "budget"
    result = calibrate(
        scenario, out=out, trials=6, parameters=PARAMETERS, workers=1, agent_budget=1.2
    )
    assert len(result.trials) == 6
    study = journal_study(out)
    pruned = study.get_trials(states=(optuna.trial.TrialState.PRUNED,))
    first = min(result.trials, key=lambda t: t.number)
    assert pruned and result.calibrated.study["pruned_trials"] == len(pruned)
    for t in pruned:  # only trials with more departures than the first were stopped
        assert t.params["base_departures"] > first.params["base_departures"]
        assert "over the budget" in t.user_attrs["pruned"]


def test_runs_keeping_people_active_past_the_agent_days_budget_stop(scenario: Path) -> None:
    import pickle

    from corredor.simulation.corridor import AgentBudgetError, run_corridor

    full = run_corridor(scenario)
    assert full.agent_days > 0
    assert run_corridor(scenario, max_agent_days=full.agent_days).agent_days == full.agent_days
    with pytest.raises(AgentBudgetError, match="agent-days, over the budget") as err:
        run_corridor(scenario, max_agent_days=full.agent_days - 1)
    assert err.value.what == "agent-days" and err.value.agents > err.value.budget
    again = pickle.loads(pickle.dumps(err.value))  # crosses process boundaries intact
    assert (again.day, again.agents, again.budget, again.what) == (
        err.value.day,
        err.value.agents,
        err.value.budget,
        "agent-days",
    )


def test_the_budget_of_later_trials_is_read_from_the_first(
    scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    from corredor.calibration import evaluate

    seen: list[evaluate.Budget | None] = []
    simulate = evaluate.simulate

    def spy(sc: Any, cal: Any, seed: int, days: int, budget: evaluate.Budget | None = None) -> Any:
        seen.append(budget)
        return simulate(sc, cal, seed, days, budget)

    monkeypatch.setattr(evaluate, "simulate", spy)
    out = tmp_path / "days"
    calibrate(scenario, out=out, trials=3, parameters=PARAMETERS, workers=1, agent_budget=1.5)
    first = journal_study(out).trials[0]
    agents, agent_days = first.user_attrs["agents"], first.user_attrs["agent_days"]
    assert agent_days > agents > 0
    assert seen[0] is None  # trial 0 runs alone, without a budget
    assert seen[1:] and all(
        b == evaluate.Budget(int(1.5 * agents), int(1.5 * agent_days)) for b in seen[1:]
    )
