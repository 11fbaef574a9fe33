"""`siyu groups …`: customer groups, their activity, and which are dead or declining."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from siyu.cli.common import console, handle_errors, settings, store, t, workspace_session
from siyu.cli.imports import show_rejects
from siyu.groups.service import default_as_of, group_health, import_activity
from siyu.imports.rejects import write_rejects
from siyu.kit.clock import CHINA_TZ, utcnow

app = typer.Typer(help="Customer groups (社群).", no_args_is_help=True)

STATUS_STYLE = {
    "dead": "[red]dead 死群[/]",
    "declining": "[yellow]declining 衰退[/]",
    "healthy": "[green]healthy 健康[/]",
}


@app.command("list")
@handle_errors
def list_groups(
    as_of: Annotated[
        str,
        typer.Option(
            help="Window ends before this China date; default: after the latest activity."
        ),
    ] = "",
    status: Annotated[str, typer.Option(help="Only dead, declining or healthy groups.")] = "",
) -> None:
    """Each group's activity over the last 28 days and whether it is dead or declining."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        today = utcnow().astimezone(CHINA_TZ).date()
        day = date.fromisoformat(as_of) if as_of else default_as_of(session, workspace_id, today)
        health = group_health(session, workspace_id, as_of=day)
    console.print(t(f"28 days before {day}", f"{day} 之前 28 天"))
    table = Table(
        t("group", "群"),
        t("owner", "群主"),
        t("members", "成员"),
        t("msgs/day", "日均消息"),
        t("members' share", "成员发言占比"),
        t("active members", "活跃成员比"),
        t("joins", "入群"),
        t("leaves", "退群"),
        t("member msgs vs before", "成员消息环比"),
        t("status", "状态"),
    )
    for h in health:
        f = h.figures
        if status and f.status != status:
            continue
        change = f"{f.member_messages_change:+.0%}" if f.member_messages_change is not None else "–"
        table.add_row(
            h.group.name or h.group.chat_ref,
            h.owner,
            f"{h.members:,}",
            f"{f.messages_per_day:.1f}",
            f"{f.member_share:.0%}",
            f"{f.active_member_ratio:.1%}",
            str(f.joins),
            str(f.leaves),
            change,
            STATUS_STYLE[f.status],
        )
    console.print(table)


@app.command("import-activity")
@handle_errors
def import_activity_command(
    file: Annotated[
        Path, typer.Argument(help="CSV/XLSX: day, group, owner/staff/member messages.")
    ],
) -> None:
    """Import daily message counts per group (re-importing a day replaces it)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        result = import_activity(
            session, workspace_id=workspace_id, cipher=opened.cipher, path=file
        )
    console.print(
        t(
            f"{file.name}: {result.accepted} rows accepted, {len(result.rejects)} "
            f"rejected; {result.created} created, {result.updated} updated",
            f"{file.name}：接受 {result.accepted} 行，拒绝 {len(result.rejects)} 行；"
            f"新建 {result.created}，更新 {result.updated}",
        )
    )
    if result.rejects:
        path = settings().home / "rejects" / f"{file.stem}.rejects.csv"
        write_rejects(path, result.rejects)
        show_rejects(result.rejects, path)
