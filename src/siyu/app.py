"""create_app(): the REST API, the console pages, static assets and error handlers."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from siyu import __version__
from siyu.accounts.service import LoginThrottle
from siyu.config import Settings, get_settings
from siyu.console.routes import console_router
from siyu.store import Store, open_store
from siyu.web import static
from siyu.web.api import API_PREFIX, api_router
from siyu.web.errors import install_error_handlers
from siyu.web.jobs import JobRunner

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data: blob:; object-src 'none'; frame-ancestors 'none'; "
        b"base-uri 'self'; form-action 'self'",
    ),
]


class SecurityHeaders:
    """Adds the security headers to every response (plain ASGI: no per-request overhead)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(store: Store | None = None, *, settings: Settings | None = None) -> FastAPI:
    """Build the application; without a store, one is opened from the settings at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = None
        app.state.jobs.reopen()
        if getattr(app.state, "store", None) is None:
            opened = app.state.store = open_store(settings or get_settings())
        try:
            yield
        finally:
            app.state.jobs.shutdown()
            if app.state.batcher is not None:
                app.state.batcher.close()
            if opened is not None:
                opened.close()

    app = FastAPI(
        title="siyu",
        version=__version__,
        summary="The private domain of an e-commerce brand: customers, orders, figures.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # Swagger UI would load its assets from a CDN: the document is enough
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.batcher, app.state.batcher_lock = None, threading.Lock()
    app.state.jobs = JobRunner()
    app.state.login_throttle = LoginThrottle()
    install_error_handlers(app)
    app.include_router(api_router())
    app.include_router(static.router)
    app.mount("/static", StaticFiles(directory=static.STATIC_DIR), name="static")
    app.include_router(console_router())
    app.add_middleware(SecurityHeaders)
    return app
