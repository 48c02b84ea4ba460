"""Print the corridor-model tables of docs/validation.md (Markdown).

    PYTHONPATH=src python scripts/make_model_validation_tables.py \
        [--backtest calibrations/mexico-us-backtest] [--members 4] [--replicas 1] \
        [--no-discrepancy] [--seed 0] [--workers 2]

1. Fit of ``mexico-us`` over the whole period (2013-01 – 2021-09, after the 60-day spin-up):
   each observable with the hand-set defaults and with the calibrated point fit
   (``calibrated.yaml`` next to the scenario), scored with the calibration loss's rules
   (``corredor.calibration.modelcheck.compare_fits``).
2. The back-test: the model fitted only to data up to 2018-12-31 (the ``calibrated.yaml`` of
   ``corredor calibrate mexico-us --until 2018-12-31 --folder DIR``), run over 2013-01 – 2021-09
   with the known policy timeline, against the naive baselines on the US Border Patrol
   encounter series (``corredor.calibration.modelcheck.backtest_model``).

Takes two full runs for (1) and (1 + members) × replicas for (2), plus the baselines (a few
minutes).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corredor.calibration import load_calibrated, uncalibrated
from corredor.calibration.modelcheck import MODEL_LABEL, backtest_model, compare_fits
from corredor.scenario.corridor import load_corridor_scenario
from make_validation_tables import LABELS, backtest_markdown


def _f(x: object, digits: int = 3) -> str:
    v = float(str(x))
    return "–" if math.isnan(v) else f"{v:.{digits}f}"


def fit_markdown(hand: pd.DataFrame, cal: pd.DataFrame) -> str:
    lines = [
        "| observable | weight | rows | hand-set sim/obs | hand-set log-RMSE "
        "| calibrated sim/obs | calibrated log-RMSE | calibrated ARD | calibrated corr |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    h = hand.set_index("observable")
    for r in cal.to_dict("records"):
        name = str(r["observable"])
        lines.append(
            f"| {name} | {r['weight']:g} | {r['rows']} | {_f(h.loc[name, 'ratio'], 2)} | "
            f"{_f(h.loc[name, 'log_rmse'])} | {_f(r['ratio'], 2)} | {_f(r['log_rmse'])} | "
            f"{_f(r['ard'])} | {_f(r['correlation'], 2)} |"
        )
    return "\n".join(lines)


def verdict(table: pd.DataFrame) -> list[str]:
    """Per series: does the model beat every baseline on MASE, ARD and log-RMSE?"""
    out = []
    for series, g in table.groupby("series", sort=False):
        model = g[g["model"] == MODEL_LABEL].iloc[0]
        base = g[g["model"] != MODEL_LABEL]
        wins = [
            m
            for m, label in (("mase", "MASE"), ("ard", "ARD"), ("log_rmse", "log-RMSE"))
            if float(model[m]) < float(base[m].min())
        ]
        name = LABELS.get(str(series), str(series))
        text = ", ".join({"mase": "MASE", "ard": "ARD", "log_rmse": "log-RMSE"}[w] for w in wins)
        out.append(f"- {name}: beats every baseline on {text or 'no metric'}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backtest", type=Path, default=Path("calibrations/mexico-us-backtest"))
    ap.add_argument("--members", type=int, default=4)
    ap.add_argument("--replicas", type=int, default=1, help="back-test seeds per set (band)")
    ap.add_argument(
        "--no-discrepancy", action="store_true", help="back-test band from the runs only"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", choices=("fit", "backtest"))
    args = ap.parse_args()
    sc = load_corridor_scenario("mexico-us")
    if args.only in (None, "fit"):
        cal = load_calibrated(sc)
        if cal is None:
            raise SystemExit("mexico-us has no calibrated.yaml: run `corredor calibrate` first")
        t0 = time.perf_counter()
        fits = compare_fits(
            sc,
            {"hand-set": uncalibrated(sc), "calibrated": cal.parameters},
            seed=args.seed,
            workers=args.workers,
        )
        print(
            f"### Fit over the whole period (seed {args.seed}; calibration v{cal.version}, "
            f"data up to {cal.data_until})\n"
        )
        print(
            f"Loss: hand-set {fits['hand-set'].loss:.4f}, calibrated "
            f"{fits['calibrated'].loss:.4f}.\n"
        )
        print(fit_markdown(fits["hand-set"].table, fits["calibrated"].table))
        print(f"\n({time.perf_counter() - t0:.0f} s)\n", file=sys.stderr)
    if args.only in (None, "backtest"):
        t0 = time.perf_counter()
        table = backtest_model(
            sc,
            args.backtest,
            seed=args.seed,
            members=args.members,
            replicas=args.replicas,
            discrepancy=not args.no_discrepancy,
            workers=args.workers,
        )
        print("### Back-test: the model and the baselines\n")
        print(backtest_markdown(table))
        print()
        print("\n".join(verdict(table)))
        print(f"\n({time.perf_counter() - t0:.0f} s)\n", file=sys.stderr)


if __name__ == "__main__":
    main()
