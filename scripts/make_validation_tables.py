"""Print the tables of docs/validation.md (Markdown).

    PYTHONPATH=src python scripts/make_validation_tables.py [--seeds 10] [--first-seed 0]
        [--only backtest|flee]

1. The back-test of the baselines on the US Border Patrol Southwest border encounters of the
   built-in ``mexico-us`` scenario (fit January 2013 – December 2018, forecast January 2019 –
   September 2021): ``corredor.validation.backtest.backtest_scenario``.
2. ARD and rescaled ARD of Corredor on Flee's scenarios (scenario settings, and flee31_quirks)
   next to Flee 3.1's reference runs in tests/fixtures/flee31/:
   ``corredor.validation.flee_validation.flee_validation``.

Takes about 3 minutes on 2 cores (the ARIMA order search dominates).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

from corredor.scenario.corridor import load_corridor_scenario
from corredor.validation.backtest import backtest_scenario, backtest_settings
from corredor.validation.flee_validation import flee_validation, markdown_table

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "flee31"

LABELS = {
    "usbp_encounters_total": "total",
    "usbp_encounters_gtm": "Guatemala",
    "usbp_encounters_hnd": "Honduras",
    "usbp_encounters_slv": "El Salvador",
    "usbp_encounters_mex": "Mexico",
    "usbp_encounters_oth": "Other",
}


def _num(value: object, digits: int = 3) -> str:
    x = float(str(value))
    return "—" if math.isnan(x) else f"{x:.{digits}f}"


def backtest_markdown(table: pd.DataFrame) -> str:
    """The back-test table; the best (lowest) score of each series in bold."""
    lines = [
        "| series | model | specification chosen | MASE | ARD | log-RMSE "
        "| 90 % coverage | months |",
        "|---|---|---|---|---|---|---|---|",
    ]
    metrics = ("mase", "ard", "log_rmse")
    best = table.groupby("series", sort=False)[list(metrics)].min()
    for row in table.to_dict("records"):
        series = str(row["series"])
        cells = []
        for metric in metrics:
            text = _num(row[metric])
            if float(str(row[metric])) == float(str(best.loc[series, metric])):
                text = f"**{text}**"
            cells.append(text)
        missing = int(str(row["missing"]))
        months = f"{row['n']}" + (f" ({missing} missing)" if missing else "")
        spec = str(row["spec"]) + (f" — {row['notes']}" if row["notes"] else "")
        lines.append(
            f"| {LABELS.get(series, series)} | {row['model']} | {spec} | {' | '.join(cells)} | "
            f"{_num(row['coverage_90'], 2)} | {months} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=10, help="Corredor replicas per scenario")
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--only", choices=("backtest", "flee"))
    args = ap.parse_args()
    if args.only in (None, "backtest"):
        protocol = backtest_settings(load_corridor_scenario("mexico-us"))
        print(f"### Back-test: fit up to {protocol.fit_end}, forecast to {protocol.horizon_end}\n")
        print(backtest_markdown(backtest_scenario("mexico-us")))
        print()
    if args.only in (None, "flee"):
        print(f"### Flee scenarios: {args.seeds} Corredor seeds from {args.first_seed}\n")
        scores = flee_validation(FIXTURES, seeds=args.seeds, first_seed=args.first_seed)
        print(markdown_table(scores))
        print()
        for s in scores:
            if s.runner == "Flee 3.1":
                print(f"- {s.scenario}, hasten {s.hasten}: Flee 3.1 from {s.source}")


if __name__ == "__main__":
    main()
