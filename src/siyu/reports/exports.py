"""Reports as files: CSV (one row per figure, for machines) and XLSX (one sheet per table)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from siyu.kit.spreadsheet import defuse
from siyu.reports.rules import UNITS, machine_value
from siyu.reports.schemas import Kind, Locale, Report, Section

CSV_HEADER = ("section", "section_title", "row", "column", "column_label", "value", "unit")
XLSX_FORMATS: dict[Kind, str] = {
    "count": "#,##0", "fen": "#,##0.00", "share": "0.0%", "days": "0.0", "ratio": "0.00",
    "months": "0", "text": "@",
}  # fmt: skip
SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def _row_label(section: Section, index: int) -> str:
    first = section.rows[index][0]
    return str(first) if section.columns[0].kind == "text" else str(index + 1)


def write_csv(report: Report, path: Path, locale: Locale) -> Path:
    """Every figure as one line: section, row, column, value (yuan as exact decimals)."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        for section in report.sections:
            title = section.title(locale)
            for i, row in enumerate(section.rows):
                label = defuse(_row_label(section, i))
                for column, value in zip(section.columns, row, strict=True):
                    cell = machine_value(value, column.kind)  # numbers stay numbers, even -1.00
                    writer.writerow((section.key, title, label, column.key, column.label(locale),
                                     defuse(cell) if column.kind == "text" else cell,
                                     UNITS[column.kind]))  # fmt: skip
    return path


def _sheet_title(title: str, taken: set[str]) -> str:
    name = SHEET_NAME.sub(" ", title)[:31] or "sheet"
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{name[:28]}~{n}"
        n += 1
    taken.add(candidate)
    return candidate


def _xlsx_value(value: object, kind: Kind) -> object:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if kind == "fen" and isinstance(value, int | float):
        return round(value) / 100
    return defuse(value)


def write_xlsx(report: Report, path: Path, locale: Locale, title: str) -> Path:
    """One sheet per table, numbers kept as numbers (yuan, percent formats)."""
    book = Workbook()
    taken: set[str] = set()
    cover = book.active
    cover.title = _sheet_title(title, taken)
    cover.append([title])
    cover["A1"].font = Font(bold=True, size=14)
    cover.append([report.period.label, report.generated_at.isoformat(timespec="seconds")])
    for section in report.sections:
        cover.append([section.title(locale), section.note(locale)])
        sheet = book.create_sheet(_sheet_title(section.title(locale), taken))
        sheet.append([c.label(locale) for c in section.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append(
                [_xlsx_value(v, c.kind) for v, c in zip(row, section.columns, strict=True)]
            )
        for index, column in enumerate(section.columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(10, min(40, len(column.label(locale)) + 4))
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = XLSX_FORMATS[column.kind]
        sheet.freeze_panes = "B2"
    book.save(path)
    return path
