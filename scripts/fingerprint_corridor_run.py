"""Fingerprint a corridor run: a short SHA-256 of every result array and of the monthly, ledger
and fit tables, as JSON. Two fingerprints are equal iff the runs agree bit for bit, so a
refactoring that must not change results is checked with

    python scripts/fingerprint_corridor_run.py > before.json     # on the old code
    python scripts/fingerprint_corridor_run.py > after.json      # on the new code
    cmp before.json after.json

Options: ``--scenario`` (default ``mexico-us``), ``--days`` (default: the scenario's), ``--seed``,
``--people-per-agent`` (default: the scenario's; e.g. 50 for the web's reduced-scale preview).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from typing import Any

import numpy as np

ARRAYS = (
    "obs_daily",
    "events",
    "dest_first",
    "dest_repeat",
    "dest_people_fy",
    "unscreened_year",
    "wait_sum",
    "wait_n",
    "stranded",
    "hearing_waiting",
    "phase_stock",
    "svc_stock",
    "final_phase",
)


#: keys of the first fingerprints for arrays renamed since (so old fingerprints still compare)
KEYS = {"hearing_waiting": "mpp_waiting"}


def digest(values: Any) -> str:
    a = np.ascontiguousarray(np.asarray(values))
    data = a.tobytes() + str(a.dtype).encode() + str(a.shape).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="mexico-us")
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--people-per-agent", type=int, default=None)
    args = parser.parse_args()

    import corredor

    scenario: Any = args.scenario
    if args.people_per_agent is not None:
        from corredor.scenario.corridor import load_corridor_scenario

        scenario = load_corridor_scenario(args.scenario).model_copy(
            update={"people_per_agent": args.people_per_agent}
        )
    r = corredor.run_corridor(scenario, seed=args.seed, days=args.days)
    out: dict[str, Any] = {"agents": int(r.agents), "agent_days": int(r.agent_days)}
    for name in ARRAYS:
        out[KEYS.get(name, name)] = digest(getattr(r, name))
    monthly, ledger = r.monthly(), r.ledger()
    out["monthly"] = digest(monthly.to_numpy(dtype=float))
    out["monthly_cols"] = [str(c) for c in monthly.columns]
    out["ledger"] = digest(ledger.to_numpy(dtype=float))
    out["ledger_cols"] = [str(c) for c in ledger.columns]
    out["fit"] = digest(r.fit_table()[["observed", "simulated"]].to_numpy(dtype=float))
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
