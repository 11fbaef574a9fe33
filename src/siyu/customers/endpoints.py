"""API routes of customers: search and list, export, portrait, orders."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from siyu.accounts.rules import Permission, Principal
from siyu.customers import repository, service
from siyu.customers.schemas import CustomerPortrait, CustomerSummary, RevealRead, RevealRequest
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import NotFoundError
from siyu.orders import repository as orders
from siyu.orders.endpoints import order_reads
from siyu.orders.schemas import OrderRead
from siyu.web.deps import Db, Locale, RowId, point_read, require, store_of
from siyu.web.export import EXPORT_RESPONSES, Cell, ExportFormat, export_response, yuan
from siyu.web.pagination import Page, Paging

router = APIRouter(tags=["customers"])
Sort = Literal["id", "clv", "spend", "recent"]
EXPORT_HEADERS = (
    "id", "identity_masked", "first_seen_at", "tier", "stage", "purchases", "net_paid_yuan",
    "clv_yuan", "p_alive", "next_purchase_at", "in_pool",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CustomerFilters:
    """What the caller searched for and filtered by."""

    q: str = ""
    tier: str | None = None
    stage: str | None = None
    in_pool: bool | None = None
    sort: Sort = "id"


async def customer_filters(
    q: Annotated[
        str | None,
        Query(max_length=200, description="Id, phone, e-mail, buyer id, unionid or full name."),
    ] = None,
    tier: Annotated[str | None, Query(description="Ladder tier, e.g. repeat.")] = None,
    stage: Annotated[str | None, Query(description="Lifecycle stage, e.g. silent.")] = None,
    in_pool: Annotated[bool | None, Query(description="In the private pool.")] = None,
    sort: Sort = "id",
) -> CustomerFilters:
    """Read the search and filter parameters (an empty select sends "": no filter)."""
    return CustomerFilters((q or "").strip(), tier or None, stage or None, in_pool, sort)


Filters = Annotated[CustomerFilters, Depends(customer_filters)]


def _staff(principal: Principal) -> int | None:
    if not principal.own_customers_only:
        return None
    return principal.staff_account_id if principal.staff_account_id is not None else -1


def find_customers(
    request: Request,
    db: Session,
    principal: Principal,
    filters: CustomerFilters,
    *,
    offset: int = 0,
    limit: int | None = 50,
) -> tuple[list[Any], int]:
    """Rows of the customer list for these filters (staff see their own customers only)."""
    ids = None
    if filters.q:
        ids = service.search(db, principal.workspace_id, store_of(request).cipher, filters.q)
    return repository.list_customers(
        db, principal.workspace_id, ids=ids, tier=filters.tier, stage=filters.stage,
        in_pool=filters.in_pool, staff_account_id=_staff(principal), sort=filters.sort,
        offset=offset, limit=limit,
    )  # fmt: skip


def summary(row: Any) -> CustomerSummary:
    """A list row as an API object."""
    return CustomerSummary(
        id=row[0], first_seen_at=row[1], display=row[2], tier=row[3], stage=row[4],
        n_purchases=row[5], net_paid_fen=row[6], clv_fen=row[7], p_alive=row[8],
        next_purchase_at=row[9], in_pool=row[10],
    )  # fmt: skip


@router.get("/customers", response_model=Page[CustomerSummary])
async def list_customers(
    request: Request,
    db: Db,
    paging: Paging,
    filters: Filters,
    principal: Annotated[Principal, require(Permission.CUSTOMERS_READ)],
) -> Page[CustomerSummary]:
    """Search customers by id, phone, e-mail, buyer id or full name; filter by tier and stage."""
    find = partial(find_customers, offset=paging.offset, limit=paging.per_page)
    rows, total = await point_read(find, request, db, principal, filters)
    return paging.wrap([summary(r) for r in rows], total)


@router.get("/customers/export", response_class=Response, responses=EXPORT_RESPONSES)
def export_customers(
    request: Request,
    db: Db,
    filters: Filters,
    principal: Annotated[Principal, require(Permission.EXPORT)],
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    """Every customer matching the filters as CSV or XLSX (identities masked)."""
    rows, _ = find_customers(request, db, principal, filters, limit=None)
    return export_response("customers", EXPORT_HEADERS, export_cells(rows), format)


def export_cells(rows: Iterable[Any]) -> Iterator[tuple[Cell, ...]]:
    """Customer list rows as the cells of EXPORT_HEADERS (amounts in yuan)."""
    for r in rows:
        yield (r[0], r[2], r[1], r[3], r[4], r[5], yuan(r[6]), yuan(r[7]), r[8], r[9], r[10])


def check_access(db: Session, principal: Principal, customer_id: int) -> None:
    """Customer-service staff may open only their own customers (others read as missing)."""
    staff = _staff(principal)
    if staff is not None and not repository.is_served_by(db, customer_id, staff):
        raise NotFoundError("customer.not_found", ident=customer_id)


@router.get("/customers/{customer_id}", response_model=CustomerPortrait)
async def get_customer(
    customer_id: RowId,
    request: Request,
    db: Db,
    locale: Locale,
    principal: Annotated[Principal, require(Permission.CUSTOMERS_READ)],
) -> CustomerPortrait:
    """One customer's portrait: masked identities, profile, contacts, consent, merges."""
    cipher = store_of(request).cipher
    return await point_read(portrait, db, principal, cipher, customer_id, locale)


def portrait(
    db: Session, principal: Principal, cipher: PiiCipher, customer_id: int, locale: str
) -> CustomerPortrait:
    """The portrait the caller may see."""
    check_access(db, principal, customer_id)
    return service.portrait(db, principal.workspace_id, cipher, customer_id, locale=locale)


@router.post("/customers/{customer_id}/reveal", response_model=RevealRead)
def reveal_value(
    customer_id: RowId,
    body: RevealRequest,
    request: Request,
    response: Response,
    db: Db,
    principal: Annotated[Principal, require(Permission.PII_REVEAL)],
) -> RevealRead:
    """Show one personal value in clear (name, latest address or an identity); audited."""
    check_access(db, principal, customer_id)
    response.headers["Cache-Control"] = "no-store"
    return service.reveal(
        db, principal.workspace_id, store_of(request).cipher, customer_id, body,
        actor=principal.actor,
    )  # fmt: skip


@router.get("/customers/{customer_id}/orders", response_model=Page[OrderRead])
def customer_orders(
    customer_id: RowId,
    db: Db,
    paging: Paging,
    principal: Annotated[Principal, require(Permission.ORDERS_READ)],
) -> Page[OrderRead]:
    """A customer's orders, newest first, with their lines."""
    check_access(db, principal, customer_id)
    if repository.get_customer(db, principal.workspace_id, customer_id) is None:
        raise NotFoundError("customer.not_found", ident=customer_id)
    rows, total = orders.list_orders(
        db, principal.workspace_id, customer_id=customer_id, offset=paging.offset,
        limit=paging.per_page,
    )  # fmt: skip
    return paging.wrap(order_reads(db, rows), total)
