"""`siyu wecom …`: connect WeCom: sync contact ways, serve the callback, process, send."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from siyu.channels import service as channels
from siyu.cli.common import console, handle_errors, settings, store, t, workspace_session
from siyu.db.engine import unit_of_work
from siyu.kit.errors import SiyuError
from siyu.kit.logs import log_to_file
from siyu.messaging import service as messaging
from siyu.store import Store
from siyu.wecom import repository as wecom_repository
from siyu.wecom import service as wecom
from siyu.wecom.callback import CallbackReceiver
from siyu.wecom.client import WeComClient, client_from_settings
from siyu.wecom.crypto import crypto_from_settings
from siyu.wecom.httpserver import make_server
from siyu.workspaces import service as workspaces

app = typer.Typer(help="WeCom (企业微信): contact ways, callbacks, messages.", no_args_is_help=True)


def _receiver(opened: Store, client: WeComClient | None) -> CallbackReceiver:
    config = settings()
    with unit_of_work(opened.sessions) as session:
        workspace_id = workspaces.require(session, config.workspace).id
    return CallbackReceiver(
        crypto=crypto_from_settings(config),
        sessions=opened.sessions,
        workspace_id=workspace_id,
        cipher=opened.cipher,
        client=client,
        max_skew_s=config.wecom_callback_max_skew_s,
    )


@app.command("sync")
@handle_errors
def sync() -> None:
    """Create, update or delete WeCom contact ways so they match the channel codes now."""
    config = settings()
    log_to_file(config.home)
    client = client_from_settings(config)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        report = wecom.sync_codes(session, workspace_id, client)
    console.print(
        t(
            f"contact ways: {report.created} created, {report.updated} updated, "
            f"{report.deleted} deleted",
            f"联系我：新建 {report.created}，更新 {report.updated}，删除 {report.deleted}",
        )
    )
    for error in report.errors:
        console.print(f"[red]✗[/] {error}")


@app.command("serve-callback")
@handle_errors
def serve_callback(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8787,
    path: Annotated[str, typer.Option(help="Callback path.")] = "/wecom/callback",
) -> None:
    """Serve the WeCom callback URL (development; production mounts it in the web app)."""
    config = settings()
    log_to_file(config.home)
    try:
        client: WeComClient | None = client_from_settings(config)
    except SiyuError:
        client = None  # callbacks are still verified and stored; details and welcomes wait
    with store() as opened:
        receiver = _receiver(opened, client)
        receiver.process_pending()  # whatever a previous run stored but did not finish
        server = make_server(receiver, host=host, port=port, path=path)
        console.print(f"WeCom callback: http://{host}:{server.server_address[1]}{path}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


@app.command("process")
@handle_errors
def process() -> None:
    """Process stored callbacks that are still pending, then make the WeCom calls due."""
    config = settings()
    log_to_file(config.home)
    try:
        client: WeComClient | None = client_from_settings(config)
    except SiyuError:
        client = None
    with store() as opened:
        receiver = _receiver(opened, client)
        report = receiver.process_pending()
        delivered = receiver.deliver()
    console.print(
        t(
            f"{report.processed} callbacks processed, {report.failed} failed; "
            f"{delivered.sent} WeCom messages sent, {delivered.retried} to retry, "
            f"{delivered.dead} failed",
            f"已处理回调 {report.processed} 条，失败 {report.failed} 条；"
            f"企业微信消息发送 {delivered.sent}，待重试 {delivered.retried}，"
            f"失败 {delivered.dead}",
        )
    )


@app.command("status")
@handle_errors
def status() -> None:
    """Show stored callbacks and WeCom calls by status."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        callbacks = wecom_repository.callback_counts(session, workspace_id)
        outbox = messaging.status(session, workspace_id)
    table = Table(t("what", "内容"), t("status", "状态"), t("count", "数量"))
    for name, count in sorted(callbacks.items()):
        table.add_row(t("callbacks", "回调"), name, f"{count:,}")
    for (channel, name), count in sorted(outbox.items()):
        if channel == wecom.CHANNEL:
            table.add_row(t("WeCom messages", "企业微信消息"), name, f"{count:,}")
    console.print(table)


@app.command("send-batch")
@handle_errors
def send_batch(
    staff: Annotated[str, typer.Option(help="Sender: staff code (WeCom userid).")],
    text: Annotated[str, typer.Option(help="Message text.")],
) -> None:
    """Queue a batch message (群发) from a staff member to all their current contacts."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        sender = channels.require_staff(session, workspace_id, staff)
        queued = wecom.queue_batch_message(session, workspace_id, sender=sender, text=text)
    console.print(
        t(
            f"{queued:,} contacts queued; `siyu worker` (or `siyu wecom process`) sends it",
            f"已排队 {queued:,} 位客户；由 `siyu worker`（或 `siyu wecom process`）发送",
        )
    )
