"""Policy events, the timeline they make, and the indices derived from it (docs/policy.md).

* :class:`PolicyEvent` / :class:`ParameterChange`: a dated, sourced policy change coded with the
  DEMIG POLICY fields, and the parameter changes it makes;
* :class:`PolicyTimeline`: parameter values on any day (``parameters_on``), the stated values
  (``stated_parameters_on``), the events in force (``active_events``) and one array per parameter
  over a range of days (``daily``) for the engine's step loop;
* :func:`restrictiveness` (by country, optionally by policy area), :func:`implementation_gap`;
* :func:`load_events` / :func:`load_timeline` / :func:`parse_events`: YAML and CSV input.
"""

from corredor.policy._dates import DayLike, to_date
from corredor.policy.events import (
    EXAMPLE_TOOLS,
    MAGNITUDES,
    POLICY_AREAS,
    Direction,
    Magnitude,
    Op,
    ParameterChange,
    PolicyArea,
    PolicyEvent,
)
from corredor.policy.index import (
    DEFAULT_BASE,
    DEFAULT_SCALE,
    MAGNITUDE_WEIGHTS,
    implementation_gap,
    restrictiveness,
    restrictiveness_by_area,
    restrictiveness_score,
)
from corredor.policy.loading import load_events, load_timeline, parse_events
from corredor.policy.timeline import PolicyTimeline

__all__ = [
    "DEFAULT_BASE",
    "DEFAULT_SCALE",
    "EXAMPLE_TOOLS",
    "MAGNITUDES",
    "MAGNITUDE_WEIGHTS",
    "POLICY_AREAS",
    "DayLike",
    "Direction",
    "Magnitude",
    "Op",
    "ParameterChange",
    "PolicyArea",
    "PolicyEvent",
    "PolicyTimeline",
    "implementation_gap",
    "load_events",
    "load_timeline",
    "parse_events",
    "restrictiveness",
    "restrictiveness_by_area",
    "restrictiveness_score",
    "to_date",
]
