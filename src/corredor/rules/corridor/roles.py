"""Calibration parameters the corridor rules read by name (a scenario may declare them; without
them the defaults in the process modules apply): re-attempts, giving up a dated hearing,
settling, visa uptake, the perceived openness of the corridor and word of the asylum procedure.
"""

from __future__ import annotations

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
