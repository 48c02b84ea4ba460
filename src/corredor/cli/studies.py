"""``corredor forecast``, ``sensitivity``, ``calibrate``, ``validate-model``, ``bargain`` and
``study``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import click

from corredor.app.requests import (
    BacktestRequest,
    BargainRequest,
    CalibrateRequest,
    ForecastRequest,
    Request,
    SensitivityRequest,
    StudyRequest,
)
from corredor.cli.output import (
    NO_PROGRESS_OPTION,
    PNG_OPTION,
    STORE_OPTION,
    cell,
    console,
    execute,
    note,
    print_frame,
    request_command,
)

if TYPE_CHECKING:
    import pandas as pd

    from corredor.app.common import Stored


def _saved(stored: Stored) -> None:
    print(f"saved run {stored.run_id} in {stored.path}")


# ---------------------------------------------------------------------------------- forecast
def _forecast(request: Request, cli: dict[str, Any]) -> None:
    from rich.table import Table

    from corredor.app import forecast

    assert isinstance(request, ForecastRequest)
    stored = execute(forecast, request, cli, "forecast")
    fc = stored.result
    for text in fc.notes:
        note(text)
    fy = fc.fiscal_years()
    t = Table(
        title=f"{fc.ensemble.scenario}: forecast border encounters per US fiscal year, "
        f"median [5 %, 95 %] ({fc.kind})",
        title_justify="left",
    )
    t.add_column("component / citizenship / demographic")
    years = sorted(set(fy["fiscal_year"]))
    for y in years:
        months = int(fy[fy["fiscal_year"] == y]["months"].iloc[0])
        t.add_column(f"FY{y}" + ("" if months == 12 else f" ({months} mo)"), justify="right")
    for key, g in fy.groupby(["component", "citizenship", "demographic"], sort=False):
        cells = [
            f"{cell(r.p50)} [{cell(r.p05)}, {cell(r.p95)}]"
            for r in g.sort_values("fiscal_year").itertuples()
        ]
        t.add_row(" / ".join(map(str, key)), *cells)
    con = console(width=150)
    con.print(t)
    for k, v in fc.summary_rows():
        con.print(f"{k}: {v}", highlight=False)
    _saved(stored)
    print(f"(its tables as CSV: corredor export {stored.run_id} DIR)")


FORECAST = request_command(
    "forecast",
    ForecastRequest,
    _forecast,
    extra=[STORE_OPTION, NO_PROGRESS_OPTION],
    help="Forecast past the calibration horizon: monthly border encounters by component, "
    "citizenship and demographic with 90 % bands, and the ledger (docs/forecast.md); stored.",
)


# ------------------------------------------------------------------------------- sensitivity
def _sensitivity(request: Request, cli: dict[str, Any]) -> None:
    from corredor.app import sensitivity

    assert isinstance(request, SensitivityRequest)
    stored = execute(sensitivity, request, cli, "sensitivity")
    res = stored.result
    cols = (
        ("mu_star", "mu_star_conf", "sigma", "mu")
        if res.method == "morris"
        else ("ST", "ST_conf", "S1", "S1_conf")
    )
    for out_name in res.outputs:
        frame = res.top(out_name, cli["top"])
        print_frame(
            frame,
            f"{out_name}: {res.method} indices (top {cli['top']})",
            columns=[("rank", "rank", "{}"), ("parameter", "parameter", "{}")]
            + [(c, c, "") for c in cols],
        )
    _saved(stored)
    if cli["png"] is not None:
        from corredor.sensitivity.plot import plot_indices

        print(f"picture: {plot_indices(res, cli['png'], top=cli['top'])}")


SENSITIVITY = request_command(
    "sensitivity",
    SensitivityRequest,
    _sensitivity,
    extra=[
        STORE_OPTION,
        click.Option(
            ["--top", "top"],
            type=click.IntRange(min=1),
            default=10,
            show_default=True,
            help="Parameters shown per output.",
        ),
        PNG_OPTION,
        NO_PROGRESS_OPTION,
    ],
    help="Global sensitivity (SALib Morris or Sobol) of observables and ledger entries to the "
    "calibration parameters and policy levers (docs/sensitivity.md); stored.",
)


# --------------------------------------------------------------------------------- calibrate
def _num(x: float, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _calibrate(request: Request, cli: dict[str, Any]) -> None:
    from rich.table import Table

    from corredor.app import calibrate

    assert isinstance(request, CalibrateRequest)
    stored = execute(calibrate, request, cli, "calibrate", "trials")
    result = stored.result
    table = Table(title=f"{result.scenario}: calibrated parameters", title_justify="left")
    for col in ("parameter", "fitted", "search range"):
        table.add_column(col, justify="left" if col == "parameter" else "right")
    for p in result.parameters:
        table.add_row(
            p.name,
            f"{result.best.params[p.name]:.4g}",
            f"{p.low:g} – {p.high:g}" + (" (log)" if p.log else ""),
        )
    con = console(width=120)
    con.print(table)
    con.print(
        f"loss: {_num(result.default_loss, 4)} (start) → {_num(result.best.loss, 4)} "
        f"(trial {result.best.number} of {len(result.trials)}); "
        f"{len(result.members)} plausible parameter sets"
        + (" (implausibility cut relaxed)" if result.cut_relaxed else ""),
        highlight=False,
    )
    if result.resumed_trials:
        con.print(f"resumed a study with {result.resumed_trials} complete trials")
    con.print(f"study folder: {stored.extra['folder']} (--resume continues it)", highlight=False)
    _saved(stored)
    print(f"run with it: corredor run {request.scenario} --calibration {stored.run_id}")


CALIBRATE = request_command(
    "calibrate",
    CalibrateRequest,
    _calibrate,
    extra=[STORE_OPTION, NO_PROGRESS_OPTION],
    help="Fit a corridor scenario to its data (Optuna TPE; docs/calibration.md). The study "
    "folder is resumable; the result is stored, never written into the installed package.",
)


# ---------------------------------------------------------------------------- validate-model
def _rich_text_table(title: str, text: pd.DataFrame, left: tuple[str, ...]) -> None:
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for col in text.columns:
        t.add_column(str(col), justify="left" if col in left else "right")
    for row in text.itertuples(index=False):
        t.add_row(*(str(v) for v in row))
    console(width=140).print(t)


def _validate_model(request: Request, cli: dict[str, Any]) -> None:
    from corredor.app import backtest
    from corredor.calibration.modelcheck import display_fit_table
    from corredor.validation.backtest import display_table

    assert isinstance(request, BacktestRequest)
    stored = execute(backtest, request, cli, "validate-model")
    stats = stored.extra["stats"]
    _rich_text_table(
        f"{request.scenario}: fit over the whole period (calibration {request.calibration})",
        display_fit_table(stats.table),
        ("observable",),
    )
    print(f"loss {stats.loss:.4f} (data up to {stats.until})")
    record = stored.result
    if "backtest" in record.tables:
        _rich_text_table(
            "back-test: fit to 2018-12, forecast 2019-01 – 2021-09",
            display_table(record.table("backtest")),
            ("series", "model"),
        )
    else:
        print(
            "no back-test: give --backtest STUDY, a calibration fitted to data up to 2018-12-31 "
            "(`corredor calibrate SCENARIO --until 2018-12 --folder DIR`)"
        )
    _saved(stored)
    if "backtest" in record.tables:
        print(
            f"for a run's report: corredor export {stored.run_id} DIR, then "
            "`corredor run … --report FILE --validation DIR/backtest.csv`"
        )


VALIDATE_MODEL = request_command(
    "validate-model",
    BacktestRequest,
    _validate_model,
    extra=[STORE_OPTION, NO_PROGRESS_OPTION],
    help="Fit statistics of a corridor scenario over the whole period and, with --backtest, "
    "its back-test against naive baselines (docs/validation.md); stored.",
)


# ----------------------------------------------------------------------------------- bargain
#: (column, heading, format) of the game's tables: the period and T's policy vector …
_POLICY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("label", "export share", "{}"),
    ("start", "period from", "{}"),
    ("tariff_mean", "tariff", "{:.1%}"),
    ("stc_demanded", "STC asked", "{}"),
    ("enforcement_south", "enf. S", "{:.2f}"),
    ("enforcement_transit", "enf. T", "{:.2f}"),
    ("enforcement_north", "enf. N", "{:.2f}"),
    ("humanitarian_visas", "visas", "{:.2f}"),
    ("asylum_capacity", "asylum", "{:.2f}"),
    ("mpp_acceptance", "MPP", "{:.2f}"),
    ("safe_third_country", "STC", "{:.0f}"),
)
#: … and the game's standing: sanction, feasible space, distance from T's own preference
_GAME_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("sanction_probability", "P(sanction)", "{:.2f}"),
    ("feasible_share", "feasible space", "{:.1%}"),
    ("distance_from_preferred", "dist. from own", "{:.2f}"),
)
_EPISODE_COLUMNS = (
    *_POLICY_COLUMNS,
    ("arrivals_per_day", "arrivals/day", "{:,.0f}"),
    ("stranded", "stranded", "{:,.0f}"),
    ("deportations_unscreened", "deported unscreened", "{:,.0f}"),
    *_GAME_COLUMNS,
)
_COUPLED_COLUMNS = (
    *_POLICY_COLUMNS,
    ("arrivals_per_day", "arrivals/day (game)", "{:,.0f}"),
    ("sim_arrivals_per_day", "arrivals/day (sim)", "{:,.0f}"),
    ("sim_transit_apprehensions", "apprehended in T (sim)", "{:,.0f}"),
    ("sim_stranded", "stranded (sim)", "{:,.0f}"),
    ("sim_deportations_unscreened", "deported unscreened (sim)", "{:,.0f}"),
    *_GAME_COLUMNS,
)
_SWEEP_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("exposure", "export share", "{:.2f}"),
    ("feasible_share", "feasible space", "{:.1%}"),
    ("enforcement_mean", "enforcement", "{:.2f}"),
    ("humanitarian_visas", "visas", "{:.2f}"),
    ("arrivals_per_day", "arrivals/day", "{:,.0f}"),
    ("stranded", "stranded", "{:,.0f}"),
    ("deportations_unscreened", "deported unscreened", "{:,.0f}"),
    ("sanction_probability", "P(sanction)", "{:.2f}"),
)


def _bargain(request: Request, cli: dict[str, Any]) -> None:
    from corredor.app import bargain

    assert isinstance(request, BargainRequest)
    coupled = request.mode in ("endogenous", "exogenous")
    stored = execute(bargain, request, cli, "bargain", show=coupled)
    frame = stored.result.table("game")
    data_share = stored.result.meta["data_share"]
    if request.mode == "sweep":
        pivot = frame.pivot(index="exposure", columns="credibility", values="feasible_share")
        pivot = pivot.reset_index()
        creds = [c for c in pivot.columns if c != "exposure"]
        cols = [
            ("exposure", "export share", "{:.2f}"),
            *((c, f"cred. {c:g}", "{:.1%}") for c in creds),
        ]
        print_frame(pivot, "Feasible space (share of policy grid)", columns=cols, width=200)
        sel = frame[frame["credibility"] == request.credibility]
        if sel.empty:
            sel = frame[frame["credibility"] == frame["credibility"].max()]
        print_frame(
            sel,
            f"T's policy and outcomes, credibility {float(sel['credibility'].iloc[0]):g} "
            f"(data: export share {data_share:.3f})",
            columns=_SWEEP_COLUMNS,
            width=200,
        )
    elif request.mode == "episode":
        print_frame(
            frame,
            f"June 2019 threat game, {request.review_days or 90}-day review periods, "
            f"credibility {request.credibility:g}",
            columns=_EPISODE_COLUMNS,
            width=200,
        )
    else:
        for col, _, _ in _COUPLED_COLUMNS:
            if col not in frame:
                frame[col] = float("nan")
        print_frame(
            frame,
            f"Threat game on the {request.scenario} simulation ({request.mode}), "
            f"credibility {request.credibility:g}, seed {request.seed}",
            columns=_COUPLED_COLUMNS,
            width=240,
        )
        for label, run_id in stored.children.items():
            print(f"saved the corridor run ({label}) as run {run_id}")
    _saved(stored)
    if cli["png"] is not None:
        from corredor.report.stored import save_stored_png

        print(f"picture: {save_stored_png(stored.result, cli['png'])}")


BARGAIN = request_command(
    "bargain",
    BargainRequest,
    _bargain,
    extra=[STORE_OPTION, PNG_OPTION, NO_PROGRESS_OPTION],
    help="Play the hegemon–transit-state threat game (docs/bargaining.md): the June 2019 "
    "episode, a sweep, or on the corridor simulation; print its table and store it.",
)


# -------------------------------------------------------------------------------------- study
def _list_studies(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from corredor.app.study import list_studies

    print_frame(
        list_studies(),
        "Built-in studies (corredor study NAME; docs/studies.md)",
        columns=[
            ("study", "study", "{}"),
            ("kind", "kind", "{}"),
            ("scenario", "scenario", "{}"),
            ("title", "title", "{}"),
        ],
    )
    ctx.exit()


def _study(request: Request, cli: dict[str, Any]) -> None:
    from corredor.app.study import study

    assert isinstance(request, StudyRequest)
    stored = execute(study, request, cli, "study")
    for text in stored.notes:
        note(text)
    result = stored.result
    if hasattr(result, "differences"):
        d = result.differences()
        heads = list(result.study.headline) or [c.name for c in result.columns[:4]]
        print_frame(
            d[d["output"].isin(heads)],
            f"{result.study.study}: each variant − {result.labels[result.base]}, paired "
            f"({result.runs} runs): median and 90 % band",
            columns=[
                ("variant", "variant", "{}"),
                ("output", "output", "{}"),
                ("baseline_median", "baseline", ""),
                ("median", "difference", ""),
                ("p05", "p05", ""),
                ("p95", "p95", ""),
            ],
            width=160,
        )
    else:
        g = result.game_table()
        k = result.study.bargaining.outcome_credibility
        rows = g[(g["field"] == "feasible_share") & (g["credibility"] == k)]
        print_frame(
            rows,
            f"{result.study.study}: feasible share of the policy grid at credibility {k:g} "
            f"({result.runs} runs)",
            columns=[
                ("exposure", "export share", "{:g}"),
                ("median", "median", "{:.3f}"),
                ("p05", "p05", "{:.3f}"),
                ("p95", "p95", "{:.3f}"),
            ],
        )
    print(f"saved study {stored.run_id} in {stored.path} (report.html, report.md, summaries)")
    if "report" in stored.extra:
        print(f"report: {stored.extra['report']}")


STUDY = request_command(
    "study",
    StudyRequest,
    _study,
    positional=("study",),
    extra=[
        click.Option(
            ["--list", "list_studies"],
            is_flag=True,
            is_eager=True,
            expose_value=False,
            callback=_list_studies,
            help="List the built-in studies and exit.",
        ),
        STORE_OPTION,
        NO_PROGRESS_OPTION,
    ],
    help="Run a study (a study file or a built-in study: docs/studies.md) through the store — "
    "resumable: run it again after an interruption — and write its report (HTML, Markdown, "
    "summaries in English and Spanish).",
)


COMMANDS = [FORECAST, SENSITIVITY, CALIBRATE, VALIDATE_MODEL, BARGAIN, STUDY]
