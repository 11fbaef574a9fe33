"""Caps hold under concurrency: parallel transactions racing to contact the same customers
never put more than a cap's worth of contacts in a day (PostgreSQL row locks taken in id
order; SQLite's single write lock taken before anything is read)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from siyu.db.engine import unit_of_work
from siyu.engage.policy import service
from siyu.kit.crypto import PiiCipher
from siyu.models import ContactSuppression, ContactTouch, Workspace
from tests.fixtures.engage import NOW, consent, customers, identity

pytestmark = pytest.mark.committed

THREADS = 8
ROUNDS = 6
TOMORROW_10 = (NOW + timedelta(days=1)).timestamp()


def test_parallel_reservations_never_exceed_the_day_cap(
    committed_session: Session, cipher: PiiCipher
) -> None:
    session = committed_session
    workspace = Workspace(slug="race", name="race")
    session.add(workspace)
    session.flush()
    ws = workspace.id
    ids = customers(session, ws, [{"stage": "silent"}] * 24)
    for i, c in enumerate(ids):
        identity(session, ws, c, cipher, "phone", f"139001390{i:02d}")
        consent(session, ws, c, "sms", True)
    session.commit()
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(thread: int) -> int:
        rng = random.Random(thread)
        factory = lambda: Session(bind=engine, expire_on_commit=False)  # noqa: E731
        start.wait()
        admitted = 0
        for round_ in range(ROUNDS):
            chosen = np.array(sorted(rng.sample(ids, 10)))
            request = service.ContactRequest(
                customer_ids=chosen, channel=rng.choice(["sms", "console"]),
                value=np.array([rng.uniform(1, 100) for _ in chosen]), send_at=TOMORROW_10,
                source_kind="campaign", source_id=thread * 100 + round_,
            )  # fmt: skip
            try:
                with unit_of_work(factory) as db:  # type: ignore[arg-type]
                    admitted += int(service.reserve(db, ws, request, now=NOW).admitted.sum())
            except BaseException as error:  # collected and checked below
                errors.append(error)
        return admitted

    with ThreadPoolExecutor(THREADS) as pool:
        total = sum(pool.map(work, range(THREADS)))
    assert errors == []
    with Session(engine) as check:
        rows = check.execute(
            select(ContactTouch.customer_id, ContactTouch.local_day, ContactTouch.status).where(
                ContactTouch.workspace_id == ws
            )
        ).all()
        live = Counter((r[0], r[1]) for r in rows if r[2] == "reserved")
        assert live and max(live.values()) == 1  # the default cap: one contact a day
        assert set(live) <= {(c, (NOW + timedelta(days=1)).date()) for c in ids}
        cancelled = sum(1 for r in rows if r[2] == "cancelled")
        assert total == len(live) + cancelled  # every admission either stands or was outbid
        outbid = check.scalars(
            select(ContactSuppression.reason).where(ContactSuppression.reason == "outbid")
        ).all()
        assert len(outbid) == cancelled
