"""The June 2019 threat game coupled to the mexico-us simulation with the installed calibration
(docs/bargaining.md §10.2): the table of the review before the threat and the first one under
it, at the data's export share and at half of it, and the contrasts the doc quotes (Markdown).

    PYTHONPATH=src python scripts/bargaining_on_calibration.py [--seed 1]

Endogenous mode, runs stopped on 2019-12-31, as tests/scientific/
test_bargaining_coupled_2019.py, which checks the same episode (two runs, about 90 CPU seconds
each).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable

import pandas as pd

from corredor.bargaining import CALIBRATION, CoupledResult, run_coupled
from corredor.scenario.corridor import load_corridor_scenario
from corredor.scenario.corridor.calibrated import resolve_calibration

DAYS = (dt.date(2019, 12, 31) - dt.date(2013, 1, 1)).days + 1
#: A cell of the table: (run, its review table, review number) -> text.
Cell = Callable[[CoupledResult, pd.DataFrame, int], str]


def _g(x: float, digits: int = 2) -> str:
    """A number with at most ``digits`` decimals, trailing zeros dropped."""
    text = f"{x:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pct(x: float) -> str:
    return f"{_g(100 * x, 1)} %"


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _change(ratio: float) -> str:
    """A ratio as a signed percent change (Unicode minus)."""
    return f"{100 * (ratio - 1):+.0f} %".replace("-", "−")


def episode_markdown(data: CoupledResult, half: CoupledResult) -> list[str]:
    """The table of docs/bargaining.md §10.2 and the contrasts under it: the review before the
    threat (identical at both exposures) and the first one under it, at each exposure."""
    a, b = data.to_frame(), half.to_frame()
    cols = [(data, a, 0), (data, a, 1), (half, b, 1)]

    def row(label: str, cell: Cell) -> str:
        return f"| {label} | " + " | ".join(cell(r, f, i) for r, f, i in cols) + " |"

    share = _g(float(b["export_share"].iloc[1]), 4)
    lines = [
        "| | before (12 Mar – 9 Jun) | under the threat (10 Jun – 7 Sep), export share "
        f"{_g(float(a['export_share'].iloc[1]), 4)} | same, half ({share}) |",
        "|---|---|---|---|",
        row(
            "enforcement S / T / N",
            lambda r, f, i: " / ".join(
                _g(x)
                for x in (
                    r[i].policy.enforcement_south,
                    r[i].policy.enforcement_transit,
                    r[i].policy.enforcement_north,
                )
            ),
        ),
        row(
            "humanitarian visas; asylum capacity; MPP acceptance",
            lambda r, f, i: "; ".join(
                _g(x)
                for x in (
                    r[i].policy.humanitarian_visas,
                    r[i].policy.asylum_capacity,
                    r[i].policy.mpp_acceptance,
                )
            ),
        ),
        row("feasible space: share of grid", lambda r, f, i: _pct(r[i].feasible.share)),
        row("distance from T's preferred policy", lambda r, f, i: _g(r[i].distance_from_preferred)),
        row(
            "arrivals a day: game's prediction / simulated",
            lambda r, f, i: (
                f"{_n(f['arrivals_per_day'].iloc[i])} / {_n(f['sim_arrivals_per_day'].iloc[i])}"
            ),
        ),
        row(
            "apprehensions in Mexico (simulated, period)",
            lambda r, f, i: _n(f["sim_transit_apprehensions"].iloc[i]),
        ),
        row("humanitarian visas issued (simulated)", lambda r, f, i: _n(f["sim_visas"].iloc[i])),
    ]
    before, under = a["sim_arrivals_per_day"].iloc[0], a["sim_arrivals_per_day"].iloc[1]
    expected = a["arrivals_per_day"].iloc[1] / a["arrivals_per_day"].iloc[0]
    caught = a["sim_transit_apprehensions"]
    visas = a["sim_visas"]
    room = half[1].feasible.share / data[1].feasible.share
    lines += [
        "",
        f"- Under the threat, at the data's exposure: apprehensions in Mexico "
        f"×{_g(caught.iloc[1] / caught.iloc[0], 1)}, visas "
        f"{_change(visas.iloc[1] / visas.iloc[0])}, arrivals at the US border "
        f"{_n(before)} → {_n(under)} a day ({_change(under / before)}; the game "
        f"expected {_change(expected)}).",
        f"- At half the exposure: feasible space ×{_g(room, 1)}, mean enforcement "
        f"{_g(half[1].policy.enforcement)} vs {_g(data[1].policy.enforcement)}, apprehensions "
        f"in Mexico {_n(b['sim_transit_apprehensions'].iloc[1])} vs {_n(caught.iloc[1])}, "
        f"arrivals {_n(b['sim_arrivals_per_day'].iloc[1])} vs {_n(under)} a day, visas "
        f"{_n(b['sim_visas'].iloc[1])} vs {_n(visas.iloc[1])}.",
    ]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    share = CALIBRATION["export_share"].default
    installed = resolve_calibration(load_corridor_scenario("mexico-us"))
    data = run_coupled("mexico-us", seed=args.seed, days=DAYS, export_share=share)
    half = run_coupled("mexico-us", seed=args.seed, days=DAYS, export_share=share / 2)
    print(f"Seed {args.seed}, calibration: {installed.name}.\n")
    print("\n".join(episode_markdown(data, half)))


if __name__ == "__main__":
    main()
