"""Build a daily, monthly or annual report: refresh the snapshot, compute every figure
family through siyu.analytics, turn the results into tables. Reads only; never commits."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import ibis
from ibis.expr.types import Table
from sqlalchemy.orm import Session

from siyu.analytics.channels import channel_economics
from siyu.analytics.cohorts import ladder_migration, pool_cohorts, purchase_cohorts
from siyu.analytics.operating import operating_series, pool_quality
from siyu.analytics.periods import Grain, Period, china_date, day_start, period_of, periods_ending
from siyu.analytics.products import product_roles
from siyu.analytics.repurchase import Purchases, prepare, repurchase_figures
from siyu.kit.clock import utcnow
from siyu.loyalty import repository as loyalty
from siyu.reports import repository, rules
from siyu.reports.schemas import Locale, Report, ReportFigures
from siyu.scoring.features import gross_margin
from siyu.warehouse.engine import EngineName, connect, tables
from siyu.warehouse.snapshot import SnapshotWriter

log = logging.getLogger(__name__)
FAMILIES: Final = (
    "snapshot", "profiles", "purchases", "operating", "pool", "repurchase", "cohorts", "ladder",
    "channels", "products",
)  # fmt: skip
Progress = Callable[[str], None]


class Timer:
    """Seconds spent on each family of figures."""

    def __init__(self, progress: Progress | None = None) -> None:
        self.seconds: dict[str, float] = {}
        self.progress = progress

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the block under ``name``."""
        if self.progress is not None:
            self.progress(name)
        started = time.perf_counter()
        yield
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
        log.info("report figures %s done in %.2f s", name, self.seconds[name])


def report_day(orders: Table, requested: date | None, today: date) -> date:
    """The day a report is for: the one asked for, else yesterday (China time), or the last
    day with an order when the data end earlier (a demo brand, a stale import)."""
    if requested is not None:
        return requested
    yesterday = today - timedelta(days=1)
    last = orders.ordered_at.max().execute()
    if last is None or last != last:
        return yesterday
    return min(yesterday, china_date(last.to_pydatetime()))


def compute_figures(
    t: dict[str, Table],
    period: Period,
    *,
    clv: Table | None = None,
    clv_as_of: date | None = None,
    members: tuple[Sequence[int], Sequence[int]] | None = None,
    timer: Timer | None = None,
) -> ReportFigures:
    """Every figure a report shows, as of the end of ``period`` (pure: tables in, results out).

    ``members``: customer ids on the ladder's member rung at the two moments of
    ``rules.migration_bounds`` (none when omitted).
    """
    timer = timer or Timer()
    end = period.until
    with timer.step("purchases"):
        bought = prepare(t["orders"], end, cache=True)
    try:
        return _figures(t, period, bought, clv, clv_as_of, members or ((), ()), timer)
    finally:
        bought.release()


def _figures(
    t: dict[str, Table],
    period: Period,
    bought: Purchases,
    clv: Table | None,
    clv_as_of: date | None,
    members: tuple[Sequence[int], Sequence[int]],
    timer: Timer,
) -> ReportFigures:
    end, first = period.until, rules.window_first(period)
    since = day_start(first)
    with timer.step("operating"):
        trend = periods_ending(period, rules.TREND_LENGTH[period.grain])
        # one pass: the trend holds the period before; add the same period a year earlier
        found = operating_series(t, [*trend, period.a_year_earlier()], prepared=bought)
        series, a_year_earlier = tuple(found[:-1]), found[-1]
        headline = (series[-1], series[-2], a_year_earlier)
    with timer.step("pool"):
        pool = pool_quality(t, end, clv=clv, prepared=bought)
    with timer.step("repurchase"):
        repurchase = repurchase_figures(t["orders"], end, prepared=bought)
    with timer.step("cohorts"):
        by_purchase = purchase_cohorts(t["orders"], end, first_cohort=first, prepared=bought)
        by_join = pool_cohorts(t["orders"], t["contacts"], end, first_cohort=first, prepared=bought)
    with timer.step("ladder"):
        start, _ = rules.migration_bounds(period)
        ladder = ladder_migration(t, start, end, prepared=bought, members_start=members[0],
                                  members_end=members[1])  # fmt: skip
    with timer.step("channels"):
        margin = gross_margin(t["order_lines"])
        channels = channel_economics(
            t, end, joined_from=since, clv=clv, margin=margin, prepared=bought
        )
    with timer.step("products"):
        products = product_roles(
            t["orders"], t["order_lines"], end, acquired_from=since, prepared=bought
        )
    return ReportFigures(
        period=period, headline=headline, trend=series, pool=pool, repurchase=repurchase,
        purchase_cohorts=by_purchase, pool_cohorts=by_join, ladder=ladder,
        channels=tuple(channels), products=products, window_first=first, margin=margin,
        clv_as_of=clv_as_of,
    )  # fmt: skip


def build_report(
    session: Session,
    workspace_id: int,
    *,
    root: Path,
    grain: Grain,
    day: date | None = None,
    engine: EngineName = "duckdb",
    locale: Locale = "zh-CN",
    refresh: bool = True,
    progress: Progress | None = None,
) -> Report:
    """Refresh the snapshot (committed data) and build the report of the period of ``grain``
    that holds ``day`` (see ``report_day`` for the default)."""
    timer = Timer(progress)
    if refresh:
        with timer.step("snapshot"):
            SnapshotWriter(session.get_bind().engine, workspace_id, root).refresh()
    t = tables(connect(engine), root)
    period = period_of(grain, report_day(t["orders"], day, china_date(utcnow())))
    with timer.step("profiles"):
        clv_rows, clv_as_of = repository.published_clv(session, workspace_id)
        clv = ibis.memtable(clv_rows) if clv_as_of is not None else None
        members = tuple(
            loyalty.ladder_members(session, workspace_id, moment)
            for moment in rules.migration_bounds(period)
        )
    figures = compute_figures(
        t, period, clv=clv, clv_as_of=clv_as_of, members=(members[0], members[1]), timer=timer
    )
    channels = repository.channel_names(session, workspace_id)
    products = repository.product_names(session, workspace_id)
    return Report(
        grain=grain,
        figures=figures,
        sections=rules.sections(figures, channels, products, locale),
        generated_at=utcnow(),
        seconds=timer.seconds,
    )
