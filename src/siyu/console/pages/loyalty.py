"""The loyalty page: the programme at a glance and a member look-up with the statement."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from siyu.accounts.rules import Permission, Principal
from siyu.console import charts
from siyu.console.render import render
from siyu.customers import service as customers
from siyu.customers.endpoints import check_access
from siyu.kit.errors import NotFoundError
from siyu.loyalty import repository, service
from siyu.web.deps import Db, Locale, require_page, store_of
from siyu.web.locale import translations
from siyu.web.pagination import PageParams

router = APIRouter()
STATEMENT_PER_PAGE = 50


def _visible(db: Session, principal: Principal, ids: list[int]) -> list[int]:
    """The found customers this user may open (staff: their own contacts only)."""
    visible = []
    for customer in ids:
        try:
            check_access(db, principal, customer)
        except NotFoundError:
            continue
        visible.append(customer)
    return visible


def _member(db: Session, principal: Principal, customer_id: int, page: int) -> dict[str, Any]:
    found = service.member(db, principal.workspace_id, customer_id)
    lines = service.statement(db, principal.workspace_id, customer_id).lines[::-1]
    paging = PageParams(page, STATEMENT_PER_PAGE)
    return {
        "account": found,
        "statement": paging.wrap(lines[paging.offset : paging.offset + paging.per_page],
                                 len(lines)),
    }  # fmt: skip


@router.get("/loyalty", include_in_schema=False)
def loyalty_page(
    request: Request,
    db: Db,
    locale: Locale,
    principal: Annotated[Principal, require_page(Permission.LOYALTY_READ)],
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """The programme at a glance and a member look-up."""
    ws = principal.workspace_id
    if repository.program_settings(db, ws) is None:
        return render(request, "loyalty.html", principal, active="loyalty", program=None)
    _ = translations(locale).gettext
    figures = tier_chart = None
    if not principal.own_customers_only:  # the brand's figures are not customer service's
        value = store_of(request).settings.loyalty_point_value_fen
        figures = service.figures(db, ws, point_value_fen=value)
        tier_chart = charts.tier_members([(t.name, t.customers) for t in figures.tiers], _)
    matches: list[int] = []
    member = None
    if q.strip():
        matches = _visible(db, principal, customers.search(db, ws, store_of(request).cipher, q))
        if len(matches) == 1:
            member = _member(db, principal, matches[0], page)
    return render(
        request, "loyalty.html", principal, active="loyalty", program=True, figures=figures,
        tier_chart=tier_chart, q=q.strip(), matches=matches, member=member,
    )  # fmt: skip
