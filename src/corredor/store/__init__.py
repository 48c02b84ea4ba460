"""Results store: Parquet files per run plus a DuckDB catalogue, crash-consistent."""

from corredor.store.store import DEFAULT_ROOT, ResultsStore, make_run_id

__all__ = ["DEFAULT_ROOT", "ResultsStore", "make_run_id"]
