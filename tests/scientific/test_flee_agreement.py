"""Agreement with Flee 3.1 on Flee's own scenarios (both vintages of mali2012 and burundi2015).

Flee's reference runs (10 seeds each, hasten 10) are fixtures made by
``scripts/flee31_reference.py`` with PyPI ``flee==3.1``; see corredor.validation.agreement for
the test: Welch's t-test per quantity (ARD, rescaled ARD, each camp's mean population), α = 0.01
Bonferroni-corrected within each scenario, plus equivalence margins (ARD ± 0.02, camps ± 10 %).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import corredor
from corredor.validation.agreement import compare_with_flee, read_flee_reference

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "flee31"
# every reference set in tests/fixtures/flee31/<scenario>_h<hasten>/ is checked
REFERENCES = sorted(p.name for p in FIXTURES.glob("*_h*") if (p / "summary.json").is_file())
SEEDS = 10
FIRST_SEED = 100  # Corredor's seeds 100..109 (Flee's are 0..9: the streams differ anyway)


def test_reference_sets_cover_both_vintages() -> None:
    names = {r.rpartition("_h")[0] for r in REFERENCES}
    assert {"mali2012", "burundi2015", "mali2012_flee31era", "burundi_flee31era"} <= names


@pytest.mark.parametrize("reference", REFERENCES)
def test_statistically_indistinguishable_from_flee31(reference: str) -> None:
    fixture = FIXTURES / reference
    scenario, _, hasten = reference.rpartition("_h")
    _summary, runs = read_flee_reference(fixture)
    assert len(runs) >= SEEDS
    result = corredor.run(
        scenario, seed=FIRST_SEED, replicas=SEEDS, hasten=int(hasten), flee31_quirks=True
    )
    # same inputs: observed series and agent totals (spawning is deterministic) are identical
    camps = result.camp_names
    np.testing.assert_array_equal(
        runs[0][[f"{c} data" for c in camps]].to_numpy(dtype=float), result.observed
    )
    np.testing.assert_array_equal(
        runs[0]["total refugees (simulation)"].to_numpy(), result.agents_total[0]
    )
    agreement = compare_with_flee(result, fixture)
    assert agreement.passed, "\n".join(agreement.failures())


def test_agreement_test_detects_a_real_difference() -> None:
    """Power check, so the test above cannot pass vacuously: the same comparison rejects a
    result whose largest camp is 30 % too full, and accepts the untouched result."""
    fixture = FIXTURES / "mali2012_h10"
    result = corredor.run(
        "mali2012", seed=FIRST_SEED, replicas=SEEDS, hasten=10, flee31_quirks=True
    )
    assert compare_with_flee(result, fixture).passed
    j = int(result.camp_index[0])
    result.counts[:, :, j] = (result.counts[:, :, j] * 1.3).astype(result.counts.dtype)
    failures = compare_with_flee(result, fixture).failures()
    assert any(result.camp_names[0] in f for f in failures)
