"""Which model observables a forecast reports, under the observed data's category names.

The mapping is read from the scenario itself: an observable whose observed data select rows by
``component`` (``filter: {component: USBP, slice: by_citizenship, citizenship: Guatemala}``) is
reported as ``component, citizenship, demographic`` with the filter's values and ``All`` where
the filter does not split (the convention of the observed files). So the forecast uses exactly the
category names of the data the model was compared with, and adds none of its own.

Left out, and why (:func:`forecast_categories` returns them as ``skipped``):

* monthly observables whose data split the series by another column than component,
  citizenship and demographic — legal authority (``title_of_authority``: Title 8 / Title 42),
  Border Patrol sector (``area``) — : the forecast's columns have no such dimension;
* observables whose data are not split by ``component`` (MPP, COMAR, INM, TVRH series) or are
  not monthly: they are not border-encounter series.

Derived categories come from the scenario's analysis settings (``analysis: forecast:
derived``), added when all their parts exist: ``mexico-us``'s ``CBP_total`` (the name its
observed totals file uses) is, run by run, ``USBP``/All/All plus ``OFO``/All/All.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corredor.scenario.corridor import CorridorScenario

ALL = "All"
#: Filter columns that map onto the forecast's columns (``slice`` only names the split).
_REPORTED = ("component", "slice", "citizenship", "demographic")


@dataclass(frozen=True)
class Category:
    """A forecast row label and the observables summed (run by run) to produce it."""

    component: str
    citizenship: str
    demographic: str
    observables: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.component, self.citizenship, self.demographic)


@dataclass(frozen=True)
class CategoryMap:
    categories: tuple[Category, ...]
    skipped: tuple[tuple[str, str], ...]  # (observable, why)


def forecast_categories(scenario: CorridorScenario) -> CategoryMap:
    """The border-encounter categories of ``scenario`` (module docstring)."""
    cats: list[Category] = []
    skipped: list[tuple[str, str]] = []
    seen: set[tuple[str, str, str]] = set()
    for ob in scenario.observables:
        flt = ob.data.filter if ob.data is not None else {}
        if "component" not in flt:
            skipped.append((ob.name, "not a border-encounter series (data not split by component)"))
            continue
        if ob.frequency != "month":
            skipped.append((ob.name, f"{ob.frequency}ly, not monthly"))
            continue
        split = [k for k in flt if k not in _REPORTED and flt[k] != ALL]
        if split:
            skipped.append(
                (ob.name, f"split by {', '.join(split)} ({flt[split[0]]}): no forecast column")
            )
            continue
        cat = Category(
            flt["component"], flt.get("citizenship", ALL), flt.get("demographic", ALL), (ob.name,)
        )
        if cat.key in seen:
            skipped.append((ob.name, f"category {cat.key} already given by another observable"))
            continue
        seen.add(cat.key)
        cats.append(cat)
    by_key = {c.key: c for c in cats}
    for derived in scenario.analysis_settings().forecast.derived:
        parts = [by_key.get((component, ALL, ALL)) for component in derived.sum]
        if (derived.component, ALL, ALL) in by_key or any(p is None for p in parts):
            continue
        summed = tuple(ob for p in parts if p is not None for ob in p.observables)
        cats.append(Category(derived.component, ALL, ALL, summed))
    return CategoryMap(tuple(cats), tuple(skipped))


__all__ = ["ALL", "Category", "CategoryMap", "forecast_categories"]
