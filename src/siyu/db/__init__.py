"""Database access: engine, sessions, migrations."""
