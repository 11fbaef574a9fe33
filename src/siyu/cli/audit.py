"""`siyu audit …`: verify the hash chain, list and export the log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from siyu.audit import service
from siyu.audit.repository import AuditFilter
from siyu.audit.rules import Action, Target, cli_actor, parse_target
from siyu.audit.service import parse_action
from siyu.cli.common import console, err_console, handle_errors, operator_day, settings, store, t
from siyu.db.engine import unit_of_work
from siyu.kit.errors import ValidationError
from siyu.kit.i18n import translate
from siyu.models import AuditEntry
from siyu.web.export import csv_chunks

app = typer.Typer(help="The audit log: who did what to which record.", no_args_is_help=True)
HEADERS = ("id", "at", "workspace_id", "actor", "action", "target_type", "target_id",
           "details", "hash")  # fmt: skip


@app.command("verify")
@handle_errors
def verify() -> None:
    """Walk the whole hash chain; exit 1 naming the first entry that was changed or removed."""
    locale = settings().locale
    with store() as opened, unit_of_work(opened.sessions) as session:
        verdict = service.verify_and_record(session, cli_actor())
    if verdict.ok:
        message = translate("audit.ok", locale, checked=verdict.checked, last=verdict.last_id)
        console.print(f"[green]✓[/] {message}", highlight=False)
        console.print(f"{t('chain head', '链头')}: #{verdict.last_id} {verdict.last_hash}",
                      highlight=False)  # fmt: skip
        return
    err_console.print(
        f"[bold red]✗[/] {translate(verdict.reason, locale, id=verdict.broken_id)}",
        highlight=False,
    )
    raise typer.Exit(code=1)


@app.command("list")
@handle_errors
def list_(
    actor: Annotated[str, typer.Option(help="user:ID, api_key:ID, cli:NAME or system.")] = "",
    action: Annotated[str, typer.Option(help="e.g. data.export, pii.reveal.")] = "",
    target: Annotated[str, typer.Option(help="TYPE or TYPE:ID, e.g. customer:12.")] = "",
    since: Annotated[str, typer.Option(help="First day, YYYY-MM-DD (China time).")] = "",
    until: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD (China time).")] = "",
    limit: Annotated[int, typer.Option(min=1, help="Rows to show (not for --csv).")] = 50,
    csv: Annotated[Path | None, typer.Option(help="Write every match to this CSV file.")] = None,
) -> None:
    """Search the log (every workspace), newest first; --csv writes all matches to a file."""
    parsed = parse_target(target)
    if parsed is None:
        raise ValidationError("audit.bad_target", text=target[:40])
    target_type, target_id = parsed
    found = AuditFilter(
        actor=actor.strip(), action=parse_action(action.strip()), target_type=target_type,
        target_id=target_id, since=operator_day(since), until=operator_day(until, end=True),
    )  # fmt: skip
    with store() as opened, unit_of_work(opened.sessions) as session:
        rows, total = service.search(session, found, limit=None if csv else limit)
        if csv is not None:
            _write_csv(csv, rows)
            service.record(session, cli_actor(), Action.EXPORT, Target("export", "audit"),
                           {"format": "csv", "rows": total})  # fmt: skip
    if csv is not None:
        console.print(f"[green]✓[/] {total} → {csv}", highlight=False)
        return
    table = Table("#", t("at", "时间"), t("actor", "操作人"), t("action", "操作"),
                  t("target", "对象"), t("details", "详情"))  # fmt: skip
    for e in rows:
        target_text = f"{e.target_type}:{e.target_id}" if e.target_id else e.target_type
        table.add_row(str(e.id), e.at.isoformat(timespec="seconds"), e.actor, e.action,
                      target_text, _details(e.details))  # fmt: skip
    console.print(table)
    console.print(t(f"{len(rows)} of {total}", f"共 {total} 条，显示 {len(rows)} 条"))


def _details(details: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(details.items()))


def _write_csv(path: Path, rows: list[AuditEntry]) -> None:
    cells = (
        (e.id, e.at, e.workspace_id, e.actor, e.action, e.target_type, e.target_id,
         _details(e.details), e.hash)
        for e in rows
    )  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as out:
        out.writelines(csv_chunks(HEADERS, cells))
