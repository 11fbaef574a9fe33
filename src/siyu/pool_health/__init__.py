"""Pool health: joins and leaves by day, channel and staff; who left whom; quality by size."""
