"""Shared machinery for file imports: reading tables and reporting rejected rows."""
