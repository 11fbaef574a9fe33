"""The audit log: who did what to which record, hash-chained and append-only."""
