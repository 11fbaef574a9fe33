"""Delivery channels, one file each, behind the narrow interface in ``base``."""
