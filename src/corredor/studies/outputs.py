"""What a study counts, one number per run and output over the study's period.

Every measure is generic — it reads kinds (``asylum_office``, ``detention``, ``border_city``),
the destination country, the scenario's transit country (``roles.transit_country``; without
one, everything outside the destination is the transit state's, as in the ledger) and the
scenario's names, never one scenario's — and is computed from
the recorder of a run between two days: a :class:`Mark` taken before the period's first day
(cumulative counts so far) and the run's state after its last day (runs end on the period's
last day).

=================================  ======================================================  ======
measure                            what                                                    unit
=================================  ======================================================  ======
``observable``                     a scenario observable summed over the period            its own
``encounters_destination``         apprehensions in the destination's enforcement zones    events
``repeat_encounters_destination``  of those, people apprehended there before (re-attempts)  events
``apprehensions_transit``          apprehensions in zones outside the destination          events
``deportations_transit``           ``deport`` by services outside the destination          people
``deportations_without_screening`` deportations with no protection screening               people
``detention_days_transit``         person-days in detention services outside the destination days
``detention_days_destination``     person-days in detention services in the destination    days
``stranded_person_days``           person-days stranded in border cities (``by: place``)   days
``hearing_waiting_person_days``    of those, waiting in a border city for a dated hearing  days
``asylum_applications_transit``    joins of asylum offices outside the destination         people
``asylum_decisions_transit``       grants and denials of those offices                     people
``asylum_backlog_transit_end``     cases queued or in service there on the last day        cases
``asylum_wait_transit_mean_days``  mean days from joining to leaving, people served there  days
``settled_transit``                people who settled in the transit country               people
``expulsions``                     ``expel`` (e.g. Title 42) by any service                events
``returned_to_wait``               ``return_to_wait`` (e.g. MPP) by any service            events
=================================  ======================================================  ======

``nationalities`` and ``demographics`` restrict the event measures (and the unscreened
deportations, the repeat encounters) to those groups.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from corredor.engine.services import Verb
from corredor.rules.corridor.compiled import BORDER_CITY
from corredor.rules.corridor.kinds import ASYLUM_KIND, DETENTION_KIND
from corredor.rules.corridor.state import EVENT_KINDS, Phase
from corredor.studies.schema import OutputSpec
from corredor.trackers.corridor.ledger import transit_masks

__all__ = [
    "GROUPED",
    "MEASURES",
    "Mark",
    "OutputColumn",
    "check_output",
    "columns",
    "mark",
    "period_values",
]

FloatArray = npt.NDArray[np.float64]

#: measure → (label, unit)
MEASURES: dict[str, tuple[str, str]] = {
    "observable": ("observable", ""),
    "encounters_destination": ("apprehensions at the destination's border", "events"),
    "repeat_encounters_destination": (
        "repeat apprehensions at the destination's border (people apprehended there before)",
        "events",
    ),
    "apprehensions_transit": ("apprehensions in the transit country", "events"),
    "deportations_transit": ("deportations from the transit country", "people"),
    "deportations_without_screening": ("deportations without a protection screening", "people"),
    "detention_days_transit": ("detention-days in the transit country", "person-days"),
    "detention_days_destination": ("detention-days in the destination", "person-days"),
    "stranded_person_days": ("person-days stranded in border cities", "person-days"),
    "hearing_waiting_person_days": (
        "person-days waiting in border cities for a hearing",
        "person-days",
    ),
    "asylum_applications_transit": ("asylum applications in the transit country", "people"),
    "asylum_decisions_transit": ("asylum decisions in the transit country", "people"),
    "asylum_backlog_transit_end": ("asylum backlog in the transit country (last day)", "cases"),
    "asylum_wait_transit_mean_days": (
        "mean wait for an asylum decision in the transit country",
        "days",
    ),
    "settled_transit": ("people settled in the transit country", "people"),
    "expulsions": ("expulsions", "events"),
    "returned_to_wait": ("returned to wait for a hearing", "events"),
}

#: measures that can be restricted to nationalities / demographics
GROUPED = frozenset(
    {
        "encounters_destination",
        "repeat_encounters_destination",
        "apprehensions_transit",
        "deportations_transit",
        "deportations_without_screening",
        "asylum_applications_transit",
        "asylum_decisions_transit",
        "expulsions",
        "returned_to_wait",
    }
)


def check_output(spec: OutputSpec, scenario: Any) -> tuple[tuple[str | int, ...], str] | None:
    """What is wrong with an output for this scenario — (the path inside the output, the
    message) — or None."""
    if spec.measure == "observable":
        names = [o.name for o in scenario.observables]
        if spec.observable not in names:
            close = difflib.get_close_matches(str(spec.observable), names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return ("observable",), f"{scenario.name} has no observable {spec.observable!r}{hint}"
    if (spec.nationalities or spec.demographics) and spec.measure not in GROUPED:
        return (), f"measure {spec.measure} cannot be restricted to nationalities or demographics"
    nats = {str(n).lower() for n in scenario.nationalities}
    for j, n in enumerate(spec.nationalities):
        if n.lower() not in nats:
            have = ", ".join(scenario.nationalities)
            return ("nationalities", j), f"{scenario.name} has no nationality {n!r} (it has {have})"
    dems = [str(d) for d in scenario.groups.demographics]
    for j, d in enumerate(spec.demographics):
        if d not in dems:
            have = ", ".join(sorted(dems))
            return ("demographics", j), f"{scenario.name} has no demographic {d!r} (it has {have})"
    return None


@dataclass(frozen=True)
class OutputColumn:
    """One number a study reports: an output (or one place of a ``by: place`` output)."""

    name: str
    output: str
    label: str
    unit: str
    place: str | None = None
    label_es: str | None = None


def columns(outputs: Sequence[OutputSpec], compiled: Any) -> list[OutputColumn]:
    """The columns of a study's outputs, places expanded (border cities in scenario order)."""
    cities = [compiled.loc_names[i] for i in np.flatnonzero(compiled.loc_kind == BORDER_CITY)]
    out: list[OutputColumn] = []
    for o in outputs:
        label, unit = MEASURES[o.measure]
        if o.measure == "observable":
            ob = next(x for x in compiled.scenario.observables if x.name == o.observable)
            label, unit = ob.description or str(o.observable), ob.unit
        label = o.label or label
        es = o.label_es
        out.append(OutputColumn(o.name, o.name, label, unit, None, es))
        if o.by == "place":
            for city in cities:
                es_city = f"{es}: {city}" if es else None
                out.append(
                    OutputColumn(
                        f"{o.name}:{city}", o.name, f"{label}: {city}", unit, city, es_city
                    )
                )
    return out


# ------------------------------------------------------------------------------ readings
@dataclass(frozen=True)
class Mark:
    """Cumulative counts of a run before a day: what a period's values are measured from."""

    day: int
    events: npt.NDArray[np.int64]  # (K, X, G) every event so far
    dest_repeat: npt.NDArray[np.int64]  # (G,) repeat apprehensions in the destination so far
    unscreened: npt.NDArray[np.int64]  # (G,) deportations without screening so far
    wait_sum: FloatArray  # (S,) days waited by people served so far
    wait_n: FloatArray  # (S,) people served so far
    settled: int  # people settled in the transit country so far


def mark(model: Any, day: int) -> Mark:
    """The cumulative counts of ``model`` before ``day`` runs (call it then)."""
    r = model.recorder
    phase = model.agents["phase"][: model.agents.n]
    return Mark(
        day=day,
        events=np.asarray(r.events.sum(axis=0), dtype=np.int64),
        dest_repeat=np.asarray(r.dest_repeat.sum(axis=0), dtype=np.int64),
        unscreened=np.asarray(r.unscreened_year.sum(axis=0), dtype=np.int64).copy(),
        wait_sum=np.asarray(r.wait_sum.sum(axis=0), dtype=np.float64).copy(),
        wait_n=np.asarray(r.wait_n.sum(axis=0), dtype=np.float64).copy(),
        settled=int(np.count_nonzero(phase == int(Phase.SETTLED))),
    )


def _groups(c: Any, spec: OutputSpec) -> npt.NDArray[np.bool_]:
    G = c.n_groups
    keep = np.ones(G, dtype=bool)
    if spec.nationalities:
        wanted = {n.lower() for n in spec.nationalities}
        keep &= np.array([c.nat_names[c.group_nat[g]].lower() in wanted for g in range(G)])
    if spec.demographics:
        wanted = set(spec.demographics)
        keep &= np.array([c.dem_names[c.group_dem[g]] in wanted for g in range(G)])
    return keep


def _stranded(r: Any, name: str) -> npt.NDArray[np.int32]:
    if name == "hearing":
        return np.asarray(getattr(r, "hearing_waiting", getattr(r, "mpp_waiting", None)))
    return np.asarray(r.stranded)


class _Reader:
    """The arrays of one run over the period ``[start.day, end]``."""

    def __init__(self, model: Any, start: Mark, end_day: int) -> None:
        self.c = c = model.c
        self.r = r = model.recorder
        self.model = model
        self.start = start
        self.s, self.e = start.day, end_day
        self.ev = r.events.sum(axis=0) - start.events  # (K, X, G) over the period
        self.dest_repeat = r.dest_repeat.sum(axis=0) - start.dest_repeat  # (G,)
        kinds = np.array(c.svc_kind)
        in_dest = np.asarray(c.loc_in_dest)[np.asarray(c.svc_loc)]
        transit, zone_transit = transit_masks(c)
        self.asylum_transit = (kinds == ASYLUM_KIND) & transit
        self.detention_transit = (kinds == DETENTION_KIND) & transit
        self.detention_dest = (kinds == DETENTION_KIND) & in_dest
        self.svc_transit = transit
        self.zone_transit = zone_transit
        self.zone_dest = np.asarray(c.zone_in_dest, dtype=bool)
        self.S, self.Z = len(c.svc_names), len(c.zone_names)

    def events(self, kind: str | int, targets: npt.NDArray[np.bool_] | None, groups: Any) -> float:
        k = EVENT_KINDS.index(kind) if isinstance(kind, str) else int(kind)
        ev = self.ev[k]
        if targets is not None:
            ev = ev[: len(targets)][targets]
        return float(ev[..., groups].sum())

    def stock(self, svc: npt.NDArray[np.bool_]) -> float:
        st = self.r.svc_stock[self.s : self.e + 1]
        return float(st[:, svc, :2].sum())


def _observable(rd: _Reader, o: OutputSpec, g: Any) -> float:
    i = [x.name for x in rd.c.scenario.observables].index(o.observable)
    return float(rd.r.obs_daily[rd.s : rd.e + 1, i].sum())


def _unscreened(rd: _Reader, o: OutputSpec, g: Any) -> float:
    now = np.asarray(rd.r.unscreened_year.sum(axis=0), dtype=np.int64)
    return float((now - rd.start.unscreened)[g].sum())


def _wait(rd: _Reader, o: OutputSpec, g: Any) -> float:
    r, m = rd.r, rd.asylum_transit
    ws = (np.asarray(r.wait_sum.sum(axis=0)) - rd.start.wait_sum)[m].sum()
    wn = (np.asarray(r.wait_n.sum(axis=0)) - rd.start.wait_n)[m].sum()
    return float(ws / wn) if wn > 0 else float("nan")


def _settled(rd: _Reader, o: OutputSpec, g: Any) -> float:
    phase = rd.model.agents["phase"][: rd.model.agents.n]
    return float(np.count_nonzero(phase == int(Phase.SETTLED)) - rd.start.settled)


def _decisions(rd: _Reader, o: OutputSpec, g: Any) -> float:
    grant = rd.events(int(Verb.GRANT), rd.asylum_transit, g)
    return grant + rd.events(int(Verb.DENY), rd.asylum_transit, g)


_Measure = Callable[[_Reader, OutputSpec, Any], float]
_MEASURE: dict[str, _Measure] = {
    "observable": _observable,
    "encounters_destination": lambda rd, o, g: rd.events("apprehend", rd.zone_dest, g),
    "repeat_encounters_destination": lambda rd, o, g: float(rd.dest_repeat[g].sum()),
    "apprehensions_transit": lambda rd, o, g: rd.events("apprehend", rd.zone_transit, g),
    "deportations_transit": lambda rd, o, g: rd.events(int(Verb.DEPORT), rd.svc_transit, g),
    "deportations_without_screening": _unscreened,
    "detention_days_transit": lambda rd, o, g: rd.stock(rd.detention_transit),
    "detention_days_destination": lambda rd, o, g: rd.stock(rd.detention_dest),
    "asylum_applications_transit": lambda rd, o, g: rd.events("join", rd.asylum_transit, g),
    "asylum_decisions_transit": _decisions,
    "asylum_backlog_transit_end": lambda rd, o, g: float(
        rd.r.svc_stock[rd.e, rd.asylum_transit, :2].sum()
    ),
    "asylum_wait_transit_mean_days": _wait,
    "settled_transit": _settled,
    "expulsions": lambda rd, o, g: rd.events(int(Verb.EXPEL), None, g),
    "returned_to_wait": lambda rd, o, g: rd.events(int(Verb.RETURN_TO_WAIT), None, g),
}


def _stranded_values(rd: _Reader, o: OutputSpec) -> dict[str, float]:
    arr = _stranded(rd.r, "stranded" if o.measure == "stranded_person_days" else "hearing")
    per_city = arr[rd.s : rd.e + 1].sum(axis=0).astype(np.float64)
    out = {o.name: float(per_city.sum())}
    if o.by == "place":
        cities = np.flatnonzero(rd.c.loc_kind == BORDER_CITY)
        for j, loc in enumerate(cities):
            out[f"{o.name}:{rd.c.loc_names[loc]}"] = float(per_city[j])
    return out


def period_values(
    outputs: Sequence[OutputSpec], model: Any, start: Mark, end_day: int
) -> dict[str, float]:
    """Every output column's value for the run in ``model`` over ``[start.day, end_day]``
    (``model`` has run ``end_day``)."""
    rd = _Reader(model, start, end_day)
    out: dict[str, float] = {}
    for o in outputs:
        if o.measure in ("stranded_person_days", "hearing_waiting_person_days"):
            out.update(_stranded_values(rd, o))
        else:
            out[o.name] = _MEASURE[o.measure](rd, o, _groups(rd.c, o))
    return out
