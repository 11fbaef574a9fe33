"""Each audited domain action leaves its entry, inside the action's own transaction:
campaign launches, message sends, consent and contact-policy changes (both databases)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from siyu.audit import service as audit
from siyu.audit.repository import AuditFilter
from siyu.engage.campaigns import tasks
from siyu.engage.policy import service as policy
from siyu.engage.policy.schemas import ContactPolicy
from siyu.kit.crypto import PiiCipher
from siyu.messaging import service as messaging
from siyu.messaging.channels.console import ConsoleChannel
from siyu.models import AuditEntry
from tests.fixtures.engage import NOW
from tests.integration.test_campaigns import _brand, _create

pytestmark = pytest.mark.committed
ACTOR = "user:7"


def _entries(session: Session, workspace_id: int, action: str) -> list[AuditEntry]:
    found, _ = audit.search(session, AuditFilter(workspace_id=workspace_id, action=action),
                            limit=None)  # fmt: skip
    return found


def test_launch_send_consent_and_policy_are_audited(
    committed_session: Session, cipher: PiiCipher
) -> None:
    brand = _brand(committed_session, cipher, 30)
    ws = brand.workspace_id
    _create(brand, channel="console", control_share=0.0, send_at=NOW - timedelta(minutes=5))
    report = tasks.launch(brand.sessions, ws, "spring", now=NOW, actor=ACTOR)
    with brand.sessions() as session:
        (launch,) = _entries(session, ws, "campaign.launch")
    assert launch.actor == ACTOR and launch.target_type == "campaign"
    assert launch.details["code"] == "spring" and launch.details["members"] == report.members
    assert launch.details["queued"] == report.queued > 0

    out = io.StringIO()
    dispatcher = messaging.Dispatcher(brand.sessions, cipher, ws, {"console": ConsoleChannel(out)},
                                      worker="w-audit", lease=timedelta(minutes=5),
                                      clock=lambda: NOW)  # fmt: skip
    sent = dispatcher.run_batch("console", 500)
    with brand.sessions() as session:
        (batch,) = _entries(session, ws, "message.send")
    assert batch.actor == "system" and batch.details["sent"] == sent.sent > 0
    assert batch.details["messages"] == sent.claimed - sent.suppressed
    assert batch.details["channel"] == "console" and batch.details["worker"] == "w-audit"

    customer = brand.customers[0]
    with brand.sessions.begin() as session:
        policy.record_consent(session, ws, customer, channel="sms", granted=False,
                              source="wecom_reply", now=NOW, actor=ACTOR)  # fmt: skip
        policy.set_policy(session, ws, ContactPolicy(), actor=ACTOR)
    with brand.sessions() as session:
        (consent,) = _entries(session, ws, "consent.change")
        (changed,) = _entries(session, ws, "policy.change")
        assert audit.verify(session).ok
    assert (consent.target_type, consent.target_id) == ("customer", str(customer))
    assert consent.details == {"channel": "sms", "purpose": "marketing", "granted": False,
                               "source": "wecom_reply", "cancelled": 0}  # fmt: skip
    assert changed.actor == ACTOR and changed.target_id == "contact_policy"


def test_a_failed_action_leaves_no_entry(committed_session: Session, cipher: PiiCipher) -> None:
    brand = _brand(committed_session, cipher, 3)
    with pytest.raises(Exception, match="consent"), brand.sessions.begin() as session:
        policy.record_consent(session, brand.workspace_id, brand.customers[0], channel="fax",
                              granted=True, source="x", now=NOW, actor=ACTOR)  # fmt: skip
    with brand.sessions() as session:
        assert _entries(session, brand.workspace_id, "consent.change") == []
