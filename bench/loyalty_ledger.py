"""Benchmark: loyalty journal entries posted per second on SQLite and PostgreSQL.

Three workloads on a fresh store per backend:

* requests: one request per transaction, as the API and the CLI post (a mix of 30% earn,
  20% redeem, 20% top-up, 30% stored-value spend over a few hundred customers), each with its own
  idempotency key, locks and balance updates;
* parallel: the same mix from several threads at once (PostgreSQL only; SQLite has one
  writer), half of them on one hot customer;
* bulk: `earn_orders` crediting points for many paid orders in one transaction (the path
  the demo and an import use).

Then the ledger audit over everything posted. Prints seconds, postings and entries per
second, and peak memory. PostgreSQL is a throwaway server started from the local binaries
(fsync off, like the test server) unless --url names one.

    python bench/loyalty_ledger.py [--requests 4000] [--orders 50000] [--threads 4] [--url …]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.pgserver

from tests.pgserver import PostgresServer

from siyu.db import bulk
from siyu.db.engine import make_engine, make_session_factory, unit_of_work
from siyu.db.migrate import upgrade
from siyu.demo.loyalty import DEMO_PROGRAM
from siyu.kit.errors import SiyuError
from siyu.loyalty import service
from siyu.loyalty.schemas import EarnCreate, RedeemCreate, SpendCreate, TopupCreate
from siyu.models import Customer, LoyaltyEntry, LoyaltyPosting, Order, Shop
from siyu.workspaces.service import ensure

T0 = datetime(2025, 6, 1, tzinfo=UTC)


def _setup(sessions: sessionmaker[Session], customers: int) -> tuple[int, list[int]]:
    with unit_of_work(sessions) as session:
        workspace_id = ensure(session, "bench").id
        service.apply_program(session, workspace_id, DEMO_PROGRAM)
        ids = bulk.insert_returning_ids(
            session, Customer, [{"workspace_id": workspace_id} for _ in range(customers)]
        )
    return workspace_id, ids


def _request(
    workspace_id: int, customer: int, key: str, rng: random.Random
) -> Callable[[Session], Any]:
    """One request of the mix (a refused one, e.g. too little balance, still counts as done)."""
    roll = rng.random()
    if roll < 0.3:
        body: Any = EarnCreate(customer_id=customer, points=rng.randint(10, 500), key=key)
        return lambda s: service.earn(s, workspace_id, body, at=T0)
    if roll < 0.5:
        body = RedeemCreate(customer_id=customer, points=rng.randint(10, 200), key=key)
        return lambda s: service.redeem(s, workspace_id, body, at=T0)
    if roll < 0.7:
        body = TopupCreate(customer_id=customer, amount_fen=rng.choice((20_000, 50_000)), key=key)
        return lambda s: service.topup(s, workspace_id, body, at=T0)
    body = SpendCreate(customer_id=customer, amount_fen=rng.randint(100, 30_000), key=key)
    return lambda s: service.spend(s, workspace_id, body, at=T0)


def _run(sessions: sessionmaker[Session], jobs: list[Callable[[Session], Any]]) -> int:
    refused = 0
    for job in jobs:
        try:
            with unit_of_work(sessions) as session:
                job(session)
        except SiyuError:
            refused += 1
    return refused


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        postings = session.scalar(select(func.count()).select_from(LoyaltyPosting)) or 0
        entries = session.scalar(select(func.count()).select_from(LoyaltyEntry)) or 0
    return postings, entries


def _report(label: str, seconds: float, postings: int, entries: int, extra: str = "") -> None:
    print(
        f"  {label:<10} {seconds:>7.2f} s  {postings:>8,} postings {postings / seconds:>8,.0f}/s"
        f"  {entries:>8,} entries {entries / seconds:>8,.0f}/s  {extra}"
    )


def requests(
    sessions: sessionmaker[Session], workspace_id: int, customers: list[int], n: int
) -> None:
    """Sequential requests, one transaction each."""
    rng = random.Random(1)
    jobs = [_request(workspace_id, rng.choice(customers), f"r{k}", rng) for k in range(n)]
    before = _counts(sessions)
    started = time.perf_counter()
    refused = _run(sessions, jobs)
    seconds = time.perf_counter() - started
    after = _counts(sessions)
    _report("requests", seconds, after[0] - before[0], after[1] - before[1],
            f"({refused:,} refused by the rules)")  # fmt: skip


def parallel(
    sessions: sessionmaker[Session], workspace_id: int, customers: list[int], n: int, threads: int
) -> None:
    """The mix from several threads at once; half the requests on one hot customer."""
    rng = random.Random(2)
    hot = customers[0]
    jobs = [
        _request(workspace_id, hot if k % 2 else rng.choice(customers), f"p{k}", rng)
        for k in range(n)
    ]
    before = _counts(sessions)
    refused: list[int] = []
    started = time.perf_counter()
    workers = [
        threading.Thread(target=lambda i=i: refused.append(_run(sessions, jobs[i::threads])))
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    after = _counts(sessions)
    _report("parallel", seconds, after[0] - before[0], after[1] - before[1],
            f"({threads} threads, {sum(refused):,} refused)")  # fmt: skip


def bulk_earn(
    sessions: sessionmaker[Session], workspace_id: int, customers: list[int], n: int
) -> None:
    """Points for `n` paid orders in one transaction."""
    rng = random.Random(3)
    with unit_of_work(sessions) as session:
        shop = Shop(workspace_id=workspace_id, code="bench", name="bench", platform="tmall",
                    domain="public")  # fmt: skip
        session.add(shop)
        session.flush()
        rows = [
            {
                "workspace_id": workspace_id,
                "shop_id": shop.id,
                "customer_id": rng.choice(customers),
                "platform_order_id": f"b{k}",
                "status": "completed",
                "ordered_at": T0 - timedelta(minutes=k),
                "paid_fen": rng.randint(990, 59_900),
                "fingerprint": "x",
            }
            for k in range(n)
        ]
        bulk.insert_rows(session, Order, rows)
    before = _counts(sessions)
    started = time.perf_counter()
    with unit_of_work(sessions) as session:
        run = service.earn_orders(session, workspace_id, until=T0)
    seconds = time.perf_counter() - started
    after = _counts(sessions)
    _report("bulk", seconds, after[0] - before[0], after[1] - before[1],
            f"({run.orders:,} orders, {run.points:,} points)")  # fmt: skip


def audit(sessions: sessionmaker[Session], workspace_id: int) -> None:
    """The audit over everything posted."""
    started = time.perf_counter()
    with sessions() as session:
        report = service.audit(session, workspace_id)
    seconds = time.perf_counter() - started
    status = "clean" if report.ok else f"{len(report.issues)} ISSUES"
    print(f"  audit      {seconds:>7.2f} s  {report.accounts:,} accounts, "
          f"{report.entries:,} entries: {status}")  # fmt: skip


def bench(label: str, engine: Engine, args: argparse.Namespace) -> None:
    """All workloads on one store."""
    upgrade(engine)
    sessions = make_session_factory(engine)
    workspace_id, customers = _setup(sessions, args.customers)
    print(f"{label}:")
    active = customers[: args.active]  # a few hundred customers, so their balances build up
    requests(sessions, workspace_id, active, args.requests)
    if engine.dialect.name == "postgresql":
        parallel(sessions, workspace_id, active, args.requests, args.threads)
    bulk_earn(sessions, workspace_id, customers, args.orders)
    audit(sessions, workspace_id)
    engine.dispose()


def main() -> None:
    """Run the benchmark on SQLite and PostgreSQL and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4_000)
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--active", type=int, default=200, help="customers sending requests")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--url", default="", help="a PostgreSQL URL (default: start one)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="siyu-bench-") as tmp:
        if args.only != "postgresql":
            bench("SQLite (WAL, one file)", make_engine(f"sqlite:///{Path(tmp) / 'siyu.db'}"), args)
        if args.only != "sqlite":
            server = None
            url = args.url
            if not url:
                server = PostgresServer()
                server.start()
                url = server.create_database("bench")
            try:
                bench("PostgreSQL", make_engine(url, pool_size=args.threads + 2), args)
            finally:
                if server is not None:
                    server.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory MiB {peak:,.0f}")


if __name__ == "__main__":
    main()
