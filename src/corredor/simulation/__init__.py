"""One replica of a scenario, start to end: compile the scenario, build the state, put the
rule set's processes and the trackers in a day plan, run it with the engine's day loop
(:mod:`corredor.engine.loop`), and return the result contract (:mod:`corredor.results`).

* :mod:`corredor.simulation.corridor` — :func:`~corredor.simulation.corridor.run_corridor`;
* :mod:`corredor.simulation.flee` — :func:`~corredor.simulation.flee.run_flee` (Flee scenarios).

This layer sits above the rules, the trackers and the results, which know nothing of each
other's assembly; everything that runs many replicas (ensembles, calibration, studies) calls it.
"""
