"""Arrow schemas of the snapshot's tables (no personal data: ids, times, money, codes)."""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

SCHEMAS: dict[str, pa.Schema] = {
    "orders": pa.schema([
        ("id", pa.int64()), ("shop_id", pa.int64()), ("shop_domain", pa.string()),
        ("customer_id", pa.int64()), ("status", pa.string()), ("ordered_at", TS),
        ("paid_at", TS), ("goods_fen", pa.int64()), ("shipping_fen", pa.int64()),
        ("discount_fen", pa.int64()), ("paid_fen", pa.int64()), ("refunded_fen", pa.int64()),
        ("province", pa.string()), ("city", pa.string()),
    ]),
    "order_lines": pa.schema([
        ("id", pa.int64()), ("order_id", pa.int64()), ("product_id", pa.int64()),
        ("product_role", pa.string()), ("quantity", pa.int64()), ("unit_price_fen", pa.int64()),
        ("amount_fen", pa.int64()), ("unit_cost_fen", pa.int64()),
    ]),
    "refunds": pa.schema([
        ("id", pa.int64()), ("order_id", pa.int64()), ("order_line_id", pa.int64()),
        ("amount_fen", pa.int64()), ("is_full", pa.bool_()), ("refunded_at", TS),
    ]),
    "contacts": pa.schema([
        ("id", pa.int64()), ("customer_id", pa.int64()), ("carrier", pa.string()),
        ("staff_account_id", pa.int64()), ("channel_id", pa.int64()), ("joined_at", TS),
        ("left_at", TS), ("left_reason", pa.string()),
    ]),
    "channel_costs": pa.schema([
        ("channel_id", pa.int64()), ("channel_kind", pa.string()), ("day", pa.date32()),
        ("amount_fen", pa.int64()),
    ]),
    "customers": pa.schema([("id", pa.int64()), ("first_seen_at", TS), ("created_at", TS)]),
}  # fmt: skip

BUCKETED = ("orders", "order_lines", "refunds", "contacts")
