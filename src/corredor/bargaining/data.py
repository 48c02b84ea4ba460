"""The public figures the bargaining model uses, read from ``src/corredor/data/bargaining/``.

Every CSV there is a verbatim copy of rows of the project's data compilation (kept outside the
package), with their ``source`` column, except ``tariff_schedule_2019.csv`` and
``episode_2019.csv`` (hand-written, one source per row). Each function returns a
:class:`Figure`: the value, its unit and the sources it was computed from, so that a derived
number (a ratio, a daily rate) keeps its provenance.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from corredor.errors import ScenarioError
from corredor.files.read import read_text


@dataclass(frozen=True)
class Figure:
    """A number taken or derived from the data files, with its unit and sources."""

    value: float
    unit: str
    source: str
    note: str = ""


def data_dir() -> Path:
    """The folder of the bargaining model's data tables."""
    return Path(str(resources.files("corredor") / "data" / "bargaining"))


@cache
def read_table(name: str) -> tuple[dict[str, str], ...]:
    """The rows of ``data/bargaining/<name>`` as dicts of strings (cached)."""
    text = read_text(data_dir() / name, root=data_dir(), what="data table")
    return tuple(dict(row) for row in csv.DictReader(io.StringIO(text, newline="")))


def _row(name: str, **match: str) -> dict[str, str]:
    rows = [r for r in read_table(name) if all(r.get(k) == v for k, v in match.items())]
    if len(rows) != 1:
        raise ScenarioError(
            data_dir() / name,
            f"expected one row with {match}, found {len(rows)}",
            expected="the rows copied from the data compilation",
        )
    return rows[0]


def _join(*sources: str) -> str:
    return "; ".join(dict.fromkeys(s for s in sources if s))


# ------------------------------------------------------------------------------ exposure
def export_share_to_us(year: int = 2017) -> Figure:
    """Share (0–1) of Mexico's non-oil exports sold to the United States (Banxico)."""
    row = _row("exposure_mexico.csv", indicator="share_of_exports_to_us", year=str(year))
    return Figure(float(row["value"]) / 100.0, "share", row["source"], row["note"])


def us_imports_from_mexico(year: int = 2019) -> Figure:
    """US imports from Mexico in million USD per year (the base of the 2019 tariff)."""
    row = _row("exposure_mexico.csv", indicator="us_imports_from_mexico", year=str(year))
    return Figure(float(row["value"]), "million USD/year", row["source"], row["note"])


def remittances_received(year: int = 2019) -> Figure:
    """Remittances received by Mexico in million USD per year (Banxico)."""
    row = _row("exposure_mexico.csv", indicator="remittances_received", year=str(year))
    return Figure(float(row["value"]), "million USD/year", row["source"], row["note"])


def total_exports(share_year: int = 2017, imports_year: int = 2019) -> Figure:
    """Mexico's total exports, derived: US imports from Mexico / share of exports to the US."""
    imports, share = us_imports_from_mexico(imports_year), export_share_to_us(share_year)
    return Figure(
        imports.value / share.value,
        "million USD/year",
        _join(imports.source, share.source),
        f"derived: US imports from Mexico {imports_year} / export share {share_year}",
    )


# ------------------------------------------------------------------------------- tariffs
def tariff_steps() -> tuple[tuple[dt.date, float], ...]:
    """The June 2019 schedule: (first day, ad valorem rate) steps, in date order."""
    rows = read_table("tariff_schedule_2019.csv")
    return tuple(sorted((dt.date.fromisoformat(r["start"]), float(r["rate"])) for r in rows))


def tariff_source() -> str:
    return _join(*(r["source"] for r in read_table("tariff_schedule_2019.csv")))


# ----------------------------------------------------------------------- National Guard
def national_guard_south() -> Figure:
    """Guardia Nacional committed to the southern border on 2019-06-07 (personnel)."""
    row = _row("national_guard_2019.csv", date="2019-06-07", region="southern border region")
    return Figure(float(row["personnel"]), "personnel", row["source"], row["note"])


def national_guard_north() -> Figure:
    """Guardia Nacional on the northern border, derived: ~21,000 on both borders by 2019-07-20
    minus the 6,000 committed to the south."""
    both = _row(
        "national_guard_2019.csv", date="2019-07-20", region="northern and southern borders"
    )
    south = national_guard_south()
    return Figure(
        float(both["personnel"]) - south.value,
        "personnel",
        _join(both["source"], south.source),
        "derived: both borders (2019-07-20) minus the southern commitment",
    )


# --------------------------------------------------------------------------- encounters
def _encounters(series: str, month: str) -> float:
    return float(_row("us_encounters_2019.csv", series=series, date=month)["encounters"])


def transit_encounters_per_day(first: str = "2019-03-01", last: str = "2019-05-01") -> Figure:
    """Daily US Border Patrol encounters of non-Mexicans (people who crossed Mexico) over the
    months ``first``..``last`` (inclusive, first days of months): USBP total minus USBP
    encounters of Mexican citizens."""
    d0, d1 = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    total = 0.0
    days = 0
    month = d0
    sources: list[str] = []
    while month <= d1:
        key = month.isoformat()
        total += _encounters("USBP_total", key) - _encounters("USBP_citizenship_Mexico", key)
        nxt = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        days += (nxt - month).days
        month = nxt
    for series in ("USBP_total", "USBP_citizenship_Mexico"):
        sources.append(_row("us_encounters_2019.csv", series=series, date=first)["source"])
    return Figure(
        total / days,
        "people/day",
        _join(*sources),
        f"derived: USBP total minus Mexican citizens, {first[:7]}..{last[:7]}",
    )


def mpp_return_share_july_2019() -> Figure:
    """MPP court cases assigned in July 2019 (TRAC) per USBP encounter of non-Mexicans."""
    row = _row("mpp_2019.csv", period_start="2019-07-01")
    per_day = transit_encounters_per_day("2019-07-01", "2019-07-01")
    return Figure(
        float(row["value"]) / (per_day.value * 31),
        "share",
        _join(row["source"], per_day.source),
        "derived: MPP cases assigned Jul 2019 / USBP non-Mexican encounters Jul 2019",
    )


# ------------------------------------------------------------------------------- asylum
def comar_capacity_2013_2019() -> Figure:
    """COMAR decisions per day, 2013-01-01..2019-08-31 (26,882 resolved in 2,434 days)."""
    row = _row("asylum_mexico.csv", period="2013-2019Aug", metric="resolved")
    days = (dt.date(2019, 9, 1) - dt.date(2013, 1, 1)).days
    return Figure(float(row["value"]) / days, "decisions/day", row["source"], "derived")


def comar_capacity_2021() -> Figure:
    """COMAR decisions per day in 2021 (38,105 cases resolved), the expanded capacity."""
    row = _row("asylum_mexico.csv", period="2021", metric="cases_resolved")
    return Figure(float(row["value"]) / 365.0, "decisions/day", row["source"], "derived")


def recognition_rate() -> Figure:
    """Share of COMAR decisions granting refugee status or complementary protection."""
    a = _row("asylum_mexico.csv", period="2013-2020Sep", metric="recognition_rate_refugee")
    b = _row("asylum_mexico.csv", period="2013-2020Sep", metric="rate_complementary_protection")
    value = (float(a["value"]) + float(b["value"])) / 100.0
    return Figure(value, "share", _join(a["source"], b["source"]), "refugee + complementary")


def comar_pending_sep_2019() -> Figure:
    """COMAR case files pending in September 2019."""
    row = _row("asylum_mexico.csv", period="2019Sep", metric="case_files_pending")
    return Figure(float(row["value"]), "case files", row["source"], row["note"])


def inm_return_share_2015() -> Figure:
    """Central Americans returned per person presented to INM, 2015."""
    returned = _row("inm_returns.csv", year="2015", metric="returned_devueltos")
    presented = _row("inm_returns.csv", year="2015", metric="presented_to_migration_authority")
    return Figure(
        float(returned["value"]) / float(presented["value"]),
        "share",
        _join(returned["source"], presented["source"]),
        "derived: returned / presented, Central Americans 2015",
    )
