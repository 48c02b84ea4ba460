"""A calibration killed at each delicate moment of its study resumes to the numbers of an
uninterrupted one (issue 16 §5). Instead of a random kill time, the child process exits
(``os._exit``, no clean-up) right after its N-th write of one kind to the Optuna journal: a
trial's values half-drawn (the defaults, the warm start, a sampled trial), a trial's results
half-recorded, a trial recorded; and once more while the resumed run abandons a half-drawn
trial. The resumed study's trials table (trial numbers included) and fit equal the straight
run's. With batches of two trials, a few more points inside a half-told batch: the second trial
half-drawn, the first told and the second not (complete, then pruned)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from harness import spawn

from calibration_dirs import write_calibration_dir
from corredor.calibration.fit import CalibrationResult, FitParameter, calibrate

DAYS = 150
TRIALS = 4
#: base_departures scales the US apprehensions: trial 1 is the warm start (enqueued)
PARAMETERS = [
    FitParameter("base_departures", 10.0, 300.0, log=True, scales="dest_apprehensions"),
    FitParameter("mid_hazard", 1e-4, 1e-2, log=True),
]

#: Exits (code 3) right after the N-th call of a method of the study's journal storage.
KILLED = f"""
import os, sys
from optuna.storages import JournalStorage
from corredor.calibration.fit import FitParameter, calibrate
P = [FitParameter("base_departures", 10.0, 300.0, log=True, scales="dest_apprehensions"),
     FitParameter("mid_hazard", 1e-4, 1e-2, log=True)]
scenario, out, method, after = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
resume, batch = sys.argv[5] == "resume", int(sys.argv[6])
original, calls = getattr(JournalStorage, method), [0]

def killed(self, *args, **kwargs):
    result = original(self, *args, **kwargs)
    calls[0] += 1
    if calls[0] == after:
        os._exit(3)
    return result

setattr(JournalStorage, method, killed)
calibrate(scenario, out=out, trials={TRIALS}, parameters={PARAMETERS!r}, workers=1, batch=batch,
          resume=resume)
"""


def _run(scenario: Path, out: Path, *, resume: bool, batch: int = 1) -> CalibrationResult:
    return calibrate(
        scenario,
        out=out,
        trials=TRIALS,
        parameters=PARAMETERS,
        workers=1,
        batch=batch,
        resume=resume,
    )


def _killed(
    scenario: Path, out: Path, method: str, after: int, *, resume: bool, batch: int = 1
) -> None:
    flag = "resume" if resume else ""
    proc = spawn(KILLED, str(scenario), str(out), method, str(after), flag, str(batch))
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 3, err  # killed there, not ended by itself


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_calibration_dir(tmp_path_factory.mktemp("kill-points") / "scenario", days=DAYS)


@pytest.fixture(scope="module")
def straight(scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> CalibrationResult:
    return _run(scenario, tmp_path_factory.mktemp("straight") / "study", resume=False)


def _same(resumed: CalibrationResult, straight: CalibrationResult) -> None:
    pd.testing.assert_frame_equal(
        resumed.trials_frame().drop(columns="seconds"),
        straight.trials_frame().drop(columns="seconds"),
    )
    assert resumed.calibrated.parameters == straight.calibrated.parameters
    assert resumed.best.number == straight.best.number


# (journal write, after how many): parameter values 1/3/5 = trial 0 (defaults), trial 1 (warm
# start), trial 2 (sampled) half-drawn; trial 2 created without values; the warm start taken
# from the queue; trial 2 told pruned (past the agent budget); a trial's results half-recorded
POINTS = [
    ("set_trial_param", 1),
    ("set_trial_param", 3),
    ("set_trial_param", 5),
    ("set_trial_param", 6),
    ("create_new_trial", 3),
    ("set_trial_user_attr", 3),
    ("set_trial_state_values", 3),
    ("set_trial_state_values", 5),
    ("set_study_user_attr", 1),
    ("create_new_trial", 2),
]


@pytest.mark.parametrize(("method", "after"), POINTS)
def test_killed_at_a_point_resumes_to_the_same_numbers(
    scenario: Path, straight: CalibrationResult, tmp_path: Path, method: str, after: int
) -> None:
    out = tmp_path / "study"
    _killed(scenario, out, method, after, resume=False)
    _same(_run(scenario, out, resume=True), straight)


# the resume of a run killed with the warm start half-drawn abandons it (told failed) and
# enqueues it again (a new trial): killed after the first of these two writes
@pytest.mark.parametrize(
    ("method", "after"), [("create_new_trial", 1), ("set_trial_state_values", 1)]
)
def test_killed_again_while_abandoning_a_half_drawn_trial(
    scenario: Path, straight: CalibrationResult, tmp_path: Path, method: str, after: int
) -> None:
    out = tmp_path / "study"
    _killed(scenario, out, "set_trial_param", 3, resume=False)  # the warm start half-drawn
    _killed(scenario, out, method, after, resume=True)
    _same(_run(scenario, out, resume=True), straight)


@pytest.fixture(scope="module")
def straight_batch2(scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> CalibrationResult:
    return _run(scenario, tmp_path_factory.mktemp("straight2") / "study", resume=False, batch=2)


# batch 2 (trials 1–2, 3–4, then 5): trial 4 half-drawn while trial 3 is drawn whole; trial 1
# told complete, trial 2 (pruned) not yet told; trial 3 told pruned, trial 4 not yet told
POINTS_BATCH2 = [
    ("set_trial_param", 9),
    ("set_trial_state_values", 4),
    ("set_trial_state_values", 6),
]


@pytest.mark.parametrize(("method", "after"), POINTS_BATCH2)
def test_killed_inside_a_half_told_batch_resumes_to_the_same_numbers(
    scenario: Path, straight_batch2: CalibrationResult, tmp_path: Path, method: str, after: int
) -> None:
    out = tmp_path / "study"
    _killed(scenario, out, method, after, resume=False, batch=2)
    _same(_run(scenario, out, resume=True, batch=2), straight_batch2)
