"""One error body for the whole API: a machine code and a message in the caller's language."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from siyu.kit.errors import SiyuError
from siyu.kit.field_errors import listing
from siyu.kit.i18n import translate
from siyu.web.deps import LoginRequiredError, request_locale

logger = logging.getLogger(__name__)
API_PREFIX = "/api/"


class ErrorDetail(BaseModel):
    """Where and what, for a request that failed validation (never the value sent)."""

    loc: list[str | int] = Field(description="Where the problem is: body, query, field …")
    msg: str
    type: str


class ErrorBody(BaseModel):
    """What went wrong."""

    code: str = Field(description="Stable machine code, e.g. auth.forbidden, error.not_found.")
    message: str = Field(description="The message in the caller's language (zh-CN or en).")
    details: list[ErrorDetail] | None = None


class ErrorResponse(BaseModel):
    """The body of every API error response."""

    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (400, "The request body could not be read (not JSON, or a broken form)."),
        (401, "Not logged in, or no valid API key / signature."),
        (403, "The role or key scopes do not allow this, or the CSRF token is missing."),
        (422, "The request failed validation."),
    )
}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such record in this workspace."}
}
"""Documented on every route with a path parameter (the record it names may not exist)."""
CONFLICT_RESPONSE: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorResponse, "description": "Conflicts with what is stored (taken, replayed, "
          "already decided, not enough balance)."}
}  # fmt: skip


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def error_json(
    request: Request,
    status: int,
    key: str,
    params: dict[str, Any],
    details: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    """The API error response in the caller's language."""
    locale = request_locale(request)
    body = ErrorBody(code=key, message=translate(key, locale, **params), details=details)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        ErrorResponse(error=body).model_dump(mode="json", exclude_none=True),
        status_code=status,
        headers=headers,
    )


def _page(request: Request, status: int, key: str, params: dict[str, Any]) -> Response:
    from siyu.console.render import error_page  # console imports web; keep the cycle lazy

    return error_page(request, status, translate(key, request_locale(request), **params))


def _respond(request: Request, status: int, key: str, params: dict[str, Any]) -> Response:
    if _is_api(request):
        return error_json(request, status, key, params)
    if status == 401:
        return RedirectResponse("/login", status_code=303)
    return _page(request, status, key, params)


def install_error_handlers(app: FastAPI) -> None:
    """Turn every error into the one body (API) or an error page (console)."""

    @app.exception_handler(SiyuError)
    async def siyu_error(request: Request, exc: SiyuError) -> Response:
        details = exc.details(request_locale(request)) if _is_api(request) else None
        if details is not None:
            return error_json(request, exc.status_code, exc.key, exc.params, details)
        return _respond(request, exc.status_code, exc.key, exc.params)

    @app.exception_handler(LoginRequiredError)
    async def login_required(request: Request, exc: LoginRequiredError) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        # Only where and what: the value sent may be personal data and is never echoed.
        details = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        summary = listing(exc.errors(), request_locale(request), limit=5)
        if not _is_api(request):
            return _page(request, 422, "request.invalid", {"detail": summary})
        return error_json(request, 422, "request.invalid", {"detail": summary}, details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        path = request.url.path
        if exc.status_code == 404:
            return _respond(request, 404, "http.not_found", {"path": path})
        if exc.status_code == 405:
            return _respond(request, 405, "http.method", {"method": request.method, "path": path})
        return _respond(request, exc.status_code, "http.error", {"status": exc.status_code})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return _respond(request, 500, "error.internal", {})
