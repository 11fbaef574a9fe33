"""Use cases: import an order export, and write validated orders in bulk (never commits)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from siyu.customers.service import IdentityResolver, ResolveRequest
from siyu.db import bulk
from siyu.db.engine import refresh_planner_statistics
from siyu.imports.readers import read_table
from siyu.imports.rejects import write_rejects
from siyu.imports.results import TableImportResult
from siyu.kit.clock import utcnow
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import ImportFileError, SiyuError
from siyu.kit.gcpause import gc_paused
from siyu.models import Order, OrderLine, Refund, Shop
from siyu.models.enums import Platform, domain_of
from siyu.orders import repository
from siyu.orders.presets import Preset, detect_preset, load_preset
from siyu.orders.rules import OrderBuilder, OrderDraft

Progress = Callable[[str, int, int | None], None]  # stage, done, total (None: unknown)
PROGRESS_EVERY_ROWS = 50_000
WRITE_CHUNK = 20_000


@dataclass
class WriteCounts:
    """What writing a batch of orders did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportResult(TableImportResult):
    """Outcome of one order import (created/updated/unchanged count orders)."""

    preset: str = ""
    batch_id: int | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def ensure_shop(session: Session, workspace_id: int, *, code: str, platform: Platform) -> Shop:
    """Return the shop with this code, creating it on the given platform when absent."""
    shop = repository.get_shop(session, workspace_id, code)
    if shop is None:
        shop = repository.create_shop(
            session,
            workspace_id,
            code=code,
            name=code,
            platform=platform.value,
            domain=domain_of(platform).value,
        )
    return shop


class OrderWriter:
    """Writes OrderDrafts for one shop: resolves customers, products, then upserts orders."""

    def __init__(
        self,
        session: Session,
        workspace_id: int,
        shop: Shop,
        cipher: PiiCipher,
        *,
        batch_id: int | None,
        source: str,
    ) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.shop = shop
        self.cipher = cipher
        self.batch_id = batch_id
        self.resolver = IdentityResolver(session, workspace_id, cipher, source=source)
        self._products: dict[str, int] = {}
        self.last_customers: list[int | None] = []
        self.last_order_ids: dict[str, int] = {}

    def write(self, drafts: Sequence[OrderDraft], progress: Progress | None = None) -> WriteCounts:
        """Write all drafts in chunks inside the caller's transaction."""
        counts = WriteCounts()
        self.last_customers = []
        self.last_order_ids = {}
        for start in range(0, len(drafts), WRITE_CHUNK):
            self._write_chunk(drafts[start : start + WRITE_CHUNK], counts)
            if progress is not None:
                progress("write", min(start + WRITE_CHUNK, len(drafts)), len(drafts))
        return counts

    def _write_chunk(self, drafts: Sequence[OrderDraft], counts: WriteCounts) -> None:
        customers = self.resolver.resolve(
            [
                ResolveRequest(
                    d.identifiers, d.ordered_at, f"order {d.order_id}", d.receiver_name or None
                )
                for d in drafts
            ]
        )
        self.last_customers.extend(customers)
        self._ensure_products(drafts)
        existing = repository.existing_orders(
            self.session, self.workspace_id, self.shop.id, [d.order_id for d in drafts]
        )
        new: list[tuple[OrderDraft, int | None, str]] = []
        changed: list[tuple[int, OrderDraft, int | None, str]] = []
        for draft, customer in zip(drafts, customers, strict=True):
            fingerprint = draft.fingerprint()
            found = existing.get(draft.order_id)
            if found is None:
                new.append((draft, customer, fingerprint))
            elif found[1] != fingerprint or found[2] != customer:
                changed.append((found[0], draft, customer, fingerprint))
            else:
                counts.unchanged += 1
                self.last_order_ids[draft.order_id] = found[0]
        self.last_order_ids.update((d.order_id, oid) for oid, d, _, _ in changed)
        self._insert_new(new)
        self._update_changed(changed)
        counts.created += len(new)
        counts.updated += len(changed)

    def _ensure_products(self, drafts: Sequence[OrderDraft]) -> None:
        wanted: dict[str, tuple[str, int | None]] = {}
        for draft in drafts:
            for line in draft.lines:
                key = product_key(line.sku, line.product_name)
                if key not in self._products and key not in wanted:
                    wanted[key] = (line.product_name or line.sku, line.unit_price_fen)
        if not wanted:
            return
        found = repository.product_ids(self.session, self.workspace_id, list(wanted))
        self._products.update(found)
        missing = [k for k in wanted if k not in found]
        ids = repository.create_products(
            self.session,
            [
                {
                    "workspace_id": self.workspace_id,
                    "sku": key,
                    "name": wanted[key][0][:300] or key,
                    "price_fen": wanted[key][1],
                }
                for key in missing
            ],
        )
        self._products.update(zip(missing, ids, strict=True))

    def _order_row(
        self, draft: OrderDraft, customer: int | None, fingerprint: str
    ) -> dict[str, Any]:
        return {
            "workspace_id": self.workspace_id,
            "shop_id": self.shop.id,
            "customer_id": customer,
            "platform_order_id": draft.order_id,
            "status": draft.status.value,
            "raw_status": draft.raw_status[:64],
            "ordered_at": draft.ordered_at,
            "paid_at": draft.paid_at,
            "completed_at": draft.completed_at,
            "currency": draft.currency,
            "goods_fen": draft.goods_fen,
            "shipping_fen": draft.shipping_fen,
            "discount_fen": draft.discount_fen,
            "paid_fen": draft.paid_fen,
            "refunded_fen": draft.refunded_fen,
            "receiver_enc": self._receiver(draft),
            "province": draft.province,
            "city": draft.city,
            "fingerprint": fingerprint,
            "import_batch_id": self.batch_id,
            "updated_at": utcnow(),
        }

    def _receiver(self, draft: OrderDraft) -> bytes | None:
        parts = [draft.receiver_name, draft.receiver_phone, draft.address]
        if not any(parts):
            return None
        return self.cipher.encrypt(json.dumps(parts, ensure_ascii=False))

    def _line_row(self, order_id: int, draft: OrderDraft, index: int) -> dict[str, Any]:
        line = draft.lines[index]
        return {
            "workspace_id": self.workspace_id,
            "order_id": order_id,
            "line_key": line.line_key,
            "product_id": self._products[product_key(line.sku, line.product_name)],
            "quantity": line.quantity,
            "unit_price_fen": line.unit_price_fen,
            "amount_fen": line.amount_fen,
        }

    def _insert_new(self, new: list[tuple[OrderDraft, int | None, str]]) -> None:
        ids = bulk.insert_returning_ids(
            self.session, Order, [self._order_row(d, c, f) for d, c, f in new]
        )
        self.last_order_ids.update(
            (d.order_id, oid) for (d, _, _), oid in zip(new, ids, strict=True)
        )
        lines = [
            self._line_row(oid, d, i)
            for oid, (d, _, _) in zip(ids, new, strict=True)
            for i in range(len(d.lines))
        ]
        bulk.insert_rows(self.session, OrderLine, lines)
        self._insert_refunds([(oid, d) for oid, (d, _, _) in zip(ids, new, strict=True)])

    def _update_changed(self, changed: list[tuple[int, OrderDraft, int | None, str]]) -> None:
        if not changed:
            return
        rows = []
        for oid, draft, customer, fingerprint in changed:
            row = self._order_row(draft, customer, fingerprint)
            del row["workspace_id"], row["shop_id"], row["platform_order_id"]
            rows.append({"oid": oid, **row})
        repository.update_orders(self.session, rows)
        order_ids = [oid for oid, *_ in changed]
        stored = repository.lines_of(self.session, order_ids)
        updates, inserts, kept = [], [], set()
        for oid, draft, _, _ in changed:
            for i in range(len(draft.lines)):
                row = self._line_row(oid, draft, i)
                line_id = stored.get((oid, row["line_key"]))
                if line_id is None:
                    inserts.append(row)
                else:
                    kept.add(line_id)
                    del row["workspace_id"], row["order_id"], row["line_key"]
                    updates.append({"lid": line_id, **row})
        repository.update_lines(self.session, updates)
        bulk.insert_rows(self.session, OrderLine, inserts)
        repository.delete_lines(self.session, [i for i in stored.values() if i not in kept])
        repository.delete_refunds(self.session, order_ids)
        self._insert_refunds([(oid, d) for oid, d, _, _ in changed])

    def _insert_refunds(self, orders: list[tuple[int, OrderDraft]]) -> None:
        refunded = [(oid, d) for oid, d in orders if d.refunded_fen]
        with_lines = [oid for oid, d in refunded if any(line.refund_fen for line in d.lines)]
        line_ids = repository.lines_of(self.session, with_lines) if with_lines else {}
        rows: list[dict[str, Any]] = []
        for oid, draft in refunded:
            base: dict[str, Any] = {
                "workspace_id": self.workspace_id,
                "order_id": oid,
                "refunded_at": draft.refunded_at,
            }
            line_refunds = [line for line in draft.lines if line.refund_fen]
            for line in line_refunds:
                rows.append(
                    base
                    | {
                        "order_line_id": line_ids.get((oid, line.line_key)),
                        "refund_key": f"line:{line.line_key}"[:96],
                        "amount_fen": line.refund_fen,
                        "is_full": line.refund_fen >= (line.amount_fen or 0),
                    }
                )
            rest = draft.refunded_fen - sum(line.refund_fen for line in line_refunds)
            if rest > 0:
                rows.append(
                    base
                    | {
                        "order_line_id": None,
                        "refund_key": "order",
                        "amount_fen": rest,
                        "is_full": draft.refunded_fen >= draft.paid_fen,
                    }
                )
        bulk.insert_rows(self.session, Refund, rows)


def _reporting(
    rows: Iterator[tuple[int, list[str]]], progress: Progress | None
) -> Iterator[tuple[int, list[str]]]:
    """Pass rows through, telling `progress` every PROGRESS_EVERY_ROWS rows."""
    if progress is None:
        yield from rows
        return
    for count, row in enumerate(rows, start=1):
        if count % PROGRESS_EVERY_ROWS == 0:
            progress("read", count, None)
        yield row


def product_key(sku: str, name: str) -> str:
    """The catalogue key of a line's product: its SKU, else its name."""
    return sku if sku else f"name:{name}"[:128]


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def choose_preset(path: Path, headers: list[str], preset_name: str | None) -> Preset:
    """Return the named preset, or the one the headers identify; refuse a file it cannot map."""
    preset = load_preset(preset_name) if preset_name else detect_preset(headers)
    if preset is None:
        raise ImportFileError(
            file=path.name, reason="no preset recognises its headers; name one with --preset"
        )
    missing = preset.missing_required(headers)
    if missing:
        raise SiyuError(
            "import.missing_columns", file=path.name, preset=preset.name, columns=", ".join(missing)
        )
    return preset


@gc_paused()
def import_orders(
    session: Session,
    *,
    workspace_id: int,
    cipher: PiiCipher,
    path: Path,
    preset_name: str | None = None,
    shop_code: str | None = None,
    rejects_dir: Path | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import an order export: validate every row, write the good orders, report the rest."""
    started = time.perf_counter()
    table = read_table(path)
    preset = choose_preset(path, table.headers, preset_name)
    builder = OrderBuilder(preset, table.headers, path.name)
    rows = builder.add_rows(_reporting(table.rows, progress))
    drafts, rejects = builder.finish()
    parsed = time.perf_counter()
    shop = ensure_shop(
        session, workspace_id, code=shop_code or preset.platform.value, platform=preset.platform
    )
    batch = repository.create_batch(
        session, workspace_id, kind="orders", file_name=path.name,
        file_sha256=file_sha256(path), preset=preset.name,
    )  # fmt: skip
    writer = OrderWriter(
        session, workspace_id, shop, cipher, batch_id=batch.id, source=f"{preset.name} import"
    )
    counts = writer.write(drafts, progress)
    if counts.created:  # a new brand browses its customers before its first daily run
        refresh_planner_statistics(session)
    result = ImportResult(
        path.name,
        rows=rows,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        rejects=rejects,
        preset=preset.name,
        batch_id=batch.id,
    )
    result.seconds = {"read_validate": parsed - started, "write": time.perf_counter() - parsed}
    if rejects and rejects_dir is not None:
        result.rejects_path = rejects_dir / f"{path.stem}.{batch.id}.rejects.csv"
        write_rejects(result.rejects_path, rejects)
    batch.accepted, batch.rejected = result.accepted, len(rejects)
    batch.created, batch.updated, batch.unchanged = counts.created, counts.updated, counts.unchanged
    batch.rejects_path = str(result.rejects_path or "")
    return result
