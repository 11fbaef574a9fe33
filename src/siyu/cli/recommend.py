"""`siyu recommend`: publish every buyer's next-best products, or show one customer's."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from siyu.analytics.recommend import REASON_LABELS, REASONS
from siyu.cli.common import console, progress_bar, settings, store, t, workspace_session
from siyu.kit.logs import log_to_file
from siyu.recommend.service import STEPS, RecommendReport, customer_recommendations, recommend_all

ROLE_LABELS = {"traffic": "引流款", "trial": "体验装", "profit": "利润款", "brand": "形象款",
               "expansion": "拓展款", "marketing": "活动款"}  # fmt: skip


def recommend(
    customer: Annotated[
        int | None, typer.Option(help="Show this customer's published recommendations.")
    ] = None,
    top: Annotated[int, typer.Option(min=1, max=100, help="Products per customer.")] = 10,
) -> None:
    """Fit on purchase histories and publish each buyer's next-best products."""
    if customer is not None:
        _show(customer, top)
        return
    config = settings()
    log_to_file(config.home)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        root = config.home / "warehouse" / config.workspace
        with progress_bar() as bar:
            task = bar.add_task("recommend", total=len(STEPS))
            report = recommend_all(
                session, workspace_id, root=root, engine=config.analytics_engine, top=top,
                progress=lambda step: bar.update(task, description=step, advance=1),
            )  # fmt: skip
    _print_report(report)


def _print_report(report: RecommendReport) -> None:
    steps = Table(t("step", "步骤"), t("seconds", "秒"))
    for step, seconds in report.seconds.items():
        steps.add_row(step, f"{seconds:.2f}")
    console.print(steps)
    labels = REASON_LABELS[settings().locale]
    reasons = Table(t("reason", "推荐理由"), t("recommendations", "推荐数"))
    for reason, label in zip(REASONS, labels, strict=True):
        reasons.add_row(label, f"{report.reasons.get(reason, 0):,}")
    console.print(reasons)
    rows, customers, products = f"{report.rows:,}", f"{report.customers:,}", f"{report.products:,}"
    console.print(
        t(f"{rows} recommendations published for {customers} customers ({products} products)",
          f"已为 {customers} 位客户发布 {rows} 条推荐（{products} 个商品）")
    )  # fmt: skip


def _show(customer: int, top: int) -> None:
    labels = dict(zip(REASONS, REASON_LABELS[settings().locale], strict=True))
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        found = customer_recommendations(session, workspace_id, customer, top)
    at = f"{found[0].computed_at:%Y-%m-%d %H:%M} UTC"
    table = Table(
        "#", "SKU", t("product", "商品"), t("role", "角色"), t("reason", "推荐理由"),
        t("score", "得分"),
        title=t(f"next-best products of customer {customer} (computed {at})",
                f"客户 {customer} 的推荐商品（计算于 {at}）"),
    )  # fmt: skip
    for row in found:
        role = row.role or ""
        table.add_row(str(row.rank), row.sku, row.name, t(role, ROLE_LABELS.get(role, role)),
                      labels[row.reason],
                      f"{row.score:.3f}")  # fmt: skip
    console.print(table)
