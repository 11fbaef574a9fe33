"""Downloads: cells that would run as formulas in Excel are defused; money is exact yuan."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl import load_workbook

from siyu.web.export import ExportFormat, csv_chunks, export_response, safe_cell, yuan


def test_formula_cells_are_defused() -> None:
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("+86 138") == "'+86 138"
    assert safe_cell("@x") == "'@x" and safe_cell("-1") == "'-1"
    assert safe_cell("plain") == "plain" and safe_cell(-1) == -1
    assert safe_cell("\t=1+1") == "'\t=1+1" and safe_cell("\r@SUM(A1)") == "'\r@SUM(A1)"
    assert safe_cell("a=b") == "a=b" and safe_cell("") == ""


def test_a_formula_stays_text_in_both_files() -> None:
    rows = [("=cmd|' /C calc'!A0", "\t+1", 3)]
    csv_text = b"".join(c.encode() for c in csv_chunks(("name", "note", "n"), rows)).decode(
        "utf-8-sig"
    )
    assert csv_text.splitlines()[1] == "'=cmd|' /C calc'!A0,'\t+1,3"
    response = export_response("t", ("name", "note", "n"), rows, ExportFormat.XLSX)
    sheet = load_workbook(io.BytesIO(response.body)).active
    assert sheet is not None
    cells = [c for c in sheet[2]]
    assert [c.data_type for c in cells] == ["s", "s", "n"]
    assert cells[0].value == "'=cmd|' /C calc'!A0"


def test_moments_are_written_in_china_time_without_offset() -> None:
    assert safe_cell(datetime(2026, 1, 1, 16, 0, 0, 5, tzinfo=UTC)) == datetime(2026, 1, 2, 0, 0)


def test_yuan_is_exact() -> None:
    assert yuan(15800) == Decimal("158.00")
    assert yuan(1) == Decimal("0.01") and yuan(None) is None
