"""Import the product catalogue: roles, prices and costs (upsert by SKU; never commits)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from siyu.catalog.rules import PRODUCT_COLUMNS, ROLE_WORDS
from siyu.imports.cells import check_id, parse_fen
from siyu.imports.readers import read_table
from siyu.imports.results import TableImportResult
from siyu.imports.tabular import RowError, RowReader, choice
from siyu.orders import repository

_role = choice(ROLE_WORDS, "role")


def import_products(session: Session, *, workspace_id: int, path: Path) -> TableImportResult:
    """Create or update products from a catalogue file."""
    reader = RowReader(read_table(path), PRODUCT_COLUMNS, "products")
    result = TableImportResult(path.name)
    parsed: dict[str, dict[str, Any]] = {}
    for line in reader.rows():
        result.rows += 1
        try:
            sku = reader.require("sku", check_id)
            row: dict[str, Any] = {"name": reader.require("name", str)[:300]}
            for field, parser in (("role", _role), ("price", parse_fen), ("unit_cost", parse_fen)):
                if reader.has(field):
                    row[{"price": "price_fen", "unit_cost": "unit_cost_fen"}.get(field, field)] = (
                        reader.parse(field, parser)
                    )
        except RowError as err:
            result.rejects.append(err.reject(path.name, line))
            continue
        parsed[sku[:128]] = row
    existing = repository.product_ids(session, workspace_id, list(parsed))
    updates = [{"pid": existing[sku], **row} for sku, row in parsed.items() if sku in existing]
    creates = [
        {"workspace_id": workspace_id, "sku": sku, **row}
        for sku, row in parsed.items()
        if sku not in existing
    ]
    for group in _same_columns(updates):
        repository.update_products(session, group)
    for group in _same_columns(creates):
        repository.create_products(session, group)
    result.created, result.updated = len(creates), len(updates)
    return result


def _same_columns(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Group rows by their column set (executemany needs one shape per statement)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())
