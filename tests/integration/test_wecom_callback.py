"""End to end: a fake WeCom server delivers callbacks to siyu's callback endpoint.

Joins land as contacts attributed to their channel code and cost; forged, stale and
replayed callbacks are refused and logged; nothing is lost across a restart mid-callback.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.channels import service as channels
from siyu.channels.schemas import ChannelCodeCreate
from siyu.db.engine import make_session_factory, unit_of_work
from siyu.kit.crypto import PiiCipher
from siyu.models import (
    ChannelCost,
    ChannelJoin,
    Contact,
    Customer,
    GroupChat,
    GroupMember,
    Identity,
    OutboxMessage,
    Referral,
    ReferralReward,
    StaffAccount,
    WeComCallback,
    Workspace,
)
from siyu.pool.service import Directory
from siyu.referral import service as referrals
from siyu.referral.schemas import CampaignCreate, CampaignRules, RewardRule
from siyu.wecom import service as wecom_service
from siyu.wecom.callback import CallbackReceiver
from siyu.wecom.client import WeComClient
from siyu.wecom.crypto import WeComCrypto
from siyu.wecom.httpserver import make_server, serve_in_thread
from tests.fakes import wecom as fake_codes
from tests.fakes.wecom import FakeWeCom, chat_event, contact_event, post

pytestmark = pytest.mark.committed


@dataclass
class Env:
    fake: FakeWeCom
    receiver: CallbackReceiver
    sessions: sessionmaker[Session]
    workspace_id: int
    cipher: PiiCipher

    def wait_for(self, check: Callable[[Session], Any], timeout: float = 15) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            with unit_of_work(self.sessions) as s:
                found = check(s)
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def contacts(self, s: Session) -> list[Contact]:
        return list(s.scalars(select(Contact).where(Contact.workspace_id == self.workspace_id)))


@pytest.fixture
def env(session: Session, cipher: PiiCipher) -> Iterator[Env]:
    engine = session.get_bind()
    sessions = make_session_factory(engine)  # type: ignore[arg-type]
    with unit_of_work(sessions) as s:
        ws = Workspace(slug=f"ws-{uuid.uuid4().hex[:6]}", name="brand")
        s.add(ws)
        s.flush()
        directory = Directory(s, ws.id)
        for code in ("wecom_a", "wecom_b", "wecom_c"):
            directory.staff_account(code, name=code, daily_capacity=100)
        channels.create_code(
            s,
            ws.id,
            ChannelCodeCreate(
                code="pkg_card_q3",
                name="包裹卡 Q3",
                channel="package_card",
                channel_kind="package_card",
                staff=["wecom_a", "wecom_b"],
                backup_staff=["wecom_c"],
                welcome_text="欢迎加入拾光茶事！回复 1 领取冲泡指南。",
                tag_ids=["etPkgCard"],
                cost_per_join_fen=300,
            ),
        )
        workspace_id = ws.id
    with FakeWeCom() as fake:
        client = WeComClient(fake.corp_id, fake.secret, base_url=fake.url, sleep=lambda s: None)
        crypto = WeComCrypto(fake.token, fake.aes_key, fake.corp_id)
        receiver = CallbackReceiver(
            crypto=crypto,
            sessions=sessions,
            workspace_id=workspace_id,
            cipher=cipher,
            client=client,
        )
        server = make_server(receiver)
        serve_in_thread(server)
        fake.callback_url = f"http://127.0.0.1:{server.server_address[1]}/wecom/callback"
        try:
            yield Env(fake, receiver, sessions, workspace_id, cipher)
        finally:
            server.shutdown()
            server.server_close()


def test_url_verification(env: Env) -> None:
    status, answer, expected = env.fake.verify_url()
    assert (status, answer) == (200, expected)


def test_a_join_lands_as_an_attributed_contact_with_welcome_and_tag(env: Env) -> None:
    status, body = env.fake.customer_adds(
        "wecom_a",
        "wmJoiner0001",
        state="pkg_card_q3",
        name="王小二",
        unionid="oUjoiner1",
        phone="13912345678",
    )
    assert (status, body) == (200, "success")
    contacts = env.wait_for(env.contacts)
    assert len(contacts) == 1
    with unit_of_work(env.sessions) as s:
        contact = s.scalars(select(Contact)).one()
        join = s.scalars(select(ChannelJoin)).one()
        staff = s.get(StaffAccount, contact.staff_account_id)
        assert staff is not None and staff.code == "wecom_a"
        code = channels.require_code(s, env.workspace_id, "pkg_card_q3")
        assert contact.channel_id == code.channel_id and contact.carrier == "wecom"
        assert (join.outcome, join.cost_fen, join.channel_code_id) == ("attributed", 300, code.id)
        cost = s.scalars(select(ChannelCost).where(ChannelCost.channel_id == code.channel_id)).one()
        assert cost.amount_fen == 300
        kinds = {(i.kind, i.masked) for i in s.scalars(select(Identity))}
        assert ("phone", "139****5678") in kinds and any(k == "unionid" for k, _ in kinds)
        assert any(k == "external_userid" for k, _ in kinds)
        for identity in s.scalars(select(Identity)):  # personal data never stored in clear
            assert b"13912345678" not in identity.value_enc
        row = s.scalars(select(WeComCallback)).one()
        assert row.status == "done" and b"wmJoiner0001" not in row.payload_enc
    assert env.wait_for(lambda s: env.fake.welcomes and env.fake.tags)
    assert env.fake.welcomes[0]["text"]["content"].startswith("欢迎加入")
    assert env.fake.tags[0] == {
        "userid": "wecom_a",
        "external_userid": "wmJoiner0001",
        "add_tag": ["etPkgCard"],
    }


def test_forged_callback_is_refused_and_logged(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    forger = FakeWeCom(corp_id=env.fake.corp_id, token="guessed-token", aes_key=env.fake.aes_key)
    query, body = forger.signed_request(
        contact_event(
            "add_external_contact",
            env.fake.corp_id,
            int(time.time()),
            {"UserID": "wecom_a", "ExternalUserID": "wmForged"},
        )
    )
    with caplog.at_level(logging.WARNING, logger="siyu"):
        status, text = post(env.fake.callback_url, query, body)
    assert status == 403 and "signature" in text
    assert "refused" in caplog.text and "wmForged" not in caplog.text
    assert env.wait_for(lambda s: s.scalars(select(WeComCallback)).all(), timeout=0.3) == []


def test_replayed_and_stale_callbacks_are_refused(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    message = contact_event(
        "add_external_contact",
        env.fake.corp_id,
        int(time.time()),
        {"UserID": "wecom_b", "ExternalUserID": "wmReplay"},
    )
    query, body = env.fake.signed_request(message)
    assert post(env.fake.callback_url, query, body) == (200, "success")
    with caplog.at_level(logging.WARNING, logger="siyu"):
        status, text = post(env.fake.callback_url, query, body)
    assert status == 403 and "replay" in text
    old = str(int(time.time()) - 3600)
    stale_query, stale_body = env.fake.signed_request(message, timestamp=old)
    status, text = post(env.fake.callback_url, stale_query, stale_body)
    assert status == 403 and "36" in text
    assert "replayed" in caplog.text and "stale" in caplog.text
    # WeCom retrying the same message with a fresh signature is stored once, answered success
    assert env.fake.deliver(message) == (200, "success")
    assert len(env.wait_for(env.contacts)) == 1
    with unit_of_work(env.sessions) as s:
        assert len(s.scalars(select(WeComCallback)).all()) == 1


def test_malformed_callbacks_have_clear_answers(env: Env) -> None:
    status, text = post(env.fake.callback_url, {"timestamp": "1"}, b"<xml/>")
    assert status == 400 and "msg_signature" in text
    query = {"msg_signature": "0" * 40, "timestamp": str(int(time.time())), "nonce": "1"}
    status, text = post(env.fake.callback_url, query, b"this is not xml")
    assert status == 400 and "not a WeCom callback" in text
    # a correctly signed and encrypted message that is not XML inside
    query, body = env.fake.signed_request("garbage inside")
    status, _ = post(env.fake.callback_url, query, body)
    assert status == 400


def test_restart_after_storing_loses_nothing(env: Env, cipher: PiiCipher) -> None:
    message = contact_event(
        "add_external_contact",
        env.fake.corp_id,
        int(time.time()),
        {"UserID": "wecom_b", "ExternalUserID": "wmRestart", "State": "pkg_card_q3"},
    )
    query, body = env.fake.signed_request(message)
    # the service stores the event and dies before processing it
    assert env.receiver.handle_callback(query, body) == "success"
    with unit_of_work(env.sessions) as s:
        assert env.contacts(s) == []
    restarted = CallbackReceiver(
        crypto=env.receiver.crypto,
        sessions=env.sessions,
        workspace_id=env.workspace_id,
        cipher=cipher,
    )
    report = restarted.process_pending()
    assert report.processed == 1 and report.outcomes[0].startswith("attributed")
    assert restarted.process_pending().processed == 0
    with unit_of_work(env.sessions) as s:
        assert len(env.contacts(s)) == 1


def test_a_crash_while_processing_is_retried_and_lands_once(env: Env) -> None:
    calls = {"n": 0}

    def crash_once(*args: object) -> str | None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("power cut")
        return None

    wecom_service.JOIN_HOOKS.append(crash_once)
    try:
        message = contact_event(
            "add_external_contact",
            env.fake.corp_id,
            int(time.time()),
            {"UserID": "wecom_a", "ExternalUserID": "wmCrash", "State": "pkg_card_q3"},
        )
        query, body = env.fake.signed_request(message)
        env.receiver.handle_callback(query, body)
        first = env.receiver.process_pending()
        assert (first.processed, first.failed) == (0, 1)
        with unit_of_work(env.sessions) as s:
            row = s.scalars(select(WeComCallback)).one()
            assert (row.status, row.attempts) == ("pending", 1)
            assert "RuntimeError" in row.outcome
            assert env.contacts(s) == []
        second = env.receiver.process_pending()
        assert second.processed == 1
    finally:
        wecom_service.JOIN_HOOKS.remove(crash_once)
    with unit_of_work(env.sessions) as s:
        assert len(env.contacts(s)) == 1
        assert len(s.scalars(select(ChannelJoin)).all()) == 1


def test_unknown_expired_codes_and_removed_staff_still_land(env: Env) -> None:
    with unit_of_work(env.sessions) as s:
        code = channels.require_code(s, env.workspace_id, "pkg_card_q3")
        code.ends_at = datetime.now(UTC) - timedelta(days=1)
        staff = s.scalars(select(StaffAccount).where(StaffAccount.code == "wecom_c")).one()
        staff.active = False
    env.fake.customer_adds("wecom_a", "wmUnknown", state="no_such_code")
    env.fake.customer_adds("wecom_b", "wmExpired", state="pkg_card_q3")
    env.fake.customer_adds("wecom_a", "wmNoCode")
    env.fake.staff.add("wecom_new")
    env.fake.customer_adds("wecom_new", "wmNewStaff")
    assert len(env.wait_for(lambda s: len(env.contacts(s)) == 4 and env.contacts(s))) == 4
    with unit_of_work(env.sessions) as s:
        outcomes = sorted(j.outcome for j in s.scalars(select(ChannelJoin)))
        assert outcomes == ["expired_code", "no_code", "no_code", "unknown_code"]
        expired = s.scalars(select(ChannelJoin).where(ChannelJoin.outcome == "expired_code")).one()
        assert expired.channel_id is not None and expired.cost_fen == 0
        assert s.scalars(select(StaffAccount).where(StaffAccount.code == "wecom_new")).one()
    assert env.fake.welcomes == []  # an unknown or expired code sends no welcome of its own


def test_customer_deleting_the_staff_closes_the_contact(env: Env) -> None:
    env.fake.customer_adds("wecom_a", "wmLeaver", state="pkg_card_q3")
    env.wait_for(env.contacts)
    env.fake.customer_deletes("wecom_a", "wmLeaver")
    contacts = env.wait_for(lambda s: [c for c in env.contacts(s) if c.left_at is not None])
    assert contacts[0].left_reason == "deleted_by_customer"
    env.fake.customer_adds("wecom_b", "wmLeaver2")
    env.wait_for(lambda s: len(env.contacts(s)) == 2)
    env.fake.staff_deletes("wecom_b", "wmLeaver2")
    removed = env.wait_for(
        lambda s: [c for c in env.contacts(s) if c.left_reason == "removed_by_staff"]
    )
    assert len(removed) == 1


def test_details_unavailable_still_lands_the_joiner(env: Env) -> None:
    env.fake.fail_next("/cgi-bin/externalcontact/get", fake_codes.RATE_LIMITED, 10)
    env.fake.customer_adds("wecom_a", "wmBusy", state="pkg_card_q3", unionid="oUbusy")
    assert len(env.wait_for(env.contacts)) == 1
    with unit_of_work(env.sessions) as s:
        assert {i.kind for i in s.scalars(select(Identity))} == {"external_userid"}


def test_late_welcome_is_expired_not_sent(env: Env) -> None:
    env.fake.customer_adds("wecom_a", "wmLate", deliver=False)  # WeCom knows the contact
    message = contact_event(
        "add_external_contact",
        env.fake.corp_id,
        int(time.time()) - 60,
        {
            "UserID": "wecom_a",
            "ExternalUserID": "wmLate",
            "State": "pkg_card_q3",
            "WelcomeCode": "W1",
        },
    )
    query, body = env.fake.signed_request(message)
    env.receiver.handle_callback(query, body)
    env.receiver.after_response()
    with unit_of_work(env.sessions) as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "wecom"))
        statuses = {r.payload["kind"]: (r.status, r.last_error) for r in rows}
    assert statuses == {"welcome": ("dead", "welcome code older than 20 s"), "tag": ("sent", "")}
    assert env.fake.welcomes == [] and len(env.fake.tags) == 1


def test_group_chat_events_keep_members_in_step(env: Env) -> None:
    for ext in ("wmG1", "wmG2", "wmG3"):
        env.fake.customer_adds("wecom_a", ext, deliver=False)
    env.fake.create_group("wrGroup1", "wecom_a", "茶友群", ["wmG1", "wmG2", "wmG3"])
    now = int(time.time())
    assert env.fake.deliver(chat_event("create", env.fake.corp_id, now, "wrGroup1"))[0] == 200

    def members(s: Session) -> list[GroupMember]:
        return list(s.scalars(select(GroupMember).where(GroupMember.left_at.is_(None))))

    assert len(env.wait_for(lambda s: len(members(s)) == 4 and members(s))) == 4
    with unit_of_work(env.sessions) as s:
        group = s.scalars(select(GroupChat)).one()
        assert (group.name, group.chat_ref) == ("茶友群", "wrGroup1")
        assert len([c for c in env.contacts(s) if c.carrier == "group"]) == 3
    del env.fake.groups["wrGroup1"].members["wmG2"]
    env.fake.deliver(
        chat_event(
            "update", env.fake.corp_id, now + 1, "wrGroup1", detail="del_member", members=("wmG2",)
        )
    )
    assert len(env.wait_for(lambda s: len(members(s)) == 3 and members(s))) == 3
    env.fake.deliver(chat_event("dismiss", env.fake.corp_id, now + 2, "wrGroup1"))
    assert env.wait_for(
        lambda s: not members(s) and s.scalars(select(GroupChat)).one().dismissed_at
    )


def test_a_join_through_a_referral_code_is_attributed_to_the_referrer(env: Env) -> None:
    with unit_of_work(env.sessions) as s:
        referrals.create_campaign(
            s,
            env.workspace_id,
            CampaignCreate(
                code="spring",
                name="老带新",
                rules=CampaignRules(
                    rewards=[
                        RewardRule(
                            trigger="join", beneficiary="referrer", kind="points", amount=100
                        )
                    ]
                ),
            ),
        )
        referrer = Customer(workspace_id=env.workspace_id)
        s.add(referrer)
        s.flush()
        code = referrals.issue_codes(s, env.workspace_id, "spring", [referrer.id])[referrer.id]
        assert env.receiver.client is not None
        qr = wecom_service.referral_contact_way(s, env.workspace_id, env.receiver.client, code)
        again = wecom_service.referral_contact_way(s, env.workspace_id, env.receiver.client, code)
    assert qr == again and qr.startswith("https://")
    (way,) = env.fake.contact_ways.values()
    assert way["state"] == code and way["user"] == ["wecom_a"]  # nobody busy yet: the first
    env.fake.customer_adds("wecom_a", "wmReferred", state=code)
    joins = env.wait_for(lambda s: s.scalars(select(ChannelJoin)).all())
    assert [j.outcome for j in joins] == ["referral"]
    with unit_of_work(env.sessions) as s:
        made = s.scalars(select(Referral)).one()
        assert made.referrer_customer_id == referrer.id and made.status == "joined"
        contact = s.scalars(select(Contact)).one()
        assert contact.customer_id == made.referee_customer_id
        assert contact.channel_id is not None
        reward = s.scalars(select(ReferralReward)).one()
        assert (reward.customer_id, reward.kind, reward.status) == (
            referrer.id,
            "points",
            "pending",
        )
