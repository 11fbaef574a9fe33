"""Pure rules of stored figures: which tables belong to which family, and how a report's
sections become JSON (money in integer fen, no NaN)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

from siyu.analytics.cohorts import LadderMigration
from siyu.analytics.periods import Grain
from siyu.reports import rules as report_rules
from siyu.reports.schemas import Cell, Locale, Section

GRAINS: Final[tuple[Grain, ...]] = ("day", "month", "year")
LOCALES: Final[tuple[Locale, ...]] = ("zh-CN", "en")
Family = Literal["operating", "repurchase", "cohorts", "ladder", "channels", "products"]
FAMILY_TABLES: Final[dict[str, tuple[str, ...]]] = {
    "operating": ("overview", "pool", "trend"),
    "repurchase": ("repurchase", "funnel"),
    "cohorts": ("cohorts_purchase", "cohorts_purchase_revenue", "cohorts_pool",
                "cohorts_pool_revenue"),
    "ladder": ("ladder", "ladder_moves"),
    "channels": ("channels",),
    "products": ("products", "product_roles"),
}  # fmt: skip
FORMAT_VERSION: Final = 1


def family_of(table: str) -> str | None:
    """The family a table belongs to (None for an unknown table)."""
    return next((f for f, keys in FAMILY_TABLES.items() if table in keys), None)


def json_cell(value: Cell, kind: str) -> Cell:
    """A cell for JSON: money rounded to integer fen, NaN as null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if kind == "fen" and isinstance(value, int | float):
        return round(value)
    return value


def section_json(section: Section, locale: Locale) -> dict[str, Any]:
    """One table in one language as stored and served."""
    kinds = [c.kind for c in section.columns]
    return {
        "key": section.key,
        "title": section.title(locale),
        "note": section.note(locale),
        "transposed": section.transposed,
        "columns": [{"key": c.key, "label": c.label(locale), "kind": c.kind}
                    for c in section.columns],
        "rows": [[json_cell(v, k) for v, k in zip(row, kinds, strict=True)]
                 for row in section.rows],
    }  # fmt: skip


def sections_json(by_locale: Mapping[Locale, Iterable[Section]]) -> dict[str, list[dict[str, Any]]]:
    """Every table in every language."""
    return {loc: [section_json(s, loc) for s in found] for loc, found in by_locale.items()}


def ladder_sections(migration: LadderMigration, locale: Locale) -> tuple[Section, ...]:
    """The migration matrix and the moves between two chosen moments."""
    return tuple(report_rules.ladder_sections(migration, locale))


def column_index(table: dict[str, Any], key: str) -> int:
    """Position of column ``key`` in a stored table."""
    return [c["key"] for c in table["columns"]].index(key)


def column(table: dict[str, Any], key: str) -> list[Cell]:
    """Every cell of column ``key`` in a stored table."""
    index = column_index(table, key)
    return [row[index] for row in table["rows"]]
