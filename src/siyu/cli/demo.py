"""`siyu demo …`: load the simulated demo brand."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from siyu.accounts.service import ensure_admin
from siyu.audit.rules import cli_actor
from siyu.cli.common import (
    console,
    handle_errors,
    progress_bar,
    settings,
    store,
    t,
    workspace_session,
)
from siyu.demo.loader import DemoLoader
from siyu.demo.loyalty import load_loyalty
from siyu.demo.simulator import simulate_brand
from siyu.demo.truth import save_truth
from siyu.kit.i18n import translate
from siyu.kit.money import format_yuan
from siyu.models import Order
from siyu.orders.repository import count_rows

app = typer.Typer(help="The simulated demo brand.", no_args_is_help=True)


@app.command("load")
@handle_errors
def load(
    orders: Annotated[
        int, typer.Option(min=1_000, max=10_000_000, help="Orders to simulate.")
    ] = 60_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same brand).")] = 7,
) -> None:
    """Simulate a brand and load it into the current workspace."""
    started = time.perf_counter()
    brand = simulate_brand(orders=orders, seed=seed)
    simulated = time.perf_counter() - started
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        if count_rows(session, workspace_id, Order):
            console.print(translate("demo.already_loaded", settings().locale,
                                    workspace=settings().workspace))  # fmt: skip
            return
        with progress_bar() as bar:
            task = bar.add_task("demo", total=None)
            summary = DemoLoader(session, workspace_id, opened.cipher, brand).load(
                lambda what, done, total: bar.update(
                    task, description=what, completed=done, total=total
                )
            )
            bar.update(task, description="loyalty", completed=0, total=None)
            loyalty_started = time.perf_counter()
            summary.counts.update(
                load_loyalty(session, workspace_id, brand, summary.customer_ids).counts
            )
            loyalty_seconds = time.perf_counter() - loyalty_started
        url = opened.engine.url.render_as_string(hide_password=True)
    truth = save_truth(settings().home / f"demo-truth-{seed}.npz", brand, summary.customer_ids)
    table = Table(
        t("what", "内容"), t("loaded", "已载入"), title=t("siyu demo brand", "siyu 演示品牌")
    )
    for name, count in summary.counts.items():
        table.add_row(name, f"{count:,}")
    table.add_row("GMV", format_yuan(int(brand.orders.paid_fen.sum())))
    table.add_row("store", url)
    table.add_row("workspace", settings().workspace)
    table.add_row("ground truth", str(truth))
    table.add_row(
        "seconds",
        f"simulate {simulated:.1f}, loyalty {loyalty_seconds:.1f}, "
        f"total {time.perf_counter() - started:.1f}",
    )
    console.print(table)


@app.command("admin")
@handle_errors
def admin() -> None:
    """Create the demo admin (or give it a new password) and print the console's log-in."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        user, password = ensure_admin(session, workspace_id, actor=cli_actor())
    config = settings()
    table = Table(title=t("siyu console", "siyu 控制台"), show_header=False)
    table.add_row(t("address", "地址"), f"http://{config.host}:{config.port}/")
    table.add_row(t("user", "用户"), user.username)
    table.add_row(t("password", "密码"), password)
    console.print(table)
    console.print(
        t("The password is new on every run and shown only now. Start the console with "
          "`siyu serve` (make demo does it for you).",
          "密码每次运行都会重新生成，且仅显示这一次。"
          "用 `siyu serve` 启动控制台（make demo 会自动启动）。"),
        highlight=False,
    )  # fmt: skip
