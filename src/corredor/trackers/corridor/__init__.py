"""Trackers of the corridor rules: they observe a run and never change it.

* :mod:`~corredor.trackers.corridor.recorder`: events, observables and the daily stocks.
"""
