"""API routes of accounts: who am I, users (admin), API keys (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from siyu.accounts import repository, service
from siyu.accounts.rules import Permission, Principal
from siyu.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    MeRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from siyu.kit.errors import AuthenticationError
from siyu.models import ApiKey, UserAccount
from siyu.web.deps import Db, Locale, OptionalPrincipal, RowId, require, store_of
from siyu.web.errors import CONFLICT_RESPONSE

router = APIRouter(tags=["accounts"])
Admin = Annotated[Principal, require(Permission.USERS_MANAGE)]
KeyAdmin = Annotated[Principal, require(Permission.API_KEYS_MANAGE)]


@router.get("/me", response_model=MeRead)
def me(principal: OptionalPrincipal, locale: Locale) -> MeRead:
    """The caller: user or API key, role, permissions and language."""
    if principal is None:
        raise AuthenticationError()
    return MeRead(
        workspace_id=principal.workspace_id,
        username=principal.username,
        role=principal.role.value if principal.role is not None else None,
        permissions=sorted(principal.permissions),
        locale=locale,
        csrf_token=principal.csrf_token,
    )


def user_read(user: UserAccount, staff: dict[int, str]) -> UserRead:
    """A user as the API returns it."""
    return UserRead(
        id=user.id, username=user.username, display_name=user.display_name, role=user.role,
        staff_account=staff.get(user.staff_account_id) if user.staff_account_id else None,
        locale=user.locale, active=user.active, last_login_at=user.last_login_at,
        created_at=user.created_at,
    )  # fmt: skip


@router.get("/users", response_model=list[UserRead])
def list_users(db: Db, principal: Admin) -> list[UserRead]:
    """The workspace's console users."""
    staff = repository.staff_codes(db, principal.workspace_id)
    return [user_read(u, staff) for u in repository.list_users(db, principal.workspace_id)]


@router.post("/users", status_code=201, response_model=UserRead, responses=CONFLICT_RESPONSE)
def create_user(body: UserCreate, db: Db, principal: Admin) -> UserRead:
    """Create a console user with a role (passwords: at least 10 characters)."""
    user = service.create_user(
        db, principal.workspace_id, username=body.username, password=body.password,
        role=body.role, display_name=body.display_name, staff_code=body.staff_account,
        actor=principal.actor,
    )  # fmt: skip
    return user_read(user, repository.staff_codes(db, principal.workspace_id))


@router.patch("/users/{user_id}", response_model=UserRead, responses=CONFLICT_RESPONSE)
def update_user(user_id: RowId, body: UserUpdate, db: Db, principal: Admin) -> UserRead:
    """Change a user's role, status, password or staff account."""
    user = service.update_user(
        db, principal.workspace_id, user_id, role=body.role, active=body.active,
        password=body.password, staff_code=body.staff_account, actor=principal.actor,
    )  # fmt: skip
    return user_read(user, repository.staff_codes(db, principal.workspace_id))


def key_read(key: ApiKey) -> ApiKeyRead:
    """An API key as the API returns it (no secrets)."""
    return ApiKeyRead(
        id=key.id, name=key.name, prefix=key.prefix, scopes=key.scopes.split(),
        created_at=key.created_at, last_used_at=key.last_used_at, revoked_at=key.revoked_at,
    )  # fmt: skip


@router.get("/api-keys", response_model=list[ApiKeyRead])
def list_keys(db: Db, principal: KeyAdmin) -> list[ApiKeyRead]:
    """The workspace's API keys (secrets are never shown again)."""
    return [key_read(k) for k in repository.list_keys(db, principal.workspace_id)]


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
def create_key(request: Request, body: ApiKeyCreate, db: Db, principal: KeyAdmin) -> ApiKeyCreated:
    """Create an API key with scopes; the key and its webhook signing secret are shown once."""
    created = service.create_api_key(
        db, principal.workspace_id, store_of(request).cipher, name=body.name,
        scopes=" ".join(body.scopes), created_by=principal.user_id, actor=principal.actor,
    )  # fmt: skip
    return ApiKeyCreated(
        **key_read(created.row).model_dump(), key=created.key,
        signing_secret=created.signing_secret,
    )  # fmt: skip


@router.delete("/api-keys/{key_id}", response_model=ApiKeyRead)
def revoke_key(key_id: RowId, db: Db, principal: KeyAdmin) -> ApiKeyRead:
    """Revoke an API key: it stops working at once."""
    return key_read(
        service.revoke_api_key(db, principal.workspace_id, key_id, actor=principal.actor)
    )
