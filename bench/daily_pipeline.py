"""Benchmark: the daily pipeline (`siyu run`) on the embedded default, step by step.

Builds a simulated brand in a SQLite store (not timed; `--store` keeps the file for the next
run, since loading 10M lines through the order writer takes a while), dates every fact's last
change to yesterday, as if loaded then, and runs the pipeline twice:

1. a first run: the snapshot exports everything;
2. a daily run after a day's changes (status changes and refunds on a tenth of the last 30
   days' orders): the snapshot rewrites only the buckets those touched. In a live store ids
   grow with import time; the demo loader numbers orders customer by customer, so "the last
   30 days' orders" are taken as the newest 30/1095 of the ids.

`--heavy` draws a brand of frequent repeat buyers (about 10 order lines per customer), the
shape of the issue's target: 1,000,000 customers and 10,000,000 lines ≈ `--orders 6000000`.

    python bench/daily_pipeline.py [--orders 200000] [--heavy] [--store PATH] [--seed 7]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as day_start
from pathlib import Path

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from siyu.db.engine import make_engine, make_session_factory, unit_of_work
from siyu.db.migrate import upgrade
from siyu.demo.loader import DemoLoader
from siyu.demo.simulator import PopulationParams, simulate_brand
from siyu.kit.crypto import PiiCipher, decode_key, generate_key
from siyu.models import Contact, Order, OrderLine, Workspace
from siyu.scoring.service import run_daily
from siyu.workspaces.service import ensure

HEAVY = PopulationParams(a=0.8, b=12.0, alpha=25.0)
SLUG = "bench"


def _load(sessions: sessionmaker[Session], orders: int, seed: int, heavy: bool) -> None:
    brand = simulate_brand(orders=orders, seed=seed, params=HEAVY if heavy else None)
    started = time.perf_counter()
    with unit_of_work(sessions) as session:
        workspace_id = ensure(session, SLUG).id
        DemoLoader(session, workspace_id, PiiCipher(decode_key(generate_key())), brand).load()
    print(f"loaded {len(brand.orders.order_no):,} orders, {len(brand.lines.order):,} lines "
          f"in {time.perf_counter() - started:.1f} s (not part of the pipeline)")  # fmt: skip


def _as_of_yesterday(sessions: sessionmaker[Session]) -> None:
    """Date every fact's last change to yesterday, as if loaded then (and not by a last run)."""
    with unit_of_work(sessions) as session:
        yesterday = datetime.now(UTC) - timedelta(days=1)
        for model in (Order, Contact):
            session.execute(update(model).values(updated_at=yesterday))


def _a_day_of_changes(session: Session, workspace_id: int) -> int:
    """Touch a tenth of the newest ids' orders as a day of status changes and refunds would."""
    ids = np.asarray(
        session.scalars(select(Order.id).where(Order.workspace_id == workspace_id)).all(),
        dtype=np.int64,
    )
    ids = np.sort(ids)[-max(1, len(ids) * 30 // 1095) :]
    touched = np.random.default_rng(1).choice(ids, size=min(len(ids), len(ids) // 10 + 1))
    session.execute(
        update(Order).where(Order.id.in_(touched.tolist())).values(updated_at=datetime.now(UTC))
    )
    return len(touched)


def main() -> None:
    """Load (or reuse), run twice, print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--heavy", action="store_true", help="about 10 lines per customer")
    parser.add_argument("--store", type=Path, help="SQLite file kept between runs")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="siyu-bench-") as tmp:
        path = args.store or Path(tmp) / "siyu.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions() as session:
            if session.scalar(select(func.count()).select_from(Workspace)) == 0:
                _load(sessions, args.orders, args.seed, args.heavy)
        _as_of_yesterday(sessions)
        with sessions() as session:
            workspace_id = ensure(session, SLUG).id
            last = session.scalar(select(func.max(Order.ordered_at)))
            lines = session.scalar(select(func.count()).select_from(OrderLine))
        assert last is not None
        as_of = datetime.combine(last.date() + timedelta(days=1), day_start(), tzinfo=UTC)
        print(f"store: {lines:,} order lines")
        for label in ("first run (full snapshot)", "daily run (incremental)"):
            if label.startswith("daily"):
                with unit_of_work(sessions) as session:
                    print(f"a day of changes: {_a_day_of_changes(session, workspace_id):,} "
                          "orders updated")  # fmt: skip
            started = time.perf_counter()
            with unit_of_work(sessions) as session:
                report = run_daily(session, workspace_id, root=Path(tmp) / "warehouse", as_of=as_of)
            total = time.perf_counter() - started
            steps = "  ".join(f"{k} {v:.2f}" for k, v in report.seconds.items())
            print(f"{label}: {report.customers:,} customers, {total:.2f} s  [{steps}]")
        engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory MiB {peak:,.0f}   (target: 1M customers / 10M lines under 60 s)")


if __name__ == "__main__":
    main()
