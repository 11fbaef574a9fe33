"""The contact policy's enforcement on both databases: reservations, suppressions with
reasons, outbidding, opt-outs, staff capacity."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.engage.policy import repository, service
from siyu.engage.policy.schemas import Caps, ContactPolicy
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import ValidationError
from siyu.messaging import service as outbox
from siyu.models import ContactSuppression, ContactTouch, OutboxMessage
from tests.fixtures.engage import NOW, consent, contact, customers, identity, staff, touch

TOMORROW_10 = (NOW + timedelta(days=1)).timestamp()


def _people(session: Session, ws: int, cipher: PiiCipher, n: int = 3) -> list[int]:
    ids = customers(session, ws, [{"stage": "silent"}] * n)
    for i, c in enumerate(ids):
        identity(session, ws, c, cipher, "phone", f"1380013800{i}")
        consent(session, ws, c, "sms", True)
    return ids


def _touches(session: Session, ws: int) -> list[tuple[int, str, str, int | None]]:
    rows = session.execute(
        select(ContactTouch.customer_id, ContactTouch.status, ContactTouch.source_kind,
               ContactTouch.source_id)
        .where(ContactTouch.workspace_id == ws).order_by(ContactTouch.id)
    )  # fmt: skip
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _enqueue(session: Session, ws: int, customer: int, touch_id: int, channel: str = "sms") -> int:
    (message,) = outbox.enqueue(
        session, ws, channel=channel, keys=[f"t{touch_id}"], payloads=[{"text": "hi"}],
        send_at=[NOW + timedelta(days=1)], source_kind="campaign", customer_ids=[customer],
        touch_ids=[touch_id],
    )  # fmt: skip
    return message


def test_reserve_writes_touches_and_suppressions(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    a, b, c = _people(session, workspace_id, cipher)
    consent(session, workspace_id, b, "all", False, at=NOW - timedelta(minutes=1))
    touch(session, workspace_id, c, at=NOW + timedelta(days=1, hours=-1))
    request = service.ContactRequest(
        customer_ids=np.array([a, b, c]), channel="sms", value=50.0, send_at=TOMORROW_10,
        source_kind="campaign", source_id=7,
    )  # fmt: skip
    result = service.reserve(session, workspace_id, request, now=NOW)
    assert result.admitted.tolist() == [True, False, False]
    assert result.reasons == ["", "opted_out", "cap_day"]
    assert result.touch_ids[0] > 0 and result.touch_ids[1:].tolist() == [-1, -1]
    assert _touches(session, workspace_id)[-1] == (a, "reserved", "campaign", 7)
    noted = repository.suppressions_of(session, workspace_id, c)
    assert [(s.reason, s.source_kind, s.source_id) for s in noted] == [("cap_day", "campaign", 7)]


def test_rescheduled_message_is_recorded_with_its_new_time(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    (a,) = _people(session, workspace_id, cipher, 1)
    touch(session, workspace_id, a, at=NOW + timedelta(days=1, hours=-1))
    loose = ContactPolicy(overall=Caps(day=1), stages={})
    request = service.ContactRequest(
        customer_ids=np.array([a]), channel="sms", value=5.0, send_at=TOMORROW_10,
        source_kind="campaign", source_id=1, reschedule_days=3,
    )  # fmt: skip
    result = service.reserve(session, workspace_id, request, now=NOW, policy=loose)
    assert result.admitted.tolist() == [True] and result.moved_days.tolist() == [1]
    (noted,) = repository.suppressions_of(session, workspace_id, a)
    assert noted.reason == "cap_day"
    assert noted.rescheduled_to == NOW + timedelta(days=2)


def test_a_more_valuable_message_outbids_a_reserved_one(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    (a,) = _people(session, workspace_id, cipher, 1)

    def ask(value: float, source: int) -> service.ContactRequest:
        return service.ContactRequest(customer_ids=np.array([a]), channel="sms", value=value,
                                      send_at=TOMORROW_10, source_kind="campaign",
                                      source_id=source)  # fmt: skip

    first = service.reserve(session, workspace_id, ask(10.0, 1), now=NOW)
    assert first.admitted.tolist() == [True]
    message = _enqueue(session, workspace_id, a, int(first.touch_ids[0]))
    second = service.reserve(session, workspace_id, ask(90.0, 2), now=NOW)
    assert second.admitted.tolist() == [True]
    assert second.outbid_touch_ids == [int(first.touch_ids[0])]
    assert _touches(session, workspace_id) == [
        (a, "cancelled", "campaign", 1),
        (a, "reserved", "campaign", 2),
    ]
    session.expire_all()
    assert session.get(OutboxMessage, message).status == "cancelled"  # type: ignore[union-attr]
    (noted,) = repository.suppressions_of(session, workspace_id, a)
    assert (noted.reason, noted.source_id) == ("outbid", 1)
    assert service.reserve(session, workspace_id, ask(50.0, 3), now=NOW).reasons == ["cap_day"]


def test_a_reservation_due_soon_is_never_outbid(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    (a,) = _people(session, workspace_id, cipher, 1)
    soon = (NOW + timedelta(minutes=5)).timestamp()
    low = service.ContactRequest(
        customer_ids=np.array([a]),
        channel="sms",
        value=1.0,
        send_at=soon,
        source_kind="campaign",
        source_id=1,
    )
    assert service.reserve(session, workspace_id, low, now=NOW).admitted.tolist() == [True]
    high = service.ContactRequest(
        customer_ids=np.array([a]),
        channel="sms",
        value=99.0,
        send_at=soon,
        source_kind="campaign",
        source_id=2,
    )
    assert service.reserve(session, workspace_id, high, now=NOW).reasons == ["cap_day"]


def test_staff_channel_uses_the_owner_and_capacity(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    ids = customers(session, workspace_id, [{"stage": "active"}] * 3)
    anna = staff(session, workspace_id, "anna", capacity=2)
    for c in ids:
        contact(session, workspace_id, c, staff_id=anna)
    request = service.ContactRequest(
        customer_ids=np.array(ids), channel="staff", value=np.array([5.0, 9.0, 7.0]),
        send_at=TOMORROW_10, source_kind="task",
    )  # fmt: skip
    result = service.reserve(session, workspace_id, request, now=NOW)
    assert result.reasons == ["staff_capacity", "", ""]
    assert result.staff_ids.tolist() == [anna] * 3


def test_policy_is_stored_per_workspace(session: Session, workspace_id: int) -> None:
    assert service.get_policy(session, workspace_id) == ContactPolicy()
    changed = ContactPolicy(overall=Caps(day=2))
    service.set_policy(session, workspace_id, changed)
    assert service.get_policy(session, workspace_id).overall.day == 2
    with pytest.raises(ValueError, match="time zone"):
        ContactPolicy(default_time_zone="Mars/Olympus")
    stored = session.scalars(select(ContactSuppression)).all()
    assert stored == []


def test_an_opt_out_cancels_reserved_contacts_at_once(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    (a,) = _people(session, workspace_id, cipher, 1)
    messages = []
    for channel, day in (("sms", 0), ("console", 7)):  # silent: one contact a week
        request = service.ContactRequest(
            customer_ids=np.array([a]), channel=channel, value=1.0,
            send_at=TOMORROW_10 + day * 86_400, source_kind="campaign", source_id=day,
        )  # fmt: skip
        reserved = service.reserve(session, workspace_id, request, now=NOW)
        assert reserved.admitted.all()
        messages.append(_enqueue(session, workspace_id, a, int(reserved.touch_ids[0]), channel))
    sms_only = service.record_consent(session, workspace_id, a, channel="sms", granted=False,
                                      source="reply TD", now=NOW)  # fmt: skip
    assert len(sms_only) == 1
    statuses = [session.get(OutboxMessage, m).status for m in messages]  # type: ignore[union-attr]
    assert statuses == ["cancelled", "pending"]
    everything = service.record_consent(session, workspace_id, a, channel="all",
                                        granted=False, source="customer", now=NOW)  # fmt: skip
    assert len(everything) == 1
    session.expire_all()
    assert session.get(OutboxMessage, messages[1]).status == "cancelled"  # type: ignore[union-attr]
    assert [t[1] for t in _touches(session, workspace_id)] == ["cancelled", "cancelled"]
    reasons = [s.reason for s in repository.suppressions_of(session, workspace_id, a)]
    assert reasons == ["opted_out", "opted_out"]
    with pytest.raises(ValidationError):
        service.record_consent(session, workspace_id, a, channel="fax", granted=False,
                               source="x", now=NOW)  # fmt: skip


def test_a_merge_moves_contacts_tags_tasks_and_messages(
    session: Session, workspace_id: int
) -> None:
    from siyu.customers.repository import reassign_customer
    from siyu.models import CustomerTag, StaffTask
    from tests.fixtures.engage import staff, tag

    ws = workspace_id
    winner, loser = customers(session, ws, [{}, {}])
    anna = staff(session, ws, "anna")
    tag(session, ws, winner, "vip")
    tag(session, ws, loser, "vip", "baby")
    touched = touch(session, ws, loser, at=NOW)
    _enqueue(session, ws, loser, touched)
    for who in (winner, loser):
        session.add(StaffTask(workspace_id=ws, staff_account_id=anna, customer_id=who,
                              day=NOW.date(), reason="slipping", script="", products=[],
                              expected_value_fen=1.0, rank=1))  # fmt: skip
    session.flush()
    reassign_customer(session, ws, loser=loser, winner=winner)
    session.expire_all()
    assert session.get(ContactTouch, touched).customer_id == winner  # type: ignore[union-attr]
    assert sorted(session.scalars(select(CustomerTag.tag).where(
        CustomerTag.customer_id == winner))) == ["baby", "vip"]  # fmt: skip
    assert session.scalars(select(OutboxMessage.customer_id)).all() == [winner]
    assert session.scalars(select(StaffTask.customer_id)).all() == [winner]


def test_a_customer_time_zone_moves_their_quiet_hours(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    (a,) = _people(session, workspace_id, cipher, 1)
    with pytest.raises(ValidationError):
        service.set_time_zone(session, workspace_id, a, "Mars/Olympus")
    service.set_time_zone(session, workspace_id, a, "America/New_York")
    request = service.ContactRequest(customer_ids=np.array([a]), channel="sms", value=1.0,
                                     send_at=TOMORROW_10, source_kind="campaign")  # fmt: skip
    result = service.reserve(session, workspace_id, request, now=NOW)
    # 10:00 in China is 22:00 the evening before in New York: moved to 09:00 there
    assert result.send_at[0] - TOMORROW_10 == 11 * 3600
