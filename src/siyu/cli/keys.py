"""`siyu keys …`: the personal-data key ring — rotate, status, retire."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.progress import Progress, TaskID
from rich.table import Table

from siyu.audit import service as audit
from siyu.audit.rules import Action, cli_actor
from siyu.cli.common import console, handle_errors, progress_bar, settings, store, t
from siyu.db.engine import unit_of_work
from siyu.keyring import service
from siyu.kit.crypto import RELOAD_EVERY_S, add_key, retire_keys
from siyu.kit.errors import SiyuError

app = typer.Typer(help="The personal-data key ring: rotate, status, retire.", no_args_is_help=True)

MAX_PASSES = 5


@app.command("rotate")
@handle_errors
def rotate(
    keep_key: Annotated[
        bool,
        typer.Option(
            "--keep-key", help="Add no key: finish (or resume) moving data to the current key."
        ),
    ] = False,
    batch: Annotated[int, typer.Option(min=1, help="Rows per transaction.")] = service.BATCH,
) -> None:
    """Add a new key (the service keeps running), then re-encrypt and re-index every
    encrypted column under it, batch by batch; safe to interrupt and run again."""
    config = settings()
    if not keep_key and config.pii_key is not None:
        raise SiyuError("key.from_env")
    with store() as opened:  # a store that is missing or behind refuses before a key is added
        if not keep_key:
            key_id = add_key(config.resolved_key_file())
            console.print(t(f"key {key_id} added; it encrypts from now on",
                            f"已添加密钥 {key_id}，此后用它加密"))  # fmt: skip
            # running processes re-read the ring at most a second apart: let them switch first
            time.sleep(2 * RELOAD_EVERY_S + 0.5)
        for _ in range(MAX_PASSES):
            with progress_bar() as bar:
                report = service.rotate(opened.sessions, opened.cipher, batch=batch,
                                        progress=_bar_progress(bar))  # fmt: skip
            _print_pass(report)
            if report.total == 0:
                break
        with unit_of_work(opened.sessions) as session:
            audit.record(session, cli_actor(), Action.KEY_ROTATE, None,
                         {"key_id": report.key_id, "added": not keep_key})  # fmt: skip
    console.print("[green]✓[/] " + t(f"every value is under key {report.key_id}",
                                      f"所有数据均已使用密钥 {report.key_id}"))  # fmt: skip


def _bar_progress(bar: Progress) -> service.Progress:
    """A progress callback drawing one bar per column."""
    tasks: dict[str, TaskID] = {}

    def advance(column: str, done: int, total: int) -> None:
        if column not in tasks:
            tasks[column] = bar.add_task(column, total=total)
        bar.update(tasks[column], completed=done, total=total)

    return advance


def _print_pass(report: service.RotationReport) -> None:
    table = Table(t("column", "列"), t("rows", "行数"), t("rewritten", "已重写"))
    for column, scanned in report.scanned.items():
        table.add_row(column, str(scanned), str(report.rewritten[column]))
    console.print(table)


@app.command("status")
@handle_errors
def status() -> None:
    """Show the keys of the ring and how many values each encrypts, per column."""
    with store() as opened, unit_of_work(opened.sessions) as session:
        usage = service.key_usage(session)
        ring = opened.cipher.key_ids
    table = Table(t("column", "列"), *[t(f"key {k}", f"密钥 {k}") for k in ring])
    for column, counts in usage.items():
        table.add_row(column, *[str(counts.get(k, 0)) for k in ring])
    console.print(table)
    console.print(t(f"current key: {ring[0]}", f"当前密钥：{ring[0]}"))


@app.command("retire")
@handle_errors
def retire() -> None:
    """Remove from the key file the keys no stored value uses any more."""
    config = settings()
    if config.pii_key is not None:
        raise SiyuError("key.from_env")
    with store() as opened, unit_of_work(opened.sessions) as session:
        used = service.keys_in_use(session)
        gone = retire_keys(config.resolved_key_file(), {k for k, n in used.items() if n})
        audit.record(session, cli_actor(), Action.KEY_RETIRE, None, {"retired": list(gone)})
    console.print(t(f"retired keys: {gone or 'none'}", f"已退役密钥：{gone or '无'}"))
