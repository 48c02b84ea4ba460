"""Compile step: statuses and outcome tables (``docs/model.md`` §3.3.4).

For every service and group, the most specific selector of the service's ``outcomes`` (by
nationality and demographic; else ``default``; else ``release``) gives the verbs' daily
probabilities and their arguments (place, target service, days, status, to the origin). A table
is recomputed on each day one of its probabilities changes (``outcome_days``); ``rest`` is one
minus the others that day; a row is normalised to sum to 1 (all zero: ``release``).

Statuses are ``none`` and every status an outcome grants; a status *protects in transit*
(exempt from apprehension outside the destination) when its name says visa, refugee,
protection or a pending asylum claim.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from corredor.engine.services import N_VERBS, Verb
from corredor.rules.corridor.compile.params import DailyParameters
from corredor.rules.corridor.compile.population import Groups
from corredor.scenario.corridor.base import DEFAULT_SELECTOR
from corredor.scenario.corridor.services import TO_ORIGIN, Outcome

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
#: per (service, group): the verbs and their daily probabilities (None: ``rest``)
Cells = list[tuple[int, int, list[tuple[int, FloatArray | None]]]]


@dataclass
class VerbArgs:
    """The arguments of every (service, group, verb) outcome: place, service, days, status."""

    place: IntArray  # (S, G, V) location index or -1
    service: IntArray  # (S, G, V) target service or -1
    days: FloatArray  # (S, G, V) wait length (return_to_wait)
    status: IntArray  # (S, G, V) status code (0 = none)
    to_origin: npt.NDArray[np.bool_]  # (S, G, V) deport to the agent's origin


@dataclass
class OutcomeTables:
    """Outcome probabilities and verb arguments (part of ``Compiled``)."""

    outcome_days: tuple[int, ...]  # days on which outcome tables change (0 first)
    outcome_tables: tuple[FloatArray, ...]  # each (S, G, V)
    verb_args: VerbArgs
    status_names: tuple[str, ...]
    protected_status: npt.NDArray[np.bool_]  # (statuses,) exempt from transit enforcement
    #: port routes (``presents``): (port, group, daily share) of each group whose share is not
    #: 0 every day; empty: no port route (the border choice is left as it is)
    port_routes: tuple[tuple[int, int, FloatArray], ...]

    def port_route_on(self, day: int, shape: tuple[int, int]) -> FloatArray | None:
        """The (services, groups) port-route shares of day ``day`` (None: no port route)."""
        if not self.port_routes:
            return None
        out = np.zeros(shape)
        for s, g, arr in self.port_routes:
            out[s, g] = arr[day]
        return out

    @functools.cached_property
    def settling_status(self) -> npt.NDArray[np.bool_]:
        """(statuses,) protection a refugee may settle on in a transit country: a protecting
        status whose name does not contain ``visa`` (a travel document). Made once, not on
        every grant."""
        visa = np.array(["visa" in name for name in self.status_names], dtype=bool)
        settling: npt.NDArray[np.bool_] = self.protected_status & ~visa
        return settling


def protects_in_transit(status: str) -> bool:
    """Statuses that give a document in the transit country (visa, protection, pending claim)."""
    s = status.lower()
    return any(k in s for k in ("visa", "refugee", "protection", "asylum_pending"))


def compile_outcomes(
    p: DailyParameters, groups: Groups, loc_ix: dict[str, int], svc_ix: dict[str, int]
) -> OutcomeTables:
    services = p.scenario.services
    statuses: list[str] = ["none"]
    for svc in services:
        for table in svc.outcomes.values():
            for oc in table.values():
                if oc.status and oc.status not in statuses:
                    statuses.append(oc.status)
    S, G, V = len(services), len(groups.group_nat), N_VERBS
    args = VerbArgs(
        place=np.full((S, G, V), -1, dtype=np.int32),
        service=np.full((S, G, V), -1, dtype=np.int32),
        days=np.zeros((S, G, V)),
        status=np.zeros((S, G, V), dtype=np.int32),
        to_origin=np.zeros((S, G, V), dtype=bool),
    )
    cells, change_days = _cells(p, groups, statuses, args, loc_ix, svc_ix)
    outcome_days = tuple(sorted(d for d in change_days if d < p.days))
    return OutcomeTables(
        outcome_days=outcome_days,
        outcome_tables=tables_on(outcome_days, cells, (S, G, V)),
        verb_args=args,
        status_names=tuple(statuses),
        protected_status=np.array([protects_in_transit(s) for s in statuses]),
        port_routes=_port_routes(p, groups),
    )


def _port_routes(p: DailyParameters, groups: Groups) -> tuple[tuple[int, int, FloatArray], ...]:
    """Per port and group, the daily share of would-be irregular crossers who present at the
    port (``presents``: the most specific selector of the group); only the non-zero ones."""
    out: list[tuple[int, int, FloatArray]] = []
    for s, svc in enumerate(p.scenario.services):
        if not svc.presents:
            continue
        for g in range(len(groups.group_nat)):
            sel = groups.selector(svc.presents, g)
            if sel is None:
                continue
            arr = np.clip(p.series(f"services.{svc.name}.presents.{sel}"), 0.0, 1.0)
            if arr.any():
                out.append((s, g, arr))
    return tuple(out)


def _cells(
    p: DailyParameters,
    groups: Groups,
    statuses: list[str],
    args: VerbArgs,
    loc_ix: dict[str, int],
    svc_ix: dict[str, int],
) -> tuple[Cells, set[int]]:
    """Which selector applies to each (service, group), the verbs' daily probabilities, and
    the days they change; fills ``args``."""
    cells: Cells = []
    change_days: set[int] = {0}
    for s, svc in enumerate(p.scenario.services):
        for g in range(len(groups.group_nat)):
            sel = groups.selector(svc.outcomes, g)
            if sel is None:
                sel = DEFAULT_SELECTOR if DEFAULT_SELECTOR in svc.outcomes else None
            if sel is None:
                cells.append((s, g, [(int(Verb.RELEASE), None)]))
                continue
            row: list[tuple[int, FloatArray | None]] = []
            for verb_name, oc in svc.outcomes[sel].items():
                v = int(Verb[verb_name.upper()])
                path = f"services.{svc.name}.outcomes.{sel}.{verb_name}"
                if oc.p.rest and f"{path}.p" not in p.touched:
                    row.append((v, None))
                else:
                    arr = p.series(f"{path}.p")
                    change_days.update((np.flatnonzero(np.diff(arr)) + 1).tolist())
                    row.append((v, arr))
                _verb_args(args, (s, g, v), oc, p, path, statuses, loc_ix, svc_ix)
            cells.append((s, g, row))
    return cells, change_days


def _verb_args(
    args: VerbArgs,
    at: tuple[int, int, int],
    oc: Outcome,
    p: DailyParameters,
    path: str,
    statuses: list[str],
    loc_ix: dict[str, int],
    svc_ix: dict[str, int],
) -> None:
    """The arguments of verb ``at`` = (service, group, verb) from its outcome ``oc``, whose
    dotted parameter name is ``path``."""
    if oc.place is not None:
        args.place[at] = loc_ix[oc.place]
    if oc.to is not None:
        if oc.to == TO_ORIGIN:
            args.to_origin[at] = True
        else:
            args.place[at] = loc_ix[oc.to]
    if oc.service is not None:
        args.service[at] = svc_ix[oc.service]
    if oc.days is not None:
        args.days[at] = float(p.series(f"{path}.days")[0])
    if oc.status is not None:
        args.status[at] = statuses.index(oc.status)


def tables_on(
    days: tuple[int, ...], cells: Cells, shape: tuple[int, int, int]
) -> tuple[FloatArray, ...]:
    """The outcome tables of ``days``: :func:`table_on` of each day, bit for bit, with every
    (service, group) cell of a day at once (a preview compiles its scenario on each lever move;
    the cell by cell loop cost ~0.2 s of it)."""
    S, G, V = shape
    at: list[int] = []  # flat (s, g, v) of each verb with a daily probability
    series: list[FloatArray] = []
    rest = np.full(S * G, -1, dtype=np.int64)  # the verb that takes the rest, per cell
    for s, g, row in cells:
        for v, arr in row:
            if arr is None:
                rest[s * G + g] = v
            else:
                at.append((s * G + g) * V + v)
                series.append(arr)
    flat_at = np.asarray(at, dtype=np.int64)
    daily = np.array(series, dtype=np.float64) if series else np.zeros((0, 1))
    has_rest = np.flatnonzero(rest >= 0)
    rest_at = has_rest * V + rest[has_rest]
    out: list[FloatArray] = []
    for d in days:
        flat = np.zeros(S * G * V)
        if flat_at.shape[0]:
            flat[flat_at] = np.clip(daily[:, d], 0.0, 1.0)
        t = flat.reshape(S * G, V)  # one row per cell (a view of flat)
        left = 1.0 - t[has_rest].sum(axis=1)
        flat[rest_at] = np.where(left > 0.0, left, 0.0)  # max(0.0, left)
        total = t.sum(axis=1)
        empty = total <= 0
        t[empty, int(Verb.RELEASE)] = 1.0
        t[~empty] /= total[~empty, None]
        out.append(t.reshape(S, G, V))
    return tuple(out)


def table_on(d: int, cells: Cells, shape: tuple[int, int, int]) -> FloatArray:
    """The outcome table of day ``d``, cell by cell (the readable spec of :func:`tables_on`)."""
    out = np.zeros(shape)
    for s, g, row in cells:
        rest_v = -1
        for v, arr in row:
            if arr is None:
                rest_v = v
            else:
                out[s, g, v] = float(np.clip(arr[d], 0.0, 1.0))
        total = out[s, g].sum()
        if rest_v >= 0:
            out[s, g, rest_v] = max(0.0, 1.0 - total)
        total = out[s, g].sum()
        if total <= 0:
            out[s, g, Verb.RELEASE] = 1.0
        else:
            out[s, g] /= total
    return out
