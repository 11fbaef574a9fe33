"""Entry point of the `siyu` command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.exc import OperationalError

from siyu import __version__
from siyu.analytics import ladder, lifecycle
from siyu.cli import (
    audit,
    campaigns,
    channels,
    content,
    demo,
    engage,
    groups,
    imports,
    invites,
    keys,
    loyalty,
    policy,
    pool,
    privacy,
    recommend,
    referral,
    report,
    segments,
    users,
    wecom,
    worker,
)
from siyu.cli.common import (
    console,
    handle_errors,
    progress_bar,
    settings,
    store,
    t,
    workspace_session,
)
from siyu.config import Settings
from siyu.customers import repository as customers
from siyu.customers.service import explain_customer, index_names
from siyu.db.engine import make_engine, unit_of_work
from siyu.db.migrate import upgrade
from siyu.figures.service import compute as compute_figures
from siyu.kit.clock import utcnow
from siyu.kit.errors import NotFoundError
from siyu.kit.i18n import translate
from siyu.kit.logs import log_to_file
from siyu.scoring.service import STEPS, ModelCheck, check_models, run_daily
from siyu.store import load_cipher, open_store, unreachable
from siyu.warehouse.snapshot import SnapshotWriter
from siyu.web.hardening import check_production
from siyu.workspaces import repository as workspace_repo
from siyu.workspaces import service as workspaces

app = typer.Typer(
    help="siyu 私域: know, grow and serve a brand's private-domain customers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(imports.app, name="import")
app.add_typer(demo.app, name="demo")
app.add_typer(loyalty.app, name="loyalty")
app.add_typer(keys.app, name="keys")
app.add_typer(privacy.app, name="privacy")
app.add_typer(channels.app, name="channel")
app.add_typer(wecom.app, name="wecom")
app.add_typer(invites.app, name="invite")
app.add_typer(groups.app, name="groups")
app.add_typer(referral.app, name="referral")
app.add_typer(pool.app, name="pool")
app.add_typer(report.app, name="report")
app.add_typer(users.app, name="user")
app.add_typer(audit.app, name="audit")
app.add_typer(segments.app, name="segment")
app.add_typer(segments.tag_app, name="tag")
app.add_typer(policy.app, name="policy")
app.add_typer(policy.consent_app, name="consent")
app.add_typer(worker.outbox_app, name="outbox")
app.add_typer(campaigns.app, name="campaign")
app.add_typer(campaigns.holdout_app, name="holdout")
app.add_typer(engage.playbook_app, name="playbook")
app.add_typer(engage.journey_app, name="journey")
app.add_typer(engage.tasks_app, name="tasks")
app.add_typer(engage.engage_app, name="engage")
app.add_typer(content.app, name="content")
app.add_typer(content.sop_app, name="sop")
app.command("worker")(worker.worker)
workspace_app = typer.Typer(help="Workspaces (brands) in this deployment.", no_args_is_help=True)
app.add_typer(workspace_app, name="workspace")
customer_app = typer.Typer(help="Look at one customer.", no_args_is_help=True)
app.add_typer(customer_app, name="customer")
app.command("recommend")(handle_errors(recommend.recommend))


@app.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)


@app.command()
@handle_errors
def init() -> None:
    """Create or upgrade the store at SIYU_DATABASE_URL and the default workspace."""
    config = settings()
    load_cipher(config, create=True)
    engine = make_engine(config.resolved_database_url())
    try:
        head = upgrade(engine)
    except OperationalError as exc:
        raise unreachable(engine, exc) from exc
    finally:
        engine.dispose()
    opened = open_store(config)
    try:
        with unit_of_work(opened.sessions) as session:
            workspaces.ensure(session, config.workspace)
            index_names(session, opened.cipher)  # names stored before the index existed
    finally:
        opened.close()
    url = opened.engine.url.render_as_string(hide_password=True)
    console.print(f"[green]✓[/] {translate('store.ready', config.locale, url=url, head=head)}")


@app.command()
@handle_errors
def run(
    figures: Annotated[
        bool, typer.Option("--figures", help="Then compute the console's figures (all grains).")
    ] = False,
) -> None:
    """Run the daily pipeline: snapshot, customer features, segments, published profiles."""
    config = settings()
    log_to_file(config.home)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        root = config.home / "warehouse" / config.workspace
        with progress_bar() as bar:
            task = bar.add_task("run", total=len(STEPS))
            report = run_daily(
                session, workspace_id, root=root, engine=config.analytics_engine,
                purchase_model=config.purchase_model,
                progress=lambda step: bar.update(task, description=step, advance=1),
            )  # fmt: skip
    table = Table(t("step", "步骤"), t("seconds", "秒"))
    for step, seconds in report.seconds.items():
        table.add_row(step, f"{seconds:.2f}")
    console.print(table)
    locale = config.locale
    for title, names, labels, found in (
        (t("value ladder", "价值阶梯"), ladder.TIERS, ladder.TIER_LABELS[locale], report.tiers),
        (t("lifecycle", "生命周期"), lifecycle.STAGES, lifecycle.STAGE_LABELS[locale],
         report.stages),
    ):  # fmt: skip
        counts = Table(title, t("customers", "客户数"))
        for name, label in zip(names, labels, strict=True):
            counts.add_row(label, f"{found.get(name, 0):,}")
        console.print(counts)
    console.print(f"{report.customers:,} {t('profiles published', '个客户画像已发布')}")
    if figures:
        _store_figures(config)


def _store_figures(config: Settings) -> None:
    with (
        store() as opened,
        workspace_session(opened) as (session, workspace_id),
        progress_bar() as bar,
    ):
        task = bar.add_task("figures", total=None)
        stored = compute_figures(
            session, workspace_id, home=config.home, engine=config.analytics_engine,
            progress=lambda step, done, total: bar.update(
                task, description=step, completed=done, total=total
            ),
        )  # fmt: skip
    periods = ", ".join(p.stem for p in stored)
    console.print(
        f"[green]✓[/] {t('figures stored for the console', '控制台指标已保存')}: {periods}"
    )


@app.command("check-models")
@handle_errors
def check_models_command(
    holdout_days: Annotated[
        int, typer.Option(min=30, max=730, help="Days held out at the end of the history.")
    ] = 180,
) -> None:
    """Fit each purchase model before a holdout period and compare its predictions with it."""
    config = settings()
    log_to_file(config.home)
    root = config.home / "warehouse" / config.workspace
    with store() as opened, workspace_session(opened) as (_session, workspace_id):
        SnapshotWriter(opened.engine, workspace_id, root).refresh()
    checks = check_models(config.analytics_engine, root, utcnow(), holdout_days)
    _print_model_checks(checks, holdout_days, config.purchase_model)


def _print_model_checks(checks: list[ModelCheck], holdout_days: int, in_use: str) -> None:
    totals = Table(
        t("model", "模型"), t("parameters", "参数"), t("predicted", "预测购买"),
        t("actual", "实际购买"), t("error", "误差"),
        title=t(f"purchases in the last {holdout_days} days, predicted from the days before",
                f"最近 {holdout_days} 天的购买：以之前的数据预测"),
    )  # fmt: skip
    for check in checks:
        marker = " *" if check.model == in_use else ""
        params = ", ".join(f"{k}={v:.4g}" for k, v in check.params.items())
        r = check.report
        totals.add_row(check.model + marker, params, f"{r.total_predicted:,.0f}",
                       f"{r.total_actual:,.0f}", f"{r.relative_error:+.1%}")  # fmt: skip
    console.print(totals)
    predicted = (t(f"{c.model} per customer", f"{c.model} 人均预测") for c in checks)
    rows = Table(t("repeat purchases before", "此前复购次数"), t("customers", "客户数"),
                 t("actual per customer", "人均实际"), *predicted)  # fmt: skip
    first = checks[0].report
    for i, frequency in enumerate(first.frequency.tolist()):
        label = f"{frequency}+" if i == len(first.frequency) - 1 else str(frequency)
        rows.add_row(label, f"{first.customers[i]:,}", f"{first.mean_actual[i]:.3f}",
                     *(f"{c.report.mean_predicted[i]:.3f}" for c in checks))  # fmt: skip
    console.print(rows)
    console.print(t(f"* the model in use (SIYU_PURCHASE_MODEL={in_use})",
                    f"* 当前使用的模型（SIYU_PURCHASE_MODEL={in_use}）"))  # fmt: skip


@workspace_app.command("create")
@handle_errors
def workspace_create(
    slug: str, name: Annotated[str, typer.Option(help="Display name.")] = ""
) -> None:
    """Create a workspace."""
    with store() as opened, unit_of_work(opened.sessions) as session:
        created = workspaces.ensure(session, slug, name=name or None)
        console.print(f"[green]✓[/] {created.slug} (#{created.id})")


@workspace_app.command("list")
@handle_errors
def workspace_list() -> None:
    """List workspaces."""
    with store() as opened, unit_of_work(opened.sessions) as session:
        table = Table("id", "slug", t("name", "名称"))
        for ws in workspace_repo.list_all(session):
            table.add_row(str(ws.id), ws.slug, ws.name)
        console.print(table)


@customer_app.command("show")
@handle_errors
def customer_show(customer_id: int) -> None:
    """Show a customer's identities (masked) and why records were merged into it."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        customer = customers.get_customer(session, workspace_id, customer_id)
        if customer is None:
            raise NotFoundError("customer.not_found", ident=customer_id)
        table = Table(t("kind", "类型"), t("platform", "平台"), t("value", "值（已脱敏）"))
        for identity in customers.list_identities(session, workspace_id, customer_id):
            table.add_row(identity.kind, identity.platform, identity.masked)
        console.print(table)
        for line in explain_customer(session, workspace_id, customer_id):
            console.print("• " + line[settings().locale], highlight=False)


@app.command()
@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (default SIYU_HOST).")] = "",
    port: Annotated[int, typer.Option(help="Port (default SIYU_PORT).")] = 0,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the web console and the REST API (stop with Ctrl-C)."""
    import uvicorn

    config = settings()
    check_production(config)
    open_store(config).close()  # a missing or old store is one clear message, not a traceback
    log_to_file(config.home)
    host, port = host or config.host, port or config.port
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    console.print(
        f"[bold]siyu[/] {t('console', '控制台')}: http://{shown}:{port}/  ·  API: "
        f"http://{shown}:{port}/api/v1  ·  OpenAPI: http://{shown}:{port}/api/v1/openapi.json",
        highlight=False,
    )
    console.print(t("Stop with Ctrl-C.", "按 Ctrl-C 停止。"))
    # No access log: request lines carry search terms (a phone number is personal data).
    uvicorn.run(
        "siyu.app:create_app", factory=True, host=host, port=port, workers=workers,
        access_log=False, log_level="warning",
    )  # fmt: skip
