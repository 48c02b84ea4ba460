"""Codes of location kinds and the service kinds the corridor processes treat specially."""

from __future__ import annotations

#: Location kind codes (``Compiled.loc_kind``).
KIND_CODES = {
    "origin": 0,
    "crossing": 1,
    "town": 2,
    "city": 3,
    "border_city": 4,
    "port": 5,
    "destination": 6,
}
BORDER_CITY = KIND_CODES["border_city"]
#: Service kinds an agent may apply to on the way (asylum, visas) and at the border (ports).
TRANSIT_KINDS = ("asylum_office", "visa_office")
ASYLUM_KIND = "asylum_office"
PORT_KIND = "port_intake"
DETENTION_KIND = "detention"
COURT_KIND = "immigration_court"
