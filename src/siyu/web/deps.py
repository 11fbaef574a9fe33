"""What every request needs: a database session, the caller, its permissions, CSRF checks."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from siyu.accounts.rules import Permission, Principal, hash_token, same_token
from siyu.accounts.service import api_key_principal, key_cache, session_principal
from siyu.audit import service as audit
from siyu.audit.rules import Action, Target
from siyu.kit.errors import AuthenticationError, PermissionDeniedError
from siyu.kit.ids import MAX_ROW_ID
from siyu.store import Store
from siyu.web.locale import negotiate, normalise

SESSION_COOKIE = "siyu_session"
LOCALE_COOKIE = "siyu_locale"
LOGIN_CSRF_COOKIE = "siyu_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")


class LoginRequiredError(Exception):
    """A console page was asked for without a session: the browser goes to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def store_of(request: Request) -> Store:
    """The store the application serves."""
    store: Store = request.app.state.store
    return store


def _finish(session: Session, failed: bool) -> None:
    try:
        if failed:
            session.rollback()
        else:
            session.commit()
    finally:
        session.close()


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A session for one request: committed when the endpoint succeeds, else rolled back.

    Opening a session does no I/O, so it happens on the event loop; the commit runs in the
    thread pool, and only when the session did something. (Thread hops cost: the lookup bench.)
    """
    session = store_of(request).sessions()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(_finish, session, True)
        raise
    if session.in_transaction() and request.method not in SAFE_METHODS:
        await run_in_threadpool(_finish, session, False)
    else:
        # A read commits nothing worth a thread hop (at most a throttled last-seen stamp).
        _finish(session, False)


Db = Annotated[Session, Depends(get_db, scope="function")]


# Threads for the reads behind a look-up or a portrait: a few, because they are CPU work under
# one GIL; with the default 40, a burst of requests ran 32 threads that took turns holding it
# (bench/api_load.py, 2 cores: portraits 375 served per second and p99 3.3 s; with 4: 370 to
# 500/s, run to run). A server database's network waits release the GIL: they overlap anyway.
POINT_READ_THREADS = max(4, 2 * (os.cpu_count() or 1))
_point_reads: RunVar[CapacityLimiter] = RunVar("siyu_point_reads")


async def point_read(read: Callable[..., T], *args: Any) -> T:
    """Run a request's few indexed reads in a thread of a small pool of their own (the
    answer is serialised back on the event loop: one thread hop, not two)."""
    try:
        limiter = _point_reads.get()
    except LookupError:  # the first on this event loop
        limiter = CapacityLimiter(POINT_READ_THREADS)
        _point_reads.set(limiter)
    return await to_thread.run_sync(read, *args, limiter=limiter)


RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="Row id.")]


def _api_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.headers.get("x-api-key")


async def resolve_principal(request: Request, db: Db) -> Principal | None:
    """The caller: an API key (Authorization: Bearer / X-API-Key) or a session cookie.

    Async so that a recently verified key, or no credentials at all, costs no thread hop;
    a look-up in the store runs in the thread pool.
    """
    key = _api_key(request)
    principal: Principal | None = None
    if key is not None:
        principal = key_cache.get(hash_token(key)) or await run_in_threadpool(
            api_key_principal, db, key
        )
        if principal is None:
            raise AuthenticationError()
    else:
        token = request.cookies.get(SESSION_COOKIE)
        principal = await run_in_threadpool(session_principal, db, token) if token else None
    request.state.principal = principal
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(resolve_principal)]


def forbidden(principal: Principal, permission: Permission) -> PermissionDeniedError:
    """The 403 for a caller lacking a permission (names the role or the missing scope)."""
    if principal.api_key_id is not None:
        return PermissionDeniedError("auth.scope", permission=permission.value)
    return PermissionDeniedError(
        "auth.forbidden", role=principal.label, permission=permission.value
    )


def require(permission: Permission, *more: Permission) -> Any:
    """A dependency that returns the caller when it holds `permission` and any `more`
    (API: 401 / 403 naming the first one missing).

    Every download (`export`) is audited here, so no export endpoint can forget it.
    """

    async def dependency(principal: OptionalPrincipal) -> Principal:
        if principal is None:
            raise AuthenticationError()
        for needed in (permission, *more):
            if not principal.can(needed):
                raise forbidden(principal, needed)
        return principal

    async def exporting(request: Request, db: Db, principal: OptionalPrincipal) -> Principal:
        allowed = await dependency(principal)
        await run_in_threadpool(audit_export, db, request, allowed)
        return allowed

    exports = Permission.EXPORT in (permission, *more)
    return Depends(exporting if exports else dependency)


def _route_template(request: Request) -> str:
    """The matched route's path with its parameters as `{names}`, routers' prefixes included."""
    route: str | None = getattr(request.scope.get("route"), "path", None)
    if route is None:
        return request.url.path
    sent, template = request.url.path.split("/"), route.split("/")
    # An included router's route carries its own path only; the prefixes before it are the
    # leading segments of the path sent, which hold no parameter.
    return "/".join(sent[: len(sent) - len(template) + 1]) + route


def audit_export(db: Session, request: Request, principal: Principal) -> None:
    """Record a download: what was exported and which filters were set."""
    # Filter names only, never their values: a search term can be a phone number.
    # The route's template, not the path sent: a path may hold anything (the dependency runs
    # even when a path parameter fails validation); a row id in it is kept as a number.
    params = request.query_params
    route = _route_template(request)
    details = {
        "path": route[:200],
        "format": (params.get("format") or "csv")[:8],
        "filters": sorted({k[:40] for k, v in params.items() if v and k != "format"}),
        "ids": {k[:40]: int(v) for k, v in request.path_params.items()
                if isinstance(v, str) and v.isascii() and v.isdigit() and len(v) <= 16},
    }  # fmt: skip
    what = route.rstrip("/").removesuffix("/export").rsplit("/", 1)[-1]
    audit.record(db, principal.actor, Action.EXPORT, Target("export", what[:80]), details,
                 workspace_id=principal.workspace_id)  # fmt: skip


def require_page(permission: Permission | None = None) -> Any:
    """Like `require` for console pages: no session sends the browser to the login page."""

    async def dependency(request: Request, principal: OptionalPrincipal) -> Principal:
        if principal is None or principal.api_key_id is not None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequiredError(target)
        if permission is not None and not principal.can(permission):
            raise forbidden(principal, permission)
        return principal

    return Depends(dependency)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


async def check_csrf(request: Request, principal: OptionalPrincipal) -> None:
    """Refuse a state-changing request made with a session cookie but no matching token."""
    if request.method in SAFE_METHODS or principal is None or principal.api_key_id is not None:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and _is_form(request):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = principal.csrf_token or ""
    if not sent or not expected or not same_token(sent, expected) or not _same_origin(request):
        raise PermissionDeniedError("auth.csrf")


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def request_locale(request: Request, principal: Principal | None = None) -> str:
    """The caller's language: ?lang=, the user's choice, the cookie, Accept-Language, default."""
    principal = principal or getattr(request.state, "principal", None)
    for candidate in (
        request.query_params.get("lang"),
        principal.locale if principal is not None else None,
        request.cookies.get(LOCALE_COOKIE),
        negotiate(request.headers.get("accept-language")),
    ):
        found = normalise(candidate)
        if found is not None:
            return found
    return store_of(request).settings.locale


async def caller_locale(request: Request, principal: OptionalPrincipal) -> str:
    """Dependency form of `request_locale`."""
    return request_locale(request, principal)


Locale = Annotated[str, Depends(caller_locale)]
