"""All console pages in one router (CSRF is checked on every state-changing request)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from siyu.console.pages import (
    audit,
    auth,
    campaigns,
    channels,
    codes,
    cohorts,
    customers,
    figures,
    groups,
    imports,
    landing,
    loyalty,
    overview,
    segments,
    settings,
    tasks,
)
from siyu.web.deps import check_csrf

PAGES = (
    auth,
    overview,
    channels,
    cohorts,
    figures,
    customers,
    segments,
    groups,
    codes,
    loyalty,
    tasks,
    campaigns,
    imports,
    audit,
    settings,
    landing,
)


def console_router() -> APIRouter:
    """The router of every console page."""
    router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
    for page in PAGES:
        router.include_router(page.router)
    return router
