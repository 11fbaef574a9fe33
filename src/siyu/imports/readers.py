"""Read CSV and XLSX exports into header + rows with physical line numbers."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from siyu.kit.errors import ImportFileError

ENCODINGS = ("utf-8-sig", "gb18030")
MAX_BYTES = 2 * 1024**3


@dataclass
class Table:
    """A file's header row and an iterator of (line number, cells)."""

    path: Path
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
    encoding: str


def _fail(path: Path, reason: str) -> ImportFileError:
    return ImportFileError(file=path.name, reason=reason)


def decode(path: Path, data: bytes) -> tuple[str, str]:
    """Decode the whole file as UTF-8 (with or without BOM), else GB18030 (covers GBK)."""
    if b"\x00" in data[:65536]:
        raise _fail(path, "binary content, not a text CSV")
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise _fail(path, "neither UTF-8 nor GBK/GB18030 text")


def read_csv(path: Path) -> Table:
    """Read a CSV file; the first non-empty row is the header."""
    data = path.read_bytes()
    text, encoding = decode(path, data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(row for row in reader if any(cell.strip() for cell in row))
    except StopIteration:
        raise _fail(path, "the file is empty") from None
    except csv.Error as exc:
        raise _fail(path, f"not a CSV file ({exc})") from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        start = reader.line_num + 1
        for row in reader:
            if any(row):
                yield start, row
            start = reader.line_num + 1

    return Table(path, headers, rows(), encoding)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value) if not value.is_integer() or abs(value) >= 1e15 else str(int(value))
    return str(value)


ZIP_MAGIC = b"PK\x03\x04"
XLSX_SUFFIXES = (".xlsx", ".xlsm")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv", "")
MAX_EXPANDED = 4 * 1024**3
MAX_RATIO = 250  # real sheets compress 5-100x; a zip bomb, thousands of times
MAX_MEMBERS = 10_000


class UnsafeFileError(ImportFileError):
    """A file refused before it is opened: the wrong type, or a zip that expands too far."""


def check_type(path: Path) -> None:
    """Refuse a file whose name and first bytes disagree with CSV or XLSX."""
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(8)
    if suffix in XLSX_SUFFIXES and not head.startswith(ZIP_MAGIC):
        raise UnsafeFileError("upload.wrong_type", file=path.name, reason="no XLSX (ZIP) header")
    if suffix in TEXT_SUFFIXES and head.startswith(ZIP_MAGIC):
        raise UnsafeFileError("upload.wrong_type", file=path.name,
                              reason="a ZIP or XLSX file named as text")  # fmt: skip
    if suffix not in XLSX_SUFFIXES + TEXT_SUFFIXES:
        raise UnsafeFileError("upload.wrong_type", file=path.name, reason=f"suffix {suffix!r}")


def check_zip(path: Path) -> None:
    """Refuse a workbook that would expand too far, judged from its directory alone."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise _fail(path, f"not a readable XLSX workbook ({type(exc).__name__})") from exc
    expanded = sum(m.file_size for m in members)
    packed = max(sum(m.compress_size for m in members), 1)
    if len(members) > MAX_MEMBERS or expanded > MAX_EXPANDED or expanded / packed > MAX_RATIO:
        raise UnsafeFileError("upload.zip_bomb", file=path.name,
                              megabytes=MAX_EXPANDED // 2**20, ratio=MAX_RATIO)  # fmt: skip


def check_file(path: Path) -> None:
    """Refuse a wrong type or a zip bomb before any parser touches the file."""
    check_type(path)
    if path.suffix.lower() in XLSX_SUFFIXES:
        check_zip(path)


def read_xlsx(path: Path) -> Table:
    """Read the first worksheet of an XLSX workbook (checked for a zip bomb first)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_zip(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise _fail(path, f"not a readable XLSX workbook ({type(exc).__name__})") from exc
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    line = 0
    for raw in iterator:
        line += 1
        headers = [_cell_text(v) for v in raw]
        if any(h.strip() for h in headers):
            break
    else:
        workbook.close()
        raise _fail(path, "the workbook is empty")
    header_line = line

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = header_line
        try:
            for raw_row in iterator:
                number += 1
                cells = [_cell_text(v) for v in raw_row]
                if any(cells):
                    yield number, cells
        finally:
            workbook.close()

    return Table(path, headers, rows(), "xlsx")


def read_table(path: Path) -> Table:
    """Open a CSV or XLSX export; a file that cannot be read raises ImportFileError."""
    if not path.is_file():
        raise _fail(path, "no such file")
    if path.stat().st_size == 0:
        raise _fail(path, "the file is empty")
    if path.stat().st_size > MAX_BYTES:
        raise _fail(path, "larger than 2 GiB")
    if path.suffix.lower() in XLSX_SUFFIXES:
        return read_xlsx(path)
    if path.suffix.lower() in TEXT_SUFFIXES:
        return read_csv(path)
    raise _fail(path, f"unsupported file type {path.suffix!r} (use CSV or XLSX)")
