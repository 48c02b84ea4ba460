"""The order of a corridor day: the processes, in one place (``corredor run SCENARIO
--show-plan`` prints it with the trackers).

1. ``policy``    today's parameters from the policy timeline (``process_policy``);
2. ``openness``  perceived openness of the corridor per group (``process_openness``);
3. ``depart``    new agents at the origins (``process_departures``);
4. ``redepart``  removed agents whose day to leave again is today (``process_departures``);
5. ``serve``     services serve their queues; outcome verbs applied (``process_services``);
6. ``decide``    apply on the way; wait/apply/cross/return/settle at the border; give up
                 waiting for a hearing (``process_decisions``, ``process_border``);
7. ``move``      travel along links by utility; exposure to enforcement (``process_movement``);
8. ``enforce``   apprehensions by exposure; uncaught crossings enter (``process_enforcement``);
9. ``census``    people per phase and place at the end of the day (``process_census``).

The trackers (``corredor.trackers.corridor``) come after the processes: they observe the day's
end. Every random draw is ``uniform(seed, stream, day, agent, k)`` (``corredor.engine.rng``),
so a run depends only on its seed, not on the order agents are processed in.
"""

from __future__ import annotations

from collections.abc import Sequence

from corredor.engine.plan import DayPlan, Step, process
from corredor.rules.corridor.process_census import step_census
from corredor.rules.corridor.process_decisions import step_decide
from corredor.rules.corridor.process_departures import step_depart, step_redepart
from corredor.rules.corridor.process_enforcement import step_enforce
from corredor.rules.corridor.process_movement import step_move
from corredor.rules.corridor.process_openness import step_openness
from corredor.rules.corridor.process_policy import step_policy
from corredor.rules.corridor.process_services import step_serve
from corredor.rules.corridor.state import CorridorState

#: The corridor's processes, in the order of a day.
PROCESSES: tuple[Step[CorridorState], ...] = (
    process("policy", "today's parameters from the policy timeline")(step_policy),
    process("openness", "perceived openness per group from recent outcomes")(step_openness),
    process("depart", "new agents at origins (and caravans)")(step_depart),
    process("redepart", "removed agents whose day to leave again is today")(step_redepart),
    process("serve", "services serve their queues; outcome verbs applied")(step_serve),
    process("decide", "apply on the way; wait/apply/cross/return/settle at the border")(
        step_decide
    ),
    process("move", "travel along links by utility; exposure to enforcement")(step_move),
    process("enforce", "apprehensions by exposure; uncaught crossings enter")(step_enforce),
    process("census", "people per phase and place at the end of the day")(step_census),
)


def build_plan(trackers: Sequence[Step[CorridorState]] = ()) -> DayPlan[CorridorState]:
    """The corridor day: :data:`PROCESSES`, then ``trackers`` (steps of kind ``tracker``)."""
    for t in trackers:
        if t.kind != "tracker":
            raise ValueError(f"step {t.name!r} is a {t.kind}, not a tracker")
    return DayPlan([*PROCESSES, *trackers])
