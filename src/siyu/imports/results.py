"""Outcome of importing a fixed-schema table."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from siyu.imports.rejects import Reject


@dataclass
class TableImportResult:
    """Counts and rejects of one imported file."""

    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: list[Reject] = field(default_factory=list)
    rejects_path: Path | None = None

    @property
    def accepted(self) -> int:
        """Rows that were not rejected."""
        return self.rows - len(self.rejects)
