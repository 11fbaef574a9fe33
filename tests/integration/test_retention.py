"""`siyu privacy purge`: what is past its retention goes, the rest stays (clock given)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.kit.crypto import PiiCipher
from siyu.models import (
    DeliveryAttempt,
    OutboxMessage,
    UserAccount,
    WebSession,
    WeComCallback,
)
from siyu.privacy.rules import Retention
from siyu.privacy.service import purge, purge_files

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
OLD, RECENT = NOW - timedelta(days=200), NOW - timedelta(days=2)


def _seed(session: Session, workspace_id: int, cipher: PiiCipher) -> None:
    for n, (when, status) in enumerate(((OLD, "done"), (OLD, "pending"), (RECENT, "done"))):
        session.add(WeComCallback(
            workspace_id=workspace_id, msg_signature=f"sig{n}", event_key=f"ev{n}", sent_at=when,
            received_at=when, payload_enc=cipher.encrypt("<xml>wmPerson</xml>"), status=status,
        ))  # fmt: skip
    for n, (when, status) in enumerate(((OLD, "sent"), (OLD, "pending"), (RECENT, "sent"))):
        message = OutboxMessage(
            workspace_id=workspace_id, channel="sms", idempotency_key=f"k{n}", target="t",
            payload={"text": "hello"}, source_kind="test", status=status, next_attempt_at=when,
            created_at=when, provider_ref="ref",
        )  # fmt: skip
        session.add(message)
        session.flush()
        session.add(DeliveryAttempt(workspace_id=workspace_id, message_id=message.id, attempt=1,
                                    worker="w", started_at=when, outcome="sent",
                                    detail="gateway said ok"))  # fmt: skip
    user = UserAccount(workspace_id=workspace_id, username="retention", password_hash="x",
                       role="admin")  # fmt: skip
    session.add(user)
    session.flush()
    for n, when in enumerate((OLD, RECENT + timedelta(days=10))):
        session.add(WebSession(id=f"retention-{n}", user_id=user.id, csrf_token="c",
                               expires_at=when))  # fmt: skip
    session.flush()


def test_purge_removes_what_is_past_its_time_and_keeps_the_rest(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    _seed(session, workspace_id, cipher)
    report = purge(session, Retention(), now=NOW)
    assert report.rows["wecom"] >= 1 and report.total_rows >= 5
    ws = workspace_id
    callbacks = session.scalars(
        select(WeComCallback.status).where(WeComCallback.workspace_id == ws)
    )
    assert sorted(callbacks) == ["done", "pending"]  # the old pending one waits to be processed
    messages = {m.idempotency_key: m for m in session.scalars(
        select(OutboxMessage).where(OutboxMessage.workspace_id == ws))}  # fmt: skip
    session.expire_all()
    assert len(messages) == 3  # rows stay: the contact ledger counts them
    old_sent = session.get(OutboxMessage, messages["k0"].id)
    assert old_sent is not None and old_sent.payload == {} and old_sent.target == ""
    for key in ("k1", "k2"):  # pending, or recent: untouched
        kept = session.get(OutboxMessage, messages[key].id)
        assert kept is not None and kept.payload == {"text": "hello"}
    attempts = session.scalars(select(DeliveryAttempt.started_at).where(
        DeliveryAttempt.workspace_id == ws))  # fmt: skip
    assert [a.replace(tzinfo=UTC) if a.tzinfo is None else a for a in attempts] == [RECENT]
    sessions = session.scalars(select(WebSession.id).where(WebSession.id.like("retention-%")))
    assert list(sessions) == ["retention-1"]
    # 0 days keeps for ever; a second purge finds nothing more to delete
    assert purge(session, Retention(wecom_callback_days=0, delivery_attempt_days=0,
                                    web_session_days=0, outbox_payload_days=0),
                 now=NOW).total_rows == 0  # fmt: skip


def test_reject_files_and_rotated_logs_go_after_their_days(tmp_path: Path) -> None:
    (tmp_path / "rejects").mkdir()
    (tmp_path / "logs").mkdir()
    old_reject, new_reject = tmp_path / "rejects" / "a.rejects.csv", tmp_path / "rejects" / "b.csv"
    old_log, live_log = tmp_path / "logs" / "siyu.log.1", tmp_path / "logs" / "siyu.log"
    for path in (old_reject, new_reject, old_log, live_log):
        path.write_text("19900001111,林小青\n", encoding="utf-8")
    for path in (old_reject, old_log, live_log):
        os.utime(path, (OLD.timestamp(), OLD.timestamp()))
    os.utime(new_reject, (RECENT.timestamp(), RECENT.timestamp()))
    assert purge_files(tmp_path, Retention(), now=NOW) == 2
    assert not old_reject.exists() and not old_log.exists()
    assert new_reject.exists() and live_log.exists()  # the live log is rotated, not deleted
    assert purge_files(tmp_path, Retention(reject_file_days=0), now=NOW + timedelta(days=99)) == 0
