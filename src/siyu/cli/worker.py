"""`siyu worker` and `siyu outbox …`: deliver the outbox, and look at it."""

from __future__ import annotations

import signal
import sys
import threading
import time
from types import FrameType
from typing import Annotated

import typer
from rich.table import Table

from siyu.cli.common import console, handle_errors, settings, store, t, workspace_session
from siyu.db.engine import unit_of_work
from siyu.kit.clock import utcnow
from siyu.kit.logs import log_to_file
from siyu.messaging import repository
from siyu.messaging.tasks import Worker, WorkerOptions, channels_from_settings
from siyu.web.hardening import check_production
from siyu.workspaces import service as workspaces

outbox_app = typer.Typer(help="The outbox of messages to deliver.", no_args_is_help=True)


@handle_errors
def worker(
    once: Annotated[bool, typer.Option(help="Deliver what is due now, then stop.")] = False,
    batch: Annotated[int, typer.Option(min=1, max=5000, help="Messages claimed at a time.")] = 100,
    concurrency: Annotated[
        int, typer.Option(min=1, max=256, help="Sends in flight per channel.")
    ] = 8,
    poll: Annotated[float, typer.Option(min=0.05, help="Seconds between polls when idle.")] = 1.0,
    lease_seconds: Annotated[
        float | None, typer.Option(help="Lease on a claimed batch (default: from the timeout).")
    ] = None,
    channel: Annotated[
        list[str] | None, typer.Option("--channel", help="Only these channels (repeatable).")
    ] = None,
) -> None:
    """Deliver the outbox: at least once, idempotency keys, retries with backoff, a lane per
    channel. Stops cleanly on Ctrl-C or SIGTERM."""
    config = settings()
    check_production(config)
    log_to_file(config.home)
    stop = threading.Event()

    def halt(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, halt)
    signal.signal(signal.SIGTERM, halt)
    options = WorkerOptions(
        batch=batch, concurrency=concurrency, poll_seconds=poll, lease_seconds=lease_seconds,
        max_attempts=config.delivery_max_attempts, timeout=config.delivery_timeout,
    )  # fmt: skip
    with store() as opened:
        with unit_of_work(opened.sessions) as session:
            workspace_id = workspaces.require(session, config.workspace).id
        channels = channels_from_settings(config, sys.stdout)
        lanes = [c for c in channel if c in channels] if channel else None
        runner = Worker(opened.sessions, opened.cipher, workspace_id, channels, options)
        console.print(t(f"worker {runner.name}: channels {', '.join(lanes or sorted(channels))}",
                        f"投递进程 {runner.name}：渠道 {', '.join(lanes or sorted(channels))}"),
                      highlight=False)  # fmt: skip
        started = time.perf_counter()
        reports = runner.run(stop, once=once, lanes=lanes)
    table = Table(
        t("channel", "渠道"),
        t("sent", "已发送"),
        t("retrying", "重试中"),
        t("dead", "失败"),
        t("suppressed", "已拦截"),
        t("circuit opened", "熔断次数"),
    )
    for name, r in reports.items():
        table.add_row(name, str(r.sent), str(r.retried), str(r.dead), str(r.suppressed),
                      str(r.opened))  # fmt: skip
    console.print(table)
    console.print(
        t(f"{time.perf_counter() - started:.1f} s", f"用时 {time.perf_counter() - started:.1f} 秒")
    )


@outbox_app.command("status")
@handle_errors
def status() -> None:
    """Messages by channel and status."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        counts = repository.status_counts(session, workspace_id)
    states = ("pending", "sending", "sent", "dead", "suppressed", "cancelled")
    table = Table(t("channel", "渠道"), *states)
    for name in sorted({c for c, _ in counts}):
        table.add_row(name, *(f"{counts.get((name, s), 0):,}" for s in states))
    console.print(table)


@outbox_app.command("retry-dead")
@handle_errors
def retry_dead(
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
) -> None:
    """Give dead messages another round of attempts (after fixing the channel)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        count = repository.requeue_dead(session, workspace_id, utcnow(), channel)
    console.print(f"[green]✓[/] {count}")


@outbox_app.command("log")
@handle_errors
def attempt_log(message_id: int) -> None:
    """The delivery log of one message."""
    with store() as opened, workspace_session(opened) as (session, _workspace_id):
        rows = repository.attempts_of(session, message_id)
    table = Table("#", t("started", "开始"), t("worker", "进程"), t("ms", "毫秒"),
                  t("outcome", "结果"), t("code", "状态码"), t("detail", "详情"))  # fmt: skip
    for r in rows:
        started = r.started_at.strftime("%Y-%m-%d %H:%M:%S")
        code = str(r.status_code or "")
        table.add_row(
            str(r.attempt), started, r.worker, str(r.duration_ms), r.outcome, code, r.detail
        )
    console.print(table)
