"""Rejected rows: file, line, column and reason, kept for the summary and a rejects CSV."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Reject:
    """One rejected row (or cell) of an input file."""

    file: str
    line: int
    column: str
    reason: str


def write_rejects(path: Path, rejects: list[Reject]) -> None:
    """Write the rejects as CSV (UTF-8 with BOM so Excel shows Chinese correctly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "line", "column", "reason"])
        for r in rejects:
            writer.writerow([r.file, r.line, _safe(r.column), _safe(r.reason)])


def _safe(text: str) -> str:
    # A cell starting with = + - @ would run as a formula when the CSV is opened in Excel.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def read_rejects(path: Path) -> list[Reject]:
    """Read a rejects CSV written by `write_rejects` (empty when the file is gone)."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    return [Reject(r[0], int(r[1]), _unsafe(r[2]), _unsafe(r[3])) for r in rows if len(r) >= 4]


def _unsafe(text: str) -> str:
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@") else text


def reason_in(reason: str, locale: str) -> str:
    """The part of a bilingual reason ('english | 中文') in the locale (whole when single)."""
    en, sep, zh = reason.partition(" | ")
    if not sep:
        return reason
    return zh if locale == "zh-CN" else en
