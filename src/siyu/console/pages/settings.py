"""Settings: the user's language; for admins, users and API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from siyu import __version__
from siyu.accounts import repository, service
from siyu.accounts.rules import API_SCOPES, Permission, Principal, Role
from siyu.console.render import render
from siyu.kit.errors import SiyuError
from siyu.web.deps import Db, Locale, RowId, require_page, store_of

router = APIRouter()
Anyone = Annotated[Principal, require_page()]
Admin = Annotated[Principal, require_page(Permission.USERS_MANAGE)]


def _page(
    request: Request,
    db: Db,
    principal: Principal,
    *,
    error: str | None = None,
    created_key: service.NewApiKey | None = None,
    notice: str | None = None,
) -> Response:
    users, keys, staff = [], [], {}
    if principal.can(Permission.USERS_MANAGE):
        users = repository.list_users(db, principal.workspace_id)
        keys = repository.list_keys(db, principal.workspace_id)
        staff = repository.staff_codes(db, principal.workspace_id)
    store = store_of(request)
    return render(
        request, "settings.html", principal, active="settings", users=users, keys=keys,
        staff=staff, roles=list(Role), scopes=sorted(API_SCOPES), error=error, notice=notice,
        created_key=created_key, version=__version__,
        store_url=store.engine.url.render_as_string(hide_password=True),
        status_code=422 if error else 200,
    )  # fmt: skip


@router.get("/settings", include_in_schema=False)
def settings_page(request: Request, db: Db, principal: Anyone) -> Response:
    """Language, and for admins the users and API keys of the workspace."""
    return _page(request, db, principal)


@router.post("/settings/users", include_in_schema=False)
def add_user(
    request: Request,
    db: Db,
    locale: Locale,
    principal: Admin,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    role: Annotated[Role, Form()],
    display_name: Annotated[str, Form(max_length=200)] = "",
    staff_account: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Create a user."""
    try:
        service.create_user(
            db, principal.workspace_id, username=username, password=password, role=role,
            display_name=display_name, staff_code=staff_account, actor=principal.actor,
        )  # fmt: skip
    except SiyuError as exc:
        db.rollback()
        return _page(request, db, principal, error=exc.message(locale))
    return RedirectResponse("/settings#users", status_code=303)


@router.post("/settings/users/{user_id}", include_in_schema=False)
def change_user(
    user_id: RowId,
    request: Request,
    db: Db,
    locale: Locale,
    principal: Admin,
    role: Annotated[Role | None, Form()] = None,
    active: Annotated[str, Form()] = "",
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Change a user's role, status or password."""
    try:
        service.update_user(
            db, principal.workspace_id, user_id, role=role,
            active={"1": True, "0": False}.get(active), password=password or None,
            actor=principal.actor,
        )  # fmt: skip
    except SiyuError as exc:
        db.rollback()
        return _page(request, db, principal, error=exc.message(locale))
    return RedirectResponse("/settings#users", status_code=303)


@router.post("/settings/api-keys", include_in_schema=False)
def add_key(
    request: Request,
    db: Db,
    locale: Locale,
    principal: Admin,
    name: Annotated[str, Form(max_length=100)],
    scopes: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Create an API key; its key and signing secret are shown on this page only."""
    try:
        created = service.create_api_key(
            db, principal.workspace_id, store_of(request).cipher, name=name,
            scopes=" ".join(scopes or []), created_by=principal.user_id,
            actor=principal.actor,
        )  # fmt: skip
    except SiyuError as exc:
        db.rollback()
        return _page(request, db, principal, error=exc.message(locale))
    db.flush()
    response = _page(request, db, principal, created_key=created)
    response.headers["Cache-Control"] = "no-store"  # the page holds the key in clear
    return response


@router.post("/settings/api-keys/{key_id}/revoke", include_in_schema=False)
def revoke_key(key_id: RowId, db: Db, principal: Admin) -> Response:
    """Revoke an API key."""
    service.revoke_api_key(db, principal.workspace_id, key_id, actor=principal.actor)
    return RedirectResponse("/settings#api-keys", status_code=303)
