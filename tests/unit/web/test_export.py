"""Downloads: cells that would run as formulas in Excel are defused; money is exact yuan."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from siyu.web.export import safe_cell, yuan


def test_formula_cells_are_defused() -> None:
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("+86 138") == "'+86 138"
    assert safe_cell("@x") == "'@x" and safe_cell("-1") == "'-1"
    assert safe_cell("plain") == "plain" and safe_cell(-1) == -1


def test_moments_are_written_in_china_time_without_offset() -> None:
    assert safe_cell(datetime(2026, 1, 1, 16, 0, 0, 5, tzinfo=UTC)) == datetime(2026, 1, 2, 0, 0)


def test_yuan_is_exact() -> None:
    assert yuan(15800) == Decimal("158.00")
    assert yuan(1) == Decimal("0.01") and yuan(None) is None
