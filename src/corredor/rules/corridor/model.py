"""The corridor model: agents, institutions and policies, one day at a time.

The order of a day is :data:`PLAN` (printed by ``corredor run mexico-us --show-plan``):

1. ``policy``      today's parameters from the policy timeline (capacities, outcome tables,
                   enforcement effort) — processes read nothing else;
2. ``depart``      new agents at the origins (Poisson counts around the expected departures),
                   and removed agents who leave again today;
3. ``serve``       every service serves its queue and draws outcome verbs; the verbs are applied
                   (:meth:`CorridorModel.apply_verbs`);
4. ``decide``      agents at a place decide: apply to a service on the way (asylum, visas);
                   in a border city wait, join a port's list, cross irregularly, go home or
                   settle; people waiting for a dated hearing may give up;
5. ``move``        agents travel along links at the links' speeds, choosing each next link by
                   utility (a multinomial logit); the time spent in each enforcement zone today
                   is their exposure;
6. ``enforce``     apprehension draws on today's exposure; apprehended agents join the zone's
                   detention or processing service;
7. ``track``       (tracker) stocks of people by phase, place and service for the ledger.

Every random draw is ``uniform(seed, stream, day, agent, k)`` (``corredor.engine.rng``), so a
run depends only on its seed, not on the order agents are processed in. Movement and exposure
(the heaviest process) is the numba kernel ``corredor.rules.corridor.kernels.move_day``, one
agent per thread, with a NumPy twin as its test oracle; the service queues are the numba
kernels of ``corredor.engine.services``; each process's passes over the active agents (who
decides, who is exposed, apprehensions, the active list, the stocks) are single numba loops in
``corredor.rules.corridor.active``, each with its NumPy twin; the rest are NumPy operations on
the agents concerned.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from corredor.engine.agents import AgentTable
from corredor.engine.plan import DayPlan, process, tracker
from corredor.engine.rng import mix64, stream_key_np, uniform_from_key_np
from corredor.engine.services import ServiceSystem, Verb
from corredor.rules.corridor.active import (
    active_stocks,
    border_choice,
    decide_lists,
    drain_hops,
    enforce_draws,
    keep_active,
    move_inputs,
    new_at_border,
)
from corredor.rules.corridor.compiled import (
    BORDER_CITY,
    DETENTION_KIND,
    PORT_KIND,
    TRANSIT_KINDS,
    Compiled,
)
from corredor.rules.corridor.kernels import draw_links_np, move_day, within_table
from corredor.rules.corridor.recorder import Recorder
from corredor.rules.corridor.state import (
    COLUMNS,
    EV_APPREHEND,
    EV_ARRIVE,
    EV_DEPART,
    EV_EVADE,
    EV_HARM,
    EV_JOIN,
    Phase,
)

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]

# random streams of the corridor model (the Flee rules use 1..7, services 1<<16 + s)
STREAM_DEPART = 101
STREAM_GROUP = 102
STREAM_DECIDE = 103
STREAM_ROUTE = 104
STREAM_ENFORCE = 105
STREAM_VERBS = 106
STREAM_HARM = 107
MAX_HOPS = 12
#: Calibration parameters the engine reads by name (a scenario may declare them; without them
#: the defaults in the code below apply): re-attempts, MPP give-up, settling, visa uptake,
#: the perceived openness of the corridor and word of the asylum procedure.
ENGINE_PARAMETERS = (
    "reattempt_share_removed",
    "reattempt_delay_days",
    "reattempt_share_border",
    "mpp_abandon_hazard",
    "settle_after_protection",
    "apply_visa_propensity",
    "openness_elasticity",
    "openness_memory_days",
    "openness_reference_days",
    "openness_multiplier_max",
    "asylum_network_people",
)


def _cal(c: Compiled, name: str, day: int, default: float) -> float:
    arr = c.decision.get(f"calibration.{name}")
    return default if arr is None else float(arr[day])


def _opt(c: Compiled, key: str, day: int, default: float = 0.0) -> float:
    arr = c.decision.get(key)
    return default if arr is None else float(arr[day])


@dataclass
class _Keys:
    depart: np.uint64
    group: np.uint64
    decide: np.uint64
    route: np.uint64
    enforce: np.uint64
    verbs: np.uint64
    harm: np.uint64


class CorridorModel:
    """State of one corridor run: the agents, the services and the recorder."""

    def __init__(self, compiled: Compiled, seed: int = 0, *, parallel: bool = False) -> None:
        self.c = c = compiled
        self.seed = int(seed)
        # room for the expected departures (+2 %) from the start: growing by doubling copies
        # every column several times and can leave twice the room needed
        expected = float(c.departures.sum() + c.caravan_departures.sum())
        self.agents = AgentTable(COLUMNS, capacity=max(1 << 16, int(1.02 * expected)))
        self.services = ServiceSystem(
            c.service_table(),
            seed=self.seed,
            group_column="group",
            parallel=parallel,
            queue_capacity=1024,
            calendar_horizon=512,
        )
        k = lambda s: stream_key_np(self.seed, s)  # noqa: E731
        self.keys = _Keys(
            k(STREAM_DEPART),
            k(STREAM_GROUP),
            k(STREAM_DECIDE),
            k(STREAM_ROUTE),
            k(STREAM_ENFORCE),
            k(STREAM_VERBS),
            k(STREAM_HARM),
        )
        self.active = np.zeros(0, dtype=np.int32)
        self.wake: dict[int, list[IntArray]] = defaultdict(list)
        self.exposure = np.zeros(0)
        self.expo_zone = np.zeros(0, dtype=np.int32)
        self._hop_buf = np.full((2, 0), -1, dtype=np.int32)
        self.recorder = Recorder(c)
        self.day = 0
        # per-day derived tables
        self._effort = c.zone_effort[0]
        self._hazard = c.zone_hazard[0]
        self._ahead = np.zeros((c.n_groups, len(c.loc_names)))
        self._ahead_key = b""
        self._cross_key = b""
        self._travel_key = b""
        self._stock_loc = np.zeros(len(c.loc_names))
        self._stock_loc_nat = np.zeros((len(c.loc_names), len(c.nat_names)))
        S = len(c.svc_names)
        self._svc_is_port = np.array([k == PORT_KIND for k in c.svc_kind])
        self._svc_is_transit = np.array([k in TRANSIT_KINDS for k in c.svc_kind])
        self._svc_is_detention = np.array([k == DETENTION_KIND for k in c.svc_kind])
        self._svc_in_dest = c.loc_in_dest[c.svc_loc]
        self._svc_at = [np.flatnonzero(c.svc_loc == i) for i in range(len(c.loc_names))]
        # asylum offices in a nationality's own country do not apply to it
        own = np.array(
            [
                [c.loc_country[c.svc_loc[s]] == country for s in range(S)]
                for country in c.nat_country
            ]
        )
        self._svc_own_country = own  # (N, S)
        # perceived openness (MODEL.md §4 step 2): outcomes of recent attempts, per group
        G = c.n_groups
        self._succ_today = np.zeros(G)
        self._fail_today = np.zeros(G)
        self._succ = np.zeros(G)  # exponentially weighted recent successes
        self._fail = np.zeros(G)  # ... and failures
        self._open_ref = np.full(G, np.nan)  # openness at the end of the reference period
        self.openness_multiplier = np.ones(G)
        # people of each nationality granted protection in a transit country so far
        self.protected_transit = np.zeros(len(c.nat_names))
        dem_share = np.diff(
            np.concatenate([np.zeros((len(c.nat_names), 1)), c.share_cum], 1), axis=1
        )
        self._dem_share = np.maximum(dem_share, 0.0)  # (N, D)

    # ================================================================== helpers
    def u(self, key: np.uint64, ids: IntArray, k: int = 0) -> FloatArray:
        return uniform_from_key_np(key, self.day, ids.astype(np.int64), k)

    def _set_phase(self, ids: IntArray, phase: Phase) -> None:
        self.agents["phase"][ids] = phase
        self.agents["since"][ids] = self.day
        if phase != Phase.TRAVEL:
            self.agents["caravan"][ids] = 0  # a caravan ends at the border or a service

    def _phase_at(self, ids: IntArray) -> None:
        """TRAVEL, BORDER or IN_DEST according to where the agents are."""
        loc = self.agents["loc"][ids]
        ph = np.where(
            self.c.loc_in_dest[loc],
            Phase.IN_DEST,
            np.where(self.c.loc_kind[loc] == BORDER_CITY, Phase.BORDER, Phase.TRAVEL),
        )
        self.agents["phase"][ids] = ph
        self.agents["since"][ids] = self.day
        self.agents["link"][ids] = -1
        self.agents["caravan"][ids[ph != Phase.TRAVEL]] = 0
        city = self.c.border_of_loc[loc]
        at_city = city >= 0
        self.agents["target"][ids[at_city]] = city[at_city]

    def _activate(self, ids: IntArray) -> None:
        if ids.shape[0]:
            self.active = np.concatenate([self.active, ids.astype(np.int32)])

    def _outcome(self, ids: IntArray, *, success: bool) -> None:
        """Count today's outcomes of attempts per group for the perceived-openness term."""
        if ids.shape[0]:
            acc = self._succ_today if success else self._fail_today
            acc += np.bincount(self.agents["group"][ids], minlength=acc.shape[0])

    def _update_openness(self, day: int) -> None:
        """Perceived openness per group, o = (S + 1) / (S + F + 2), from exponentially weighted
        counts S of recent successes (entries into the destination, statuses granted) and F of
        recent failures (deportations, expulsions, returns to wait), memory
        ``openness_memory_days``. Departures are multiplied by (o / o_ref) ** elasticity, with
        o_ref the openness at the end of the first ``openness_reference_days`` (before then
        the multiplier is 1): a calibrated elasticity of 0 switches the feedback off."""
        c = self.c
        tau = max(_cal(c, "openness_memory_days", day, 90.0), 1.0)
        keep = np.exp(-1.0 / tau)
        self._succ = keep * self._succ + self._succ_today
        self._fail = keep * self._fail + self._fail_today
        self._succ_today[:] = 0.0
        self._fail_today[:] = 0.0
        eps = _cal(c, "openness_elasticity", day, 0.0)
        o = (self._succ + 1.0) / (self._succ + self._fail + 2.0)
        ref_day = int(_cal(c, "openness_reference_days", day, 365.0))
        if day == ref_day or (day > ref_day and np.isnan(self._open_ref[0])):
            self._open_ref = o.copy()
        if eps == 0.0 or np.isnan(self._open_ref[0]):
            self.openness_multiplier = np.ones_like(o)
        else:
            cap = _cal(c, "openness_multiplier_max", day, 10.0)
            mult = (o / self._open_ref) ** eps
            self.openness_multiplier = np.clip(mult, 1.0 / cap, cap)

    def _join(self, ids: IntArray, svc: IntArray) -> None:
        """Agents join services' queues: phase SERVICE, moved to the service's place."""
        if ids.shape[0] == 0:
            return
        order = np.lexsort((ids, svc))
        ids, svc = ids[order], svc[order]
        self.services.withdraw(self.agents, ids)
        self.agents["loc"][ids] = self.c.svc_loc[svc]
        self.agents["link"][ids] = -1
        self._set_phase(ids, Phase.SERVICE)
        self.services.enqueue(self.agents, ids, svc, day=self.day)
        self.recorder.emit(EV_JOIN, svc, ids, self.agents, self.day)

    def _send_home(self, ids: IntArray, *, reattempt_p: float) -> None:
        """Removed to the origin: leave again later with probability ``reattempt_p``."""
        if ids.shape[0] == 0:
            return
        a = self.agents
        a["loc"][ids] = self.c.origin_loc[a["origin"][ids]]
        a["link"][ids] = -1
        again = self.u(self.keys.verbs, ids, 7) < reattempt_p
        self._set_phase(ids[~again], Phase.RETURNED)
        back = ids[again]
        self._set_phase(back, Phase.HOME)
        mean = max(_cal(self.c, "reattempt_delay_days", self.day, 180.0), 1.0)
        u = self.u(self.keys.verbs, back, 8)
        # geometric on {1, 2, ...} with mean `mean`
        delay = 1 + (np.floor(np.log1p(-u) / np.log1p(-1.0 / mean)) if mean > 1 else 0.0)
        when = self.day + delay.astype(np.int64)
        for d in np.unique(when):
            if d < self.c.days:
                self.wake[int(d)].append(back[when == d])

    def _choose_target(self, ids: IntArray) -> None:
        """The border city each departing agent heads for: a multinomial logit over the border
        cities reachable from its place, U_b = w_distance × km to b + w_queue_length × people
        waiting in b + w_network_ties × co-national share in b (the same weights as the route
        choice; MODEL.md §4)."""
        c, a, day = self.c, self.agents, self.day
        if ids.shape[0] == 0 or len(c.border_ix) == 0:
            return
        b_loc = c.border_ix
        km = c.dist_to_city[:, a["loc"][ids]].T  # (n, B)
        nat = c.group_nat[a["group"][ids]]
        share = self._stock_loc_nat[b_loc] / np.maximum(self._stock_loc[b_loc, None], 1.0)
        util = (
            _opt(c, "weights.distance", day) * np.where(np.isfinite(km), km, 0.0)
            + _opt(c, "weights.queue_length", day) * self._stock_loc[b_loc][None]
            + _opt(c, "weights.network_ties", day) * share[:, nat].T
        )
        util = np.where(np.isfinite(km), util, -np.inf)
        top = util.max(axis=1, keepdims=True)
        w = np.where(np.isfinite(util), np.exp(util - np.where(np.isfinite(top), top, 0.0)), 0.0)
        tot = w.sum(axis=1, keepdims=True)
        cum = np.cumsum(w / np.maximum(tot, 1e-300), axis=1)
        u = self.u(self.keys.route, ids, 99)
        pick = np.minimum((u[:, None] >= cum).sum(axis=1), len(b_loc) - 1)
        a["target"][ids] = np.where(tot[:, 0] > 0, pick, -1)

    def _at_border(self, ids: IntArray, *, reattempt_p: float) -> None:
        """Pushed to a border city (deported there or expelled): try again or go home."""
        if ids.shape[0] == 0:
            return
        again = self.u(self.keys.verbs, ids, 9) < reattempt_p
        self._phase_at(ids[again])
        home = ids[~again]
        self.agents["loc"][home] = self.c.origin_loc[self.agents["origin"][home]]
        self._set_phase(home, Phase.RETURNED)

    # ================================================================== processes
    def step_policy(self, day: int) -> None:
        c, t = self.c, self.services.table
        t.capacity[:] = c.svc_capacity[day]
        t.mean_days[:] = np.maximum(c.svc_mean_days[day], 1.0)
        # a closed service takes nobody: the people on its list leave it (ABANDON) today
        t.abandon_hazard[:] = np.where(c.svc_open[day], c.svc_abandon[day], 1.0)
        t.outcome_p[:] = c.outcome_table_on(day)
        self._effort = c.zone_effort[day]
        self._hazard = c.zone_hazard[day]
        self._route_tables(day)

    def step_depart(self, day: int) -> None:
        c, a = self.c, self.agents
        n_orig = c.departures.shape[1]
        self._update_openness(day)
        base = c.departures[day]
        dem_cum = c.share_cum
        if np.any(self.openness_multiplier != 1.0):
            # departures per origin x demographic group: base x share x openness multiplier
            D = len(c.dem_names)
            weighted = self._dem_share * self.openness_multiplier.reshape(-1, D)  # (N, D)
            scale = weighted.sum(axis=1)  # (N,)
            base = base * scale[c.origin_nat]
            dem_cum = np.cumsum(weighted / np.maximum(scale, 1e-300)[:, None], axis=1)
            dem_cum[:, -1] = 1.0
        lam = np.concatenate([base, c.caravan_departures[day]])
        seed = int(mix64(np.uint64(self.keys.depart)) ^ np.uint64(day))
        # one Poisson count per origin, then per caravan (appended: no caravan, same draws)
        counts = np.random.Generator(np.random.Philox(key=seed)).poisson(lam)
        n = int(counts.sum())
        if n:
            src = np.repeat(np.arange(lam.shape[0]), counts)
            in_car = src >= n_orig
            car_origin = np.append(c.caravan_origin, 0)  # padded: never empty
            origin = np.where(in_car, car_origin[np.maximum(src - n_orig, 0)], src)
            origin = origin.astype(np.int16)
            sl = a.add(n)
            ids = np.arange(sl.start, sl.stop, dtype=np.int32)
            nat = c.origin_nat[origin]
            u = self.u(self.keys.group, ids)
            cum = np.where(in_car[:, None], c.share_cum[nat], dem_cum[nat])
            dem = (u[:, None] >= cum).sum(axis=1)
            dem = np.minimum(dem, len(c.dem_names) - 1)
            a["group"][ids] = nat * len(c.dem_names) + dem
            a["origin"][ids] = origin
            a["loc"][ids] = c.origin_loc[origin]
            a["born"][ids] = day
            self._set_phase(ids, Phase.TRAVEL)
            self._choose_target(ids)
            if in_car.any():
                k = (src[in_car] - n_orig).astype(np.int16)
                a["caravan"][ids[in_car]] = k + 1
                fixed = c.caravan_target[k]
                a["target"][ids[in_car]] = np.where(fixed >= 0, fixed, a["target"][ids[in_car]])
            self._activate(ids)
            self.recorder.emit(EV_DEPART, a["loc"][ids], ids, a, day)
        again = self.wake.pop(day, [])
        if again:
            ids = np.sort(np.concatenate(again)).astype(np.int32)
            ids = ids[a["phase"][ids] == Phase.HOME]
            a["attempts"][ids] += 1
            self._phase_at(ids)
            self._choose_target(ids[a["phase"][ids] == Phase.TRAVEL])
            self._activate(ids)
            self.recorder.emit(EV_DEPART, a["loc"][ids], ids, a, day)

    def step_serve(self, day: int) -> None:
        out = self.services.serve_day(self.agents, day)
        if len(out):
            self.apply_verbs(out.agent, out.verb.astype(np.int64), out.service, out.joined)

    def apply_verbs(
        self, ids: IntArray, verb: npt.NDArray[np.int64], svc: IntArray, joined: IntArray
    ) -> None:
        """Apply the outcome verbs of MODEL.md §3 that services drew (one row per agent)."""
        c, a, day = self.c, self.agents, self.day
        g = a["group"][ids].astype(np.int64)
        args = c.verb_args
        # served where the service is (a hearing: people on the calendar come to the court)
        served = verb != Verb.ABANDON
        a["loc"][ids[served]] = c.svc_loc[svc[served]]
        self.recorder.served(svc, joined, day)
        for v in np.unique(verb):
            m = verb == v
            who, s, gg = ids[m], svc[m], g[m]
            place = args.place[s, gg, v]
            status = args.status[s, gg, v]
            if v != Verb.DEPORT:
                self.recorder.emit(int(v), s, who, a, day, status=status)
            if v == Verb.RELEASE:
                a["loc"][who] = np.where(place >= 0, place, a["loc"][who])
                self._phase_at(who)
                self._outcome(who[a["phase"][who] == Phase.IN_DEST], success=True)
            elif v == Verb.GRANT:
                a["status"][who] = status
                a["loc"][who] = np.where(place >= 0, place, a["loc"][who])
                self._phase_at(who)
                self._outcome(who, success=True)
                self._settle_after_grant(who, status)
            elif v == Verb.DENY:
                a["status"][who] = status
                in_dest = c.loc_in_dest[a["loc"][who]]
                self._phase_at(who[~in_dest])
                removed = who[in_dest]  # a removal order in the destination: removed home
                self.recorder.emit(int(Verb.DEPORT), s[in_dest], removed, a, day)
                self._outcome(removed, success=False)
                self._send_home(removed, reattempt_p=self._reattempt_removed())
            elif v == Verb.DETAIN:
                target = args.service[s, gg, v]
                ok = target >= 0
                self._join(who[ok], target[ok])
                self._phase_at(who[~ok])
            elif v == Verb.DEPORT:
                self._deport(who, s, gg)
            elif v == Verb.EXPEL:
                self._outcome(who, success=False)
                a["loc"][who] = np.where(place >= 0, place, a["loc"][who])
                self._at_border(who, reattempt_p=self._reattempt_border())
            elif v == Verb.RETURN_TO_WAIT:
                self._outcome(who, success=False)
                a["loc"][who] = np.where(place >= 0, place, a["loc"][who])
                court = args.service[s, gg, v]
                wait = np.maximum(np.ceil(args.days[s, gg, v]), 1).astype(np.int64)
                has = court >= 0
                self._phase_at(who[~has])
                w = who[has]
                if w.shape[0]:
                    order = np.lexsort((w, court[has]))
                    w, ct, wt = w[order], court[has][order], wait[has][order]
                    self._set_phase(w, Phase.SERVICE)
                    self.services.return_to_wait(self.agents, w, ct, day + wt, day=day)
            elif v == Verb.ADMIT:
                a["loc"][who] = np.where(place >= 0, place, a["loc"][who])
                self._set_phase(who, Phase.IN_DEST)
                self._outcome(who, success=True)
            elif v == Verb.SETTLE:
                a["loc"][who] = np.where(place >= 0, place, a["loc"][who])
                self._set_phase(who, Phase.SETTLED)
            elif v == Verb.ABANDON:
                self._phase_at(who)
            else:  # DIE
                self._set_phase(who, Phase.RETURNED)

    def _reattempt_removed(self) -> float:
        return _cal(self.c, "reattempt_share_removed", self.day, 0.3)

    def _reattempt_border(self) -> float:
        return _cal(self.c, "reattempt_share_border", self.day, 0.6)

    def _settle_after_grant(self, who: IntArray, status: IntArray) -> None:
        """Refugees recognised in the transit country stay there with a probability; people
        with a visa go on."""
        c = self.c
        visa = np.array(["visa" in name for name in c.status_names])
        protected = c.protected_status[status] & ~visa[status]
        cand = who[protected & ~c.loc_in_dest[self.agents["loc"][who]]]
        nat = c.group_nat[self.agents["group"][cand]]
        self.protected_transit += np.bincount(nat, minlength=len(c.nat_names))
        if cand.shape[0]:
            p = _cal(c, "settle_after_protection", self.day, 0.7)
            stay = cand[self.u(self.keys.verbs, cand, 10) < p]
            self._set_phase(stay, Phase.SETTLED)
            none = np.full(stay.shape[0], -1)
            self.recorder.emit(int(Verb.SETTLE), none, stay, self.agents, self.day)

    def _deport(self, who: IntArray, s: IntArray, gg: npt.NDArray[np.int64]) -> None:
        c, a, day = self.c, self.agents, self.day
        # due-process screening (if the service has one)
        sp = c.svc_screen_p[day][s]
        screened = self.u(self.keys.verbs, who, 11) < sp
        claim = screened & (self.u(self.keys.verbs, who, 12) < c.svc_screen_claim[day][s])
        refer = c.svc_screen_refer[s]
        go = claim & (refer >= 0)
        self._join(who[go], refer[go])
        keep = ~go
        who, s, gg, screened = who[keep], s[keep], gg[keep], screened[keep]
        has_step = c.svc_screen_refer[s] >= 0
        self.recorder.unscreened(who[has_step & ~screened], a, day)
        self.recorder.emit(int(Verb.DEPORT), s, who, a, day)
        self._outcome(who, success=False)
        args = c.verb_args
        to_origin = args.to_origin[s, gg, Verb.DEPORT]
        place = args.place[s, gg, Verb.DEPORT]
        self._send_home(who[to_origin], reattempt_p=self._reattempt_removed())
        rest = ~to_origin
        w = who[rest]
        a["loc"][w] = np.where(place[rest] >= 0, place[rest], a["loc"][w])
        in_transit = c.loc_kind[a["loc"][w]] == BORDER_CITY
        self._at_border(w[in_transit], reattempt_p=self._reattempt_border())
        self._send_home(w[~in_transit], reattempt_p=self._reattempt_removed())

    def step_decide(self, day: int) -> None:
        c, a = self.c, self.agents
        # one pass over the active agents (kernel twin: active.decide_lists_np); nobody who
        # decides below is in a service, so the waiting list does not change meanwhile
        transit, border, waiting = decide_lists(self.active, a["phase"], a["link"], a["svc_state"])
        self._decide_transit(transit)
        self._decide_border(border)
        if waiting.shape[0]:
            h = _cal(c, "mpp_abandon_hazard", day, 0.0)
            quit_ = waiting[self.u(self.keys.decide, waiting, 5) < h]
            if quit_.shape[0]:
                court = self.services.queue_service[a["svc_queue"][quit_]]
                self.services.withdraw(a, quit_)
                self.recorder.emit(int(Verb.ABANDON), court, quit_, a, day)
                self._phase_at(quit_)

    def _decide_transit(self, ids: IntArray) -> None:
        """On the way: apply to an open asylum office or visa office at this place.

        The daily probability is the option's propensity × exp(U), with
        U = w_queue × queued + w_wait × expected wait − w_enforcement × hazard-days ahead: long
        queues deter, the risk of apprehension on the way north makes applying here attractive.
        People apply only to services outside their own country and without a status yet.
        """
        c, a, day = self.c, self.agents, self.day
        if ids.shape[0] == 0:
            return
        w_q = _opt(c, "weights.queue_length", day)
        w_w = _opt(c, "weights.expected_wait", day)
        w_e = _opt(c, "weights.enforcement", day)
        queued_all = self.services.queued().astype(float)
        # joining keeps an agent where it is: the places are read once; the phases again for
        # each office (an agent who joined one office does not apply to the next)
        loc = a["loc"][ids]
        for s in np.flatnonzero(self._svc_is_transit & c.svc_open[day]):
            here = ids[loc == c.svc_loc[s]]
            here = here[a["phase"][here] == Phase.TRAVEL]
            if here.shape[0] == 0:
                continue
            g = a["group"][here].astype(np.int64)
            queued = queued_all[s]
            rate = max(c.svc_capacity[day][s] / c.svc_mean_days[day][s], 1e-9)
            ahead = self._ahead[g, c.svc_loc[s]]
            u_apply = w_q * queued + w_w * queued / rate - w_e * ahead
            if c.svc_kind[s] == "asylum_office":
                # co-nationals already protected here spread word of the procedure
                scale = _cal(c, "asylum_network_people", day, np.inf)
                known = 1.0 + self.protected_transit[c.group_nat[g]] / scale
                base = _opt(c, "options.apply.comar_propensity", day) * known
            else:
                base = _cal(c, "apply_visa_propensity", day, 0.5)
            p = np.clip(base * np.exp(np.minimum(u_apply, 5.0)), 0.0, 1.0)
            eligible = ~self._svc_own_country[c.group_nat[g], s] & (a["status"][here] == 0)
            go = eligible & (self.u(self.keys.decide, here, 10 + int(s)) < p)
            self._join(here[go], np.full(int(go.sum()), s, dtype=np.int32))

    def _decide_border(self, ids: IntArray) -> None:
        """In a border city: apply at the port, cross irregularly, go home, settle, or wait."""
        c, a, day = self.c, self.agents, self.day
        if ids.shape[0] == 0:
            return
        # the first open port at each place; per port and group its attraction (the chance
        # of not being denied, for a port outside the group's own country); per port the
        # deterrence of its queue
        S = len(c.svc_names)
        port_of_loc = np.full(len(c.loc_names), -1, dtype=np.int64)
        for s in np.flatnonzero(self._svc_is_port & c.svc_open[day])[::-1]:
            port_of_loc[c.svc_loc[s]] = s
        table = c.outcome_table_on(day)
        attract = np.where(~self._svc_own_country[c.group_nat].T, 1.0 - table[:, :, Verb.DENY], 0.0)
        queued = self.services.queued().astype(float)
        cap = np.maximum(c.svc_capacity[day][:S], 1e-9)
        w_q = _opt(c, "weights.queue_length", day)
        w_w = _opt(c, "weights.expected_wait", day)
        factor = np.exp(np.minimum(w_q * queued + w_w * queued / cap, 0.0))
        # the choices (kernel twin: active.border_choice_np); 4 = wait
        choice, port = border_choice(
            ids, a["loc"], a["group"], a["since"], port_of_loc, attract, factor,
            _opt(c, "options.apply.port_propensity", day),
            _opt(c, "options.cross.irregular_propensity", day),
            _opt(c, "options.wait.max_days", day, 30.0),
            _opt(c, "options.return.daily_hazard", day),
            _opt(c, "options.settle.daily_hazard_mexico", day),
            self.keys.decide, day,
        )  # fmt: skip
        home = ids[choice == 0]
        a["loc"][home] = c.origin_loc[a["origin"][home]]
        self._set_phase(home, Phase.RETURNED)
        settle = ids[choice == 1]
        self._set_phase(settle, Phase.SETTLED)
        self.recorder.emit(int(Verb.SETTLE), np.full(settle.shape[0], -1), settle, a, day)
        go_port = choice == 2
        self._join(ids[go_port], port[go_port].astype(np.int32))
        cross = ids[choice == 3]
        if cross.shape[0]:
            link = self._choose(cross, self._cross_within, self._cross_has)
            ok = link >= 0
            cross = cross[ok]
            a["link"][cross] = link[ok]
            a["t_left"][cross] = c.link_days[link[ok]]
            self._set_phase(cross, Phase.CROSSING)

    # ------------------------------------------------------------------ route choice
    def _route_tables(self, day: int) -> None:
        """Today's logit choice tables over next links (travel) and crossing links, per group."""
        c = self.c
        G, L = c.n_groups, len(c.loc_names)
        w_d = _opt(c, "weights.distance", day)
        w_r = _opt(c, "weights.risk", day)
        w_e = _opt(c, "weights.enforcement", day)
        w_q = _opt(c, "weights.queue_length", day)
        w_n = _opt(c, "weights.network_ties", day)
        eff = self._effort
        # hazard per day at each place and on each link, per group (G, L) and (G, E)
        hz_loc = (
            np.where(
                c.zone_of_loc[None, :] >= 0,
                self._hazard[c.zone_of_loc].T * eff[c.zone_of_loc][None, :],
                0.0,
            )
            if len(c.zone_names)
            else np.zeros((G, L))
        )
        hz_link = (
            np.where(
                c.link_zone[None, :] >= 0,
                self._hazard[c.link_zone].T * eff[c.link_zone][None, :],
                0.0,
            )
            if len(c.zone_names)
            else np.zeros((G, len(c.link_to)))
        )
        to = c.link_to
        share = self._stock_loc_nat / np.maximum(self._stock_loc[:, None], 1.0)  # (L, N)
        queue_loc = self._stock_loc
        B = len(c.border_ix)
        util = (
            w_r * (c.link_risk * c.link_days)[None]
            + w_e * (hz_link * c.link_days[None] + hz_loc[:, to])
            + w_q * queue_loc[to][None]
            + w_n * share[to][:, c.group_nat].T
        )  # (G, E)
        # rows g * B + b: group g heading for border city b; links that get closer to b
        # (the distance term and the candidate links change only with the distance weight)
        if self._travel_key != np.float64(w_d).tobytes():
            d_to = c.dist_to_city[:, to]  # (B, E)
            self._travel_left = w_d * (c.link_km[None] + np.where(np.isfinite(d_to), d_to, 0.0))
            travel = (d_to < c.dist_to_city[:, c.link_from]) & ~c.link_crossing[None]
            self._travel_cand = np.tile(travel, (G, 1))
            self._travel_key = np.float64(w_d).tobytes()
        util_gb = (util[:, None, :] + self._travel_left[None]).reshape(G * B, -1)
        self._travel_within, self._travel_has = within_table(
            util_gb, self._travel_cand, c.out_off, c.link_from
        )
        # the crossing table and the hazard-days ahead on the shortest way to the border change
        # only with the effort and the hazards (and the enforcement weight)
        key = eff.tobytes() + self._hazard.tobytes()
        if key + np.float64(w_e).tobytes() != self._cross_key:
            self._cross_within, self._cross_has = within_table(
                w_e * hz_link * c.link_days[None], c.link_crossing, c.out_off, c.link_from
            )
            self._cross_key = key + np.float64(w_e).tobytes()
        if key != self._ahead_key:
            self._ahead, self._ahead_key = self._ahead_table(hz_loc, hz_link), key

    def _ahead_table(self, hz_loc: FloatArray, hz_link: FloatArray) -> FloatArray:
        c = self.c
        G, L = hz_loc.shape
        order = np.argsort(-np.where(np.isfinite(c.dist_border), c.dist_border, -1))
        ahead = np.zeros((G, L))
        # process places nearest the border first
        nodes = [i for i in order[::-1] if np.isfinite(c.dist_border[i])]
        for i in nodes:
            lo, hi = c.out_off[i], c.out_off[i + 1]
            best = None
            for link in range(lo, hi):
                j = c.link_to[link]
                if c.link_crossing[link] or not c.dist_border[j] < c.dist_border[i]:
                    continue
                if best is None or c.link_km[link] + c.dist_border[j] < best[0]:
                    best = (c.link_km[link] + c.dist_border[j], link, j)
            if best is not None:
                _, link, j = best
                ahead[:, i] = hz_loc[:, i] + hz_link[:, link] * c.link_days[link] + ahead[:, j]
            else:
                ahead[:, i] = hz_loc[:, i]
        return ahead

    def _choose(
        self, ids: IntArray, within: FloatArray, has: npt.NDArray[np.bool_], k: int = 0
    ) -> npt.NDArray[np.int64]:
        """A link out of each agent's place drawn from a per-group table (-1: no candidate)."""
        a = self.agents
        u = self.u(self.keys.route, ids, k)
        place = a["loc"][ids].astype(np.int64)
        row = a["group"][ids].astype(np.int64)
        return draw_links_np(u, place, row, self.c.out_off, within, has)

    # ------------------------------------------------------------------ movement
    def step_move(self, day: int) -> None:
        """Movement and exposure: the numba kernel :func:`~corredor.rules.corridor.kernels.
        move_day` (its NumPy twin ``move_day_np`` is the test oracle), then the events."""
        c, a = self.c, self.agents
        # the exposed agents and their inputs in one pass (kernel twin: active.move_inputs_np);
        # caravans: hazard × the caravan's multiplier while travelling (1 otherwise)
        exposed, g, row, target_loc, was, mult = move_inputs(
            self.active, a["phase"], a["group"], a["target"], a["caravan"], c.border_ix,
            c.caravan_hazard,
        )  # fmt: skip
        n = exposed.shape[0]
        expo = np.zeros(n)
        ezone = np.full(n, -1, dtype=np.int32)
        arrived, harmed = self._hop_tables(n)
        if n:
            move_day(
                exposed, a["loc"], a["link"], a["t_left"], a["phase"], row, g, target_loc, mult,
                c.out_off, c.link_to, c.link_days, c.link_zone, c.link_risk, c.link_crossing,
                c.zone_of_loc, self._hazard, self._effort, self._travel_within,
                self._travel_has, self._stop_loc, c.loc_in_dest,
                self.keys.route, self.keys.harm, day, MAX_HOPS,
                expo, ezone, arrived, harmed,
            )  # fmt: skip
        # the events per hop (kernel twin: active.drain_hops_np), which resets the tables
        # (an agent goes on to the next hop only after an arrival: the rows after the first
        # hop without arrivals are empty in both tables)
        r_off, r_idx, r_loc, hops = drain_hops(arrived, MAX_HOPS, True)
        h_off, h_idx, h_loc, _ = drain_hops(harmed, hops, False)
        self.recorder.emit_segments(EV_HARM, h_off, h_loc, exposed[h_idx], a, day)
        self.recorder.emit_segments(EV_ARRIVE, r_off, r_loc, exposed[r_idx], a, day)
        self._set_phase(new_at_border(exposed, was, a["phase"]), Phase.BORDER)
        self._exp_ids, self._expo, self._ezone = exposed, expo, ezone

    def _hop_tables(self, n: int) -> tuple[IntArray, IntArray]:
        """The movement kernel's (MAX_HOPS, n) arrival and harm tables, all -1: views of
        buffers kept between days (``drain_hops`` resets the entries the kernel wrote)."""
        if self._hop_buf.shape[1] < MAX_HOPS * n:
            self._hop_buf = np.full(
                (2, max(MAX_HOPS * n, 2 * self._hop_buf.shape[1])), -1, np.int32
            )
        size = MAX_HOPS * n
        return (
            self._hop_buf[0, :size].reshape(MAX_HOPS, n),
            self._hop_buf[1, :size].reshape(MAX_HOPS, n),
        )

    @property
    def _stop_loc(self) -> npt.NDArray[np.bool_]:
        c = self.c
        stop = np.zeros(len(c.loc_names), dtype=bool)
        open_transit = self._svc_is_transit & c.svc_open[self.day]
        stop[c.svc_loc[open_transit]] = True
        return stop

    def step_enforce(self, day: int) -> None:
        c, a = self.c, self.agents
        ids, expo, zone = self._exp_ids, self._expo, self._ezone
        # draws and the crossings that ended in the destination, in one pass (kernel twin:
        # active.enforce_draws_np); joining below changes only the agents caught
        caught, entered = enforce_draws(
            ids, expo, zone, a["status"], c.protected_status, c.zone_in_dest, a["phase"],
            a["link"], a["loc"], c.loc_in_dest, self.keys.enforce, day,
        )  # fmt: skip
        got = ids[caught]
        if got.shape[0]:
            z = zone[caught]
            self.recorder.emit(EV_APPREHEND, z, got, a, day)
            in_dest = c.zone_in_dest[z]
            a["dest_encounters"][got[in_dest]] += 1
            self._join(got, c.zone_detention[z].astype(np.int32))
        # crossed without being apprehended: entered the destination
        if entered.shape[0]:
            self.recorder.emit(EV_EVADE, a["loc"][entered], entered, a, day)
            self._outcome(entered, success=True)
            self._set_phase(entered, Phase.IN_DEST)
        # reached the destination's interior some other way (kernel twin:
        # active.keep_active_np; compacts in place)
        self.active = keep_active(self.active, a["phase"])

    def step_track(self, day: int) -> None:
        c, a = self.c, self.agents
        L, N = len(c.loc_names), len(c.nat_names)
        # every count over the active agents in one pass (kernel twin: active.active_stocks_np)
        phases, here, here_nat, stranded, waiting = active_stocks(
            self.active, a["phase"], a["loc"], a["group"], a["svc_state"], a["svc_queue"],
            c.group_nat, self.recorder.queue_is_port(self.services), L, N,
        )  # fmt: skip
        self._stock_loc = here.astype(float)
        self._stock_loc_nat = here_nat.reshape(L, N).astype(float)
        self.recorder.track(self, day, phases, stranded, waiting)

    # ================================================================== run
    def recompile(self, compiled: Compiled) -> None:
        """Continue with new daily arrays for the same corridor (same places, links, services
        and groups), e.g. after a controller adopted new policy events part-way through a run.
        Today's parameters are read from the new arrays at the next ``policy`` step."""
        old = self.c
        if (
            compiled.loc_names != old.loc_names
            or compiled.svc_names != old.svc_names
            or compiled.n_groups != old.n_groups
            or compiled.days != old.days
        ):
            raise ValueError("recompile: the new arrays describe a different corridor")
        self.c = compiled
        self.recorder.c = compiled
        self._ahead_key = self._cross_key = self._travel_key = b""

    def run_day(self, day: int) -> None:
        self.day = day
        PLAN.run_day(self, day)


PLAN: DayPlan[CorridorModel] = DayPlan(
    [
        process("policy", "today's parameters from the policy timeline")(CorridorModel.step_policy),
        process("depart", "new agents at origins; removed agents leaving again")(
            CorridorModel.step_depart
        ),
        process("serve", "services serve their queues; outcome verbs applied")(
            CorridorModel.step_serve
        ),
        process("decide", "apply on the way; wait/apply/cross/return/settle at the border")(
            CorridorModel.step_decide
        ),
        process("move", "travel along links by utility; exposure to enforcement")(
            CorridorModel.step_move
        ),
        process("enforce", "apprehensions by exposure; uncaught crossings enter")(
            CorridorModel.step_enforce
        ),
        tracker("track", "stocks of people by phase, place and service; ledger")(
            CorridorModel.step_track
        ),
    ]
)
