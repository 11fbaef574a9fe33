"""`siyu playbook …`, `siyu journey …`, `siyu tasks …` and `siyu engage daily`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import pydantic
import typer
import yaml
from rich.table import Table

from siyu.cli.common import console, handle_errors, store, t, workspace_session
from siyu.engage.playbooks import service as playbooks
from siyu.engage.playbooks.schemas import Playbooks
from siyu.engage.policy import service as policy
from siyu.engage.tasks import service as tasks
from siyu.engage.tasks.schemas import GenerateReport, TaskDone
from siyu.kit.clock import utcnow
from siyu.kit.errors import invalid_fields
from siyu.kit.money import format_yuan
from siyu.messaging import repository as outbox

playbook_app = typer.Typer(help="Playbooks per lifecycle stage.", no_args_is_help=True)
journey_app = typer.Typer(help="The first-purchases journey.", no_args_is_help=True)
tasks_app = typer.Typer(help="Daily task lists of staff accounts.", no_args_is_help=True)
engage_app = typer.Typer(help="The daily engagement run.", no_args_is_help=True)


def _print_sent(title: str, candidates: int, queued: int, held: dict[str, int]) -> None:
    reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(held.items(), key=lambda kv: -kv[1]))
    console.print(t(f"{title}: {candidates:,} due, {queued:,} queued; held back: {reasons or '-'}",
                    f"{title}：应触达 {candidates:,}，已排队 {queued:,}；拦截：{reasons or '-'}"),
                  highlight=False)  # fmt: skip


@playbook_app.command("show")
@handle_errors
def playbook_show() -> None:
    """Print the playbooks (YAML; the defaults until edited)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        books = playbooks.get_playbooks(session, workspace_id)
    console.print(yaml.safe_dump(books.model_dump(mode="json"), allow_unicode=True,
                                 sort_keys=False), highlight=False)  # fmt: skip


@playbook_app.command("set")
@handle_errors
def playbook_set(path: Path) -> None:
    """Replace the playbooks with a YAML or JSON file (checked, banned words included)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        books = Playbooks.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise invalid_fields(exc) from None
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        playbooks.set_playbooks(session, workspace_id, books)
    console.print(f"[green]✓[/] {t('playbooks saved', '策略手册已保存')}")


@playbook_app.command("run")
@handle_errors
def playbook_run(
    major: Annotated[
        bool, typer.Option(help="A major promotion is on (churned customers).")
    ] = False,
) -> None:
    """Send each stage's message to the customers whose rhythm is due."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        reports = playbooks.run_playbooks(session, workspace_id, utcnow(), major_promotion=major,
                                          committed=True)  # fmt: skip
    for stage, r in reports.items():
        _print_sent(stage, r.candidates, r.queued, r.held_back)


@journey_app.command("run")
@handle_errors
def journey_run() -> None:
    """Nudge buyers in their first purchases before their expected next purchase."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        r = playbooks.run_journey(session, workspace_id, utcnow(), committed=True)
    _print_sent(t("journey", "首购旅程"), r.candidates, r.queued, r.held_back)


def _print_generated(report: GenerateReport) -> None:
    made, seen = f"{report.created:,}", f"{report.candidates:,}"
    console.print(t(f"{report.day}: {made} tasks ({seen} candidates)",
                    f"{report.day}：生成 {made} 个任务（候选 {seen}）"))  # fmt: skip
    for label, counts in ((t("by reason", "按原因"), report.by_reason),
                          (t("by staff", "按员工"), report.by_staff),
                          (t("held back", "被拦截"), report.held_back)):  # fmt: skip
        if counts:
            console.print(f"  {label}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))


@tasks_app.command("generate")
@handle_errors
def tasks_generate() -> None:
    """Make today's task lists."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        report = tasks.generate(session, workspace_id, utcnow(), committed=True)
    _print_generated(report)


@tasks_app.command("today")
@handle_errors
def tasks_today(
    staff: Annotated[str, typer.Option(help="Staff account code.")],
    day: Annotated[str, typer.Option(help="Day (YYYY-MM-DD); default today.")] = "",
) -> None:
    """A staff member's list: whom to contact, why, what to say and suggest."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        zone = policy.get_policy(session, workspace_id).default_time_zone
        when = date.fromisoformat(day) if day else tasks.local_day(utcnow(), zone)
        found = tasks.list_tasks(session, workspace_id, when, staff_code=staff)
        names = outbox.encrypted_names(session, workspace_id, [x.customer_id for x in found])
        cipher = opened.cipher
    table = Table("#", "id", t("customer", "客户"), t("why", "原因"), t("script", "话术"),
                  t("products", "推荐商品"), t("value", "预期价值"), t("status", "状态"),
                  title=f"{staff} {when}")  # fmt: skip
    for task in found:
        name = cipher.decrypt(names[task.customer_id]) if task.customer_id in names else ""
        products = ", ".join(p.get("name", "") for p in task.products)
        table.add_row(str(task.rank), str(task.id), f"#{task.customer_id}", task.reason,
                      task.script.replace("{name}", name), products,
                      format_yuan(round(task.expected_value_fen)), task.status)  # fmt: skip
    console.print(table)


@tasks_app.command("done")
@handle_errors
def tasks_done(
    task_id: int,
    outcome: Annotated[str, typer.Option(help="replied, purchased, no_reply, declined, …")],
    note: Annotated[str, typer.Option(help="What happened.")] = "",
) -> None:
    """Mark a task done with its outcome."""
    try:
        done = TaskDone.model_validate({"outcome": outcome, "note": note})
    except pydantic.ValidationError as exc:
        raise invalid_fields(exc) from None
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        tasks.complete(session, workspace_id, task_id, done, utcnow())
    console.print(f"[green]✓[/] #{task_id} {outcome}")


@tasks_app.command("skip")
@handle_errors
def tasks_skip(
    task_id: int, reason: Annotated[str, typer.Option(help="Why it is skipped.")] = ""
) -> None:
    """Skip a task, saying why."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        tasks.skip(session, workspace_id, task_id, reason, utcnow())
    console.print(f"[green]✓[/] #{task_id} {t('skipped', '已跳过')}")


@tasks_app.command("reassign")
@handle_errors
def tasks_reassign(
    task_id: int, to: Annotated[str, typer.Option("--to", help="Staff account code.")]
) -> None:
    """Give a task to another staff account."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        tasks.reassign(session, workspace_id, task_id, to)
    console.print(f"[green]✓[/] #{task_id} → {to}")


@engage_app.command("daily")
@handle_errors
def daily(
    major: Annotated[
        bool, typer.Option(help="A major promotion is on (churned customers).")
    ] = False,
) -> None:
    """After `siyu run`: today's task lists, the first-purchases journey, SOP plans and the
    stage playbooks."""
    now = utcnow()
    # the most valuable first: a personal contact, then the journey nudge, then SOP steps,
    # then the stage rhythm (later, more valuable messages can still outbid earlier ones
    # that are not yet due)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        generated = tasks.generate(session, workspace_id, now, committed=True)
    _print_generated(generated)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        journey = playbooks.run_journey(session, workspace_id, now, committed=True)
    _print_sent(t("journey", "首购旅程"), journey.candidates, journey.queued, journey.held_back)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        sops = playbooks.run_sops(session, workspace_id, now, committed=True)
    for code, n in sops.queued.items():
        held = ", ".join(f"{k} {v}" for k, v in sops.held_back.get(code, {}).items()) or "-"
        console.print(t(f"SOP {code}: {n:,} queued; held back: {held}",
                        f"SOP {code}：排队 {n:,}；拦截：{held}"), highlight=False)  # fmt: skip
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        reports = playbooks.run_playbooks(session, workspace_id, now, major_promotion=major,
                                          committed=True)  # fmt: skip
    for stage, r in reports.items():
        _print_sent(stage, r.candidates, r.queued, r.held_back)
