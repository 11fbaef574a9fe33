"""Log in, log out, the language switch and the landing redirect."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from siyu.accounts import service
from siyu.accounts.rules import same_token
from siyu.accounts.service import LoginThrottle
from siyu.console.nav import landing
from siyu.console.render import render
from siyu.kit.errors import AuthenticationError
from siyu.kit.i18n import translate
from siyu.web.deps import (
    LOCALE_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Db,
    OptionalPrincipal,
    request_locale,
    store_of,
)
from siyu.web.locale import normalise

router = APIRouter()
YEAR = 365 * 24 * 3600


def safe_next(target: str | None) -> str | None:
    """A same-site path to go to after logging in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def secure_cookies(request: Request) -> bool:
    """Whether cookies get the Secure flag: set explicitly, else under https or production."""
    settings = store_of(request).settings
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return request.url.scheme == "https" or settings.environment == "production"


@router.get("/", include_in_schema=False)
def home(principal: OptionalPrincipal) -> Response:
    """Send the browser to its landing page, or to the login page."""
    return RedirectResponse(landing(principal) if principal else "/login", status_code=303)


def _login_page(
    request: Request, *, next_path: str | None, error: str | None = None, status: int = 200
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request, "login.html", None, status_code=status, next_path=next_path or "",
        login_token=token, error=error,
    )  # fmt: skip
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(request)
    )
    _remember_lang(request, response)
    return response


def _remember_lang(request: Request, response: Response) -> None:
    lang = normalise(request.query_params.get("lang"))
    if lang is not None:
        response.set_cookie(LOCALE_COOKIE, lang, max_age=YEAR, samesite="lax")


@router.get("/login", include_in_schema=False)
def login_form(request: Request, principal: OptionalPrincipal) -> Response:
    """The log-in form (a logged-in user goes straight on)."""
    next_path = safe_next(request.query_params.get("next"))
    if principal is not None and principal.api_key_id is None:
        return RedirectResponse(next_path or landing(principal), status_code=303)
    return _login_page(request, next_path=next_path)


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    db: Db,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    login_token: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Check the password, open a session, set the cookie."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    locale = request_locale(request)
    if not expected or not same_token(login_token, expected):
        error = translate("auth.csrf", locale)
        return _login_page(request, next_path=safe_next(next_path), error=error, status=403)
    throttle: LoginThrottle = request.app.state.login_throttle
    try:
        user = service.authenticate(db, username, password, throttle)
    except AuthenticationError as exc:
        return _login_page(
            request, next_path=safe_next(next_path), error=exc.message(locale), status=401
        )
    token, _ = service.start_session(db, user, hours=store_of(request).settings.session_hours)
    principal = service.user_principal(user)
    response = RedirectResponse(safe_next(next_path) or landing(principal), status_code=303)
    secure = secure_cookies(request)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure,
        max_age=store_of(request).settings.session_hours * 3600,
    )  # fmt: skip
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    if user.locale:
        response.set_cookie(LOCALE_COOKIE, user.locale, max_age=YEAR, samesite="lax")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, db: Db) -> Response:
    """End the session and forget the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.end_session(db, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/locale", include_in_schema=False)
def switch_locale(
    request: Request,
    db: Db,
    principal: OptionalPrincipal,
    lang: Annotated[str, Form()],
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Switch the language; remembered in a cookie and on the user's account."""
    chosen = normalise(lang) or request_locale(request)
    if principal is not None and principal.user_id is not None:
        service.set_locale(db, principal.workspace_id, principal.user_id, chosen)
    response = RedirectResponse(safe_next(next_path) or "/", status_code=303)
    response.set_cookie(LOCALE_COOKIE, chosen, max_age=YEAR, samesite="lax")
    return response
