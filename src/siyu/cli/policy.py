"""`siyu policy …` and `siyu consent …`: the contact policy, suppressions and opt-outs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pydantic
import typer
import yaml
from rich.table import Table

from siyu.audit.rules import cli_actor
from siyu.cli.common import console, handle_errors, store, t, workspace_session
from siyu.engage.policy import repository, service
from siyu.engage.policy.schemas import ContactPolicy
from siyu.kit.clock import utcnow
from siyu.kit.errors import SiyuError
from siyu.kit.field_errors import listing

app = typer.Typer(help="The contact policy every message passes.", no_args_is_help=True)
consent_app = typer.Typer(help="Marketing consent and opt-outs.", no_args_is_help=True)


@app.command("show")
@handle_errors
def show() -> None:
    """Print the workspace's contact policy (JSON; the defaults until one is saved)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        policy = service.get_policy(session, workspace_id)
    console.print_json(policy.model_dump_json())


@app.command("set")
@handle_errors
def set_(path: Path) -> None:
    """Replace the contact policy with a JSON or YAML file (checked first)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        policy = ContactPolicy.model_validate(raw)
    except pydantic.ValidationError as exc:
        errors = exc.errors()
        raise SiyuError(
            "policy.invalid", detail=listing(errors, "en"), detail_zh=listing(errors, "zh-CN")
        ) from None
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        service.set_policy(session, workspace_id, policy, actor=cli_actor())
    console.print(f"[green]✓[/] {t('contact policy saved', '触达策略已保存')}")


@app.command("why")
@handle_errors
def why(
    customer_id: int, limit: Annotated[int, typer.Option(min=1, help="Rows at most.")] = 30
) -> None:
    """Show the messages the policy held back from a customer, and why."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        rows = repository.suppressions_of(session, workspace_id, customer_id)[:limit]
    table = Table(t("planned", "计划时间"), t("channel", "渠道"), t("from", "来源"),
                  t("reason", "原因"), t("moved to", "改期至"))  # fmt: skip
    for row in rows:
        moved = row.rescheduled_to.strftime("%Y-%m-%d %H:%M") if row.rescheduled_to else "-"
        source = f"{row.source_kind} #{row.source_id}" if row.source_id else row.source_kind
        table.add_row(row.planned_at.strftime("%Y-%m-%d %H:%M"), row.channel, source,
                      row.reason, moved)  # fmt: skip
    console.print(table)


@app.command("timezone")
@handle_errors
def timezone(customer_id: int, zone: str) -> None:
    """Set a customer's time zone (quiet hours and calendar days follow it)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        service.set_time_zone(session, workspace_id, customer_id, zone)
    console.print(f"[green]✓[/] #{customer_id} {zone}")


PurposeOption = Annotated[
    str, typer.Option(help="Consent purpose: marketing, or service (order and after-sales).")
]


def _consent(customer_id: int, channel: str, granted: bool, source: str, purpose: str) -> None:
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        cancelled = service.record_consent(
            session, workspace_id, customer_id, channel=channel, granted=granted, source=source,
            now=utcnow(), actor=cli_actor(), purpose=purpose,
        )  # fmt: skip
    state = "granted" if granted else "opted out"
    console.print(f"[green]✓[/] #{customer_id} {channel} ({purpose}): {state}")
    if cancelled:
        console.print(t(f"{len(cancelled)} planned messages cancelled",
                        f"已取消 {len(cancelled)} 条计划中的消息"))  # fmt: skip


@consent_app.command("opt-out")
@handle_errors
def opt_out(
    customer_id: int,
    channel: Annotated[str, typer.Option(help="Consent channel, or 'all'.")] = "all",
    source: Annotated[str, typer.Option(help="Where the opt-out came from.")] = "cli",
    purpose: PurposeOption = "marketing",
) -> None:
    """Record an opt-out; planned marketing messages it covers are cancelled at once."""
    _consent(customer_id, channel, False, source, purpose)


@consent_app.command("grant")
@handle_errors
def grant(
    customer_id: int,
    channel: Annotated[str, typer.Option(help="Consent channel.")] = "sms",
    source: Annotated[str, typer.Option(help="Where the consent came from.")] = "cli",
    purpose: PurposeOption = "marketing",
) -> None:
    """Record a consent (marketing by default)."""
    _consent(customer_id, channel, True, source, purpose)
