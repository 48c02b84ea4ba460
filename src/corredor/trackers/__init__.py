"""Trackers: observers that count what the processes did (Flee's daily location counts, the
corridor recorder); they change no state."""
