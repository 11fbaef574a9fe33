"""The analytics snapshot: facts exported to Parquet and read through Ibis."""
