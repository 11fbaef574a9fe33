"""All queries on shops, products, orders, lines and refunds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from siyu.db import bulk
from siyu.models import ImportBatch, Order, OrderLine, Product, Refund, Shop

CHUNK = 500


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def get_shop(session: Session, workspace_id: int, code: str) -> Shop | None:
    """Return the shop with this code."""
    return session.scalar(select(Shop).where(Shop.workspace_id == workspace_id, Shop.code == code))


def create_shop(
    session: Session, workspace_id: int, *, code: str, name: str, platform: str, domain: str
) -> Shop:
    """Add a shop."""
    shop = Shop(workspace_id=workspace_id, code=code, name=name, platform=platform, domain=domain)
    session.add(shop)
    session.flush()
    return shop


def create_batch(session: Session, workspace_id: int, **fields: str) -> ImportBatch:
    """Record the start of an import; its counts are filled in when it ends."""
    batch = ImportBatch(workspace_id=workspace_id, **fields)
    session.add(batch)
    session.flush()
    return batch


def product_ids(session: Session, workspace_id: int, skus: Sequence[str]) -> dict[str, int]:
    """Map existing SKUs to product ids."""
    found: dict[str, int] = {}
    for chunk in _chunks(skus):
        rows = session.execute(
            select(Product.sku, Product.id).where(
                Product.workspace_id == workspace_id, Product.sku.in_(chunk)
            )
        )
        found.update({row[0]: row[1] for row in rows})
    return found


def create_products(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert products; return their ids in order."""
    return bulk.insert_returning_ids(session, Product, rows)


def update_products(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Update products by id (rows carry `pid` and the columns to set)."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != "pid"]
    statement = (
        update(Product)
        .where(Product.id == bindparam("pid"))
        .values({c: bindparam(c) for c in columns})
    )
    session.connection().execute(statement, list(rows))


def existing_orders(
    session: Session, workspace_id: int, shop_id: int, order_ids: Sequence[str]
) -> dict[str, tuple[int, str, int | None]]:
    """Map platform order ids to (id, fingerprint, customer id) for orders already stored."""
    found: dict[str, tuple[int, str, int | None]] = {}
    for chunk in _chunks(order_ids):
        rows = session.execute(
            select(Order.platform_order_id, Order.id, Order.fingerprint, Order.customer_id).where(
                Order.workspace_id == workspace_id,
                Order.shop_id == shop_id,
                Order.platform_order_id.in_(chunk),
            )
        )
        found.update({r[0]: (r[1], r[2], r[3]) for r in rows})
    return found


def update_orders(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Update orders by id (each row carries `oid` and the columns to set)."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != "oid"]
    statement = (
        update(Order).where(Order.id == bindparam("oid")).values({c: bindparam(c) for c in columns})
    )
    session.connection().execute(statement, list(rows))


def lines_of(session: Session, order_ids: Sequence[int]) -> dict[tuple[int, str], int]:
    """Map (order id, line key) to line id for the given orders."""
    found: dict[tuple[int, str], int] = {}
    for chunk in _chunks(order_ids):
        rows = session.execute(
            select(OrderLine.order_id, OrderLine.line_key, OrderLine.id).where(
                OrderLine.order_id.in_(chunk)
            )
        )
        found.update({(r[0], r[1]): r[2] for r in rows})
    return found


def update_lines(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Update order lines by id (each row carries `lid`)."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != "lid"]
    statement = (
        update(OrderLine)
        .where(OrderLine.id == bindparam("lid"))
        .values({c: bindparam(c) for c in columns})
    )
    session.connection().execute(statement, list(rows))


def delete_lines(session: Session, line_ids: Sequence[int]) -> None:
    """Delete order lines by id."""
    for chunk in _chunks(line_ids):
        session.execute(delete(OrderLine).where(OrderLine.id.in_(chunk)))


def delete_refunds(session: Session, order_ids: Sequence[int]) -> None:
    """Delete the refunds of the given orders (they are rewritten from the newer export)."""
    for chunk in _chunks(order_ids):
        session.execute(delete(Refund).where(Refund.order_id.in_(chunk)))


def count_rows(session: Session, workspace_id: int, model: Any) -> int:
    """Count the workspace's rows of a model."""
    return (
        session.scalar(
            select(func.count()).select_from(model).where(model.workspace_id == workspace_id)
        )
        or 0
    )


def list_orders(
    session: Session,
    workspace_id: int,
    *,
    customer_id: int | None = None,
    shop_code: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    staff_condition: Any = None,
    offset: int = 0,
    limit: int | None = 50,
) -> tuple[list[Any], int]:
    """Orders (newest first) with their shop, filtered and paged; and the count of matches."""
    conditions: list[Any] = [Order.workspace_id == workspace_id]
    if customer_id is not None:
        conditions.append(Order.customer_id == customer_id)
    if shop_code is not None:
        conditions.append(Shop.code == shop_code)
    if status is not None:
        conditions.append(Order.status == status)
    if since is not None:
        conditions.append(Order.ordered_at >= since)
    if until is not None:
        conditions.append(Order.ordered_at < until)
    if staff_condition is not None:
        conditions.append(staff_condition)
    base = select(func.count()).select_from(Order).join(Shop, Shop.id == Order.shop_id)
    total = session.scalar(base.where(*conditions)) or 0
    query = (
        select(Order, Shop.code, Shop.platform, Shop.domain)
        .join(Shop, Shop.id == Order.shop_id)
        .where(*conditions)
        .order_by(Order.ordered_at.desc(), Order.id.desc())
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query)), total


def lines_with_products(session: Session, order_ids: Sequence[int]) -> dict[int, list[Any]]:
    """The lines of the given orders with product SKU and name, by order id."""
    found: dict[int, list[Any]] = {}
    for chunk in _chunks(order_ids):
        rows = session.execute(
            select(
                OrderLine.order_id,
                Product.sku,
                Product.name,
                OrderLine.quantity,
                OrderLine.unit_price_fen,
                OrderLine.amount_fen,
            )
            .outerjoin(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id.in_(chunk))
            .order_by(OrderLine.order_id, OrderLine.id)
        )
        for row in rows:
            found.setdefault(row[0], []).append(row)
    return found


def list_batches(
    session: Session, workspace_id: int, *, offset: int = 0, limit: int | None = 50
) -> tuple[list[ImportBatch], int]:
    """Import batches, newest first, and their count."""
    total = count_rows(session, workspace_id, ImportBatch)
    query = (
        select(ImportBatch)
        .where(ImportBatch.workspace_id == workspace_id)
        .order_by(ImportBatch.id.desc())
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query)), total


def get_batch(session: Session, workspace_id: int, batch_id: int) -> ImportBatch | None:
    """Return one import batch."""
    return session.scalar(
        select(ImportBatch).where(
            ImportBatch.workspace_id == workspace_id, ImportBatch.id == batch_id
        )
    )
