"""All console pages in one router (CSRF is checked on every state-changing request)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from siyu.console.pages import audit, auth, customers, imports, overview, settings, upcoming
from siyu.web.deps import check_csrf

PAGES = (auth, overview, customers, imports, audit, settings, upcoming)


def console_router() -> APIRouter:
    """The router of every console page."""
    router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
    for page in PAGES:
        router.include_router(page.router)
    return router
