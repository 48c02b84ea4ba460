"""The engine: columnar agents, the graph, the counter-based random stream, the plan of a day
and the capacity-limited services. It knows no scenario and no rule set."""
