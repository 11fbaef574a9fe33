"""`siyu content …` and `siyu sop …`: the template library, banned words and SOP plans."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pydantic
import typer
import yaml
from rich.table import Table

from siyu.cli.common import console, handle_errors, store, t, workspace_session
from siyu.engage.content import service as content
from siyu.engage.content.rules import banned_hits
from siyu.engage.content.schemas import SopPlanCreate, TemplateCreate
from siyu.engage.playbooks import service as playbooks
from siyu.kit.clock import utcnow
from siyu.kit.errors import ValidationError, invalid_fields

app = typer.Typer(help="Message templates and banned words.", no_args_is_help=True)
sop_app = typer.Typer(help="SOP plans: scheduled content.", no_args_is_help=True)


def _checked(model: type[pydantic.BaseModel], raw: object) -> pydantic.BaseModel:
    try:
        return model.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise invalid_fields(exc) from None


@app.command("add")
@handle_errors
def add(
    code: str,
    text: Annotated[str, typer.Option(help="The text ({variables} allowed).")] = "",
    kind: Annotated[str, typer.Option(help="text, image, link or mini_program.")] = "text",
    title: Annotated[str, typer.Option(help="Title of a link or card.")] = "",
    persona: Annotated[str, typer.Option(help="founder, image or cs_ip.")] = "",
    media: Annotated[
        list[str] | None, typer.Option(help="image_url=…, link_url=…, appid=…, page=…")
    ] = None,
    promotion: Annotated[bool, typer.Option(help="The content promotes an offer.")] = False,
) -> None:
    """Add a template (or replace the one with this code), checked for banned words."""
    pairs = dict(item.partition("=")[::2] for item in media or [])
    data = _checked(TemplateCreate, {"code": code, "kind": kind, "text": text, "title": title,
                                     "persona": persona, "media": pairs,
                                     "is_promotion": promotion})  # fmt: skip
    assert isinstance(data, TemplateCreate)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        content.save_template(session, workspace_id, data)
    console.print(f"[green]✓[/] {code}")


@app.command("list")
@handle_errors
def list_() -> None:
    """List templates."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        found = content.list_templates(session, workspace_id)
    table = Table(t("code", "代码"), t("kind", "类型"), t("persona", "人设"), t("title", "标题"),
                  t("text", "文案"))  # fmt: skip
    for item in found:
        table.add_row(item.code, item.kind, item.persona, item.title, item.text)
    console.print(table)


@app.command("banned")
@handle_errors
def banned(
    add: Annotated[list[str] | None, typer.Option("--add", help="Add a word.")] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Remove a word.")] = None,
) -> None:
    """Show (or change) the banned words every outgoing text is checked against."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        words = content.banned_words(session, workspace_id)
        if add or remove:
            words = content.set_banned_words(
                session,
                workspace_id,
                [w for w in [*words, *(add or [])] if w not in (remove or [])],
            )
    console.print("、".join(words), highlight=False)


@app.command("check")
@handle_errors
def check(text: str) -> None:
    """Check a text against the banned words."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        hits = banned_hits({"text": text}, content.banned_words(session, workspace_id))
    if hits:
        raise ValidationError("content.banned_words", found=", ".join(h.word for h in hits))
    console.print(f"[green]✓[/] {t('no banned words', '没有违禁词')}")


@sop_app.command("add")
@handle_errors
def sop_add(file: Path) -> None:
    """Add (or replace) an SOP plan from a YAML or JSON file."""
    raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    data = _checked(SopPlanCreate, raw)
    assert isinstance(data, SopPlanCreate)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        saved = content.save_plan(session, workspace_id, data)
    console.print(f"[green]✓[/] {saved.code} ({saved.trigger}, {len(saved.steps)} steps)")


@sop_app.command("list")
@handle_errors
def sop_list() -> None:
    """List SOP plans."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        found = content.list_plans(session, workspace_id)
    table = Table(t("code", "代码"), t("trigger", "触发"), t("channel", "渠道"),
                  t("steps", "步骤"), t("targets", "对象"))  # fmt: skip
    for plan in found:
        steps = "; ".join(f"{s.get('day', s.get('weekday', s.get('on', '*')))}: {s['template']}"
                          for s in plan.steps)  # fmt: skip
        table.add_row(plan.code, plan.trigger, plan.channel, steps, ", ".join(plan.targets))
    console.print(table)


@sop_app.command("run")
@handle_errors
def sop_run() -> None:
    """Queue the content every active plan has due today."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        report = playbooks.run_sops(session, workspace_id, utcnow(), committed=True)
    for code, n in report.queued.items():
        held = ", ".join(f"{k} {v}" for k, v in report.held_back.get(code, {}).items()) or "-"
        console.print(t(f"{code}: {n} queued; held back: {held}",
                        f"{code}：排队 {n}；拦截：{held}"), highlight=False)  # fmt: skip
