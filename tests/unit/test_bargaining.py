"""corredor.bargaining: data and calibration, actors, policy grid and levers, the reduced-form
outcome model, tables, the stage game's terms, the dynamics and the ``bargain`` command."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from corredor.bargaining import (
    CALIBRATION,
    LEVERS,
    OUTCOMES,
    Demand,
    Exposure,
    Hegemon,
    Inducement,
    LeverMap,
    PeriodContext,
    PolicyGrid,
    Preferences,
    ReducedFormOutcomes,
    ReducedFormParams,
    StageGame,
    TabulatedOutcomes,
    TariffSchedule,
    Threat,
    TransitPolicy,
    TransitState,
    calibration_rows,
    episode_2019,
    evaluate_period,
    historical_policy_path,
    mexico_2019,
    outcome_table,
    parameter_changes,
    policy_from_parameters,
    policy_path_from_timeline,
    run_game,
    sanction_loss_musd,
    solve_period,
    tariff_schedule_2019,
    united_states_2019,
)
from corredor.bargaining import data as bdata
from corredor.cli import app
from corredor.errors import ScenarioError
from corredor.policy import ParameterChange, PolicyEvent, PolicyTimeline

D = dt.date
JUNE10 = D(2019, 6, 10)
SMALL = PolicyGrid.regular(3)


def ctx(start: D = JUNE10, days: int = 90, **kw: float) -> PeriodContext:
    return PeriodContext(start, days, **kw)  # type: ignore[arg-type]


def game(
    share: float | None = None, credibility: float = 1.0, demand: Demand | None = None
) -> StageGame:
    h = united_states_2019(credibility)
    c = ctx(mpp_return_share=h.mpp_return_share)
    return StageGame(h, mexico_2019(share), c, ReducedFormOutcomes(), demand)


# ------------------------------------------------------------------------ data and numbers
def test_every_data_row_has_a_source() -> None:
    for path in sorted(bdata.data_dir().glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert rows, path
        assert all(r["source"].strip() for r in rows), path


def test_data_figures_match_the_copied_rows() -> None:
    assert bdata.export_share_to_us().value == pytest.approx(0.815)
    assert bdata.us_imports_from_mexico().value == 358126
    assert bdata.remittances_received().value == pytest.approx(37250.5)
    assert bdata.national_guard_south().value == 6000
    assert bdata.national_guard_north().value == 15000
    assert bdata.recognition_rate().value == pytest.approx(0.721)
    assert bdata.comar_capacity_2013_2019().value == pytest.approx(26882 / 2434)
    # USBP non-Mexican encounters Mar-May 2019: (92,830+99,270+132,860-16,750-16,480-17,530)/92
    assert bdata.transit_encounters_per_day().value == pytest.approx(274200 / 92)
    assert "opportimes" in bdata.export_share_to_us().source


def test_calibration_registry_is_complete_and_in_range() -> None:
    for c in CALIBRATION.values():
        assert c.low <= c.default <= c.high, c.name
        assert c.description and c.unit
        if c.status in ("data", "derived"):
            assert c.source, c.name
    for f in dataclasses.fields(ReducedFormParams):
        assert f.name in CALIBRATION
    assert len(calibration_rows()) == len(CALIBRATION)
    doc = (Path(__file__).resolve().parents[2] / "docs" / "bargaining.md").read_text("utf-8")
    for name in CALIBRATION:
        assert f"| `{name}` |" in doc, f"{name} is not in the table of docs/bargaining.md"
    with pytest.raises(ScenarioError, match="outside its range"):
        ReducedFormParams(interception_south=0.95)


# ------------------------------------------------------------------------------- actors
def test_june_2019_tariff_schedule() -> None:
    s = tariff_schedule_2019()
    assert s.rate_on(D(2019, 6, 9)) == 0.0
    assert s.rate_on(JUNE10) == 0.05
    assert s.rate_on(D(2019, 7, 1)) == pytest.approx(0.10)
    assert s.rate_on(D(2019, 9, 30)) == pytest.approx(0.20)
    assert s.rate_on(D(2020, 3, 1)) == pytest.approx(0.25)
    # 21 days at 5 %, 31 at 10 %, 31 at 15 %, 7 at 20 %
    assert s.rate_days(JUNE10, 90) == pytest.approx(21 * 0.05 + 31 * 0.1 + 31 * 0.15 + 7 * 0.2)
    assert s.mean_rate(D(2019, 1, 1), 30) == 0.0
    with pytest.raises(ScenarioError):
        TariffSchedule(((D(2019, 7, 1), 0.1), (D(2019, 6, 1), 0.05)))


def test_sanction_loss_scales_with_exposure() -> None:
    h = united_states_2019()
    full = sanction_loss_musd(h, mexico_2019(), JUNE10, 90)
    half = sanction_loss_musd(h, mexico_2019(0.815 / 2), JUNE10, 90)
    assert half == pytest.approx(full / 2)
    assert sanction_loss_musd(h, mexico_2019(0.0), JUNE10, 90) == 0.0
    assert sanction_loss_musd(dataclasses.replace(h, threat=None), mexico_2019(), JUNE10, 90) == 0.0
    assert sanction_loss_musd(h, mexico_2019(), D(2019, 3, 12), 90) == 0.0
    # 0.5 x 0.815 x 439,418 x 10.2 rate-days / 365, about 5,000 million USD
    assert 4500 < full < 5500


def test_actor_validation() -> None:
    with pytest.raises(ScenarioError, match="credibility"):
        Threat(schedule=tariff_schedule_2019(), credibility=1.5)
    with pytest.raises(ScenarioError):
        mexico_2019(-0.1)
    demand = Demand(arrivals_reduction=0.5, reference_arrivals_per_day=3000)
    assert demand.arrivals_cap_per_day == 1500
    ex = mexico_2019().exposure
    assert ex.exports_to_hegemon_musd == pytest.approx(358126)
    assert 0.2 < ex.index < 0.4


# ------------------------------------------------------------------------ policy and grid
def test_transit_policy_round_trip_and_validation() -> None:
    p = TransitPolicy(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, True)
    assert TransitPolicy.from_array(p.to_array()) == p
    assert p.distance(p) == 0.0
    assert TransitPolicy().distance(TransitPolicy.from_array([1.0] * 7)) == pytest.approx(1.0)
    with pytest.raises(ScenarioError, match="humanitarian_visas"):
        TransitPolicy(humanitarian_visas=1.2)


def test_grid_points_and_volume_weights() -> None:
    g = PolicyGrid.regular(3)
    assert g.points.shape == (3**6 * 2, len(LEVERS))
    assert g.size == 3**6 * 2
    assert g.volume_weights.sum() == pytest.approx(1.0)
    p = TransitPolicy(0.5, 0.0, 1.0, 0.5, 0.0, 1.0, True)
    i = g.index_of(p)
    assert i is not None and g.policy(i) == p
    assert g.index_of(TransitPolicy(0.3)) is None
    with pytest.raises(ScenarioError):
        PolicyGrid(((0.0, 2.0),) * 6 + ((0.0, 1.0),))


def test_levers_as_scenario_parameters() -> None:
    mapping = {"enforcement_south": LeverMap("enforcement.south.effort", 6000.0, 1000.0)}
    fallback = TransitPolicy(humanitarian_visas=0.5)
    p = policy_from_parameters({"enforcement.south.effort": 4000.0}, mapping, fallback)
    assert p.enforcement_south == pytest.approx(0.5)
    assert p.humanitarian_visas == 0.5
    (change,) = parameter_changes(p, mapping)
    assert change.op == "set" and change.value == pytest.approx(4000.0)
    with pytest.raises(ScenarioError):
        policy_from_parameters({}, mapping, fallback)
    event = PolicyEvent(
        id="gn",
        name="gn",
        country="MEX",
        policy_area="border_land_control",
        tool="border patrol",
        target_group="all",
        direction=1,
        magnitude="major",
        start=D(2019, 6, 10),
        source="test",
        changes=(ParameterChange(parameter="enforcement.south.effort", op="add", value=6000),),
    )
    timeline = PolicyTimeline([event], {"enforcement.south.effort": 1000.0})
    path = policy_path_from_timeline(timeline, [D(2019, 3, 12), JUNE10], 90, mapping, fallback)
    assert path[0].enforcement_south == 0.0
    assert path[1].enforcement_south == 1.0


# ------------------------------------------------------------------------- outcome model
def test_reduced_form_responds_in_the_documented_directions() -> None:
    m = ReducedFormOutcomes()
    c = ctx()
    base = TransitPolicy(0.5, 0.5, 0.5, 0.5, 0.5, 0.5).to_array()

    def moved(lever: str, value: float) -> dict[str, float]:
        x = base.copy()
        x[LEVERS.index(lever)] = value
        return m.evaluate(x, c).row(0)

    at = m.evaluate(base, c).row(0)
    for lever in ("enforcement_south", "enforcement_transit", "enforcement_north"):
        up = moved(lever, 1.0)
        assert up["arrivals"] < at["arrivals"]
        assert up["deportations_unscreened"] > at["deportations_unscreened"]
        assert up["fiscal_cost_musd"] > at["fiscal_cost_musd"]
    unscreened = at["deportations_unscreened"]
    assert moved("humanitarian_visas", 1.0)["arrivals"] > at["arrivals"]
    assert moved("humanitarian_visas", 1.0)["deportations_unscreened"] < unscreened
    assert moved("asylum_capacity", 1.0)["deportations_unscreened"] < unscreened
    assert moved("mpp_acceptance", 1.0)["stranded"] > at["stranded"]
    assert moved("safe_third_country", 1.0)["arrivals"] < at["arrivals"]
    out = m.evaluate(SMALL.points, c)
    for name in OUTCOMES:
        assert (getattr(out, name) >= 0).all()
    # a batch equals row-by-row evaluation
    rows = np.array([m.evaluate(SMALL.points[i], c).arrivals[0] for i in range(0, SMALL.size, 97)])
    assert np.allclose(out.arrivals[::97], rows, rtol=1e-12)


def test_preferred_policy_arrivals_match_the_reference_level() -> None:
    """The inflow is calibrated so that T's preferred policy with no threat gives about the
    Mar-May 2019 level of non-Mexican USBP encounters (2,980 a day)."""
    h = united_states_2019()
    g = StageGame(
        h,
        mexico_2019(),
        ctx(D(2019, 3, 12), mpp_return_share=h.mpp_return_share),
        ReducedFormOutcomes(),
    )
    per_day = solve_period(g).outcomes["arrivals"] / 90
    assert per_day == pytest.approx(CALIBRATION["reference_arrivals_per_day"].default, rel=0.05)


def test_tabulated_outcomes_reproduce_the_model() -> None:
    m = ReducedFormOutcomes()
    c = ctx(mpp_return_share=united_states_2019().mpp_return_share)
    table = outcome_table(m, SMALL.points, [c])
    tab = TabulatedOutcomes(table)
    a, b = m.evaluate(SMALL.points, c), tab.evaluate(SMALL.points, c)
    for name in OUTCOMES:
        assert np.allclose(getattr(a, name), getattr(b, name))
    g1, g2 = game(), dataclasses.replace(game(), model=tab)
    assert solve_period(g1, SMALL).policy == solve_period(g2, SMALL).policy
    with pytest.raises(ScenarioError, match="not in the outcome table"):
        tab.evaluate(TransitPolicy(0.3).to_array(), c)
    with pytest.raises(ScenarioError, match="lacks columns"):
        TabulatedOutcomes(pd.DataFrame({"arrivals": [1.0]}))


# ---------------------------------------------------------------------------- the game
def test_noncompliance_probability() -> None:
    g = game()
    cap = g.active_demand.arrivals_cap_per_day * 90
    q = g.noncompliance(np.array([0.5 * cap, cap, 2 * cap]), np.zeros(3))
    assert q[1] == pytest.approx(0.5)
    assert 0 < q[0] < q[1] < q[2] < 1
    g_stc = game(demand=dataclasses.replace(g.hegemon.demand, safe_third_country=True))
    q = g_stc.noncompliance(np.array([0.5 * cap, 0.5 * cap]), np.array([0.0, 1.0]))
    assert q[0] == 1.0 and q[1] < 0.5


def test_no_sanction_outside_the_schedule() -> None:
    h = united_states_2019()
    g = StageGame(h, mexico_2019(), ctx(D(2019, 3, 1), 90), ReducedFormOutcomes())
    assert not g.threat_in_force
    ev = g.evaluate(SMALL.points)
    assert (ev.sanction_probability == 0).all() and ev.feasible.sum() == ev.affordable.sum()


def test_inducements() -> None:
    aid = Inducement(aid_musd_per_year=2000.0, conditional=True)
    g0 = game()
    g1 = dataclasses.replace(g0, hegemon=dataclasses.replace(g0.hegemon, inducement=aid))
    e0, e1 = g0.evaluate(SMALL.points), g1.evaluate(SMALL.points)
    assert np.allclose(e0.loss - e1.loss, g1.aid * (1 - e1.noncompliance))
    free = Inducement(aid_musd_per_year=2000.0, conditional=False)
    g2 = dataclasses.replace(g0, hegemon=dataclasses.replace(g0.hegemon, inducement=free))
    assert g2.budget == pytest.approx(g0.budget + 2000.0 * 90 / 365)


def test_budget_limits_the_choice() -> None:
    g = game()
    poor = dataclasses.replace(g, transit=dataclasses.replace(g.transit, budget_musd_per_year=250))
    sol = solve_period(poor, SMALL)
    assert sol.feasible.affordable_share < 1.0
    assert sol.outcomes["fiscal_cost_musd"] <= poor.budget
    broke = dataclasses.replace(g, transit=dataclasses.replace(g.transit, budget_musd_per_year=0))
    with pytest.raises(ScenarioError, match="no affordable policy"):
        solve_period(broke, SMALL)


def test_exogenous_period_reports_the_given_policy() -> None:
    p = TransitPolicy(1.0, 0.5, 0.5, 0.0, 1.0, 0.5)
    sol = evaluate_period(game(), p, SMALL)
    assert sol.policy == p and sol.mode == "exogenous" and sol.grid_index is not None
    assert sol.feasible.share == solve_period(game(), SMALL).feasible.share


# ---------------------------------------------------------------------------- dynamics
def test_run_game_modes_and_backlog_carry_over() -> None:
    h, t = united_states_2019(), mexico_2019()
    r = run_game(h, t, start=D(2019, 3, 12), periods=2, grid=SMALL)
    df = r.to_frame()
    assert list(df["start"]) == [D(2019, 3, 12), JUNE10]
    assert r[1].game.context.backlog_start == pytest.approx(r[0].outcomes["backlog"])
    path = [r[0].policy, r[1].policy]
    ex = run_game(
        h, t, start=D(2019, 3, 12), periods=2, grid=SMALL, mode="exogenous", policy_path=path
    )
    assert ex.to_frame()["loss"].tolist() == pytest.approx(df["loss"].tolist())
    with pytest.raises(ScenarioError, match="one policy per period"):
        run_game(h, t, start=JUNE10, periods=2, mode="exogenous", policy_path=path[:1])
    with pytest.raises(ScenarioError, match="review period"):
        episode_2019(review_days=0)


def test_failed_review_escalates_to_a_safe_third_country_demand() -> None:
    r = episode_2019(0.15, grid=SMALL, periods=3)  # low exposure: Mexico defies the threat
    df = r.to_frame()
    assert not df["stc_demanded"].iloc[1]
    assert df["arrivals_per_day"].iloc[1] > r[1].game.active_demand.arrivals_cap_per_day
    assert df["stc_demanded"].iloc[2]


def test_historical_path_from_the_mexico_us_timeline() -> None:
    starts = [D(2019, 3, 12), JUNE10, D(2019, 9, 8)]
    path = historical_policy_path(starts, 90)
    assert path[0].enforcement_south < 0.2  # Programa Frontera Sur level, before the deal
    assert path[1].enforcement_south > 0.7 and path[1].enforcement_north > 0.7
    assert path[2].enforcement_south == pytest.approx(1.0)


# ------------------------------------------------------------------------------- the CLI
runner = CliRunner()


def test_cli_bargain_table_and_plot(tmp_path: Path) -> None:
    png = tmp_path / "episode.png"
    store = str(tmp_path / "runs")
    args = ["bargain", "mexico-us", "--exposure", "0.4", "--png", str(png), "--store", store]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "counterfactual (0.400)" in res.output and "data (0.815)" in res.output
    assert png.stat().st_size > 1000


def test_cli_bargain_sweep(tmp_path: Path) -> None:
    png = tmp_path / "sweep.png"
    args = ["bargain", "mexico-us", "--mode", "sweep", "--png", str(png)]
    res = runner.invoke(app, [*args, "--store", str(tmp_path / "runs")])
    assert res.exit_code == 0, res.output
    assert "Feasible space" in res.output and png.stat().st_size > 1000


def test_cli_bargain_bad_input(tmp_path: Path) -> None:
    store = ["--store", str(tmp_path / "runs")]
    res = runner.invoke(app, ["bargain", "atlantis", *store])
    assert res.exit_code == 2
    assert runner.invoke(app, ["bargain", "mexico-us", "--credibility", "2", *store]).exit_code == 2
    assert runner.invoke(app, ["bargain", "--credibility", "0.5", *store]).exit_code == 2


def test_the_generic_actors_carry_no_countrys_data() -> None:
    """Who the two states are and every number about them is given (a scenario's episode,
    ``corredor.bargaining.episodes``): the classes default only the model's own constants, and
    the 2019 actors are made from data by the episode alone."""
    defaults = {
        cls.__name__: sorted(
            f.name
            for f in dataclasses.fields(cls)
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        )
        for cls in (Hegemon, Threat, Demand, TransitState, Exposure, Preferences)
    }
    assert defaults == {
        "Hegemon": ["escalate_to_stc", "inducement", "observation_noise"],
        "Threat": ["credibility", "remittance_tax"],
        "Demand": ["safe_third_country"],
        "TransitState": [],
        "Exposure": ["tariff_loss_share"],
        "Preferences": ["fiscal_weight"],
    }
    for cls in (Hegemon, TransitState):
        with pytest.raises(TypeError, match="missing"):
            cls()  # type: ignore[call-arg]
    with pytest.raises(ScenarioError, match="makes no threat"):
        dataclasses.replace(united_states_2019(), threat=None).with_credibility(0.5)
    us, mx = united_states_2019(0.5), mexico_2019()
    assert (us.name, mx.name) == ("United States", "Mexico")
    assert us.threat is not None and us.threat.credibility == 0.5
    assert us.threat.schedule == tariff_schedule_2019()
    assert us.demand.reference_arrivals_per_day == CALIBRATION["reference_arrivals_per_day"].default
    assert mx.exposure.export_share == CALIBRATION["export_share"].default
    # no country's name or episode in the generic modules' defaults
    actors = Path(bdata.__file__).with_name("actors.py").read_text("utf-8")
    assert "Mexico" not in actors.split('"""', 2)[2] and "2019" not in actors.split('"""', 2)[2]
