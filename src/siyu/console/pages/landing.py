"""The public landing page of a channel or referral code: `/j/{code}` (no log-in).

A live code shows the WeCom QR of the staff member routing chose (or of the referral code's
contact way) and records the visit; an unknown, paused, ended or not yet connected code gets
a page that says so, never an error. The page carries no personal data.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from siyu.channels import service as channels
from siyu.channels.rules import EXPIRED, LIVE, UNKNOWN, order_token
from siyu.channels.service import REFERRAL_PREFIX
from siyu.console.render import render
from siyu.kit.clock import utcnow
from siyu.web.deps import Db, store_of
from siyu.wecom import service as wecom
from siyu.wecom.endpoints import connection
from siyu.workspaces import repository as workspace_repository

router = APIRouter()
# WeCom serves the contact-way QR image from its own host: this page alone may show it
LANDING_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' https:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)
STATUS = {LIVE: 200, UNKNOWN: 404, EXPIRED: 410}  # paused, unavailable: 200 (come back)


def _visit(request: Request, db: Db, code: str, token: str) -> channels.Visit:
    store = store_of(request)
    workspace = workspace_repository.get_by_slug(db, store.settings.workspace)
    if workspace is None:
        return channels.Visit(UNKNOWN)
    now = utcnow()
    if code.startswith(REFERRAL_PREFIX):
        client = connection(store, request.app.state).client
        return wecom.referral_landing(db, workspace.id, client, code, now)
    return channels.visit_landing(db, workspace.id, code, now, order_token=token)


@router.get("/j/{code}", include_in_schema=False)
async def landing_page(
    request: Request, db: Db, code: str, o: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    """Send a visitor of a code's QR to a staff member's WeCom QR."""
    visit = await run_in_threadpool(_visit, request, db, code[:64], order_token(o))
    response = render(
        request, "landing.html", None, status_code=STATUS.get(visit.state, 200),
        state=visit.state, target=visit.target,
    )  # fmt: skip
    response.headers["content-security-policy"] = LANDING_CSP
    response.headers["cache-control"] = "no-store"
    return response
