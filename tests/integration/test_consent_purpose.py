"""Consent per purpose: service messages need no marketing opt-in and ignore a marketing
opt-out, but honour a withdrawal of service consent — in the policy and at the worker."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.db.engine import make_session_factory
from siyu.engage.policy import service
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import ValidationError
from siyu.messaging import service as outbox
from siyu.messaging.channels.console import ConsoleChannel
from siyu.models import ConsentRecord, OutboxMessage, Workspace
from tests.fixtures.engage import NOW, consent, customers, identity

TOMORROW_10 = (NOW + timedelta(days=1)).timestamp()


def _people(session: Session, ws: int, cipher: PiiCipher) -> list[int]:
    """a: opted out of all marketing; b: withdrew service SMS; c: marketing SMS opt-in;
    d: no consent recorded at all."""
    a, b, c, d = customers(session, ws, [{"stage": "silent"}] * 4)
    for i, who in enumerate((a, b, c, d)):
        identity(session, ws, who, cipher, "phone", f"1390013900{i}")
    for who in (a, b, c):
        consent(session, ws, who, "sms", True)
    consent(session, ws, a, "all", False, at=NOW - timedelta(days=1))
    consent(session, ws, b, "sms", False, at=NOW - timedelta(days=1), purpose="service")
    return [a, b, c, d]


def test_the_policy_decides_each_purpose_by_its_own_consent(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    people = _people(session, workspace_id, cipher)
    asked = {"customer_ids": np.array(people), "channel": "sms", "value": 1.0,
             "send_at": TOMORROW_10, "source_kind": "campaign"}  # fmt: skip
    marketing = service.evaluate(session, workspace_id, service.ContactRequest(**asked), now=NOW)
    assert marketing.reasons == ["opted_out", "", "", "no_consent"]
    notices = service.ContactRequest(**asked | {"source_kind": "service"}, purpose="service")
    served = service.reserve(session, workspace_id, notices, now=NOW)
    assert served.reasons == ["", "opted_out", "", ""]
    with pytest.raises(ValidationError) as error:
        service.evaluate(session, workspace_id, service.ContactRequest(
            **asked, purpose="gossip"), now=NOW)  # fmt: skip
    assert error.value.key == "consent.unknown_purpose"
    assert "gossip" in error.value.message("zh-CN") and "service" in error.value.message("en")


def test_record_consent_keeps_the_purpose_and_refuses_an_unknown_one(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    a = _people(session, workspace_id, cipher)[3]
    service.record_consent(session, workspace_id, a, channel="sms", granted=False,
                           source="hotline", now=NOW, purpose="service")  # fmt: skip
    row = session.scalars(select(ConsentRecord).where(ConsentRecord.customer_id == a)).one()
    assert (row.purpose, row.granted, row.source) == ("service", False, "hotline")
    with pytest.raises(ValidationError):
        service.record_consent(session, workspace_id, a, channel="sms", granted=True,
                               source="x", now=NOW, purpose="nope")  # fmt: skip
    assert session.scalars(select(ConsentRecord).where(ConsentRecord.customer_id == a)).all()


@pytest.mark.committed
def test_the_worker_rechecks_the_purpose_of_each_message(
    session: Session, cipher: PiiCipher
) -> None:
    ws = Workspace(slug="purpose", name="Purpose")
    session.add(ws)
    session.flush()
    a, b, c, _ = _people(session, ws.id, cipher)
    consent(session, ws.id, b, "all", False, at=NOW - timedelta(hours=1), purpose="service")
    due = [NOW - timedelta(minutes=1)]
    ids = {}
    for key, who, purpose in (
        ("a-service", a, "service"),
        ("a-marketing", a, "marketing"),
        ("b-service", b, "service"),
        ("c-marketing", c, "marketing"),
    ):
        ids[key] = outbox.enqueue(
            session,
            ws.id,
            channel="console",
            keys=[key],
            payloads=[{"text": "您的订单已发货"}],
            send_at=due,
            source_kind="test",
            customer_ids=[who],
            purpose=purpose,
        )[0]
    session.commit()  # fmt: skip
    sessions = make_session_factory(session.get_bind())  # type: ignore[arg-type]
    sink = io.StringIO()
    dispatcher = outbox.Dispatcher(sessions, cipher, ws.id, {"console": ConsoleChannel(sink)},
                                   worker="test", lease=timedelta(minutes=5))  # fmt: skip
    report = dispatcher.run_batch("console", 10)
    assert (report.sent, report.suppressed) == (2, 2)
    with sessions() as check:
        status = {k: check.get(OutboxMessage, i).status for k, i in ids.items()}  # type: ignore[union-attr]
    assert status == {"a-service": "sent", "a-marketing": "suppressed",
                      "b-service": "suppressed", "c-marketing": "sent"}  # fmt: skip
