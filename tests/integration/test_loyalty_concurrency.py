"""Many requests at once against one balance, each thread with its own connection.

PostgreSQL serialises them on the account rows (SELECT … FOR UPDATE in id order); SQLite on
its single write lock, taken before the balance is read. Either way a balance is never
overdrawn, a key posts once, and afterwards the journal and the balances agree.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from siyu.db.engine import unit_of_work
from siyu.loyalty import service
from siyu.loyalty.rules import LoyaltyConflictError
from siyu.loyalty.schemas import EarnCreate, RedeemCreate, SpendCreate, TopupCreate
from siyu.models import LoyaltyPosting, Workspace
from tests.fixtures.loyalty import customers, program_config

pytestmark = pytest.mark.committed

THREADS = 8


def _setup(session: Session) -> tuple[Engine, int, list[int]]:
    workspace = Workspace(slug="race", name="race")
    session.add(workspace)
    session.flush()
    service.apply_program(session, workspace.id, program_config())
    people = customers(session, workspace.id, 2)
    session.commit()
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    return engine, workspace.id, people


def _race(
    engine: Engine, jobs: list[Callable[[Session], Any]]
) -> tuple[list[Any], list[Exception]]:
    """Run each job in its own unit of work, all threads released at once."""
    factory = lambda: Session(bind=engine, expire_on_commit=False)  # noqa: E731
    start = threading.Barrier(THREADS)
    done: list[Any] = []
    failed: list[Exception] = []
    lock = threading.Lock()

    def work(batch: list[Callable[[Session], Any]]) -> None:
        start.wait()
        for job in batch:
            try:
                with unit_of_work(factory) as session:  # type: ignore[arg-type]
                    result = job(session)
                with lock:
                    done.append(result)
            except Exception as error:  # collected and checked by the test
                with lock:
                    failed.append(error)

    batches = [jobs[i::THREADS] for i in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(work, batches))
    return done, failed


def _audit(engine: Engine, workspace_id: int) -> None:
    with Session(engine) as session:
        report = service.audit(session, workspace_id)
        assert report.issues == [], report.issues


def test_parallel_spends_never_overdraw_one_balance(committed_session: Session) -> None:
    engine, ws, (c, _) = _setup(committed_session)
    with Session(engine) as session:
        service.topup(session, ws, TopupCreate(customer_id=c, amount_fen=10_000, key="top"))
        session.commit()
    jobs = [
        lambda s, k=k: service.spend(s, ws, SpendCreate(customer_id=c, amount_fen=300, key=f"s{k}"))
        for k in range(80)
    ]
    done, failed = _race(engine, jobs)
    assert len(done) == 33  # 33 x 300 = 9,900 of 10,000
    assert len(failed) == 47 and all(isinstance(e, LoyaltyConflictError) for e in failed)
    assert {e.key for e in failed} == {"loyalty.insufficient_balance"}  # type: ignore[attr-defined]
    with Session(engine) as session:
        shown = service.balance(session, ws, c)
        assert (shown.principal_fen, shown.bonus_fen) == (100, 0)
        spent = service.audit(session, ws).totals
        assert spent["sv_principal_spent"] == 9_900 and spent["sv_principal"] == 100
    _audit(engine, ws)


def test_the_same_key_sent_in_parallel_posts_once(committed_session: Session) -> None:
    engine, ws, (c, _) = _setup(committed_session)
    body = TopupCreate(customer_id=c, amount_fen=50_000, key="one-top-up")
    done, failed = _race(engine, [lambda s: service.topup(s, ws, body)] * THREADS * 2)
    assert failed == []
    assert len({r.id for r in done}) == 1
    assert sum(not r.replayed for r in done) == 1
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(LoyaltyPosting))
        assert count == 1
        shown = service.balance(session, ws, c)
        assert (shown.principal_fen, shown.bonus_fen) == (50_000, 5_000)
    _audit(engine, ws)


def test_parallel_earning_and_redeeming_keep_lots_and_balances_exact(
    committed_session: Session,
) -> None:
    engine, ws, (c, d) = _setup(committed_session)
    earns = [
        lambda s, k=k: service.earn(s, ws, EarnCreate(customer_id=c, points=10, key=f"e{k}"))
        for k in range(40)
    ]
    redeems = [
        lambda s, k=k: service.redeem(s, ws, RedeemCreate(customer_id=c, points=15, key=f"r{k}"))
        for k in range(40)
    ]
    others = [
        lambda s, k=k: service.topup(s, ws, TopupCreate(customer_id=d, amount_fen=100, key=f"t{k}"))
        for k in range(16)
    ]
    jobs = [job for trio in zip(earns, redeems, others * 3, strict=False) for job in trio]
    done, failed = _race(engine, jobs)
    assert all(isinstance(e, LoyaltyConflictError) for e in failed), failed
    redeemed = sum(1 for r in done if r.kind == "redeem")
    with Session(engine) as session:
        shown = service.balance(session, ws, c)
        assert shown.points == 400 - 15 * redeemed >= 0
        assert service.balance(session, ws, d).principal_fen == 1_600
    _audit(engine, ws)
