"""The REST API, versioned under /api/v1: every domain's endpoints in one router."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute
from pydantic import BaseModel

from siyu import __version__
from siyu.accounts import endpoints as accounts
from siyu.audit import endpoints as audit
from siyu.channels import endpoints as channel_codes
from siyu.customers import endpoints as customers
from siyu.engage.campaigns import endpoints as campaigns
from siyu.engage.policy import endpoints as policy
from siyu.engage.tasks import endpoints as tasks
from siyu.figures import endpoints as figures
from siyu.groups import endpoints as groups
from siyu.imports import endpoints as imports
from siyu.loyalty import endpoints as loyalty
from siyu.orders import endpoints as orders
from siyu.overview import endpoints as overview
from siyu.privacy import endpoints as privacy
from siyu.referral import endpoints as referral
from siyu.segments import endpoints as segments
from siyu.web.deps import check_csrf
from siyu.web.errors import ERROR_RESPONSES, NOT_FOUND_RESPONSE
from siyu.webhooks import endpoints as webhooks

API_PREFIX = "/api/v1"
DOMAINS = (
    accounts,
    customers,
    orders,
    overview,
    figures,
    imports,
    loyalty,
    webhooks,
    channel_codes,
    groups,
    referral,
    segments,
    campaigns,
    tasks,
    policy,
    audit,
    privacy,
)


class Health(BaseModel):
    """The service is up."""

    status: str
    version: str


def health() -> Health:
    """Liveness check; needs no credentials."""
    return Health(status="ok", version=__version__)


def api_router() -> APIRouter:
    """The router of every API endpoint."""
    router = APIRouter(
        prefix=API_PREFIX, dependencies=[Depends(check_csrf)], responses=ERROR_RESPONSES
    )
    router.add_api_route("/health", health, methods=["GET"], response_model=Health, tags=["meta"])
    for domain in DOMAINS:
        for route in domain.router.routes:  # a record named in the path may not exist
            if isinstance(route, APIRoute) and "{" in route.path:
                route.responses = {**NOT_FOUND_RESPONSE, **route.responses}
        router.include_router(domain.router)
    return router
