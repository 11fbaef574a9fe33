"""The WeCom callback URL in the web app: GET answers WeCom's URL check, POST takes events.

Mounted at `/wecom/callback`, outside the versioned API: WeCom dictates the answers (plain
text: the decrypted echostr, `success`, or a refusal with its HTTP status), and it sends no
session or API key, only its signature. The event is committed before the answer;
processing and the WeCom calls it records run after the response, and at start-up for
whatever a previous process stored but did not finish.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from siyu.db.engine import unit_of_work
from siyu.kit.errors import SiyuError
from siyu.store import Store
from siyu.wecom.callback import CallbackReceiver
from siyu.wecom.client import WeComClient, client_from_settings
from siyu.wecom.crypto import MAX_BODY_BYTES, crypto_from_settings
from siyu.workspaces import service as workspaces

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
CALLBACK_PATH = "/wecom/callback"


class WeComUnavailableError(SiyuError):
    """The app has no WeCom callback settings: WeCom is told to try again later."""

    status_code = 503
    key = "wecom.not_configured"


@dataclass
class WeComConnection:
    """The app's WeCom parts, built once per process: the API client and the receiver."""

    client: WeComClient | None
    receiver: CallbackReceiver | None
    problem: SiyuError | None = None


_building = threading.Lock()


def connection(store: Store, state: object) -> WeComConnection:
    """The WeCom connection of an app (built on first use from the settings, then kept)."""
    found: WeComConnection | None = getattr(state, "wecom", None)
    if found is not None:
        return found
    with _building:
        found = getattr(state, "wecom", None)
        if found is None:
            found = _connect(store)
            state.wecom = found  # type: ignore[attr-defined]
    return found


def _connect(store: Store) -> WeComConnection:
    settings = store.settings
    try:
        client: WeComClient | None = client_from_settings(settings)
    except SiyuError:
        client = None  # callbacks are still verified and stored; details and welcomes wait
    try:
        crypto = crypto_from_settings(settings)
    except SiyuError as exc:
        return WeComConnection(client, None, exc)
    with unit_of_work(store.sessions) as session:
        workspace_id = workspaces.require(session, settings.workspace).id
    receiver = CallbackReceiver(
        crypto=crypto,
        sessions=store.sessions,
        workspace_id=workspace_id,
        cipher=store.cipher,
        client=client,
        max_skew_s=settings.wecom_callback_max_skew_s,
    )
    return WeComConnection(client, receiver)


def catch_up(store: Store, state: object) -> None:
    """Process what an earlier process stored but did not finish (run at start-up)."""
    try:
        wecom = connection(store, state)
        if wecom.receiver is not None:
            report = wecom.receiver.after_response()
            log.info("wecom start-up: %d callbacks processed, %d failed", report.processed,
                     report.failed)  # fmt: skip
    except Exception as exc:  # the app serves on; `siyu wecom process` can catch up later
        log.warning("wecom start-up catch-up failed: %s", type(exc).__name__)


def _receiver(request: Request) -> CallbackReceiver:
    wecom = connection(request.app.state.store, request.app.state)
    if wecom.receiver is None:
        log.warning("wecom callback refused: the app has no WeCom callback settings")
        problem = wecom.problem
        raise WeComUnavailableError(**(problem.params if problem is not None else {}))
    return wecom.receiver


def _refusal(exc: SiyuError) -> PlainTextResponse:
    return PlainTextResponse(exc.message("en"), status_code=exc.status_code)


@router.get(CALLBACK_PATH)
async def verify_url(request: Request) -> PlainTextResponse:
    """WeCom's URL check: answer with the decrypted echostr."""
    try:
        receiver = _receiver(request)
        answer = receiver.verify_url(dict(request.query_params))
    except SiyuError as exc:
        return _refusal(exc)
    return PlainTextResponse(answer)


@router.post(CALLBACK_PATH)
async def receive_event(request: Request, background: BackgroundTasks) -> PlainTextResponse:
    """A WeCom event: verify, commit (encrypted), answer `success`, then process."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return PlainTextResponse("body too large", status_code=413)
    try:
        receiver = _receiver(request)
        answer = await run_in_threadpool(receiver.handle_callback, dict(request.query_params), body)
    except SiyuError as exc:
        return _refusal(exc)
    background.add_task(receiver.after_response)
    return PlainTextResponse(answer)
