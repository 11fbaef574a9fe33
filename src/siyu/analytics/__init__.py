"""Pure analytics over per-customer arrays: models and figures, never the database."""
