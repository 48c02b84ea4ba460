"""Print the corridor-model tables of docs/validation.md (Markdown).

    PYTHONPATH=src python scripts/make_model_validation_tables.py \
        [--backtest calibrations/stages/mexico-us-backtest-s1] [--members 4] [--replicas 1] \
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

import numpy as np
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


#: The US Border Patrol series of issue 13's targets: the total and every citizenship series.
TARGET_SERIES = (
    "usbp_encounters_total",
    "usbp_encounters_gtm",
    "usbp_encounters_hnd",
    "usbp_encounters_slv",
    "usbp_encounters_mex",
    "usbp_encounters_oth",
    "usbp_encounters_ven",
    "usbp_encounters_cub",
    "usbp_encounters_hti",
    "usbp_encounters_nic",
    "usbp_encounters_ecu",
    "usbp_encounters_oth_rest",
)


def _yes(ok: bool) -> str:
    return "met" if ok else "**missed**"


def targets_markdown(rows: pd.DataFrame) -> str:
    """Issue 13's targets for the full-period fit, per series, from the scored monthly rows of
    a loss report: simulated/observed per US fiscal year within [0.75, 1.33] in at least 8 of
    the 9 years (FY2013: March - September, after the spin-up), monthly correlation >= 0.8 for
    the total and >= 0.6 for each citizenship, the observed peak month of 2019 within +-25 %."""
    lines = [
        "| series | FY ratios 2013–2021 (sim/obs) | years in [0.75, 1.33] (≥ 8) | monthly corr "
        "(≥ 0.8 total, ≥ 0.6 others) | 2019 peak month: sim/obs (±25 %) |",
        "|---|---|---|---|---|",
    ]
    met = 0
    for name in TARGET_SERIES:
        g = rows[(rows["observable"] == name) & rows["scored"]].copy()
        if g.empty:
            continue
        start = pd.to_datetime(g["period_start"])
        g["fy"] = start.dt.year + (start.dt.month >= 10)
        fy = g.groupby("fy")[["simulated", "observed"]].sum()
        ratio = fy["simulated"] / fy["observed"]
        inside = int(((ratio >= 0.75) & (ratio <= 1.33)).sum())
        obs, sim = g["observed"].to_numpy(float), g["simulated"].to_numpy(float)
        corr = float(np.corrcoef(obs, sim)[0, 1]) if obs.std() > 0 and sim.std() > 0 else math.nan
        y19 = g[start.dt.year == 2019]
        peak = y19.loc[y19["observed"].idxmax()]
        peak_ratio = float(peak["simulated"]) / max(float(peak["observed"]), 1.0)
        floor = 0.8 if name == "usbp_encounters_total" else 0.6
        oks = (inside >= 8, corr >= floor, 0.75 <= peak_ratio <= 1.25)
        met += all(oks)
        lines.append(
            f"| {name} | {' / '.join(f'{x:.2f}' for x in ratio)} | {inside} of {len(ratio)}: "
            f"{_yes(oks[0])} | {_f(corr, 2)}: {_yes(oks[1])} | "
            f"{pd.Timestamp(peak['period_start']):%Y-%m} {peak_ratio:.2f}: {_yes(oks[2])} |"
        )
    lines.append(f"\nSeries meeting all three targets: {met} of {len(lines) - 2}.")
    return "\n".join(lines)


#: Fitted series and the level parameter that acts on each directly (docs/calibration.md).
OWN_LEVER = {
    "comar_applications": "apply_comar_propensity",
    "inm_presented_annual": "inm_hazard_per_agent",
    "inm_presented_monthly": "inm_hazard_per_agent",
    "mpp_enrollments": "mpp_enrollment_share",
}
#: The origins whose departures feed those series most (their base departures, summed).
NORTHERN_TRIANGLE = ("base_departures_gtm", "base_departures_hnd", "base_departures_slv")


def overshoot_markdown(
    hand: pd.DataFrame,
    cal: pd.DataFrame,
    defaults: dict[str, float],
    calibrated: dict[str, float],
    above: float = 1.33,
) -> str:
    """The series of :data:`OWN_LEVER` that the calibration puts above ``above`` of the data,
    each with the moves of the level fit behind it: its own lever (calibrated / default) and
    the base departures of Guatemala, Honduras and El Salvador (their sum, calibrated /
    default). "If the moves multiplied" is hand-set sim/obs × both factors; the rest
    (calibrated sim/obs over it) is what the model's interactions add on top."""
    h = hand.set_index("observable")["ratio"]
    c = cal.set_index("observable")["ratio"]
    flows = sum(calibrated[k] for k in NORTHERN_TRIANGLE) / sum(
        defaults[k] for k in NORTHERN_TRIANGLE
    )
    lines = [
        "| series | hand-set sim/obs | calibrated sim/obs | × | its lever | lever × "
        "| departures GTM+HND+SLV × | if the moves multiplied | rest × |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, lever in OWN_LEVER.items():
        if name not in c.index or not float(c[name]) > above:
            continue
        move = calibrated[lever] / defaults[lever]
        product = float(h[name]) * move * flows
        lines.append(
            f"| {name} | {_f(h[name], 2)} | {_f(c[name], 2)} | {_f(c[name] / h[name], 1)} | "
            f"`{lever}` | {_f(move, 2)} | {_f(flows, 2)} | {_f(product, 2)} | "
            f"{_f(c[name] / product, 2)} |"
        )
    if len(lines) == 2:
        return f"No series of {', '.join(OWN_LEVER)} above {above:g} of the data."
    return "\n".join(lines)


def backtest_targets(table: pd.DataFrame) -> list[str]:
    """Issue 13's back-test targets: beat the best baseline on MASE and on log-RMSE for the
    total and for at least 4 of the 6 series; pooled 90 % coverage >= 0.8."""
    both = []
    for series, g in table.groupby("series", sort=False):
        model = g[g["model"] == MODEL_LABEL].iloc[0]
        base = g[g["model"] != MODEL_LABEL]
        if all(float(model[m]) < float(base[m].min()) for m in ("mase", "log_rmse")):
            both.append(str(series))
    single = [s for s in dict.fromkeys(table["series"].astype(str)) if " series)" not in s]
    pooled = table[(table["model"] == MODEL_LABEL) & ~table["series"].isin(single)]
    cover = float(pooled["coverage_90"].iloc[0]) if len(pooled) else math.nan
    total = "usbp_encounters_total" in both or "total" in both
    n = sum(1 for s in both if s in single)
    return [
        f"- Beats the best baseline on both MASE and log-RMSE: {', '.join(both) or 'none'}.",
        f"- Target (the total and at least 4 of the 6 series): {_yes(total and n >= 4)} "
        f"({n} of {len(single)} series, total {'in' if total else 'not in'} them).",
        f"- Pooled 90 % coverage {_f(cover, 2)} (target ≥ 0.8): {_yes(cover >= 0.8)}.",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--backtest", type=Path, default=Path("calibrations/stages/mexico-us-backtest-s1")
    )
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
        print("\n#### Issue 13's targets for the fit (calibrated)\n")
        print(targets_markdown(fits["calibrated"].report.rows))
        print("\n#### The overshoots and the moves of the level fit\n")
        print(
            overshoot_markdown(
                fits["hand-set"].table,
                fits["calibrated"].table,
                uncalibrated(sc),
                {**uncalibrated(sc), **cal.parameters},
            )
        )
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
        print("\n#### Issue 13's back-test targets\n")
        print("\n".join(backtest_targets(table)))
        print(f"\n({time.perf_counter() - t0:.0f} s)\n", file=sys.stderr)


if __name__ == "__main__":
    main()
