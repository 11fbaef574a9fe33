"""`siyu segment …` and `siyu tag …`: saved customer segments, live counts and tags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from siyu.analytics import lifecycle
from siyu.cli.common import console, handle_errors, settings, store, t, workspace_session
from siyu.kit.clock import utcnow
from siyu.segments import repository, service
from siyu.segments.rules import FIELDS, OPS
from siyu.segments.schemas import SegmentCount, SegmentCreate, SegmentUpdate

app = typer.Typer(help="Customer segments: saved rules and live counts.", no_args_is_help=True)
tag_app = typer.Typer(help="Customer tags.", no_args_is_help=True)

RuleOption = Annotated[
    str | None,
    typer.Option("--rule", help="Rule in the rule language or JSON (see `siyu segment fields`)."),
]
RuleFile = Annotated[Path | None, typer.Option("--rule-file", help="Read the rule from a file.")]


def _rule(rule: str | None, rule_file: Path | None) -> str | None:
    if rule_file is not None:
        return rule_file.read_text(encoding="utf-8")
    return rule


def _print_count(title: str, result: SegmentCount) -> None:
    labels = dict(zip(lifecycle.STAGES, lifecycle.STAGE_LABELS[settings().locale], strict=True))
    table = Table(t("stage", "阶段"), t("customers", "客户数"), title=title)
    for stage, n in result.by_stage.items():
        table.add_row(labels.get(stage, stage), f"{n:,}")
    table.add_row(t("total", "合计"), f"{result.count:,} / {result.total:,}", style="bold")
    console.print(table)
    console.print(t(f"counted in {result.seconds:.2f} s", f"用时 {result.seconds:.2f} 秒"))


@app.command("create")
@handle_errors
def create(
    code: str,
    rule: RuleOption = None,
    rule_file: RuleFile = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    description: Annotated[str, typer.Option(help="What the segment is for.")] = "",
) -> None:
    """Save a segment after checking its rule, and count it."""
    text = _rule(rule, rule_file)
    if text is None:
        raise typer.BadParameter("--rule or --rule-file")
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        service.create_segment(session, workspace_id, SegmentCreate(
            code=code, name=name, description=description, rule=text))  # fmt: skip
        result = service.count_segment(session, workspace_id, code, utcnow(), committed=True)
    console.print(f"[green]✓[/] {code}")
    _print_count(code, result)


@app.command("update")
@handle_errors
def update(
    code: str,
    rule: RuleOption = None,
    rule_file: RuleFile = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    description: Annotated[str | None, typer.Option(help="What it is for.")] = None,
) -> None:
    """Change a segment's rule, name or description."""
    change = SegmentUpdate(name=name, description=description, rule=_rule(rule, rule_file))
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        service.update_segment(session, workspace_id, code, change)
    console.print(f"[green]✓[/] {code}")


@app.command("count")
@handle_errors
def count(code: str) -> None:
    """Count a saved segment's members now."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        result = service.count_segment(session, workspace_id, code, utcnow(), committed=True)
    _print_count(code, result)


@app.command("preview")
@handle_errors
def preview(rule: RuleOption = None, rule_file: RuleFile = None) -> None:
    """Count a rule without saving it."""
    text = _rule(rule, rule_file)
    if text is None:
        raise typer.BadParameter("--rule or --rule-file")
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        node = service.compile_rule(session, workspace_id, text)
        result = service.count_rule(session, workspace_id, node, utcnow(), committed=True)
    _print_count(t("preview", "预览"), result)


@app.command("list")
@handle_errors
def list_() -> None:
    """List saved segments with their last count."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        segments = service.list_segments(session, workspace_id)
    table = Table(t("code", "代码"), t("name", "名称"), t("last count", "上次计数"),
                  t("counted at", "计数时间"), t("rule", "规则"))  # fmt: skip
    for s in segments:
        counted = s.counted_at.strftime("%Y-%m-%d %H:%M") if s.counted_at else "-"
        last = f"{s.last_count:,}" if s.last_count is not None else "-"
        shown = s.rule_text or json.dumps(s.rule, ensure_ascii=False)
        table.add_row(s.code, s.name, last, counted, shown)
    console.print(table)


@app.command("show")
@handle_errors
def show(code: str) -> None:
    """Print a segment's rule as its JSON tree."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        segment = service.require_segment(session, workspace_id, code)
        console.print_json(json.dumps(segment.rule, ensure_ascii=False))


@app.command("members")
@handle_errors
def members(
    code: str, limit: Annotated[int, typer.Option(min=1, help="Ids to print at most.")] = 50
) -> None:
    """Print the ids of a segment's members."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        rule = service.segment_rule(session, workspace_id, code)
        ids = service.members(session, workspace_id, rule, utcnow(), committed=True)
    console.print(" ".join(str(i) for i in ids[:limit].tolist()))
    console.print(t(f"{ids.size:,} members", f"共 {ids.size:,} 人"))


@app.command("delete")
@handle_errors
def delete(code: str) -> None:
    """Delete a segment."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        service.delete_segment(session, workspace_id, code)
    console.print(f"[green]✓[/] {code}")


@app.command("fields")
def fields() -> None:
    """List the fields and operators rules can use."""
    zh = settings().locale == "zh-CN"
    table = Table(t("field", "字段"), t("meaning", "含义"), t("operators", "运算符"),
                  t("values", "取值"))  # fmt: skip
    for spec in FIELDS.values():
        values = ", ".join(spec.values) if spec.values else ""
        table.add_row(spec.name, spec.zh if zh else spec.en, " ".join(OPS[spec.kind]), values)
    console.print(table)
    console.print(t(
        "Example: stage in [silent, dormant] and clv_fen >= 50000 and not tags has vip",
        "示例：stage in [silent, dormant] and clv_fen >= 50000 and not tags has vip",
    ))  # fmt: skip


@tag_app.command("add")
@handle_errors
def tag_add(tag: str, customer_ids: list[int]) -> None:
    """Tag customers."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        added = repository.add_tags(
            session, workspace_id, [(c, tag) for c in customer_ids], "manual"
        )
    console.print(f"[green]✓[/] {tag}: +{added}")


@tag_app.command("remove")
@handle_errors
def tag_remove(tag: str, customer_ids: list[int]) -> None:
    """Remove a tag from customers."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        removed = repository.remove_tags(session, workspace_id, customer_ids, tag)
    console.print(f"[green]✓[/] {tag}: -{removed}")
