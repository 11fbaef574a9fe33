"""Text bound for a spreadsheet: defused so that a cell never runs as a formula."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, TypeVar

T = TypeVar("T")

# A cell whose text starts with one of these is a formula to Excel, LibreOffice or Sheets
# (tab and carriage return too: some import paths strip them and read on).
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: T) -> T | str:
    """Prefix a formula-like text with an apostrophe; anything else is returned as is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def defused(values: Iterable[T]) -> list[T | str]:
    """A row with every formula-like text defused."""
    return [defuse(v) for v in values]
