"""All queries on shops, products, orders, lines and refunds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
