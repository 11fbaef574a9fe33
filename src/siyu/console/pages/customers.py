"""Customer search and list, and the customer portrait."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from siyu.accounts.rules import Permission, Principal
from siyu.analytics import ladder, lifecycle
from siyu.console import charts
from siyu.console.render import render
from siyu.customers import service
from siyu.customers.endpoints import Filters, check_access, find_customers, summary
from siyu.customers.schemas import RevealField, RevealRequest
from siyu.orders import repository as orders
from siyu.orders.endpoints import order_reads
from siyu.overview.service import label_locale
from siyu.web.deps import Db, Locale, RowId, require_page, store_of
from siyu.web.locale import translations
from siyu.web.pagination import PageParams

router = APIRouter()
PER_PAGE = 50
TIMELINE_ORDERS = 500


def query_without_page(request: Request) -> str:
    """The request's query string without its page number (for pagers and export links)."""
    return urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "page"])


@router.get("/customers", include_in_schema=False)
def customers_page(
    request: Request,
    db: Db,
    locale: Locale,
    filters: Filters,
    principal: Annotated[Principal, require_page(Permission.CUSTOMERS_READ)],
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """Search by phone, name, id or buyer id; filter by tier and stage."""
    paging = PageParams(page, PER_PAGE)
    rows, total = find_customers(
        request, db, principal, filters, offset=paging.offset, limit=paging.per_page
    )
    if filters.q and total == 1 and page == 1:
        return RedirectResponse(f"/customers/{rows[0][0]}", status_code=303)
    lang = label_locale(locale)
    return render(
        request, "customers.html", principal, active="customers", filters=filters,
        page=paging.wrap([summary(r) for r in rows], total),
        tiers=dict(zip(ladder.TIERS, ladder.TIER_LABELS[lang], strict=True)),
        stages=dict(zip(lifecycle.STAGES, lifecycle.STAGE_LABELS[lang], strict=True)),
        query=query_without_page(request),
    )  # fmt: skip


@router.get("/customers/{customer_id}", include_in_schema=False)
def portrait_page(
    customer_id: RowId,
    request: Request,
    db: Db,
    locale: Locale,
    principal: Annotated[Principal, require_page(Permission.CUSTOMERS_READ)],
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """Everything known of one customer; identities masked."""
    return _portrait(request, db, locale, principal, customer_id, page=page)


@router.post("/customers/{customer_id}/reveal", include_in_schema=False)
def reveal_page(
    customer_id: RowId,
    request: Request,
    db: Db,
    locale: Locale,
    principal: Annotated[Principal, require_page(Permission.PII_REVEAL)],
    field: Annotated[RevealField, Form()],
    identity_id: Annotated[int | None, Form()] = None,
) -> Response:
    """The portrait with one value shown in clear (audited; the page is not cached)."""
    check_access(db, principal, customer_id)
    shown = service.reveal(
        db, principal.workspace_id, store_of(request).cipher, customer_id,
        RevealRequest(field=field, identity_id=identity_id), actor=principal.actor,
    )  # fmt: skip
    key = f"identity-{identity_id}" if field == "identity" else field
    response = _portrait(request, db, locale, principal, customer_id, revealed={key: shown.value})
    response.headers["Cache-Control"] = "no-store"
    return response


def _portrait(
    request: Request,
    db: Db,
    locale: str,
    principal: Principal,
    customer_id: int,
    *,
    page: int = 1,
    revealed: dict[str, str] | None = None,
) -> Response:
    check_access(db, principal, customer_id)
    cipher = store_of(request).cipher
    portrait = service.portrait(db, principal.workspace_id, cipher, customer_id, locale=locale)
    paging = PageParams(page, 20)
    rows, total = orders.list_orders(
        db, principal.workspace_id, customer_id=customer_id, offset=paging.offset,
        limit=paging.per_page,
    )  # fmt: skip
    timeline_rows, _ = orders.list_orders(
        db, principal.workspace_id, customer_id=customer_id, limit=TIMELINE_ORDERS
    )
    timeline = order_reads(db, timeline_rows)[::-1]
    gettext = translations(locale).gettext
    return render(
        request, "portrait.html", principal, active="customers", c=portrait,
        orders=paging.wrap(order_reads(db, rows), total), revealed=revealed or {},
        timeline=charts.order_timeline(timeline, gettext) if timeline else None,
    )  # fmt: skip
