"""Stored business figures for the console and the API: computed by a job, read by pages."""
