"""A killed ensemble resumes (issue 16 §5): a corridor ensemble run through
:func:`corredor.app.ensemble` in a child process stores each member (parameter set × seed) as it
finishes; the child is killed with SIGKILL (by its pid) after K members, and the same request
run again reuses those K and runs the rest — the stored ensemble equals the uninterrupted one,
bit for bit. With a counterfactual the pair is never half-stored: the killed ensemble and its
counterfactual are catalogued ``failed``, and the resumed pair is stored whole.
``docs/reliability.md`` lists these tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import yaml
from harness import check_store, kill_when

from corredor import app
from corredor.app import EnsembleRequest
from corredor.store import ResultsStore
from corridor_dirs import policy_event, write_corridor_dir

DAYS = 40
REPLICAS = 3

ENSEMBLE = """
import json, sys
from pathlib import Path
from harness import wait_to_be_killed
from corredor.app import EnsembleRequest, ensemble
from corredor.store import ResultsStore
root, marker, request, after = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])

def members() -> int:
    return sum('"ensemble-member"' in p.read_text() for p in root.glob("*/summary.json"))

def progress(done, total, what):
    if members() >= after:  # K members stored: wait here to be killed
        wait_to_be_killed(marker, str(members()))

ensemble(EnsembleRequest.model_validate(json.loads(request)), ResultsStore(root), progress)
"""


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = write_corridor_dir(tmp_path_factory.mktemp("resume") / "c")
    cf = policy_event(
        [{"parameter": "services.processing.outcomes.default.expel.p", "op": "set", "value": 1}],
        start=dt.date(2020, 1, 5),
        event_id="cf-expel-all",
    )
    (path.parent / "cf.yaml").write_text(yaml.safe_dump([cf]), encoding="utf-8")
    return path


def _same(a: object, b: object) -> None:
    for name in ("monthly", "ledger", "agents"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.seeds == b.seeds and a.months == b.months  # type: ignore[attr-defined]


@pytest.mark.parametrize(("counterfactual", "after"), [(False, 2), (True, REPLICAS + 1)])
def test_killed_ensemble_resumes_bit_for_bit(
    scenario: Path, tmp_path: Path, counterfactual: bool, after: int
) -> None:
    request = EnsembleRequest(
        scenario=str(scenario),
        days=DAYS,
        replicas=REPLICAS,
        seed=7,
        sets="uncalibrated",
        counterfactual=[str(scenario.parent / "cf.yaml")] if counterfactual else [],
    )
    whole = app.ensemble(request, ResultsStore(tmp_path / "whole"))

    root = tmp_path / "runs"
    marker = tmp_path / "reached"
    kill_when(marker, ENSEMBLE, str(root), str(marker), request.model_dump_json(), str(after))
    finished = check_store(root)  # whole: only finished members, no ensemble
    assert sorted(finished["kind"]) == ["ensemble-member"] * after
    store = ResultsStore(root)
    killed = store.list(kind="corridor-ensemble")
    assert set(killed["status"]) == {"failed"}  # the ensemble (and its counterfactual): marked
    assert len(killed) == (2 if counterfactual else 1)

    resumed = app.ensemble(request, store)
    total = REPLICAS * (2 if counterfactual else 1)
    assert f"resumed: {after} of {total} member run(s) were in the store" in resumed.notes
    _same(resumed.result, whole.result)
    _same(app.load(store, resumed.run_id), whole.result)
    if counterfactual:
        cf = resumed.children["counterfactual"]
        _same(app.load(store, cf), whole.extra["counterfactual"])
        assert store.children(resumed.run_id) == [cf]
    # the members were checkpoints: removed once the ensemble is stored
    assert store.list(kind="ensemble-member").empty
    check_store(root)
