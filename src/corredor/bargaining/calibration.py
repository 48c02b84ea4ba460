"""Every number of the bargaining model: public data (with a source) or a named calibration
parameter (with a default, a plausible range, a unit and a one-line justification).

:data:`CALIBRATION` is the registry; the dataclasses of the model take their defaults from it, and
``docs/bargaining.md`` lists it. ``status`` is ``data`` (read from ``data/bargaining/``),
``derived`` (computed from data, the computation in ``description``) or ``hand-set``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from corredor.bargaining import data
from corredor.errors import ScenarioError

Status = Literal["data", "derived", "hand-set"]


@dataclass(frozen=True)
class Calibrated:
    """A named parameter: its default, the range a sensitivity analysis should cover, etc."""

    name: str
    default: float
    low: float
    high: float
    unit: str
    status: Status
    description: str
    source: str = ""

    def __post_init__(self) -> None:
        if not (self.low <= self.default <= self.high):
            raise ValueError(
                f"{self.name}: default {self.default} outside [{self.low}, {self.high}]"
            )

    def check(self, value: float, field: str | None = None) -> float:
        """``value`` if it lies in the parameter's range, else a :class:`ScenarioError`."""
        if not (math.isfinite(value) and self.low <= value <= self.high):
            raise ScenarioError(
                None,
                f"{self.name} = {value!r} is outside its range",
                field=field or self.name,
                expected=f"a number in [{self.low:g}, {self.high:g}] {self.unit}".rstrip(),
            )
        return float(value)


def _from(
    figure: data.Figure, name: str, low: float, high: float, status: Status, text: str
) -> Calibrated:
    return Calibrated(name, figure.value, low, high, figure.unit, status, text, figure.source)


def _hand(name: str, default: float, low: float, high: float, unit: str, text: str) -> Calibrated:
    return Calibrated(name, default, low, high, unit, "hand-set", text)


_REF = data.transit_encounters_per_day()

_ENTRIES: tuple[Calibrated, ...] = (
    # ---------------------------------------------------------------- exposure (transit state)
    _from(
        data.export_share_to_us(2017),
        "export_share",
        0.0,
        1.0,
        "data",
        "share of Mexico's non-oil exports sold to the US, 2017 (latest annual value before 2019)",
    ),
    _from(
        data.total_exports(),
        "exports_musd",
        1.0e5,
        1.0e6,
        "derived",
        "US imports from Mexico 2019 (358,126) / export share 2017 (0.815)",
    ),
    _from(
        data.remittances_received(2019),
        "remittances_musd",
        0.0,
        1.0e5,
        "data",
        "remittances received by Mexico, 2019 (Banxico, sum of monthly values)",
    ),
    _hand(
        "gdp_musd",
        1.269e6,
        1.1e6,
        1.4e6,
        "million USD/year",
        "Mexico's 2019 GDP in current USD (World Bank NY.GDP.MKTP.CD, about 1.27 trillion); "
        "not in the compiled data, so a calibration parameter",
    ),
    _hand(
        "tariff_loss_share",
        0.5,
        0.1,
        1.0,
        "USD lost per USD of tariff",
        "loss to the transit state's economy per dollar of tariff levied (exporters' price "
        "cuts plus lost volume); pass-through of the 2018-19 US tariffs to US prices was near "
        "complete (Amiti, Redding & Weinstein 2019), so the loss is mostly lost volume",
    ),
    # --------------------------------------------------------------------------- hegemon
    _from(
        _REF,
        "reference_arrivals_per_day",
        500.0,
        10000.0,
        "derived",
        "USBP encounters of non-Mexicans per day, Mar-May 2019 (the level the threat targeted)",
    ),
    _hand(
        "arrivals_reduction",
        0.5,
        0.2,
        0.8,
        "share",
        "the cut in arrivals the hegemon demands; the June 2019 demand was unquantified "
        "('substantially'); observed non-Mexican USBP encounters fell 73 % by Sep 2019",
    ),
    _hand(
        "observation_noise",
        0.35,
        0.05,
        0.6,
        "log sd",
        "sd of log arrivals the hegemon observes around the expected level (seasonality, "
        "simulation noise, judgement); monthly 2019 encounters moved by 20-35 % a month",
    ),
    _from(
        data.mpp_return_share_july_2019(),
        "mpp_return_share",
        0.0,
        0.6,
        "derived",
        "MPP cases assigned Jul 2019 (TRAC, 11,804) / USBP non-Mexican encounters Jul 2019",
    ),
    # ---------------------------------------------------------------------- transit state
    _hand(
        "budget_musd_per_year",
        700.0,
        200.0,
        3000.0,
        "million USD/year",
        "what the transit state can spend on the policy levers; the INM budget is not in the "
        "compiled data (COMAR's 2019 budget was 20.8 million MXN, asylum_mexico.csv)",
    ),
    _hand(
        "sanction_tolerance_gdp",
        0.003,
        0.0005,
        0.01,
        "share of GDP per year",
        "expected sanction loss the transit state treats as 'no sanction' when it maps its "
        "room for manoeuvre (the feasible space)",
    ),
    _hand(
        "stranded_weight_usd",
        2000.0,
        0.0,
        20000.0,
        "USD-equivalent per person",
        "humanitarian cost of one person stranded in the transit state during a period",
    ),
    _hand(
        "backlog_weight_usd",
        1000.0,
        0.0,
        10000.0,
        "USD-equivalent per case",
        "humanitarian and political cost of one pending asylum case at the end of a period",
    ),
    _hand(
        "unscreened_weight_usd",
        5000.0,
        0.0,
        50000.0,
        "USD-equivalent per person",
        "cost of deporting one person without screening for protection needs (refoulement risk)",
    ),
    _hand(
        "audience_enforcement_musd",
        4000.0,
        0.0,
        20000.0,
        "million USD-eq/year",
        "domestic audience cost of a full-range deviation of one region's enforcement from the "
        "audience's ideal (quadratic; 'we will not be the wall')",
    ),
    _hand(
        "audience_visa_musd",
        4000.0,
        0.0,
        20000.0,
        "million USD-eq/year",
        "audience cost of a full-range deviation of visa issuance from its ideal",
    ),
    _hand(
        "audience_asylum_musd",
        500.0,
        0.0,
        20000.0,
        "million USD-eq/year",
        "audience cost of a full-range deviation of asylum capacity from its ideal",
    ),
    _hand(
        "audience_mpp_musd",
        3000.0,
        0.0,
        20000.0,
        "million USD-eq/year",
        "audience cost of a full-range deviation of MPP acceptance from its ideal",
    ),
    _hand(
        "audience_stc_musd",
        12000.0,
        0.0,
        50000.0,
        "million USD-eq/year",
        "audience cost of signing a safe-third-country agreement (refused by Mexico in 2019)",
    ),
    _hand(
        "ideal_enforcement_south",
        0.2,
        0.0,
        1.0,
        "share of the 2019 deployment",
        "the domestic audience's ideal southern enforcement before June 2019",
    ),
    _hand(
        "ideal_enforcement_transit",
        0.2,
        0.0,
        1.0,
        "share of full effort",
        "ideal interior (transit) enforcement before June 2019",
    ),
    _hand(
        "ideal_enforcement_north",
        0.0,
        0.0,
        1.0,
        "share of the 2019 deployment",
        "ideal northern enforcement before June 2019 (no Guardia Nacional at the US border)",
    ),
    _hand(
        "ideal_humanitarian_visas",
        0.6,
        0.0,
        1.0,
        "share of visa_share_max",
        "ideal visa issuance: the 2018-19 humanitarian-visa approach",
    ),
    _hand(
        "ideal_asylum_capacity",
        0.3,
        0.0,
        1.0,
        "share of the capacity range",
        "ideal asylum capacity: some expansion over COMAR's 2013-19 level",
    ),
    _hand(
        "ideal_mpp_acceptance",
        0.2,
        0.0,
        1.0,
        "share of MPP returns",
        "ideal MPP acceptance: Mexico accepted MPP returns reluctantly from Jan 2019",
    ),
    # ------------------------------------------------------------------- outcome model
    _hand(
        "inflow_per_day",
        2900.0,
        1000.0,
        10000.0,
        "people/day",
        "people entering the transit state bound for the hegemon; set so that arrivals under "
        "the transit state's preferred policy with no threat (Mar-Jun 2019) are about "
        "reference_arrivals_per_day",
    ),
    _hand(
        "visa_share_max",
        0.25,
        0.05,
        0.6,
        "share of entrants",
        "share of entrants granted a humanitarian visa at full issuance (the emergency TVRH "
        "programme of Dec 2018-Jan 2019 issued about 180 a day, about 5 % of entrants)",
    ),
    _hand(
        "visa_magnet",
        0.3,
        0.0,
        1.0,
        "relative inflow",
        "rise of the inflow at full visa issuance (caravans of late 2018-early 2019)",
    ),
    _hand(
        "visa_settle_share",
        0.4,
        0.0,
        1.0,
        "share",
        "share of visa holders who stay in the transit state rather than travel on",
    ),
    _hand(
        "asylum_apply_base",
        0.04,
        0.01,
        0.3,
        "share of entrants",
        "share applying for asylum in the transit state at base capacity (COMAR 2019: 70,120 "
        "applications, about 190 a day)",
    ),
    _hand(
        "asylum_apply_gain",
        0.05,
        0.0,
        0.5,
        "share of entrants",
        "extra share applying when asylum capacity is at its maximum",
    ),
    _from(
        data.comar_capacity_2013_2019(),
        "asylum_capacity_base",
        1.0,
        50.0,
        "derived",
        "COMAR decisions per day 2013-Aug 2019: 26,882 resolved in 2,434 days",
    ),
    _from(
        data.comar_capacity_2021(),
        "asylum_capacity_max",
        20.0,
        500.0,
        "derived",
        "COMAR decisions per day in 2021: 38,105 cases resolved (the expanded capacity)",
    ),
    _from(
        data.recognition_rate(),
        "recognition_rate",
        0.0,
        1.0,
        "data",
        "COMAR 2013-Sep 2020: refugee 61.2 % + complementary protection 10.9 %",
    ),
    _from(
        data.comar_pending_sep_2019(),
        "backlog_start",
        0.0,
        100000.0,
        "data",
        "COMAR case files pending in Sep 2019 (start backlog of a run)",
    ),
    _hand(
        "interception_south",
        0.35,
        0.05,
        0.8,
        "share",
        "share of the irregular flow intercepted in the south at full effort; with the two "
        "below, 34 % pass at full effort (non-Mexican USBP encounters fell 73 % Mar-May to Sep "
        "2019, visas and MPP included)",
    ),
    _hand(
        "interception_transit",
        0.25,
        0.05,
        0.8,
        "share",
        "share intercepted in the interior (checkpoints, buses, trains) at full effort",
    ),
    _hand(
        "interception_north",
        0.30,
        0.05,
        0.8,
        "share",
        "share intercepted at the northern border at full effort",
    ),
    _from(
        data.national_guard_south(),
        "personnel_south",
        1000.0,
        20000.0,
        "data",
        "Guardia Nacional committed to the southern border, 2019-06-07 (effort 1)",
    ),
    _hand(
        "personnel_transit",
        5000.0,
        1000.0,
        20000.0,
        "personnel",
        "interior checkpoint personnel at full effort; not reported ('more than 25,000 federal "
        "force personnel' at both borders vs 21,000 Guardia Nacional leaves about 4,000)",
    ),
    _from(
        data.national_guard_north(),
        "personnel_north",
        1000.0,
        40000.0,
        "derived",
        "Guardia Nacional at the northern border: 21,000 on both borders (2019-07-20) - 6,000",
    ),
    _from(
        data.inm_return_share_2015(),
        "return_share",
        0.3,
        1.0,
        "derived",
        "Central Americans returned per person presented to INM, 2015 (176,726 / 179,618)",
    ),
    _hand(
        "screening_base",
        0.05,
        0.0,
        0.3,
        "share",
        "share of intercepted people screened for protection needs at base asylum capacity",
    ),
    _hand(
        "screening_gain", 0.45, 0.0, 0.9, "share", "extra share screened at maximum asylum capacity"
    ),
    _hand(
        "mpp_deterrence",
        0.15,
        0.0,
        0.5,
        "relative inflow",
        "fall of the inflow when the transit state accepts all MPP returns",
    ),
    _hand(
        "stc_deterrence",
        0.15,
        0.0,
        0.7,
        "relative inflow",
        "fall of the inflow under a safe-third-country agreement",
    ),
    _hand(
        "asylum_seeker_share",
        0.5,
        0.2,
        0.9,
        "share",
        "share of arrivals at the hegemon's border who seek asylum (returned under an STC)",
    ),
    _hand(
        "cost_personnel_usd",
        20000.0,
        8000.0,
        50000.0,
        "USD per person-year",
        "pay and operations of one deployed guard or agent",
    ),
    _hand(
        "cost_decision_usd",
        300.0,
        100.0,
        3000.0,
        "USD per decision",
        "COMAR 2019 budget 20.8 million MXN / about 4,000 decisions = about 5,200 MXN",
    ),
    _hand(
        "cost_deportation_usd",
        300.0,
        100.0,
        2000.0,
        "USD per person",
        "detention and transport of one deportation",
    ),
    _hand("cost_visa_usd", 30.0, 5.0, 200.0, "USD per visa", "processing of one visa"),
    _hand(
        "cost_stranded_usd_per_day",
        3.0,
        1.0,
        20.0,
        "USD per person-day",
        "shelter and services for one stranded person",
    ),
)

#: The registry: name → :class:`Calibrated`.
CALIBRATION: dict[str, Calibrated] = {c.name: c for c in _ENTRIES}


def default(name: str) -> float:
    """The default value of the named parameter."""
    return CALIBRATION[name].default


def calibration_rows() -> list[dict[str, str | float]]:
    """The registry as rows (for tables and docs)."""
    return [
        {
            "name": c.name,
            "default": c.default,
            "low": c.low,
            "high": c.high,
            "unit": c.unit,
            "status": c.status,
            "description": c.description,
            "source": c.source,
        }
        for c in _ENTRIES
    ]
