"""Scenarios: Flee 3.1 directories (``scenario.flee``), corridor YAML + CSV (``scenario.corridor``:
schema, checks, observed data and the data horizon, calibration files, analysis settings) and
the resolver of built-in names."""
