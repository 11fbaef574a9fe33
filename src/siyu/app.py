"""create_app(): the REST API, the console pages, static assets and error handlers."""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from siyu import __version__
from siyu.accounts.service import LoginThrottle
from siyu.config import Settings, get_settings
from siyu.console.routes import console_router
from siyu.store import Store, open_store
from siyu.web import static
from siyu.web.api import API_PREFIX, api_router
from siyu.web.errors import install_error_handlers
from siyu.web.hardening import BodyLimit, RateLimit, SecurityHeaders, check_production, limits
from siyu.web.jobs import JobRunner
from siyu.wecom import endpoints as wecom_endpoints


def create_app(store: Store | None = None, *, settings: Settings | None = None) -> FastAPI:
    """Build the application; without a store, one is opened from the settings at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = None
        app.state.jobs.reopen()
        if getattr(app.state, "store", None) is None:
            opened = app.state.store = open_store(settings or get_settings())
        # callbacks an earlier process stored but did not finish: processed in the background
        threading.Thread(
            target=wecom_endpoints.catch_up, args=(app.state.store, app.state), daemon=True
        ).start()
        # What start-up built (modules, schemas, routes) lives as long as the process: moved
        # out of the collector's sight, a full collection no longer walks it, and requests no
        # longer stall ~200 ms behind one every few seconds (bench/api_load.py, webhooks).
        gc.collect()
        gc.freeze()
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
    configured = store.settings if store is not None else settings or get_settings()
    check_production(configured)
    app.state.store = store
    app.state.batcher, app.state.batcher_lock = None, threading.Lock()
    app.state.jobs = JobRunner()
    app.state.login_throttle = LoginThrottle()
    install_error_handlers(app)
    app.include_router(api_router())
    app.include_router(wecom_endpoints.router)
    app.include_router(static.router)
    app.mount("/static", StaticFiles(directory=static.STATIC_DIR), name="static")
    app.include_router(console_router())
    app.add_middleware(BodyLimit, max_mb=configured.upload_max_mb, default_locale=configured.locale)
    app.add_middleware(RateLimit, rules=limits(configured), default_locale=configured.locale)
    app.add_middleware(SecurityHeaders)
    return app
