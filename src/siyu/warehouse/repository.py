"""The queries that feed the snapshot: facts by id bucket, and what changed since when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import func, select

from siyu.db.arrow import ArrowReader
from siyu.models import Channel, ChannelCost, Contact, Customer, Order, OrderLine, Product, Refund
from siyu.models.shop import Shop
from siyu.warehouse.schemas import SCHEMAS, TS


def bucket_states(
    reader: ArrowReader, workspace_id: int, model: Any, size: int
) -> dict[int, tuple[int, datetime]]:
    """Row count and last update of each id bucket of `model` (orders or contacts).

    A count that changed reveals a deletion; a later last update, an insert or an update.
    One scan of the (workspace_id, updated_at) index, which holds the ids too.
    """
    bucket = model.id // size
    query = (
        select(bucket, func.count(), func.max(model.updated_at))
        .where(model.workspace_id == workspace_id)
        .group_by(bucket)
    )
    schema = pa.schema([("bucket", pa.int64()), ("rows", pa.int64()), ("updated", TS)])
    table = reader.read(query, schema)
    states = zip(table["rows"].to_pylist(), table["updated"].to_pylist(), strict=True)
    return dict(zip(table["bucket"].to_pylist(), states, strict=True))


def _in_bucket(query: Any, column: Any, bucket: int, size: int) -> Any:
    return query.where(column >= bucket * size, column < (bucket + 1) * size)


def _of_workspace(model: Any, workspace_id: int) -> Any:
    """The workspace condition, kept out of index choice: the id range must drive the scan.

    Without the `+ 0`, SQLite's planner (no statistics) searched the (workspace_id, …) index
    and visited every order of the brand for each bucket: 68 s instead of seconds for 6M
    orders. PostgreSQL plans it the same either way.
    """
    return model.workspace_id + 0 == workspace_id


def orders_in(reader: ArrowReader, workspace_id: int, bucket: int, size: int) -> pa.Table:
    """Orders of one id bucket, with their shop's domain."""
    query = (
        select(Order.id, Order.shop_id, Shop.domain, Order.customer_id, Order.status,
               Order.ordered_at, Order.paid_at, Order.goods_fen, Order.shipping_fen,
               Order.discount_fen, Order.paid_fen, Order.refunded_fen, Order.province, Order.city)
        .join(Shop, Shop.id == Order.shop_id)
        .where(_of_workspace(Order, workspace_id))
    )  # fmt: skip
    return reader.read(_in_bucket(query, Order.id, bucket, size), SCHEMAS["orders"])


def lines_in(reader: ArrowReader, workspace_id: int, bucket: int, size: int) -> pa.Table:
    """Order lines whose order is in one id bucket, with the product's role and cost."""
    query = (
        select(OrderLine.id, OrderLine.order_id, OrderLine.product_id, Product.role,
               OrderLine.quantity, OrderLine.unit_price_fen, OrderLine.amount_fen,
               Product.unit_cost_fen)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.workspace_id == workspace_id)
    )  # fmt: skip
    return reader.read(_in_bucket(query, OrderLine.order_id, bucket, size), SCHEMAS["order_lines"])


def refunds_in(reader: ArrowReader, workspace_id: int, bucket: int, size: int) -> pa.Table:
    """Refunds whose order is in one id bucket."""
    query = (
        select(Refund.id, Refund.order_id, Refund.order_line_id, Refund.amount_fen,
               Refund.is_full, Refund.refunded_at)
        .where(Refund.workspace_id == workspace_id)
    )  # fmt: skip
    return reader.read(_in_bucket(query, Refund.order_id, bucket, size), SCHEMAS["refunds"])


def contacts_in(reader: ArrowReader, workspace_id: int, bucket: int, size: int) -> pa.Table:
    """Contacts of one id bucket."""
    query = (
        select(Contact.id, Contact.customer_id, Contact.carrier, Contact.staff_account_id,
               Contact.channel_id, Contact.joined_at, Contact.left_at, Contact.left_reason)
        .where(_of_workspace(Contact, workspace_id))
    )  # fmt: skip
    return reader.read(_in_bucket(query, Contact.id, bucket, size), SCHEMAS["contacts"])


def channel_costs(reader: ArrowReader, workspace_id: int) -> pa.Table:
    """Every channel's daily spend, with the channel's kind."""
    query = (
        select(ChannelCost.channel_id, Channel.kind, ChannelCost.day, ChannelCost.amount_fen)
        .join(Channel, Channel.id == ChannelCost.channel_id)
        .where(ChannelCost.workspace_id == workspace_id)
        .order_by(ChannelCost.channel_id, ChannelCost.day)
    )
    return reader.read(query, SCHEMAS["channel_costs"])


def customers(reader: ArrowReader, workspace_id: int) -> pa.Table:
    """Every customer's id and first-seen time (no personal data)."""
    query = (
        select(Customer.id, Customer.first_seen_at, Customer.created_at)
        .where(Customer.workspace_id == workspace_id)
        .order_by(Customer.id)
    )
    return reader.read(query, SCHEMAS["customers"])
