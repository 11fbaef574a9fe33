"""The outbox worker on both databases against real local servers: at least once with keys,
retries with backoff into a dead-letter state, a log per attempt, consent checked again at
send time, and a broken channel that slows nothing else."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.kit.crypto import PiiCipher
from siyu.messaging import repository, service
from siyu.messaging.channels.base import Channel
from siyu.messaging.channels.console import ConsoleChannel
from siyu.messaging.channels.email import EmailChannel
from siyu.messaging.channels.sms import SmsGatewayChannel
from siyu.messaging.channels.webhook import WebhookChannel
from siyu.messaging.service import Dispatcher
from siyu.messaging.tasks import Worker, WorkerOptions
from siyu.models import ContactTouch, DeliveryAttempt, OutboxMessage, Workspace
from tests.fixtures.engage import NOW, consent, customers, identity, touch
from tests.servers import HttpEndpoint, SmtpServer

pytestmark = pytest.mark.committed


@dataclass
class Brand:
    engine: Engine
    sessions: sessionmaker[Session]
    workspace_id: int
    customers: list[int]


@pytest.fixture
def brand(committed_session: Session, cipher: PiiCipher) -> Brand:
    session = committed_session
    workspace = Workspace(slug="deliver", name="deliver")
    session.add(workspace)
    session.flush()
    ids = customers(session, workspace.id, [{"stage": "active"}] * 6)
    for i, c in enumerate(ids):
        identity(session, workspace.id, c, cipher, "phone", f"1370013700{i}")
        identity(session, workspace.id, c, cipher, "email", f"user{i}@example.com")
        consent(session, workspace.id, c, "sms", True)
        consent(session, workspace.id, c, "email", True)
    session.commit()
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    return Brand(engine, sessionmaker(bind=engine, expire_on_commit=False), workspace.id, ids)


@pytest.fixture
def servers() -> Iterator[tuple[HttpEndpoint, HttpEndpoint, SmtpServer]]:
    hook = HttpEndpoint(kind="webhook", secret="k").start()
    sms = HttpEndpoint(kind="sms", token="t").start()
    smtp = SmtpServer().start()
    yield hook, sms, smtp
    hook.stop(), sms.stop(), smtp.stop()


def _channels(hook: HttpEndpoint, sms: HttpEndpoint, smtp: SmtpServer,
              timeout: float = 2.0) -> dict[str, Channel]:  # fmt: skip
    return {
        "webhook": WebhookChannel(hook.url, "k", timeout=timeout),
        "sms": SmsGatewayChannel(sms.url, "t", sign="【品牌】", timeout=timeout),
        "email": EmailChannel("127.0.0.1", smtp.port, sender="b@example.com", timeout=timeout,
                              security="none"),
        "console": ConsoleChannel(io.StringIO()),
    }  # fmt: skip


def _enqueue(brand: Brand, channel: str, n: int | None = None, *, tag: str = "m",
             with_touch: bool = False) -> list[int]:  # fmt: skip
    who = (brand.customers * 1000)[: n or len(brand.customers)]
    with brand.sessions.begin() as session:
        touches = [touch(session, brand.workspace_id, c, at=NOW, status="reserved",
                         channel=channel) for c in who] if with_touch else None  # fmt: skip
        return service.enqueue(
            session, brand.workspace_id, channel=channel,
            keys=[f"{tag}:{channel}:{i}" for i in range(len(who))],
            payloads=[{"text": f"你好 {i}", "subject": "s"} for i in range(len(who))],
            send_at=[NOW - timedelta(minutes=1)] * len(who), source_kind="campaign",
            source_id=1, customer_ids=who, touch_ids=touches,
        )  # fmt: skip


def _statuses(brand: Brand) -> dict[str, int]:
    with brand.sessions() as session:
        rows = session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    return {r[0]: r[1] for r in rows}


def _worker(
    brand: Brand, cipher: PiiCipher, channels: dict[str, Channel], **options: float
) -> Worker:
    opts = WorkerOptions(batch=20, concurrency=4, poll_seconds=0.05, max_attempts=3,
                         breaker_threshold=3, breaker_cooldown=30.0, timeout=2.0)  # fmt: skip
    for name, value in options.items():
        setattr(opts, name, value)
    return Worker(brand.sessions, cipher, brand.workspace_id, channels, opts)


def test_every_channel_delivers_and_logs(
    brand: Brand, cipher: PiiCipher, servers: tuple[HttpEndpoint, HttpEndpoint, SmtpServer]
) -> None:
    hook, sms, smtp = servers
    for channel in ("webhook", "sms", "email", "console"):
        _enqueue(brand, channel, with_touch=True)
    reports = _worker(brand, cipher, _channels(*servers)).run(threading.Event(), once=True)
    assert {n: r.sent for n, r in reports.items()} == dict.fromkeys(
        ("console", "email", "sms", "webhook"), 6
    )
    assert _statuses(brand) == {"sent": 24}
    assert len(hook.record.effects) == 6 and len(sms.record.effects) == 6
    assert sorted(b["to"] for b in sms.record.bodies)[0] == "13700137000"
    assert len(smtp.mailbox.messages) == 6
    with brand.sessions() as session:
        assert set(session.scalars(select(ContactTouch.status))) == {"sent"}
        logged = session.scalars(select(DeliveryAttempt.outcome)).all()
        assert len(logged) == 24 and set(logged) == {"sent"}
        stored = str(session.scalars(select(OutboxMessage.payload)).all())
        assert "1370013700" not in stored  # addresses are read and decrypted at send time only


def test_retries_back_off_then_dead_letter(
    brand: Brand, cipher: PiiCipher, servers: tuple[HttpEndpoint, HttpEndpoint, SmtpServer]
) -> None:
    hook = servers[0]
    hook.behaviour.mode = "fail"
    (first, *_) = _enqueue(brand, "webhook", 1, with_touch=True)
    clock = [NOW]
    channels = _channels(*servers)
    dispatcher = Dispatcher(brand.sessions, cipher, brand.workspace_id, channels, worker="w1",
                            lease=timedelta(seconds=60), max_attempts=3,
                            clock=lambda: clock[0])  # fmt: skip
    delays = []
    for _ in range(3):
        report = dispatcher.run_batch("webhook", 10)
        assert report.claimed == 1
        with brand.sessions() as session:
            message = session.get(OutboxMessage, first)
            assert message is not None
            delays.append((message.next_attempt_at - clock[0]).total_seconds())
        assert dispatcher.run_batch("webhook", 10).claimed == 0  # not due before its time
        clock[0] = message.next_attempt_at + timedelta(seconds=1)
    assert 15 <= delays[0] <= 30 and 30 <= delays[1] <= 60  # backoff with equal jitter
    with brand.sessions() as session:
        message = session.get(OutboxMessage, first)
        assert message is not None and message.status == "dead" and message.attempts == 3
        assert "500" in message.last_error or "down" in message.last_error
        log = repository.attempts_of(session, first)
        assert [(a.attempt, a.outcome, a.status_code) for a in log] == [
            (1, "retry", 500),
            (2, "retry", 500),
            (3, "dead", 500),
        ]
        assert session.scalar(select(ContactTouch.status)) == "cancelled"
        revived = repository.requeue_dead(session, brand.workspace_id, clock[0], None)
        session.commit()
    assert revived == 1
    hook.behaviour.mode = "ok"
    assert dispatcher.run_batch("webhook", 10).sent == 1


def test_an_opt_out_after_planning_stops_the_send(
    brand: Brand, cipher: PiiCipher, servers: tuple[HttpEndpoint, HttpEndpoint, SmtpServer]
) -> None:
    _enqueue(brand, "sms", with_touch=True)
    with brand.sessions.begin() as session:
        consent(session, brand.workspace_id, brand.customers[0], "all", False, at=NOW)
    reports = _worker(brand, cipher, _channels(*servers)).run(threading.Event(), once=True)
    assert (reports["sms"].sent, reports["sms"].suppressed) == (5, 1)
    assert _statuses(brand) == {"sent": 5, "suppressed": 1}
    assert "13700137000" not in {b["to"] for b in servers[1].record.bodies}


def test_a_lost_lease_is_taken_over_and_logged(
    brand: Brand, cipher: PiiCipher, servers: tuple[HttpEndpoint, HttpEndpoint, SmtpServer]
) -> None:
    (message,) = _enqueue(brand, "webhook", 1)
    with brand.sessions.begin() as session:  # a worker claimed it, then died
        repository.claim(session, brand.workspace_id, "webhook", worker="dead-worker",
                         now=NOW, lease=timedelta(seconds=5), limit=10)  # fmt: skip
    channels = _channels(*servers)
    later = Dispatcher(
        brand.sessions,
        cipher,
        brand.workspace_id,
        channels,
        worker="w2",
        lease=timedelta(seconds=60),
        clock=lambda: NOW + timedelta(seconds=2),
    )
    assert later.run_batch("webhook", 10).claimed == 0  # the lease still holds
    after = Dispatcher(
        brand.sessions,
        cipher,
        brand.workspace_id,
        channels,
        worker="w2",
        lease=timedelta(seconds=60),
        clock=lambda: NOW + timedelta(seconds=6),
    )
    assert after.run_batch("webhook", 10).sent == 1
    with brand.sessions() as session:
        log = repository.attempts_of(session, message)
        assert [(a.attempt, a.worker, a.outcome) for a in log] == [
            (2, "w2", "sent"),
            (1, "dead-worker", "lost"),
        ]


def test_a_broken_channel_slows_nothing_else(
    brand: Brand, cipher: PiiCipher, servers: tuple[HttpEndpoint, HttpEndpoint, SmtpServer]
) -> None:
    hook, sms, _ = servers
    hook.behaviour.mode, hook.behaviour.hang_seconds = "hang", 5
    sms.behaviour.mode = "fail"
    for channel in ("webhook", "sms"):
        _enqueue(brand, channel, 60)
    _enqueue(brand, "email", 120)
    _enqueue(brand, "console", 300)
    worker = _worker(brand, cipher, _channels(*servers, timeout=0.5), batch=20)
    stop = threading.Event()
    reports: dict[str, object] = {}
    runner = threading.Thread(target=lambda: reports.update(worker.run(stop)))
    started = time.perf_counter()
    runner.start()
    try:
        while _statuses(brand).get("sent", 0) < 420 and time.perf_counter() - started < 60:
            time.sleep(0.1)
        healthy = time.perf_counter() - started
    finally:
        stop.set()
        runner.join()
    assert _statuses(brand).get("sent", 0) == 420
    assert healthy < 20, f"healthy channels took {healthy:.1f} s"
    with brand.sessions() as session:
        spent = dict(session.execute(
            select(OutboxMessage.channel, func.sum(OutboxMessage.attempts))
            .where(OutboxMessage.channel.in_(("webhook", "sms"))).group_by(OutboxMessage.channel)
        ).all())  # fmt: skip
    # the circuit opened after a few failures: most broken messages never spent an attempt
    assert spent["webhook"] <= 25 and spent["sms"] <= 25
    assert {n: r.opened for n, r in reports.items()}["webhook"] >= 1  # type: ignore[attr-defined]


def test_clock_helper() -> None:
    assert NOW.tzinfo is UTC and isinstance(NOW, datetime)
