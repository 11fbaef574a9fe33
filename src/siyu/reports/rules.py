"""Pure rules of a report: its windows and how figures become tables (no I/O).

Every table is built from the analytics results alone, so the terminal, CSV, XLSX, HTML
and PDF outputs (and the console) show exactly the figures the analytics computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Final

from siyu.analytics import ladder
from siyu.analytics.channels import ChannelFigures
from siyu.analytics.cohorts import CohortMatrix, LadderMigration
from siyu.analytics.operating import OperatingFigures
from siyu.analytics.periods import Grain, Period, month_index, month_of_index
from siyu.analytics.products import ProductFigures, ProductRoles
from siyu.analytics.repurchase import FUNNEL_DEPTH
from siyu.kit.money import format_yuan
from siyu.reports.repository import Named
from siyu.reports.schemas import Cell, Column, Kind, Locale, ReportFigures, Section

TREND_LENGTH: Final[dict[Grain, int]] = {"day": 30, "month": 12, "year": 5}
WINDOW_MONTHS: Final = 12
COHORT_MONTHS: Final = 12
ROLE_ORDER: Final = ("traffic", "trial", "profit", "brand", "expansion", "marketing", "")
ROLE_LABELS: Final[dict[str, tuple[str, str]]] = {
    "traffic": ("Traffic", "引流款"),
    "trial": ("Trial", "体验装"),
    "profit": ("Profit", "利润款"),
    "brand": ("Brand", "形象款"),
    "expansion": ("Expansion", "拓展款"),
    "marketing": ("Marketing", "活动款"),
    "": ("No role", "未设置角色"),
}
NO_CHANNEL: Final = ("(no channel)", "（无渠道）")


def window_first(period: Period) -> date:
    """First day of the window of cohorts, channel joiners and the product cohort.

    The year itself for an annual report; else the twelve China months ending with the
    month of the period's last day.
    """
    if period.grain == "year":
        return period.first
    return month_of_index(month_index(period.last) - (WINDOW_MONTHS - 1))


def migration_bounds(period: Period) -> tuple[datetime, datetime]:
    """The two moments the ladder migration compares: just before the period and its end."""
    return period.start - timedelta(microseconds=1), period.until


def _pick(locale: Locale, en: str, zh: str) -> str:
    return zh if locale == "zh-CN" else en


def _role(role: str, locale: Locale) -> str:
    en, zh = ROLE_LABELS.get(role, (role, role))
    return _pick(locale, en, zh)


OPERATING_COLUMNS: Final = (
    Column("period", "Period", "期间", "text"),
    Column("gmv", "GMV", "GMV", "fen"),
    Column("gmv_public", "Public-domain GMV", "公域 GMV", "fen"),
    Column("gmv_private", "Private-domain GMV", "私域 GMV", "fen"),
    Column("private_share", "Private share", "私域占比", "share"),
    Column("orders", "Orders", "订单数"),
    Column("aov", "Average order value", "客单价", "fen"),
    Column("buyers", "Active customers (bought)", "购买客户数"),
    Column("new_buyers", "New customers", "新客数"),
    Column("repeat_buyers", "Repeat buyers", "复购客户数"),
    Column("repurchase_rate", "Repurchase rate", "复购率", "share"),
    Column("cycle_days", "Repurchase cycle (median days)", "复购周期（中位天数）", "days"),
    Column("pool_size", "Pool size (end)", "私域池人数（期末）"),
    Column("pool_members", "Pool members (during)", "期内池内客户"),
    Column("pool_buyers", "Pool members who bought", "池内购买客户"),
    Column("conversion", "Pool conversion", "池内转化率", "share"),
)


def operating_row(f: OperatingFigures) -> tuple[Cell, ...]:
    """One period's operating figures in OPERATING_COLUMNS order."""
    return (
        f.period.label, f.gmv_fen, f.gmv_public_fen, f.gmv_private_fen, f.private_share,
        f.orders, f.aov_fen, f.buyers, f.new_buyers, f.repeat_buyers, f.repurchase_rate,
        f.median_cycle_days, f.pool_size, f.pool_members, f.pool_buyers, f.conversion,
    )  # fmt: skip


def _overview(fig: ReportFigures) -> Section:
    return Section(
        "overview", "Overview", "经营概览", OPERATING_COLUMNS,
        tuple(operating_row(f) for f in fig.headline),
        note_en="This period, the period before, and the same period a year earlier. "
        "Periods are China time; GMV is paid less refunded.",
        note_zh="本期、上期与去年同期；期间按北京时间划分，GMV 为实付减退款。",
        transposed=True,
    )  # fmt: skip


def _trend(fig: ReportFigures) -> Section:
    return Section(
        "trend", "Trend", "趋势", OPERATING_COLUMNS,
        tuple(operating_row(f) for f in fig.trend),
    )  # fmt: skip


def _pool(fig: ReportFigures, locale: Locale) -> Section:
    q = fig.pool
    valued = fig.clv_as_of is not None
    columns = (
        Column("size", "Pool size", "私域池人数"),
        Column("recent_buyers", f"Bought in the last {q.recent_days} days",
               f"近 {q.recent_days} 天购买"),
        Column("recent_share", "Share who bought recently", "近期购买占比", "share"),
        Column("valued", "Members with a predicted CLV", "有预测 CLV 的成员"),
        Column("clv", "Predicted 12-month CLV of the pool", "私域池预测 12 个月 CLV", "fen"),
        Column("clv_per_member", "Predicted CLV per member", "人均预测 CLV", "fen"),
    )  # fmt: skip
    row = (q.size, q.recent_buyers, q.recent_share, q.valued if valued else None,
           q.clv_fen if valued else None, q.clv_per_member_fen if valued else None)  # fmt: skip
    when = str(fig.clv_as_of) if valued else _pick(locale, "never (run `siyu run`)", "尚无")
    return Section(
        "pool", "Pool size and quality", "私域池规模与质量", columns, (row,),
        note_en=f"At the end of {fig.period.label}; CLV from the profiles published {when}.",
        note_zh=f"{fig.period.label} 期末；CLV 来自 {when} 发布的客户画像。",
        transposed=True,
    )  # fmt: skip


def _repurchase(fig: ReportFigures) -> Section:
    r = fig.repurchase
    columns = (
        Column("buyers", "Buyers", "购买客户"),
        Column("repeat_buyers", "Repeat buyers", "复购客户"),
        Column("rate", "Repurchase rate", "复购率", "share"),
        Column("median_cycle", "Repurchase cycle (median days)", "复购周期（中位天数）", "days"),
        Column("mean_cycle", "Repurchase cycle (mean days)", "复购周期（平均天数）", "days"),
    )
    row = (r.buyers, r.repeat_buyers, r.rate, r.median_cycle_days, r.mean_cycle_days)
    return Section(
        "repurchase", "Repurchase (all buyers so far)", "复购（截至期末全部购买客户）",
        columns, (row,),
        note_en="A purchase occasion is a China day with a purchase; a repeat buyer has two.",
        note_zh="同一自然日（北京时间）的购买算一次；复购客户至少有两次。",
        transposed=True,
    )  # fmt: skip


def _funnel(fig: ReportFigures) -> Section:
    r = fig.repurchase
    columns = (
        Column("purchase", "Purchase", "第几次购买"),
        Column("customers", "Customers reaching it", "达到的客户"),
        Column("of_buyers", "Share of buyers", "占购买客户", "share"),
        Column("from_previous", "Conversion from the previous", "较上一次转化率", "share"),
        Column("median_days", "Median days since the previous", "距上一次（中位天数）", "days"),
        Column("mean_days", "Mean days since the previous", "距上一次（平均天数）", "days"),
    )
    rows: list[tuple[Cell, ...]] = []
    for k in range(1, FUNNEL_DEPTH + 1):
        reached = r.funnel[k - 1]
        gap = r.gaps[k - 2] if k >= 2 else None
        rows.append((
            k, reached, reached / r.buyers if r.buyers else None,
            r.step_conversion[k - 2] if k >= 2 else None,
            gap.median_days if gap else None, gap.mean_days if gap else None,
        ))  # fmt: skip
    return Section("funnel", "Purchase funnel 1 → 5", "购买次数漏斗 1 → 5", columns, tuple(rows))


def _cohort(
    m: CohortMatrix, key: str, titles: tuple[str, str], values: str, locale: Locale
) -> Section:
    kind: Kind = "share" if values == "retention" else "fen"
    columns = (
        Column("cohort", "Cohort", "批次", "text"),
        Column("size", "Customers", "客户数"),
        *(Column(f"m{i}", f"M{i}", f"第{i}月", kind) for i in range(COHORT_MONTHS)),
    )
    table = m.retention if values == "retention" else m.revenue_fen
    observed = m.observed
    rows = []
    for r, label in enumerate(m.labels):
        cells: list[Cell] = [label, int(m.sizes[r])]
        for i in range(COHORT_MONTHS):
            seen = i < table.shape[1] and bool(observed[r, i])
            cells.append((float(table[r, i]) if kind == "share" else int(table[r, i]))
                         if seen else None)  # fmt: skip
        rows.append(tuple(cells))
    basis_en = "first purchase" if m.basis == "first_purchase" else "first join to the pool"
    basis_zh = "首次购买" if m.basis == "first_purchase" else "首次加入私域"
    what_en = "share who bought" if kind == "share" else "net paid"
    what_zh = "购买客户占比" if kind == "share" else "实付金额（减退款）"
    return Section(
        key, titles[0], titles[1], columns, tuple(rows),
        note_en=f"Rows: China month of the {basis_en}; M0 is that month. Cells: {what_en}.",
        note_zh=f"行：{basis_zh}的月份（北京时间），第0月即该月。单元格：{what_zh}。",
    )  # fmt: skip


def _cohorts(fig: ReportFigures, locale: Locale) -> list[Section]:
    return [
        _cohort(fig.purchase_cohorts, "cohorts_purchase",
                ("Retention by first-purchase month", "按首购月份的留存"), "retention", locale),
        _cohort(fig.purchase_cohorts, "cohorts_purchase_revenue",
                ("Revenue by first-purchase month", "按首购月份的销售额"), "revenue", locale),
        _cohort(fig.pool_cohorts, "cohorts_pool",
                ("Retention by pool-join month", "按入池月份的留存"), "retention", locale),
        _cohort(fig.pool_cohorts, "cohorts_pool_revenue",
                ("Revenue by pool-join month", "按入池月份的销售额"), "revenue", locale),
    ]  # fmt: skip


def ladder_sections(m: LadderMigration, locale: Locale) -> list[Section]:
    """The migration matrix between two moments and its moves (up, down, in and out)."""
    labels = ladder.TIER_LABELS[locale]
    columns = (
        Column("tier", "Tier at the start \\ at the end", "期初层级 \\ 期末层级", "text"),
        *(Column(name, ladder.TIER_LABELS["en"][i], ladder.TIER_LABELS["zh-CN"][i])
          for i, name in enumerate(ladder.TIERS)),
        Column("total", "Total", "合计"),
    )  # fmt: skip
    rows: tuple[tuple[Cell, ...], ...] = tuple(
        (labels[i], *(int(v) for v in m.matrix[i]), int(m.matrix[i].sum()))
        for i in range(len(ladder.TIERS))
    )
    moves = (
        Column("moved_up", "Moved up", "升级"),
        Column("moved_down", "Moved down", "降级"),
        Column("stayed", "Stayed", "不变"),
        Column("pool_start", "Pool at the start", "期初私域池"),
        Column("pool_end", "Pool at the end", "期末私域池"),
        Column("joined_pool", "Joined the pool", "加入私域池"),
        Column("left_pool", "Left the pool", "离开私域池"),
    )
    row = (m.moved_up, m.moved_down, m.stayed, m.pool_start, m.pool_end, m.joined_pool,
           m.left_pool)  # fmt: skip
    note = (f"From {m.start.isoformat()} to {m.end.isoformat()} (UTC).",
            f"从 {m.start.isoformat()} 到 {m.end.isoformat()}（UTC）。")  # fmt: skip
    return [
        Section("ladder", "Value-ladder migration", "价值阶梯迁移", columns, rows,
                note_en=note[0], note_zh=note[1]),
        Section("ladder_moves", "Moves on the ladder", "阶梯变动", moves, (row,),
                transposed=True),
    ]  # fmt: skip


CHANNEL_COLUMNS: Final = (
    Column("code", "Channel", "渠道", "text"),
    Column("name", "Name", "名称", "text"),
    Column("kind", "Kind", "类型", "text"),
    Column("joiners", "Joiners", "入池人数"),
    Column("cost", "Cost", "成本", "fen"),
    Column("cac", "CAC", "获客成本 CAC", "fen"),
    Column("bought_30", "Bought within 30 days", "30 天内购买", "share"),
    Column("bought_90", "Bought within 90 days", "90 天内购买", "share"),
    Column("buyers", "Buyers", "购买客户"),
    Column("repurchase_rate", "Repurchase rate", "复购率", "share"),
    Column("clv_per_joiner", "Predicted CLV per joiner", "人均预测 CLV", "fen"),
    Column("ltv", "LTV per joiner", "人均 LTV", "fen"),
    Column("ltv_cac", "LTV / CAC", "LTV / CAC", "ratio"),
    Column("payback", "Payback (months)", "回本周期（月）", "months"),
    Column("lost_7", "Deleted us within 7 days", "7 天内删除", "share"),
    Column("lost_30", "Deleted us within 30 days", "30 天内删除", "share"),
)


def channel_row(f: ChannelFigures, names: dict[int, Named], locale: Locale) -> tuple[Cell, ...]:
    """One channel's figures in CHANNEL_COLUMNS order."""
    named = names.get(f.channel_id) if f.channel_id is not None else None
    if f.channel_id is None:
        code, name, kind = _pick(locale, *NO_CHANNEL), "", ""
    elif named is None:
        code, name, kind = f"#{f.channel_id}", "", ""
    else:
        code, name, kind = named.code, named.name, named.kind
    clv = f.predicted_clv_fen / f.joiners if f.joiners else None
    return (
        code, name, kind, f.joiners, f.cost_fen, f.cac_fen, f.bought_within[0].share,
        f.bought_within[1].share, f.buyers, f.repurchase_rate, clv, f.ltv_fen, f.ltv_cac,
        f.payback_months, f.lost_within[0].share, f.lost_within[1].share,
    )  # fmt: skip


def _channels(fig: ReportFigures, names: dict[int, Named], locale: Locale) -> Section:
    ordered = sorted(fig.channels, key=lambda f: (f.channel_id is None, -f.joiners))
    first = fig.window_first.isoformat()
    return Section(
        "channels", "Channel economics", "渠道经济", CHANNEL_COLUMNS,
        tuple(channel_row(f, names, locale) for f in ordered),
        note_en=f"Customers whose first join to the pool came through the channel, from "
        f"{first}. CAC = cost / joiners; LTV = margin since joining + predicted 12-month CLV; "
        "windows count only joiners old enough.",
        note_zh=f"自 {first} 起首次经该渠道加入私域的客户。CAC = 成本 / 入池人数；"
        "LTV = 入池后毛利 + 预测 12 个月 CLV；时间窗口只统计入池已满该时长的客户。",
    )  # fmt: skip


PRODUCT_FIGURE_COLUMNS: Final = (
    Column("buyers", "Buyers", "购买客户"),
    Column("revenue", "Revenue", "销售额", "fen"),
    Column("first_buyers", "Started with it", "首购含该商品"),
    Column("first_share", "Share of first purchases", "占首购", "share"),
    Column("return_rate", "Came back", "首购后回购率", "share"),
    Column("to_main_rate", "Then bought a main product", "转正装率", "share"),
    Column("repeat_buyers", "Bought it on a return", "回购时购买"),
    Column("repeat_revenue", "Revenue on returns", "回购销售额", "fen"),
    Column("repurchase_rate", "Bought it again", "商品复购率", "share"),
)


def _product_cells(f: ProductFigures, roles: ProductRoles) -> tuple[Cell, ...]:
    return (
        f.buyers, f.revenue_fen, f.first_buyers, roles.first_share(f), f.return_rate,
        f.to_main_rate, f.repeat_buyers, f.repeat_revenue_fen, f.repurchase_rate,
    )  # fmt: skip


def _products(fig: ReportFigures, names: dict[int, Named], locale: Locale) -> list[Section]:
    roles = fig.products
    ordered = sorted(roles.products, key=lambda f: (-f.first_buyers, -f.repeat_buyers, f.key))
    rows = []
    for f in ordered:
        named = names.get(int(f.key))
        sku, name = (named.code, named.name) if named else (f"#{f.key}", "")
        rows.append((sku, name, _role(f.role, locale), *_product_cells(f, roles)))
    by_role = sorted(roles.roles, key=lambda f: _rank(ROLE_ORDER, str(f.key)))
    role_rows = tuple((_role(str(f.key), locale), *_product_cells(f, roles)) for f in by_role)
    first = fig.window_first.isoformat()
    note = (f"Customers whose first purchase was from {first} on, followed to the period's end.",
            f"自 {first} 起首次购买的客户，跟踪至期末。")  # fmt: skip
    return [
        Section("products", "Product roles", "商品角色", (
            Column("sku", "SKU", "商家编码", "text"), Column("name", "Product", "商品", "text"),
            Column("role", "Role", "角色", "text"), *PRODUCT_FIGURE_COLUMNS,
        ), tuple(rows), note_en=note[0], note_zh=note[1]),
        Section("product_roles", "By role", "按商品角色",
                (Column("role", "Role", "角色", "text"), *PRODUCT_FIGURE_COLUMNS), role_rows,
                note_en=note[0], note_zh=note[1]),
    ]  # fmt: skip


def _rank(order: Sequence[str], value: str) -> int:
    return order.index(value) if value in order else len(order)


def sections(
    fig: ReportFigures,
    channels: dict[int, Named],
    products: dict[int, Named],
    locale: Locale,
) -> tuple[Section, ...]:
    """Every table of a report, in reading order."""
    return (
        _overview(fig), _pool(fig, locale), _trend(fig), _repurchase(fig), _funnel(fig),
        *_cohorts(fig, locale), *ladder_sections(fig.ladder, locale),
        _channels(fig, channels, locale), *_products(fig, products, locale),
    )  # fmt: skip


def format_cell(value: Cell, kind: Kind) -> str:
    """A cell for people: yuan with two decimals, shares in percent, '—' for no value."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if kind == "text" or isinstance(value, str):
        return str(value)
    if kind == "fen":
        return format_yuan(round(value))
    if kind == "share":
        return f"{value:.1%}"
    if kind == "days":
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    if kind == "ratio":
        return f"{value:,.2f}"
    return f"{round(value):,}"


def format_change(current: Cell, base: Cell, kind: Kind) -> str:
    """How ``current`` differs from ``base``: percent for amounts, points for shares."""
    if not isinstance(current, int | float) or not isinstance(base, int | float):
        return "—"
    if kind == "share":
        return f"{(current - base) * 100:+.1f} pp"
    if kind == "days":
        return f"{current - base:+.1f}"
    if kind in ("fen", "count", "ratio") and base:
        return f"{(current - base) / abs(base):+.1%}"
    return "—"


def machine_value(value: Cell, kind: Kind) -> str:
    """A cell for files: yuan as an exact decimal, shares as fractions, '' for no value."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if kind == "fen" and isinstance(value, int | float):
        fen = round(value)
        return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".") if kind != "text" else str(value)
    return str(value)


UNITS: Final[dict[Kind, str]] = {
    "text": "text", "count": "count", "fen": "yuan", "share": "share", "days": "days",
    "ratio": "ratio", "months": "months",
}  # fmt: skip


def parse_day(text: str) -> date:
    """A report date: ``YYYY-MM-DD``, or ``YYYY-MM`` / ``YYYY`` for its first day."""
    parts = text.strip().split("-")
    if len(parts) == 1:
        return date(int(parts[0]), 1, 1)
    if len(parts) == 2:
        return date(int(parts[0]), int(parts[1]), 1)
    return date.fromisoformat(text.strip())
