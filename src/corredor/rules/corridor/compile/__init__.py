"""The steps of :func:`~corredor.rules.corridor.compiled.compile_corridor`, one module each.

Each step reads the validated scenario and today's parameter arrays
(:class:`~corredor.rules.corridor.compile.params.DailyParameters`) and returns one part of the
compiled scenario (a dataclass whose fields are the part's arrays); ``Compiled`` is the union of
the parts. In the order ``compile_corridor`` runs them:

* :mod:`.params`     the calibration over the defaults, the policy timeline, daily values;
* :mod:`.network`    places, links (CSR), distances to the border cities;
* :mod:`.population` nationality × demographic groups, origins (expected departures), caravans;
* :mod:`.services`   services: capacities in agent units, service times, screening;
* :mod:`.outcomes`   statuses and the daily outcome tables with their verbs' arguments;
* :mod:`.zones`      enforcement zones: effort and hazards per group, detention;
* :mod:`.decisions`  the decision weights, the calibration parameters, and the engine roles.
"""
