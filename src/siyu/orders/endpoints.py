"""API routes of orders: list, filter, export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.accounts.rules import Permission, Principal
from siyu.customers.repository import served_by_staff
from siyu.kit.ids import MAX_ROW_ID
from siyu.models import Customer, Order
from siyu.orders import repository
from siyu.orders.schemas import OrderLineRead, OrderRead
from siyu.web.deps import Db, require
from siyu.web.export import EXPORT_RESPONSES, ExportFormat, export_response, yuan
from siyu.web.pagination import Page, Paging

router = APIRouter(tags=["orders"])
EXPORT_HEADERS = (
    "id", "platform_order_id", "shop", "platform", "domain", "customer_id", "status",
    "ordered_at", "paid_yuan", "refunded_yuan", "province", "city",
)  # fmt: skip


def staff_filter(principal: Principal) -> Any:
    """For customer-service staff: only orders of their own customers."""
    if not principal.own_customers_only:
        return None
    staff = principal.staff_account_id if principal.staff_account_id is not None else -1
    return Order.customer_id.in_(select(Customer.id).where(served_by_staff(staff)))


def order_reads(session: Session, rows: list[Any]) -> list[OrderRead]:
    """Turn (Order, shop code, platform, domain) rows into API objects with lines."""
    lines = repository.lines_with_products(session, [r[0].id for r in rows])
    return [
        OrderRead(
            id=o.id,
            platform_order_id=o.platform_order_id,
            shop_code=code,
            platform=platform,
            domain=domain,
            customer_id=o.customer_id,
            status=o.status,
            ordered_at=o.ordered_at,
            paid_at=o.paid_at,
            goods_fen=o.goods_fen,
            shipping_fen=o.shipping_fen,
            discount_fen=o.discount_fen,
            paid_fen=o.paid_fen,
            refunded_fen=o.refunded_fen,
            province=o.province,
            city=o.city,
            lines=[
                OrderLineRead(
                    sku=line[1],
                    product_name=line[2],
                    quantity=line[3],
                    unit_price_fen=line[4],
                    amount_fen=line[5],
                )
                for line in lines.get(o.id, [])
            ],
        )
        for o, code, platform, domain in rows
    ]


@dataclass(frozen=True, slots=True)
class OrderFilters:
    """What the caller filtered orders by."""

    values: dict[str, Any]


async def order_filters(
    customer_id: Annotated[
        int | None, Query(ge=1, le=MAX_ROW_ID, description="Orders of one customer.")
    ] = None,
    shop: Annotated[str | None, Query(description="Shop code.")] = None,
    status: Annotated[str | None, Query(description="paid, shipped, completed …")] = None,
    since: Annotated[datetime | None, Query(description="Placed at or after.")] = None,
    until: Annotated[datetime | None, Query(description="Placed before.")] = None,
) -> OrderFilters:
    """Read the filter parameters."""
    return OrderFilters({
        "customer_id": customer_id, "shop_code": shop, "status": status or None,
        "since": since, "until": until,
    })  # fmt: skip


@router.get("/orders", response_model=Page[OrderRead])
def list_orders(
    db: Db,
    paging: Paging,
    principal: Annotated[Principal, require(Permission.ORDERS_READ)],
    filters: Annotated[OrderFilters, Depends(order_filters)],
) -> Page[OrderRead]:
    """Orders, newest first, filtered by customer, shop, status and time."""
    rows, total = repository.list_orders(
        db, principal.workspace_id, **filters.values, staff_condition=staff_filter(principal),
        offset=paging.offset, limit=paging.per_page,
    )  # fmt: skip
    return paging.wrap(order_reads(db, rows), total)


@router.get("/orders/export", response_class=Response, responses=EXPORT_RESPONSES)
def export_orders(
    db: Db,
    principal: Annotated[Principal, require(Permission.EXPORT)],
    filters: Annotated[OrderFilters, Depends(order_filters)],
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    """Every order matching the filters as CSV or XLSX (amounts in yuan, times in China time)."""
    rows, _ = repository.list_orders(
        db, principal.workspace_id, **filters.values, staff_condition=staff_filter(principal),
        limit=None,
    )  # fmt: skip
    cells = (
        (o.id, o.platform_order_id, code, platform, domain, o.customer_id, o.status,
         o.ordered_at, yuan(o.paid_fen), yuan(o.refunded_fen), o.province, o.city)
        for o, code, platform, domain in rows
    )  # fmt: skip
    return export_response("orders", EXPORT_HEADERS, cells, format)
