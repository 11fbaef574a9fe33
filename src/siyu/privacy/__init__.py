"""Data-subject rights and retention: export, erasure, purging what is past its time."""
