"""CSV and XLSX downloads of any table the console shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response, StreamingResponse
from openpyxl import Workbook

from siyu.kit.clock import CHINA_TZ
from siyu.kit.spreadsheet import defuse

Cell = str | int | float | Decimal | datetime | date | None


class ExportFormat(StrEnum):
    """File formats of a download."""

    CSV = "csv"
    XLSX = "xlsx"


CENT = Decimal("0.01")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The table as a file.",
        "content": {"text/csv": {}, XLSX_TYPE: {}},
    }
}


def yuan(fen: int | None) -> Decimal | None:
    """Integer fen as an exact yuan amount for a spreadsheet cell."""
    return None if fen is None else (Decimal(fen) / 100).quantize(CENT)


def _plain(value: Cell) -> Cell:
    # Spreadsheets hold no time zones: moments are written in China time, without offset.
    if isinstance(value, datetime):
        return value.astimezone(CHINA_TZ).replace(tzinfo=None, microsecond=0)
    return value


def safe_cell(value: Cell) -> Cell:
    """Keep a text cell from running as a formula when opened in a spreadsheet."""
    return _plain(defuse(value))


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """CSV text with a BOM, formula-safe cells, in chunks of 1000 rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # a BOM so Excel shows Chinese correctly
    writer.writerow(headers)
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(c) for c in row])
        if count % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _disposition(filename: str) -> str:
    return f'attachment; filename="{filename.encode("ascii", "ignore").decode()}"; ' + (
        f"filename*=UTF-8''{quote(filename)}"
    )


def export_response(
    name: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]], fmt: ExportFormat
) -> Response:
    """Return the rows as a CSV (streamed) or XLSX download named `name`.<format>."""
    filename = f"{name}.{fmt.value}"
    if fmt is ExportFormat.CSV:
        return StreamingResponse(
            csv_chunks(headers, rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": _disposition(filename)},
        )
    book = Workbook(write_only=True)
    sheet = book.create_sheet(name[:31])
    sheet.append(list(headers))
    for row in rows:
        sheet.append([safe_cell(c) for c in row])
    data = io.BytesIO()
    book.save(data)
    return Response(
        data.getvalue(),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": _disposition(filename)},
    )
