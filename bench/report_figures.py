"""Benchmark: `siyu report daily|monthly|annual` on a simulated brand, figure family by family.

Builds a demo brand in a SQLite store and publishes its profiles (not timed), or reuses a
store built by this script or by `bench/daily_pipeline.py` (`--store PATH`, workspace
`bench`; like that script it upgrades the store's schema, then only reads it). Then, for
each report, times the snapshot refresh (a full export the first time, incremental after),
every family of figures and each export (CSV, XLSX, HTML, PDF), and prints the peak memory.
The issue's target data, 1,000,000 customers and 10,000,000 lines:

    python bench/daily_pipeline.py --heavy --orders 6000000 --store /tmp/big.db
    python bench/report_figures.py --store /tmp/big.db

    python bench/report_figures.py [--orders 60000] [--store PATH] [--engine duckdb]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.db.engine import make_engine, make_session_factory, unit_of_work
from siyu.db.migrate import upgrade
from siyu.demo.loader import DemoLoader
from siyu.demo.simulator import simulate_brand
from siyu.kit.crypto import PiiCipher, decode_key, generate_key
from siyu.models import Order, OrderLine, Workspace
from siyu.reports import exports, summary
from siyu.reports.schemas import Report
from siyu.reports.service import build_report
from siyu.scoring.service import run_daily
from siyu.workspaces.service import ensure, require

SLUG = "bench"
GRAINS = (("daily", "day"), ("monthly", "month"), ("annual", "year"))


def _build(sessions: sessionmaker[Session], orders: int, seed: int, warehouse: Path) -> None:
    started = time.perf_counter()
    brand = simulate_brand(orders=orders, seed=seed)
    with unit_of_work(sessions) as session:
        workspace_id = ensure(session, SLUG).id
        DemoLoader(session, workspace_id, PiiCipher(decode_key(generate_key())), brand).load()
    end = datetime.combine(brand.end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    with unit_of_work(sessions) as session:
        run_daily(session, workspace_id, root=warehouse, as_of=end)
    print(f"built a brand of {orders:,} orders and published its profiles in "
          f"{time.perf_counter() - started:.1f} s (not timed below)")  # fmt: skip


def _exports(report: Report, folder: Path, title: str) -> dict[str, float]:
    seconds = {}
    for kind in ("csv", "xlsx", "html", "pdf"):
        path = folder / f"{title}.{kind}"
        started = time.perf_counter()
        if kind == "csv":
            exports.write_csv(report, path, "zh-CN")
        elif kind == "xlsx":
            exports.write_xlsx(report, path, "zh-CN", title)
        elif kind == "html":
            summary.write_html(report, path, "zh-CN", title)
        else:
            summary.write_pdf(report, path, "zh-CN", title)
        seconds[kind] = time.perf_counter() - started
    return seconds


def main() -> None:
    """Build (or reuse) a store, then time each report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=60_000, help="when building a store")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--store", type=Path, help="SQLite file to reuse")
    parser.add_argument("--engine", choices=("duckdb", "pyspark"), default="duckdb")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="siyu-report-bench-") as tmp:
        folder, warehouse = Path(tmp), Path(tmp) / "warehouse"
        path = args.store or folder / "siyu.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions() as session:
            empty = session.scalar(select(func.count()).select_from(Workspace)) == 0
        if empty:
            _build(sessions, args.orders, args.seed, warehouse)
        with sessions() as session:
            workspace_id = require(session, SLUG).id
            lines = session.scalar(
                select(func.count()).select_from(OrderLine).join(Order)
                .where(Order.workspace_id == workspace_id)
            )  # fmt: skip
        print(f"store: {lines:,} order lines; engine {args.engine}")
        for name, grain in GRAINS:
            started = time.perf_counter()
            with sessions() as session:
                report = build_report(session, workspace_id, root=warehouse, grain=grain,
                                      engine=args.engine)  # fmt: skip
                session.rollback()
            total = time.perf_counter() - started
            families = "  ".join(f"{k} {v:.2f}" for k, v in report.seconds.items())
            written = _exports(report, folder, name)
            files = "  ".join(f"{k} {v:.2f}" for k, v in written.items())
            print(f"siyu report {name} ({report.period.label}): {total:.2f} s  [{families}]"
                  f"  exports [{files}]")  # fmt: skip
        engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory MiB {peak:,.0f}")


if __name__ == "__main__":
    main()
