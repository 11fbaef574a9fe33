"""The small result frames Ibis's ``execute()`` returns (pandas; untyped for mypy)."""

from __future__ import annotations

from typing import Any, TypeAlias

Frame: TypeAlias = Any
"""A pandas DataFrame of an executed Ibis expression (pandas ships no type stubs)."""
