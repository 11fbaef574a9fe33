"""The built-in WeCom adapter behind the general outbox, against the fake WeCom server:
batch messages, welcome messages and tags go out through `siyu worker`'s dispatcher; an
expired access token is fetched again; rate limits come back as "retry later"."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.config import Settings
from siyu.customers.rules import identifier
from siyu.customers.service import IdentityResolver, ResolveRequest
from siyu.db.engine import make_session_factory, unit_of_work
from siyu.kit.clock import utcnow
from siyu.kit.crypto import PiiCipher
from siyu.messaging.channels.wecom import WeComChannel
from siyu.messaging.service import Dispatcher
from siyu.messaging.tasks import channels_from_settings
from siyu.models import Contact, OutboxMessage, Workspace
from siyu.models.enums import IdentityKind
from siyu.pool.service import Directory
from siyu.wecom import service as wecom
from siyu.wecom.adapter import WeComAdapter
from siyu.wecom.client import WeComClient
from tests.fakes import wecom as codes
from tests.fakes.wecom import FakeWeCom

pytestmark = pytest.mark.committed
TEMPLATE = "/cgi-bin/externalcontact/add_msg_template"


@dataclass
class Env:
    fake: FakeWeCom
    sessions: sessionmaker[Session]
    workspace_id: int
    dispatcher: Dispatcher
    customers: dict[str, int]

    def messages(self) -> list[OutboxMessage]:
        with unit_of_work(self.sessions) as s:
            return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def env(session: Session, cipher: PiiCipher) -> Iterator[Env]:
    sessions = make_session_factory(session.get_bind())  # type: ignore[arg-type]
    with FakeWeCom(staff=("wecom_a",), token_ttl_s=600) as fake:
        with unit_of_work(sessions) as s:
            ws = Workspace(slug=f"ws-{uuid.uuid4().hex[:6]}", name="brand")
            s.add(ws)
            s.flush()
            staff_id = Directory(s, ws.id).staff_account("wecom_a", name="a")
            resolver = IdentityResolver(s, ws.id, cipher, source="wecom")
            found = {}
            for ext in ("wmOne", "wmTwo"):
                fake.customer_adds("wecom_a", ext, deliver=False)
                key = identifier(IdentityKind.EXTERNAL_USERID, ext)
                assert key is not None
                (found[ext],) = resolver.resolve([ResolveRequest((key,), utcnow(), "t", None)])
                s.add(Contact(workspace_id=ws.id, customer_id=found[ext], carrier="wecom",
                              carrier_ref="wecom_a", staff_account_id=staff_id,
                              joined_at=utcnow()))  # fmt: skip
            workspace_id = ws.id
        client = WeComClient(fake.corp_id, fake.secret, base_url=fake.url, sleep=lambda s: None)
        channel = WeComChannel(WeComAdapter(client))
        dispatcher = Dispatcher(sessions, cipher, workspace_id, {"wecom": channel},
                                worker="test", lease=timedelta(minutes=1))  # fmt: skip
        yield Env(fake, sessions, workspace_id, dispatcher, found)


def _batch(env: Env, text: str) -> int:
    with unit_of_work(env.sessions) as s:
        sender = wecom.channels.require_staff(s, env.workspace_id, "wecom_a")
        return wecom.queue_batch_message(s, env.workspace_id, sender=sender, text=text)


def test_a_batch_message_is_one_add_msg_template_call(env: Env) -> None:
    assert _batch(env, "新茶上市") == 2
    report = env.dispatcher.run_batch("wecom", 100)
    assert (report.sent, report.retried, report.dead) == (2, 0, 0)
    (template,) = env.fake.templates
    assert template["sender"] == "wecom_a" and template["text"] == {"content": "新茶上市"}
    assert sorted(template["external_userid"]) == ["wmOne", "wmTwo"]
    assert all(m.provider_ref.startswith("msg") for m in env.messages())


def test_an_expired_token_is_fetched_again(env: Env) -> None:
    _batch(env, "第一条")
    env.dispatcher.run_batch("wecom", 100)
    assert env.fake.token_calls == 1
    env.fake.advance(601)  # the fake's token has expired; the client's cache does not know
    _batch(env, "第二条")
    report = env.dispatcher.run_batch("wecom", 100)
    assert report.sent == 2 and len(env.fake.templates) == 2
    assert env.fake.token_calls == 2


def test_rate_limits_are_retried_later_and_then_sent(env: Env) -> None:
    _batch(env, "限流")
    env.fake.fail_next(TEMPLATE, codes.RATE_LIMITED, times=4)  # the client's four attempts
    report = env.dispatcher.run_batch("wecom", 100)
    assert (report.sent, report.retried) == (0, 2)
    waiting = env.messages()
    assert {m.status for m in waiting} == {"pending"}
    assert all(m.next_attempt_at > utcnow() for m in waiting)  # backoff: not due yet
    assert env.fake.templates == []
    env.dispatcher.clock = lambda: utcnow() + timedelta(hours=1)
    assert env.dispatcher.run_batch("wecom", 100).sent == 2
    assert len(env.fake.templates) == 1


def test_a_permanent_error_fails_the_messages(env: Env) -> None:
    _batch(env, "错误")
    env.fake.fail_next(TEMPLATE, codes.INVALID_PARAMETER)
    report = env.dispatcher.run_batch("wecom", 100)
    assert report.dead == 2
    assert {m.last_error for m in env.messages()} == {f"errcode {codes.INVALID_PARAMETER}"}


def test_the_built_in_adapter_is_chosen_when_credentials_are_set() -> None:
    found = channels_from_settings(Settings(wecom_corp_id="ww1", wecom_secret="s"), io.StringIO())
    assert isinstance(found["wecom"], WeComChannel)
    assert isinstance(found["wecom"].adapter, WeComAdapter)
    assert "wecom" not in channels_from_settings(Settings(), io.StringIO())
