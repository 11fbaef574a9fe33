"""Import jobs started from the console: the file is read by the same importers as the CLI."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from siyu.catalog.service import import_products
from siyu.db.engine import unit_of_work
from siyu.imports.rejects import write_rejects
from siyu.imports.results import TableImportResult
from siyu.imports.schemas import ImportKind
from siyu.orders import repository as orders
from siyu.orders.service import file_sha256, import_orders
from siyu.pool.service import import_contacts, import_costs
from siyu.store import Store

Progress = Callable[[str, int, int | None], None]
SHOWN_REJECTS = 200
_UNSAFE = re.compile(r"[^\w.\-() \u4e00-\u9fff]+")


@dataclass(frozen=True, slots=True)
class ImportRequest:
    """An uploaded file waiting to be imported."""

    workspace_id: int
    kind: ImportKind
    path: Path
    preset: str = ""
    shop: str = ""


def safe_file_name(name: str) -> str:
    """A file name from an upload, stripped of folders and odd characters."""
    base = Path(name.replace("\\", "/")).name.strip() or "upload.csv"
    cleaned = _UNSAFE.sub("_", base)
    stem, dot, suffix = cleaned.rpartition(".")
    return (stem[:100] + dot + suffix[:8]) if dot else cleaned[:100]


def run_import(store: Store, request: ImportRequest, progress: Progress) -> dict[str, Any]:
    """Import the file in one transaction; the upload is deleted afterwards whatever happens."""
    rejects_dir = store.settings.home / "rejects"
    try:
        with unit_of_work(store.sessions) as session:
            if request.kind is ImportKind.ORDERS:
                found = import_orders(
                    session, workspace_id=request.workspace_id, cipher=store.cipher,
                    path=request.path, preset_name=request.preset or None,
                    shop_code=request.shop or None, rejects_dir=rejects_dir, progress=progress,
                )  # fmt: skip
                result: TableImportResult = found
                batch_id = found.batch_id
            else:
                progress("read", 0, None)
                result = _import_table(store, session, request)
                batch_id = _record_batch(session, request, result, rejects_dir)
        progress("done", result.rows, result.rows)
    finally:
        shutil.rmtree(request.path.parent, ignore_errors=True)
    return _outcome(request.kind, batch_id, result)


def _import_table(store: Store, session: Any, request: ImportRequest) -> TableImportResult:
    ws, path = request.workspace_id, request.path
    if request.kind is ImportKind.PRODUCTS:
        return import_products(session, workspace_id=ws, path=path)
    if request.kind is ImportKind.CONTACTS:
        return import_contacts(session, workspace_id=ws, cipher=store.cipher, path=path)
    return import_costs(session, workspace_id=ws, path=path)


def _record_batch(
    session: Any, request: ImportRequest, result: TableImportResult, rejects_dir: Path
) -> int:
    batch = orders.create_batch(
        session, request.workspace_id, kind=request.kind.value, file_name=request.path.name,
        file_sha256=file_sha256(request.path), preset=request.kind.value,
    )  # fmt: skip
    if result.rejects:
        result.rejects_path = rejects_dir / f"{request.path.stem}.{batch.id}.rejects.csv"
        write_rejects(result.rejects_path, result.rejects)
    batch.accepted, batch.rejected = result.accepted, len(result.rejects)
    batch.created, batch.updated, batch.unchanged = result.created, result.updated, result.unchanged
    batch.rejects_path = str(result.rejects_path or "")
    return batch.id


def _outcome(kind: ImportKind, batch_id: int | None, result: TableImportResult) -> dict[str, Any]:
    return {
        "batch_id": batch_id,
        "kind": kind.value,
        "file": result.file,
        "rows": result.rows,
        "accepted": result.accepted,
        "rejected": len(result.rejects),
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejects": [
            {"file": r.file, "line": r.line, "column": r.column, "reason": r.reason}
            for r in result.rejects[:SHOWN_REJECTS]
        ],
    }
