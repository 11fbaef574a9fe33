"""`siyu privacy …`: data-subject export and erasure, and the retention purge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from siyu.audit.rules import cli_actor
from siyu.cli.common import console, handle_errors, settings, store, t, workspace_session
from siyu.db.engine import unit_of_work
from siyu.kit.errors import SiyuError
from siyu.kit.i18n import translate
from siyu.kit.logs import log_to_file
from siyu.privacy import service
from siyu.privacy.rules import Retention

app = typer.Typer(help="Data-subject requests and retention.", no_args_is_help=True)


@app.command("export")
@handle_errors
def export(
    customer_id: int,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON here (else stdout).")
    ] = None,
) -> None:
    """Everything held on one person as JSON, identities in clear: hand it to that person only."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        found = service.export(session, workspace_id, opened.cipher, customer_id, actor=cli_actor())
    text = json.dumps(found, ensure_ascii=False, indent=1)
    if output is None:
        typer.echo(text)
        return
    output.write_text(text, encoding="utf-8")
    output.chmod(0o600)
    console.print(f"[green]✓[/] {output}")


@app.command("erase")
@handle_errors
def erase(
    customer_id: int,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: erasure cannot be undone.")] = False,
) -> None:
    """Erase one person everywhere (orders and ledgers stay under an anonymous id), then
    rewrite the snapshot buckets that held them."""
    config = settings()
    log_to_file(config.home)
    if not yes:
        raise SiyuError("privacy.confirm", ident=customer_id)
    with store() as opened:
        with workspace_session(opened) as (session, workspace_id):
            report = service.erase(
                session, workspace_id, opened.cipher, customer_id, actor=cli_actor()
            )
        root = config.home / "warehouse" / config.workspace
        files = service.refresh_snapshot(opened.engine, workspace_id, root)
    message = translate("privacy.erased", config.locale, ident=customer_id,
                        rows=report.total_rows, files=files)  # fmt: skip
    console.print(f"[green]✓[/] {message}")
    console.print(t(f"anonymous id: {report.anonymous_id}", f"匿名编号：{report.anonymous_id}"))


@app.command("purge")
@handle_errors
def purge() -> None:
    """Delete what is past its retention (SIYU_RETENTION_*_DAYS): WeCom callbacks, outbox
    payloads, delivery attempts, web sessions, reject files, rotated logs."""
    config = settings()
    retention = Retention.of(config)
    with store() as opened, unit_of_work(opened.sessions) as session:
        report = service.purge(session, retention, actor=cli_actor())
    files = service.purge_files(config.home, retention)
    table = Table(t("records", "记录"), t("rows", "行数"))
    for name, rows in report.rows.items():
        table.add_row(name, str(rows))
    console.print(table)
    message = translate("privacy.purged", config.locale, rows=report.total_rows, files=files)
    console.print(f"[green]✓[/] {message}")
