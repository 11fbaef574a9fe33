"""Fixed-schema tables (products, contacts, costs): columns found by header aliases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from siyu.imports.cells import CellError, clean, clean_header
from siyu.imports.readers import Table
from siyu.imports.rejects import Reject
from siyu.kit.errors import SiyuError

T = TypeVar("T")


@dataclass(frozen=True)
class Column:
    """A field of a fixed-schema file and the headers it may appear under."""

    field: str
    aliases: tuple[str, ...]
    required: bool = False


class RowReader:
    """Reads one row's cells by field name; parse errors name the file's own header."""

    def __init__(self, table: Table, columns: tuple[Column, ...], kind: str) -> None:
        position = {clean_header(h).lower(): i for i, h in reversed(list(enumerate(table.headers)))}
        self.table = table
        self.index: dict[str, int] = {}
        self.header: dict[str, str] = {}
        for column in columns:
            for alias in (column.field, *column.aliases):
                if alias.lower() in position:
                    self.index[column.field] = position[alias.lower()]
                    self.header[column.field] = table.headers[position[alias.lower()]].strip()
                    break
        missing = [c.field for c in columns if c.required and c.field not in self.index]
        if missing:
            raise SiyuError(
                "import.missing_columns",
                file=table.path.name,
                preset=kind,
                columns=", ".join(missing),
            )
        self.row: list[str] = []

    def has(self, field: str) -> bool:
        """True when the file has this field's column."""
        return field in self.index

    def text(self, field: str) -> str:
        """The cleaned text of a field in the current row ('' when absent)."""
        i = self.index.get(field)
        return clean(self.row[i]) if i is not None and i < len(self.row) else ""

    def parse(self, field: str, parser: Callable[[str], T]) -> T | None:
        """Parse a field of the current row; None when empty."""
        text = self.text(field)
        if not text:
            return None
        try:
            return parser(text)
        except CellError as exc:
            raise RowError(self.header.get(field, field), str(exc)) from None

    def require(self, field: str, parser: Callable[[str], T]) -> T:
        """Parse a field that must not be empty."""
        value = self.parse(field, parser)
        if value is None:
            raise RowError(self.header.get(field, field), f"missing {field} | 缺少 {field}")
        return value

    def rows(self) -> Iterator[int]:
        """Iterate over the table, making each row current; yields its line number."""
        for line, row in self.table.rows:
            self.row = row
            yield line


class RowError(Exception):
    """A row that cannot be imported, with the column at fault."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason

    def reject(self, file: str, line: int) -> Reject:
        """Turn into a reject of a given file and line."""
        return Reject(file, line, self.column, self.reason)


def choice(mapping: dict[str, str], what: str) -> Callable[[str], str]:
    """A parser accepting the keys of `mapping` (case-insensitive) and returning their value."""
    lowered = {k.lower(): v for k, v in mapping.items()}

    def parse(text: str) -> str:
        found = lowered.get(text.lower())
        if found is None:
            allowed = ", ".join(sorted(mapping))
            raise CellError(f"unknown {what} {text!r} (use {allowed})", f"未知{what} {text!r}")
        return found

    return parse
