"""The threat game coupled to the corridor simulation (corredor.bargaining.coupled), on the tiny
synthetic corridor of tests/corridor_dirs.py: the scenario's bargaining block, reading and
writing the levers, the anchored outcome model, the controller in both modes, the CLI."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from corredor.bargaining import (
    CALIBRATION,
    AnchoredOutcomes,
    CoupledResult,
    Demand,
    Hegemon,
    LeverMap,
    PeriodContext,
    SimulatedState,
    TariffSchedule,
    Threat,
    TransitPolicy,
    mexico_2019,
    mexico_us_lever_map,
    parameter_changes,
    policy_from_parameters,
    run_coupled,
)
from corredor.bargaining.binding import GAME_EVENT_PREFIX
from corredor.cli import app
from corredor.errors import ScenarioError
from corredor.rules.corridor.compiled import Compiled, compile_corridor
from corredor.scenario.corridor import load_corridor_scenario, parameter_values
from corredor.simulation.corridor import run_corridor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corridor_dirs import (
    EXPEL_EVENT,
    LINKS,
    LOCATIONS,
    SRC,
    policy_event,
    scenario_document,
)

D = dt.date
FIRST_REVIEW = D(2020, 1, 21)
THREAT = Threat(schedule=TariffSchedule(((D(2020, 2, 10), 0.05), (D(2020, 3, 1), 0.10))))
#: the transit state's own policy in the tiny corridor (replaced by the game)
OWN = policy_event(
    [{"parameter": "enforcement.mid_zone.effort", "op": "add", "value": 300}],
    start=D(2020, 2, 15),
    event_id="mid-surge",
)
#: the hegemon widens its returns to wait in the middle of a review period
MPP_MORE = policy_event(
    [
        {
            "parameter": "services.processing.outcomes.default.return_to_wait.p",
            "op": "set",
            "value": 0.4,
        }
    ],
    start=D(2020, 2, 25),
    event_id="mpp-more",
)
LEVERS_BLOCK: dict[str, Any] = {
    "enforcement_south": {
        "parameters": ["enforcement.mid_zone.effort"],
        "op": "add",
        "scale": 400,
    },
    "asylum_capacity": {
        "parameters": ["services.asylum_office.service_time.servers"],
        "op": "add",
        "scale": 10,
    },
    "mpp_acceptance": {
        "parameters": ["services.*.outcomes.*.return_to_wait.p"],
        "op": "multiply",
    },
}


def block(**changes: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "transit": "Mid",
        "hegemon": "Dest",
        "review_days": 20,
        "first_review": FIRST_REVIEW,
        "replaces": ["mid-surge"],
        "source": SRC,
        "levers": LEVERS_BLOCK,
    }
    b.update(changes)
    return b


def write_bargaining_dir(root: Path, bargaining: dict[str, Any] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "locations.csv").write_text(LOCATIONS, encoding="utf-8")
    (root / "links.csv").write_text(LINKS, encoding="utf-8")
    events = [EXPEL_EVENT, OWN, MPP_MORE]
    doc = scenario_document(days=120, events=events)
    doc["bargaining"] = block() if bargaining is None else bargaining
    text = yaml.safe_dump([dict(e) for e in events], sort_keys=False)
    (root / "policy.yaml").write_text(text, encoding="utf-8")
    path = root / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=100), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bargaining_dir(tmp_path_factory.mktemp("bargaining") / "c")


def actors(
    threat: Threat | None = THREAT, share: float | None = None, reduction: float = 0.5
) -> dict[str, Any]:
    transit = dataclasses.replace(mexico_2019(), name="Mid")  # the 2019 numbers, another name
    if share is not None:
        transit = transit.with_export_share(share)
    reference = CALIBRATION["reference_arrivals_per_day"].default
    demand = Demand(reference_arrivals_per_day=reference, arrivals_reduction=reduction)
    mpp = CALIBRATION["mpp_return_share"].default
    hegemon = Hegemon(name="Dest", threat=threat, demand=demand, mpp_return_share=mpp)
    return {"hegemon": hegemon, "transit": transit}


@pytest.fixture(scope="module")
def exogenous(tiny: Path) -> CoupledResult:
    return run_coupled(tiny, mode="exogenous", seed=3, **actors())


@pytest.fixture(scope="module")
def endogenous(tiny: Path) -> CoupledResult:
    return run_coupled(tiny, seed=3, **actors(reduction=0.2))


# ------------------------------------------------------------------------ the scenario block
def test_block_loads_and_round_trips(tiny: Path, tmp_path: Path) -> None:
    from corredor.scenario.corridor import write_corridor_scenario

    s = load_corridor_scenario(tiny)
    assert s.bargaining is not None and s.bargaining.replaces == ("mid-surge",)
    assert s.bargaining.levers["mpp_acceptance"].op == "multiply"
    again = load_corridor_scenario(write_corridor_scenario(s, tmp_path / "copy"))
    assert again.bargaining == s.bargaining


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"transit": "Atlantis"}, "no location is in the country 'Atlantis'"),
        ({"replaces": ["mid-surg"]}, "no policy event has the id 'mid-surg'"),
        ({"first_review": D(2030, 1, 1)}, "is not inside the run"),
        (
            {
                "levers": {
                    "enforcement_south": {
                        "parameters": ["enforcement.nowhere.effort"],
                        "op": "add",
                        "scale": 1,
                    }
                }
            },
            "matches no parameter",
        ),
        ({"levers": {"enforcement_south": {"parameters": ["x"], "op": "add"}}}, "needs a scale"),
        (
            {"levers": {"mpp_acceptance": {"parameters": ["x"], "op": "multiply", "scale": 2}}},
            "takes no scale",
        ),
        ({"levers": {"wall": {"parameters": ["x"], "op": "add", "scale": 1}}}, "wall"),
        ({"review_days": 0}, "review_days"),
    ],
)
def test_block_bad_input(tmp_path: Path, change: dict[str, Any], words: str) -> None:
    path = write_bargaining_dir(tmp_path / "bad", block(**change))
    with pytest.raises(ScenarioError) as err:
        load_corridor_scenario(path)
    assert words in str(err.value) and "bargaining" in str(err.value)


def test_mexico_us_block_matches_the_lever_map_and_the_calibration() -> None:
    s = load_corridor_scenario("mexico-us")
    b = s.bargaining
    assert b is not None and b.transit == "Mexico" and b.hegemon == "United States"
    assert b.review_days == 90 and b.first_review == D(2019, 6, 10) - dt.timedelta(days=90)
    ids = {e.id for e in s.events}
    assert set(b.replaces) <= ids and "mx-gn-south-2019" in b.replaces
    base = parameter_values(s)
    for lever, lm in mexico_us_lever_map(base).items():
        spec = b.levers[lever]  # type: ignore[index]
        assert spec.parameters == (lm.parameter,) and spec.op == "add"
        assert spec.scale is not None and spec.scale.value == lm.scale
    assert b.levers["enforcement_transit"].scale.value == CALIBRATION["personnel_transit"].default  # type: ignore[union-attr]


# ------------------------------------------------------------------------ levers and events
def test_lever_map_ops() -> None:
    add = LeverMap("a", 400.0, 1000.0, op="add")
    mul = LeverMap("b", 0.3, op="multiply")
    assert add.change(0.5).op == "add" and add.change(0.5).value == 200.0
    assert mul.change(0.25).op == "multiply" and mul.change(0.25).value == 0.25
    assert LeverMap("a", 400.0, 1000.0).change(0.5).value == 1200.0  # set
    policy = TransitPolicy(enforcement_south=0.5, mpp_acceptance=0.25)
    changes = parameter_changes(
        policy,
        {"enforcement_south": add, "mpp_acceptance": [mul, LeverMap("c", 1.0, op="multiply")]},
    )
    assert [c.parameter for c in changes] == ["a", "b", "c"]
    back = policy_from_parameters(
        {"a": 1200.0, "b": 0.075, "c": 0.25},
        {"enforcement_south": add, "mpp_acceptance": [mul, LeverMap("c", 1.0, op="multiply")]},
        TransitPolicy(),
    )
    assert back.enforcement_south == pytest.approx(0.5) and back.mpp_acceptance == pytest.approx(
        0.25
    )
    with pytest.raises(ScenarioError):
        LeverMap("b", 1.0, 0.5, op="multiply")


def test_anchored_outcomes_reproduce_the_simulated_status_quo() -> None:
    p0 = TransitPolicy(enforcement_south=0.25, humanitarian_visas=0.5)
    state = SimulatedState(
        days=45,
        arrivals=9000.0,
        stranded=1200.0,
        backlog=3000.0,
        deportations_unscreened=450.0,
        status_quo=p0,
    )
    model = AnchoredOutcomes(state)
    ctx = PeriodContext(D(2019, 6, 10), 90, backlog_start=3000.0)
    at = model.evaluate(p0.to_array(), ctx)
    assert at.arrivals[0] == pytest.approx(18000.0)  # the window rescaled to the period
    assert at.stranded[0] == pytest.approx(1200.0)
    assert at.backlog[0] == pytest.approx(3000.0)
    assert at.deportations_unscreened[0] == pytest.approx(900.0)
    more = dataclasses.replace(p0, enforcement_south=1.0, enforcement_north=1.0)
    out = model.evaluate(more.to_array(), ctx)
    assert out.arrivals[0] < at.arrivals[0] and out.deportations_unscreened[0] > 900.0
    # a safe-third-country agreement the scenario cannot simulate changes no outcome
    stc = dataclasses.replace(p0, safe_third_country=True)
    none = AnchoredOutcomes(state, stc_effect=False).evaluate(stc.to_array(), ctx)
    assert none.arrivals[0] == pytest.approx(at.arrivals[0])
    assert model.evaluate(stc.to_array(), ctx).arrivals[0] < at.arrivals[0]


# ------------------------------------------------------------------------ the controller
def test_exogenous_controller_leaves_the_run_unchanged(
    tiny: Path, exogenous: CoupledResult
) -> None:
    plain = run_corridor(tiny, seed=3)
    run = exogenous.corridor
    assert run.adopted_events == ()
    np.testing.assert_array_equal(run.obs_daily, plain.obs_daily)
    np.testing.assert_array_equal(run.events, plain.events)
    df = exogenous.to_frame()
    assert list(df["start"]) == [FIRST_REVIEW + dt.timedelta(days=20 * k) for k in range(5)]
    assert (df["mode"] == "exogenous").all()
    # the historical surge (300 of the lever's 400 from 15 Feb) is read back as the policy
    assert df["enforcement_south"].iloc[0] == 0.0
    assert df["enforcement_south"].iloc[1] == pytest.approx(0.75 * 15 / 20)
    assert df["enforcement_south"].iloc[2] == pytest.approx(0.75)
    assert df["feasible_share"].between(0, 1).all() and (df["feasible_share"].iloc[0] == 1.0)
    # the simulated outcomes of every period are in the table
    assert df["sim_arrivals"].notna().all() and (df["sim_arrivals"] > 0).all()
    assert df["sim_days"].iloc[-1] == (run.days - (FIRST_REVIEW - run.start).days - 80)


def test_zero_exposure_means_the_threat_changes_nothing(tiny: Path) -> None:
    threat = run_coupled(tiny, seed=3, **actors(share=0.0))
    none = run_coupled(tiny, seed=3, **actors(threat=None))
    assert threat.adopted_events == none.adopted_events and threat.adopted_events
    np.testing.assert_array_equal(threat.corridor.obs_daily, none.corridor.obs_daily)
    for a, b in zip(threat.periods, none.periods, strict=True):
        assert a.policy == b.policy == b.preferred  # with no threat: T's own policy
        assert a.feasible.share == b.feasible.share == 1.0


def adopted_arrays(result: CoupledResult) -> Compiled:
    """The run's arrays with the adopted events (``CorridorResult.compiled`` has the arrays the
    run started with)."""
    run = result.corridor
    return compile_corridor(run.compiled.scenario, days=run.days, extra_events=run.adopted_events)


def test_the_chosen_policy_feeds_the_simulation(endogenous: CoupledResult) -> None:
    df = endogenous.to_frame()
    run = endogenous.corridor
    c = adopted_arrays(endogenous)
    # the game replaced the transit state's own event; its events are the ones adopted
    assert all(e.id != "mid-surge" for e in c.timeline.events)  # type: ignore[union-attr]
    assert {e.id.split("-")[2] for e in run.adopted_events} == {str(k) for k in range(len(df))}
    assert all(e.id.startswith(GAME_EVENT_PREFIX) for e in run.adopted_events)
    # the threat raises enforcement (a 20 % cut demanded, data-based exposure)
    assert df["enforcement_south"].iloc[1] > df["enforcement_south"].iloc[0]
    assert df["sanction_probability"].iloc[0] == 0.0 and df["feasible_share"].iloc[0] == 1.0
    assert df["feasible_share"].iloc[1] < 1.0
    # the levers reach the compiled arrays: effort = base + lever × 400 in each period
    zone = c.zone_names.index("mid_zone")
    base = parameter_values(c.scenario)["enforcement.mid_zone.effort"]
    for _, row in df.iterrows():
        day = int(row["review_day"]) + 1
        assert c.zone_effort[day, zone] == pytest.approx(base + 400 * row["enforcement_south"])
    # and are read back as the status quo at the next review
    sq = df["status_quo_enforcement"].iloc[1:].to_numpy()
    assert sq == pytest.approx(df["enforcement_mean"].iloc[:-1].to_numpy())


def test_game_events_apply_after_events_starting_mid_period(endogenous: CoupledResult) -> None:
    run = endogenous.corridor
    period = [e for e in run.adopted_events if e.id.startswith(f"{GAME_EVENT_PREFIX}-1-")]
    assert [e.start for e in period] == [D(2020, 2, 10), D(2020, 2, 25)]
    assert period[-1].end == D(2020, 3, 1)
    m = endogenous[1].policy.mpp_acceptance
    timeline = adopted_arrays(endogenous).timeline
    assert timeline is not None
    daily = timeline.daily(run.start, run.start + dt.timedelta(days=run.days))
    p = daily["services.processing.outcomes.default.return_to_wait.p"]
    day = (D(2020, 2, 26) - run.start).days
    assert p[day] == pytest.approx(0.4 * m)  # H's new share, times T's acceptance


def test_the_game_of_a_scenario_is_its_episode(tmp_path: Path) -> None:
    """``corredor bargain`` (every mode, the sweep too) plays the game with the actors of the
    episode the scenario's block names: without one it is refused before any work, leaving no
    row (the sweep played the 2019 US and Mexico data on any scenario, even a Flee one)."""
    from corredor import app
    from corredor.errors import ScenarioError as Refused
    from corredor.store import ResultsStore

    store = ResultsStore(tmp_path / "runs")
    plain = write_bargaining_dir(tmp_path / "plain")
    for mode in ("sweep", "episode", "exogenous"):
        with pytest.raises(Refused, match="no bargaining episode for this scenario"):
            app.bargain(app.BargainRequest(scenario=str(plain), mode=mode), store)
    with pytest.raises(app.RequestError, match="Flee scenario"):
        app.bargain(app.BargainRequest(scenario="mali2012", mode="sweep"), store)
    assert store.list().empty
    named = write_bargaining_dir(tmp_path / "named", block(episode="june-2019"))
    swept = app.bargain(app.BargainRequest(scenario=str(named), mode="sweep"), store)
    assert swept.result.meta["data_share"] == mexico_2019().exposure.export_share
    assert len(swept.result.table("game")) == 11 * 5


def test_coupled_input_errors(tmp_path: Path) -> None:
    from corredor.bargaining import BargainingController

    sys_path = write_bargaining_dir(tmp_path / "plain")
    plain = load_corridor_scenario(sys_path).model_copy(update={"bargaining": None})
    with pytest.raises(ScenarioError, match="no bargaining: block"):
        run_coupled(plain)
    with pytest.raises(ScenarioError, match="names no episode: whose data make the game's two"):
        run_coupled(sys_path)  # it took the 2019 US and Mexico data, not named by the scenario
    with pytest.raises(ScenarioError, match="transit actor is 'Mexico'"):
        run_coupled(sys_path, hegemon=actors()["hegemon"], transit=mexico_2019())
    spec = load_corridor_scenario(sys_path).bargaining
    assert spec is not None
    with pytest.raises(ScenarioError, match="mode"):
        BargainingController(spec, mode="sideways", **actors())  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match="no review day"):
        run_coupled(sys_path, days=10, **actors())
    once = BargainingController(spec, **actors())
    run_corridor(sys_path, days=30, controller=once)
    with pytest.raises(ScenarioError, match="plays one run"):
        run_corridor(sys_path, days=30, controller=once)


# ------------------------------------------------------------------------ the CLI
runner = CliRunner()


def test_cli_coupled_bad_input(tiny: Path, tmp_path: Path) -> None:
    store = ["--store", str(tmp_path / "runs")]
    res = runner.invoke(app, ["bargain", "mexico-us", "--mode", "both", *store])
    assert res.exit_code == 2 and "'both' is not one of" in res.output
    res = runner.invoke(app, ["bargain", str(tiny), "--mode", "endogenous", *store])
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_the_replayed_episode_is_the_one_the_scenario_names(tiny: Path, tmp_path: Path) -> None:
    from corredor.bargaining import EPISODES
    from corredor.scenario.corridor.bargaining import EpisodeName

    assert set(EPISODES) == set(EpisodeName.__args__)  # type: ignore[attr-defined]
    assert load_corridor_scenario("mexico-us").bargaining.episode == "june-2019"  # type: ignore[union-attr]
    assert load_corridor_scenario(tiny).bargaining.episode is None  # type: ignore[union-attr]
    store = ["--store", str(tmp_path / "runs")]
    res = runner.invoke(app, ["bargain", str(tiny), "--mode", "episode", *store])
    assert res.exit_code == 2 and "no bargaining episode" in res.output
    assert res.output.count("error:") == 1 and "Traceback" not in res.output
    bad = write_bargaining_dir(tmp_path / "bad", block(episode="june-2020"))
    with pytest.raises(ScenarioError, match="june-2019"):
        load_corridor_scenario(bad)


def test_cli_coupled_table_chart_and_report(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from corredor.bargaining import coupled

    calls: list[dict[str, Any]] = []
    real = coupled.run_coupled

    def on_tiny(scenario: Any, **kw: Any) -> CoupledResult:
        calls.append(dict(kw))
        share = kw.pop("export_share")
        kw.pop("credibility")
        kw.pop("calibration")  # mexico-us's parameters: not the tiny corridor's
        return real(tiny, **kw, **actors(share=share, reduction=0.2))

    monkeypatch.setattr(coupled, "run_coupled", on_tiny)
    png, html = tmp_path / "game.png", tmp_path / "report.html"
    store = tmp_path / "runs"
    args = ["bargain", "mexico-us", "--mode", "endogenous", "--exposure", "0.4", "--days", "100"]
    args += ["--store", str(store), "--no-progress"]
    res = runner.invoke(app, [*args, "--seed", "3", "--png", str(png)])
    assert res.exit_code == 0, res.output
    assert "counterfactual (0.400)" in res.output and "data (0.815)" in res.output
    assert "(sim)" in res.output and "2020-02-10" in res.output
    assert [c["export_share"] for c in calls] == [None, 0.4]
    assert all(c["days"] == 100 and c["mode"] == "endogenous" for c in calls)
    assert png.stat().st_size > 1000
    from corredor.app.inputs import corridor_inputs
    from corredor.store import ResultsStore

    shipped = corridor_inputs("mexico-us").calibration
    assert all(c["calibration"] == shipped for c in calls)  # the shipped calibration
    runs = ResultsStore(store).list()
    game = runs[runs["kind"] == "bargain"]["run_id"].iloc[0]
    assert sorted(runs[runs["parent"] == game]["kind"]) == ["corridor", "corridor"]
    res = runner.invoke(app, ["report", game, "--store", str(store), "-o", str(html)])
    assert res.exit_code == 0, res.output
    text = html.read_text(encoding="utf-8")
    assert "Threat game" in text and "data:image/png" in text and "(0.400)" in text
    calls.clear()
    res = runner.invoke(app, [*args, "--calibration", "none"])
    assert res.exit_code == 0, res.output
    from corredor.calibration import uncalibrated
    from corredor.scenario.corridor import load_corridor_scenario

    defaults = dict(uncalibrated(load_corridor_scenario("mexico-us")))
    assert [c["calibration"] for c in calls] == [defaults, defaults]


def test_table_columns(endogenous: CoupledResult) -> None:
    df = endogenous.to_frame()
    for col in (
        "period",
        "start",
        "tariff_mean",
        "sanction_loss_musd",
        "enforcement_mean",
        "humanitarian_visas",
        "feasible_share",
        "arrivals_per_day",
        "sim_arrivals_per_day",
        "sim_transit_apprehensions",
        "sim_stranded",
        "sim_backlog",
        "sim_deportations_unscreened",
        "before_arrivals",
        "inflow_scale",
        "reference_arrivals_per_day",
    ):
        assert col in df.columns, col
    assert isinstance(df, pd.DataFrame) and len(df) == len(endogenous)
    assert endogenous.period_at(D(2020, 2, 20)) is endogenous[1]
