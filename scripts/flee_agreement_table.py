"""Print the Corredor-vs-Flee 3.1 agreement table (Markdown) for docs/flee-compatibility.md.

    python scripts/flee_agreement_table.py [--seeds 10] [--first-seed 100]

Uses the Flee reference fixtures in tests/fixtures/flee31/ and the same comparison as
tests/scientific/test_flee_agreement.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import corredor
from corredor.validation.agreement import compare_with_flee

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "flee31"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=100)
    args = ap.parse_args()
    print(
        "| scenario | quantity | Flee 3.1 (mean ± sd) | Corredor (mean ± sd) | p (Welch) | agrees |"
    )
    print("|---|---|---|---|---|---|")
    for fixture in sorted(FIXTURES.glob("*_h*")):
        scenario, _, h = fixture.name.rpartition("_h")
        result = corredor.run(
            scenario, seed=args.first_seed, replicas=args.seeds, hasten=int(h), flee31_quirks=True
        )
        agreement = compare_with_flee(result, fixture)
        for row in agreement.markdown_rows():
            print(row)


if __name__ == "__main__":
    main()
