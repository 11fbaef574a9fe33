"""API routes of the contact policy: read it (engage readers), replace it (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from siyu.accounts.rules import Permission, Principal
from siyu.engage.policy import service
from siyu.engage.policy.schemas import ContactPolicy
from siyu.web.deps import Db, require

router = APIRouter(tags=["policy"])


@router.get("/policy", response_model=ContactPolicy)
def get_policy(
    db: Db, principal: Annotated[Principal, require(Permission.ENGAGE_READ)]
) -> ContactPolicy:
    """The contact policy: caps by stage and channel, quiet hours, consent rules, time zone."""
    return service.get_policy(db, principal.workspace_id)


@router.put("/policy", response_model=ContactPolicy)
def put_policy(
    db: Db,
    data: ContactPolicy,
    principal: Annotated[Principal, require(Permission.POLICY_WRITE)],
) -> ContactPolicy:
    """Replace the contact policy (admins only); it holds from the next decision on."""
    service.set_policy(db, principal.workspace_id, data)
    return service.get_policy(db, principal.workspace_id)
