"""The June 2019 threat game coupled to the mexico-us simulation with the installed calibration
(docs/bargaining.md §10.2): the per-review table of the simulation and the chosen policies.

    PYTHONPATH=src python scripts/bargaining_on_calibration.py data   # export share 0.815
    PYTHONPATH=src python scripts/bargaining_on_calibration.py half   # half of it

Endogenous mode, seed 1, runs stopped on 2019-12-31, as tests/scientific/
test_bargaining_coupled_2019.py (which runs the scenario defaults instead).
"""

from __future__ import annotations

import argparse
import datetime as dt

import pandas as pd

from corredor.bargaining import CALIBRATION, run_coupled

DAYS = (dt.date(2019, 12, 31) - dt.date(2013, 1, 1)).days + 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("exposure", choices=("data", "half"))
    args = ap.parse_args()
    share = CALIBRATION["export_share"].default
    r = run_coupled(
        "mexico-us", seed=1, days=DAYS, export_share=share if args.exposure == "data" else share / 2
    )
    df = r.to_frame()
    cols = [
        c
        for c in df.columns
        if c.startswith("sim_")
        or c in ("start", "tariff_mean", "before_arrivals", "arrivals_per_day")
    ]
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 60)
    print(args.exposure)
    print(df[cols].to_string())
    for i in range(2):
        print(
            i,
            "policy",
            r[i].policy,
            "feasible",
            r[i].feasible.share,
            "dist",
            r[i].distance_from_preferred,
        )


if __name__ == "__main__":
    main()
