"""Validation: metrics (MASE, ARD, log-RMSE, rounding rules), naive baselines, back-tests by a
scenario's own protocol, model discrepancy, and agreement with Flee 3.1 (docs/validation.md)."""
